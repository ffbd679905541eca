namespace MedVision.Imaging;

// Constant tables from ITU-T T.81. Kept private to the encoder (a decoder in this folder may carry its own
// copies) so the two can evolve without coupling; merge into one shared table file once both have settled.
public static partial class JpegEncoder
{
    /// <summary>Annex K, Table K.1: luminance quantization, natural (row-major) order, quality 50.</summary>
    private static ReadOnlySpan<byte> LuminanceQuantization =>
    [
        16, 11, 10, 16, 24, 40, 51, 61,
        12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77,
        24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101,
        72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>Annex K, Table K.2: chrominance quantization, natural order, quality 50.</summary>
    private static ReadOnlySpan<byte> ChrominanceQuantization =>
    [
        17, 18, 24, 47, 99, 99, 99, 99,
        18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
    ];

    /// <summary>Figure A.6: natural-order index of the k-th coefficient in zigzag order.</summary>
    private static ReadOnlySpan<byte> ZigzagToNatural =>
    [
        0, 1, 8, 16, 9, 2, 3, 10,
        17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34,
        27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36,
        29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46,
        53, 60, 61, 54, 47, 55, 62, 63,
    ];

    // Annex K.3, Tables K.3–K.6: code counts per length (BITS) and symbols in code order (HUFFVAL).
    private static ReadOnlySpan<byte> DcLuminanceBits => [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];

    private static ReadOnlySpan<byte> DcLuminanceValues => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    private static ReadOnlySpan<byte> DcChrominanceBits => [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];

    private static ReadOnlySpan<byte> DcChrominanceValues => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    private static ReadOnlySpan<byte> AcLuminanceBits => [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];

    private static ReadOnlySpan<byte> AcLuminanceValues =>
    [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
        0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
        0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
        0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
        0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
        0xf9, 0xfa,
    ];

    private static ReadOnlySpan<byte> AcChrominanceBits => [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];

    private static ReadOnlySpan<byte> AcChrominanceValues =>
    [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
        0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
        0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
        0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
        0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
        0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
        0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
        0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
        0xf9, 0xfa,
    ];

    /// <summary>AAN scale factors: the float DCT leaves output k multiplied by these (and by 8 overall).</summary>
    private static ReadOnlySpan<double> AanScale =>
        [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.541196100, 0.275899379];

    // Packed (code << 8) | length per symbol, built once from the Annex K lists (Annex C procedure).
    private static readonly uint[] DcLuminanceCodes = BuildCodes(DcLuminanceBits, DcLuminanceValues);
    private static readonly uint[] DcChrominanceCodes = BuildCodes(DcChrominanceBits, DcChrominanceValues);
    private static readonly uint[] AcLuminanceCodes = BuildCodes(AcLuminanceBits, AcLuminanceValues);
    private static readonly uint[] AcChrominanceCodes = BuildCodes(AcChrominanceBits, AcChrominanceValues);

    /// <summary>Annex C (Figures C.1–C.3): canonical codes in order of increasing length.</summary>
    private static uint[] BuildCodes(ReadOnlySpan<byte> bits, ReadOnlySpan<byte> values)
    {
        var codes = new uint[256];
        uint code = 0;
        var k = 0;
        for (var length = 1; length <= 16; length++)
        {
            for (var i = 0; i < bits[length - 1]; i++)
            {
                codes[values[k++]] = (code << 8) | (uint)length;
                code++;
            }

            code <<= 1;
        }

        return codes;
    }

    /// <summary>
    /// libjpeg's quality scaling (jpeg_quality_scaling + jpeg_add_quant_table with force_baseline), so a given
    /// quality yields byte-identical DQT tables to cjpeg -quality.
    /// </summary>
    private static byte[] ScaleQuantization(ReadOnlySpan<byte> basic, int quality)
    {
        var scale = quality < 50 ? 5000 / quality : 200 - (quality * 2);
        var table = new byte[64];
        for (var i = 0; i < 64; i++)
        {
            table[i] = (byte)Math.Clamp(((basic[i] * scale) + 50) / 100, 1, 255);
        }

        return table;
    }

    /// <summary>
    /// Per-coefficient multipliers that fold the AAN output scaling and 1/q together, laid out in the
    /// transposed order the vector DCT produces (index u * 8 + v for natural index v * 8 + u).
    /// </summary>
    private static float[] Reciprocals(byte[] quantization)
    {
        var reciprocals = new float[64];
        for (var v = 0; v < 8; v++)
        {
            for (var u = 0; u < 8; u++)
            {
                reciprocals[(u * 8) + v] = (float)(1.0 / (quantization[(v * 8) + u] * AanScale[u] * AanScale[v] * 8.0));
            }
        }

        return reciprocals;
    }

    /// <summary>For each zigzag position, where that coefficient sits in the transposed DCT output.</summary>
    private static readonly byte[] ZigzagToTransposed = BuildZigzagToTransposed();

    private static byte[] BuildZigzagToTransposed()
    {
        var map = new byte[64];
        for (var k = 0; k < 64; k++)
        {
            var natural = ZigzagToNatural[k];
            map[k] = (byte)(((natural % 8) * 8) + (natural / 8));
        }

        return map;
    }
}
