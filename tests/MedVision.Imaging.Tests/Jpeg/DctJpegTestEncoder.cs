namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// Writes an extended-sequential (SOF1) JPEG from given quantised coefficient blocks, so tests can feed the decoder and
/// DCMTK coefficients no encoder would produce: DC and AC values near the limits of 16-bit coefficients, with large
/// quantisers, which drive libjpeg's IDCT into the wrap-around part of its range-limit table; or exact sample values
/// per component (a DC-only block with quantiser 8 decodes to centre + DC at both precisions).
/// </summary>
internal static class DctJpegTestEncoder
{
    /// <param name="blocks">Per block, in coding order (MCU by MCU; every component 1x1, so one block of each per MCU):
    /// the DC value followed by AC coefficients in zigzag order; every AC listed must be non-zero (the rest is zero).</param>
    /// <param name="quant">64 quantisers in zigzag order (16-bit table), shared by all components.</param>
    /// <param name="app">Segments to put after SOI (e.g. an Adobe APP14), already framed.</param>
    public static byte[] Encode(int precision, int width, int height, int[] quant, IReadOnlyList<int[]> blocks, int components = 1, byte[]? app = null)
    {
        var output = new List<byte> { 0xFF, 0xD8 };
        output.AddRange(app ?? []);
        Segment(output, 0xDB, [0x10, .. quant.SelectMany(q => new[] { (byte)(q >> 8), (byte)q })]);
        Segment(output, 0xC1, [(byte)precision, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, (byte)components,
            .. Enumerable.Range(1, components).SelectMany(c => new byte[] { (byte)c, 0x11, 0 })]);

        // DC categories 0..15 and AC symbols 0x00 (EOB) .. 0x0F (run 0, size 1..15): sixteen 5-bit codes each, symbol k = k.
        var counts = new byte[16];
        counts[4] = 16;
        var symbols = Enumerable.Range(0, 16).Select(k => (byte)k).ToArray();
        Segment(output, 0xC4, [0x00, .. counts, .. symbols, 0x10, .. counts, .. symbols]);
        Segment(output, 0xDA, [(byte)components, .. Enumerable.Range(1, components).SelectMany(c => new byte[] { (byte)c, 0x00 }), 0, 63, 0]);

        var bits = new List<int>();
        var previousDc = new int[components];
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            Value(bits, block[0] - previousDc[i % components]);
            previousDc[i % components] = block[0];
            for (var k = 1; k < block.Length; k++)
            {
                Value(bits, block[k]);
            }

            if (block.Length < 64)
            {
                Append(bits, 0, 5); // EOB
            }
        }

        while (bits.Count % 8 != 0)
        {
            bits.Add(1);
        }

        for (var i = 0; i < bits.Count; i += 8)
        {
            var b = 0;
            for (var j = 0; j < 8; j++)
            {
                b = (b << 1) | bits[i + j];
            }

            output.Add((byte)b);
            if (b == 0xFF)
            {
                output.Add(0);
            }
        }

        output.AddRange([0xFF, 0xD9]);
        return [.. output];
    }

    /// <summary>Category code then the T.81 F.1.2.1 magnitude bits (negative values as value - 1 in 'size' bits).</summary>
    private static void Value(List<int> bits, int value)
    {
        var size = value == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(value));
        Append(bits, size, 5);
        if (size > 0)
        {
            Append(bits, value > 0 ? value : value + (1 << size) - 1, size);
        }
    }

    private static void Append(List<int> bits, int value, int length)
    {
        for (var i = length - 1; i >= 0; i--)
        {
            bits.Add((value >> i) & 1);
        }
    }

    public static byte[] Segment(int marker, params byte[] payload)
    {
        var output = new List<byte>();
        Segment(output, marker, payload);
        return [.. output];
    }

    private static void Segment(List<byte> output, int marker, byte[] payload) =>
        output.AddRange([0xFF, (byte)marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload]);
}
