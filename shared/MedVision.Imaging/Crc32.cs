using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace MedVision.Imaging;

/// <summary>
/// CRC-32 (ISO-HDLC, reflected 0xEDB88320) as PNG uses, for the encoder and the decoder; System.IO.Hashing is not in
/// the shared framework. Slicing by 8 (eight 256-entry tables, eight bytes per step) because PNG checks a CRC over
/// every IDAT byte, and one table lookup per byte cost more than inflating them.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));

    public const uint Start = 0xFFFFFFFFu;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per IDAT chunk: tier-0 code would do the work
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Table.AsSpan();
        while (data.Length >= 8)
        {
            var lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (int)(lo & 0xFF)] ^ t[(6 * 256) + (int)((lo >> 8) & 0xFF)]
                ^ t[(5 * 256) + (int)((lo >> 16) & 0xFF)] ^ t[(4 * 256) + (int)(lo >> 24)]
                ^ t[(3 * 256) + (int)(hi & 0xFF)] ^ t[(2 * 256) + (int)((hi >> 8) & 0xFF)]
                ^ t[256 + (int)((hi >> 16) & 0xFF)] ^ t[(int)(hi >> 24)];
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = t[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        }

        return crc;
    }

    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        // Table k gives the CRC of a byte followed by k zero bytes.
        for (var k = 1; k < 8; k++)
        {
            for (var n = 0; n < 256; n++)
            {
                var prev = table[((k - 1) * 256) + n];
                table[(k * 256) + n] = table[(int)(prev & 0xFF)] ^ (prev >> 8);
            }
        }

        return table;
    }
}
