using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MedVision.Imaging.Tests;

/// <summary>
/// Builds PNG files byte by byte, independently of the library (own CRC, own filters, own packing),
/// so decoder tests do not just check the encoder against itself.
/// </summary>
internal static class TestPng
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Bit-at-a-time CRC-32: deliberately a different implementation from the library's table.
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var result = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(result, 4);
        data.CopyTo(result.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(8 + data.Length), Crc(result.AsSpan(4, 4 + data.Length)));
        return result;
    }

    public static byte[] Ihdr(uint width, uint height, byte bitDepth, byte colorType, byte interlace = 0)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(data, width);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), height);
        data[8] = bitDepth;
        data[9] = colorType;
        data[12] = interlace;
        return Chunk("IHDR", data);
    }

    public static byte[] Iend() => Chunk("IEND", []);

    public static byte[] File(params byte[][] chunks) => [.. Signature, .. chunks.SelectMany(c => c)];

    public static byte[] Zlib(byte[] raw, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, level, leaveOpen: true))
        {
            z.Write(raw);
        }

        return ms.ToArray();
    }

    /// <summary>A complete PNG: IHDR, one IDAT of the given scanlines (filter bytes included), IEND.</summary>
    public static byte[] Simple(uint width, uint height, byte bitDepth, byte colorType, byte[] scanlines, params byte[][] extraBeforeIdat) =>
        File([Ihdr(width, height, bitDepth, colorType), .. extraBeforeIdat, Chunk("IDAT", Zlib(scanlines)), Iend()]);

    /// <summary>Packs samples into one PNG row (MSB-first for depths below 8, big-endian for 16).</summary>
    public static byte[] PackRow(IReadOnlyList<int> samples, int depth)
    {
        var bytes = new byte[((samples.Count * depth) + 7) / 8];
        for (var i = 0; i < samples.Count; i++)
        {
            switch (depth)
            {
                case 16:
                    bytes[2 * i] = (byte)(samples[i] >> 8);
                    bytes[(2 * i) + 1] = (byte)samples[i];
                    break;
                case 8:
                    bytes[i] = (byte)samples[i];
                    break;
                default:
                    var bit = i * depth;
                    bytes[bit / 8] |= (byte)(samples[i] << (8 - depth - (bit % 8)));
                    break;
            }
        }

        return bytes;
    }

    /// <summary>Applies one PNG filter type to a row; <paramref name="prior"/> is the previous unfiltered row or null.</summary>
    public static byte[] Filter(int type, byte[] row, byte[]? prior, int bpp)
    {
        var output = new byte[row.Length + 1];
        output[0] = (byte)type;
        for (var i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = prior?[i] ?? 0;
            int c = i >= bpp && prior is not null ? prior[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => PaethReference(a, b, c),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
            output[i + 1] = unchecked((byte)(row[i] - predictor));
        }

        return output;
    }

    /// <summary>Rows filtered with the given type per row (cycled), concatenated as an IDAT payload expects.</summary>
    public static byte[] Scanlines(IReadOnlyList<byte[]> rows, int bpp, params int[] filterTypes)
    {
        if (filterTypes.Length == 0)
        {
            filterTypes = [0];
        }

        var result = new List<byte>();
        byte[]? prior = null;
        for (var y = 0; y < rows.Count; y++)
        {
            result.AddRange(Filter(filterTypes[y % filterTypes.Length], rows[y], prior, bpp));
            prior = rows[y];
        }

        return [.. result];
    }

    // Straight from the PNG specification's pseudo-code.
    private static int PaethReference(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
