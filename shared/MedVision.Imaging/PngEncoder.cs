using System.Buffers.Binary;
using System.IO.Compression;

namespace MedVision.Imaging;

/// <param name="Level">zlib effort; Optimal is a good size/speed balance for diagnostic overlays.</param>
/// <param name="AdaptiveFilter">Pick the best filter per row (smaller files) instead of always None (faster).</param>
public sealed record PngEncodeOptions(CompressionLevel Level = CompressionLevel.Optimal, bool AdaptiveFilter = true);

/// <summary>Lossless PNG writer for Gray, GrayAlpha, Rgb and Rgba rasters at 8 or 16 bits, non-interlaced.</summary>
public static class PngEncoder
{
    // IDAT is split so no chunk grows unbounded and readers with small buffers cope.
    private const int MaxIdatLength = 1 << 16;

    public static byte[] Encode(Raster image, PngEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new PngEncodeOptions();

        var compressed = Compress(image, options);

        using var output = new MemoryStream();
        output.Write(PngDecoder.Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)image.Width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)image.Height);
        header[8] = (byte)image.BitDepth;
        header[9] = ColorType(image.Color);
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering method
        header[12] = 0; // no interlace
        WriteChunk(output, "IHDR"u8, header);

        var remaining = compressed.AsSpan();
        do
        {
            var take = Math.Min(remaining.Length, MaxIdatLength);
            WriteChunk(output, "IDAT"u8, remaining[..take]);
            remaining = remaining[take..];
        }
        while (!remaining.IsEmpty);

        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    private static byte ColorType(ColorModel color) => color switch
    {
        ColorModel.Gray => 0,
        ColorModel.Rgb => 2,
        ColorModel.GrayAlpha => 4,
        ColorModel.Rgba => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, "Unknown color model."),
    };

    private static byte[] Compress(Raster image, PngEncodeOptions options)
    {
        var bytesPerSample = image.BitDepth / 8;
        var bpp = image.Channels * bytesPerSample;
        var stride = image.Width * bpp;
        var previous = new byte[stride];
        var current = new byte[stride];
        var candidate = new byte[stride + 1];
        var best = new byte[stride + 1];

        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, options.Level, leaveOpen: true))
        {
            for (var y = 0; y < image.Height; y++)
            {
                FillRow(image, y, current);
                if (options.AdaptiveFilter)
                {
                    ChooseFilter(current, previous, bpp, candidate, best);
                }
                else
                {
                    best[0] = 0;
                    current.CopyTo(best, 1);
                }

                zlib.Write(best);
                (previous, current) = (current, previous);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Copies one row in PNG byte order: 16-bit samples become big-endian.</summary>
    private static void FillRow(Raster image, int y, Span<byte> row)
    {
        var stride = row.Length;
        if (image.BitDepth == 8)
        {
            image.Data.AsSpan(y * stride, stride).CopyTo(row);
            return;
        }

        var samples = image.Samples16.Slice(y * (stride / 2), stride / 2);
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(row[(i * 2)..], samples[i]);
        }
    }

    // The PNG spec's recommended heuristic: the filter whose output, read as signed bytes, has the smallest
    // sum of magnitudes tends to compress best.
    private static void ChooseFilter(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> candidate, Span<byte> best)
    {
        var bestScore = long.MaxValue;
        for (byte filter = 0; filter <= 4; filter++)
        {
            ApplyFilter(filter, row, prior, bpp, candidate);
            long score = 0;
            for (var i = 1; i < candidate.Length && score < bestScore; i++)
            {
                score += Math.Abs((int)(sbyte)candidate[i]);
            }

            if (score < bestScore)
            {
                bestScore = score;
                candidate.CopyTo(best);
            }
        }
    }

    private static void ApplyFilter(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output)
    {
        output[0] = filter;
        for (var i = 0; i < row.Length; i++)
        {
            int left = i >= bpp ? row[i - bpp] : 0;
            int up = prior[i];
            int upLeft = i >= bpp ? prior[i - bpp] : 0;
            var predictor = filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) >> 1,
                _ => PngDecoder.Paeth(left, up, upLeft),
            };
            output[i + 1] = (byte)(row[i] - predictor);
        }
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, type), data));
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}
