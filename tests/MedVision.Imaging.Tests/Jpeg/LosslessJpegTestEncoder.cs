namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// A deliberately plain lossless JPEG writer (T.81 Annex H, Huffman, SOF3), so tests can make streams that no installed
/// encoder makes: every precision 2..16, restart intervals (DCMTK's dcmcjpeg has no restart option), non-interleaved
/// component scans and difference category 16. Its streams are checked against DCMTK's dcmdjpeg wherever libjpeg can
/// read them, which makes it a test input generator, not a second opinion on the decoder.
/// </summary>
internal static class LosslessJpegTestEncoder
{
    /// <param name="samples">Interleaved, <paramref name="components"/> per pixel, each below 2^precision.</param>
    /// <param name="restartInterval">In MCUs (pixels for an interleaved scan, samples for a single-component one); 0 for none.</param>
    /// <param name="interleaved">One scan for all components, or one scan per component.</param>
    public static byte[] Encode(ushort[] samples, int width, int height, int components, int precision, int predictor,
        int pointTransform = 0, int restartInterval = 0, bool interleaved = true)
    {
        var output = new List<byte> { 0xFF, 0xD8 };
        if (restartInterval > 0)
        {
            Segment(output, 0xDD, [(byte)(restartInterval >> 8), (byte)restartInterval]);
        }

        var sof = new List<byte> { (byte)precision, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, (byte)components };
        for (var c = 0; c < components; c++)
        {
            sof.AddRange([(byte)(c + 1), 0x11, 0]);
        }

        Segment(output, 0xC3, [.. sof]);

        // One DC-class table for categories 0..16: seventeen 5-bit codes, symbol k coded as k (none is all ones).
        var counts = new byte[16];
        counts[4] = 17;
        Segment(output, 0xC4, [0x00, .. counts, .. Enumerable.Range(0, 17).Select(k => (byte)k)]);

        var scans = interleaved ? [Enumerable.Range(0, components).ToArray()] : Enumerable.Range(0, components).Select(c => new[] { c }).ToArray();
        foreach (var scan in scans)
        {
            var sos = new List<byte> { (byte)scan.Length };
            foreach (var c in scan)
            {
                sos.AddRange([(byte)(c + 1), 0x00]);
            }

            sos.AddRange([(byte)predictor, 0, (byte)pointTransform]);
            Segment(output, 0xDA, [.. sos]);
            EncodeScan(output, samples, width, height, components, scan, precision, predictor, pointTransform, restartInterval);
        }

        output.AddRange([0xFF, 0xD9]);
        return [.. output];
    }

    private static void EncodeScan(List<byte> output, ushort[] samples, int width, int height, int components, int[] scan,
        int precision, int predictor, int pointTransform, int restartInterval)
    {
        var bits = new BitWriter(output);
        var mcu = 0;
        var restarts = 0;
        var (startX, startY) = (0, 0);
        int Sample(int x, int y, int c) => samples[(((y * width) + x) * components) + c] >> pointTransform;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0)
                {
                    bits.Flush();
                    output.AddRange([0xFF, (byte)(0xD0 + (restarts++ & 7))]);
                    (startX, startY) = (x, y);
                }

                mcu++;
                foreach (var c in scan)
                {
                    int prediction;
                    if (y == startY)
                    {
                        // First line of the scan or of a restart interval: 2^(P-Pt-1) at its start, then Ra.
                        prediction = x == startX ? 1 << (precision - pointTransform - 1) : Sample(x - 1, y, c);
                    }
                    else if (x == 0)
                    {
                        prediction = Sample(x, y - 1, c);
                    }
                    else
                    {
                        var (ra, rb, rc) = (Sample(x - 1, y, c), Sample(x, y - 1, c), Sample(x - 1, y - 1, c));
                        prediction = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                    }

                    // Differences are taken modulo 2^16 into -32767..32768 (H.1.2.2); 32768 is category 16, no extra bits.
                    var difference = (Sample(x, y, c) - prediction) & 0xFFFF;
                    if (difference > 32768)
                    {
                        difference -= 65536;
                    }

                    var category = difference == 0 ? 0 : difference == 32768 ? 16 : 32 - int.LeadingZeroCount(Math.Abs(difference));
                    bits.Write(category, 5);
                    if (category is > 0 and < 16)
                    {
                        bits.Write(difference > 0 ? difference : difference + (1 << category) - 1, category);
                    }
                }
            }
        }

        bits.Flush();
    }

    private static void Segment(List<byte> output, int marker, byte[] payload) =>
        output.AddRange([0xFF, (byte)marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload]);

    private sealed class BitWriter(List<byte> output)
    {
        private int buffer;
        private int count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                buffer = (buffer << 1) | ((value >> i) & 1);
                if (++count == 8)
                {
                    Emit();
                }
            }
        }

        /// <summary>Pads the last byte with 1 bits, as T.81 F.1.2.3 asks before a marker.</summary>
        public void Flush()
        {
            while (count != 0)
            {
                buffer = (buffer << 1) | 1;
                if (++count == 8)
                {
                    Emit();
                }
            }
        }

        private void Emit()
        {
            output.Add((byte)buffer);
            if (buffer == 0xFF)
            {
                output.Add(0x00);
            }

            (buffer, count) = (0, 0);
        }
    }
}
