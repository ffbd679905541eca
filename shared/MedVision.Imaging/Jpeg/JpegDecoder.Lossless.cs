using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    /// <summary>
    /// The lossless raster: each reconstructed sample shifted left by its component's point transform (as libjpeg
    /// outputs it), 8-bit for precision up to 8, else 16-bit; 1, 3 or 4 components as gray, RGB or 4-channel, unconverted.
    /// </summary>
    private static Raster LosslessRaster(Frame f)
    {
        var n = f.Components.Length;
        var color = n switch { 1 => ColorModel.Gray, 3 => ColorModel.Rgb, _ => ColorModel.Rgba };
        var depth = f.Precision <= 8 ? 8 : 16;
        var pixels = f.Width * f.Height;
        var raster = new Raster(f.Width, f.Height, color, depth, GC.AllocateUninitializedArray<byte>(pixels * n * (depth / 8))); // fully written below
        for (var i = 0; i < n; i++)
        {
            var c = f.Components[i];
            var plane = c.Plane16!;
            var shift = c.PointTransform;
            if (n == 1 && depth == 16)
            {
                var samples = raster.Samples16;
                if (shift == 0)
                {
                    plane.AsSpan(0, pixels).CopyTo(samples);
                }
                else
                {
                    ShiftLeft(plane.AsSpan(0, pixels), samples, shift);
                }
            }
            else if (depth == 8)
            {
                var data = raster.Data;
                for (var p = 0; p < pixels; p++)
                {
                    data[(p * n) + i] = (byte)(plane[p] << shift);
                }
            }
            else
            {
                var samples = raster.Samples16;
                for (var p = 0; p < pixels; p++)
                {
                    samples[(p * n) + i] = (ushort)(plane[p] << shift);
                }
            }
        }

        return raster;
    }

    /// <summary>destination[i] = source[i] &lt;&lt; shift (modulo 2^16), whole vectors at a time.</summary>
    private static void ShiftLeft(ReadOnlySpan<ushort> source, Span<ushort> destination, int shift)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<ushort, Vector<ushort>>(source);
            var targets = MemoryMarshal.Cast<ushort, Vector<ushort>>(destination);
            for (var v = 0; v < vectors.Length; v++)
            {
                targets[v] = vectors[v] << shift;
            }

            i = vectors.Length * Vector<ushort>.Count;
        }

        for (; i < source.Length; i++)
        {
            destination[i] = (ushort)(source[i] << shift);
        }
    }

    private ref partial struct Parser
    {
        /// <summary>
        /// SOS fields of a lossless scan (T.81 H.2.2): Ss is the predictor selection value, Al the point transform;
        /// Se and Ah have no meaning here and are ignored. Only DC-class Huffman tables are used.
        /// </summary>
        private Scan LosslessScan(Component[] components, int predictor, int pointTransform, int offset)
        {
            var f = frame!;
            if (predictor is < 1 or > 7)
            {
                throw Fail(JpegErrorCodes.BadHeader,
                    $"JPEG lossless SOS at offset {offset} selects predictor {predictor}; non-hierarchical lossless defines 1..7.");
            }

            if (pointTransform >= f.Precision)
            {
                throw Fail(JpegErrorCodes.BadHeader,
                    $"JPEG lossless SOS at offset {offset} has point transform {pointTransform}, not below the sample precision {f.Precision}.");
            }

            foreach (var c in components)
            {
                if (c.DcTable is null)
                {
                    throw Fail(JpegErrorCodes.BadHuffman, $"JPEG SOS at offset {offset}: component {c.Id} uses a Huffman table no DHT has defined.");
                }
            }

            AllocateBuffers();
            return new Scan
            {
                Components = components,
                Ss = predictor,
                Se = 0,
                Ah = 0,
                Al = pointTransform,
                RestartInterval = restartInterval,
                Number = scans,
            };
        }

        /// <summary>
        /// Decodes one lossless scan (T.81 H.1.2 and H.2). Every component here is 1x1, so an MCU is one sample of each
        /// scan component, in raster order. Prediction per H.1.2.1: the first sample of the scan and of every restart
        /// interval is predicted by 2^(P-Pt-1); the rest of the line it starts on by Ra; the first sample of any other
        /// line by Rb; everything else by the selected predictor. Reconstruction is modulo 2^16. (libjpeg only accepts
        /// restart intervals of whole lines, where this is exactly its rule; an interval starting mid-line gets the
        /// same treatment from its start to the end of that line.) Data errors behave as in DCT scans: a corrupt
        /// interval decodes as zero differences up to the next RSTn, truncation or a foreign marker fails.
        /// Each line is decoded in runs that no restart boundary splits: differences first, then reconstruction.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void DecodeLosslessScan(Scan scan)
        {
            var f = frame!;
            var reader = new BitReader(data, pos);
            var components = scan.Components;
            var n = components.Length;
            var width = f.Width;
            var height = f.Height;
            var planes = new ushort[n][];
            var tables = new HuffmanTable[n];
            var differences = new int[n][];
            for (var i = 0; i < n; i++)
            {
                var c = components[i];
                c.Decoded = true;
                c.PointTransform = scan.Al;
                planes[i] = c.Plane16!;
                tables[i] = c.DcTable!;
                differences[i] = new int[width];
            }

            var predictor = scan.Ss;
            var initial = 1 << (f.Precision - scan.Al - 1);
            var interval = scan.RestartInterval;
            if (n == 1 && interval == 0)
            {
                DecodeSingleComponentScan(ref reader, scan, planes[0], tables[0], width, height, predictor, initial);
                pos = reader.Position;
                return;
            }

            var restartsLeft = interval;
            var expectedRst = 0;
            var startX = 0;
            var startY = 0;
            for (var y = 0; y < height; y++)
            {
                var x = 0;
                while (x < width)
                {
                    if (interval > 0 && restartsLeft == 0)
                    {
                        ProcessRestart(ref reader, ref expectedRst);
                        restartsLeft = interval;
                        (startX, startY) = (x, y);
                    }

                    var run = interval > 0 ? Math.Min(width - x, restartsLeft) : width - x;
                    DecodeDifferences(ref reader, tables, differences, x, run);
                    for (var i = 0; i < n; i++)
                    {
                        var row = planes[i].AsSpan(y * width, width);
                        var above = y > 0 ? planes[i].AsSpan((y - 1) * width, width) : default;
                        Reconstruct(row, above, differences[i], x, x + run, y == startY, x == startX ? initial : -1, predictor);
                    }

                    restartsLeft -= run;
                    x += run;
                }

                if (reader.Exhausted)
                {
                    CheckLineEnd(ref reader, scan, interval, y, height);
                }
            }

            pos = reader.Position;
        }

        /// <summary>After a line that used padding bits: fails unless the data stopped at the restart marker due there.</summary>
        private static void CheckLineEnd(ref BitReader reader, Scan scan, int interval, int y, int height)
        {
            var marker = reader.PeekMarker();
            var atRestart = interval > 0 && marker is >= MarkerRst0 and <= MarkerRst7;
            if (reader.HitEof || !atRestart)
            {
                throw reader.HitEof || marker == MarkerEoi
                    ? Fail(JpegErrorCodes.Truncated, $"JPEG data ends at offset {reader.Position} in lossless scan {scan.Number}, line {y + 1} of {height}.")
                    : Fail(JpegErrorCodes.BadData, $"JPEG lossless scan {scan.Number} is cut short by marker FF{marker:X2} at offset {reader.Position} (line {y + 1} of {height}).");
            }
        }

        /// <summary>Bits of the combined lookup of <see cref="BuildDifferenceLookup"/>.</summary>
        private const int DifferenceLookupBits = 12;

        /// <summary>
        /// Indexed by the next 12 bits: when a code and its extra bits both fit in them, (difference &lt;&lt; 8) | total
        /// length (never 0, as the length is at least 1), so the common difference costs one lookup; else 0.
        /// </summary>
        private static int[] BuildDifferenceLookup(HuffmanTable table)
        {
            const int extraShift = DifferenceLookupBits - HuffmanTable.LookupBits;
            var lookup = new int[1 << DifferenceLookupBits];
            for (var i = 0; i < lookup.Length; i++)
            {
                int entry = table.Lookup[i >> extraShift];
                if (entry == 0)
                {
                    continue;
                }

                var length = entry >> 8;
                var s = entry & 0xFF;
                if (s is 0 or 16)
                {
                    lookup[i] = ((s == 0 ? 0 : 32768) << 8) | length;
                }
                else if (length + s <= DifferenceLookupBits)
                {
                    var v = (i >> (DifferenceLookupBits - length - s)) & ((1 << s) - 1);
                    var difference = v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
                    lookup[i] = (difference << 8) | (length + s);
                }
            }

            return lookup;
        }

        /// <summary>
        /// The common single-component scan without restarts, decoding and reconstructing each line in one pass straight
        /// into the plane. Same rules as the general loop: Ra on the first line after 2^(P-Pt-1), Rb for column 0 below
        /// it, the selection elsewhere; zero differences once the data has run out, then the same end-of-line check.
        /// </summary>
        private static void DecodeSingleComponentScan(ref BitReader reader, Scan scan, ushort[] plane, HuffmanTable table, int width,
            int height, int predictor, int initial)
        {
            var lookup = BuildDifferenceLookup(table);
            for (var y = 0; y < height; y++)
            {
                var row = plane.AsSpan(y * width, width);
                var above = y > 0 ? plane.AsSpan((y - 1) * width, width) : default;
                int x;
                if (y == 0 || predictor == 1)
                {
                    x = DecodeRun<LeftPredictor>(ref reader, table, lookup, row, above, 0, width, y == 0 ? initial : above[0]);
                }
                else
                {
                    x = DecodeRun<LeftPredictor>(ref reader, table, lookup, row, above, 0, 1, above[0]);
                    if (x == 1)
                    {
                        x = predictor switch
                        {
                            2 => DecodeRun<Predictor2>(ref reader, table, lookup, row, above, 1, width, row[0]),
                            3 => DecodeRun<Predictor3>(ref reader, table, lookup, row, above, 1, width, row[0]),
                            4 => DecodeRun<Predictor4>(ref reader, table, lookup, row, above, 1, width, row[0]),
                            5 => DecodeRun<Predictor5>(ref reader, table, lookup, row, above, 1, width, row[0]),
                            6 => DecodeRun<Predictor6>(ref reader, table, lookup, row, above, 1, width, row[0]),
                            _ => DecodeRun<Predictor7>(ref reader, table, lookup, row, above, 1, width, row[0]),
                        };
                    }
                }

                if (x < width)
                {
                    // The reader reached a marker or the end: finish the line MCU by MCU, as the general loop does.
                    var d = new int[width];
                    for (var k = x; k < width; k++)
                    {
                        d[k] = reader.Exhausted ? 0 : DecodeDifference(ref reader, table);
                    }

                    Reconstruct(row, above, d, x, width, y == 0, x == 0 ? initial : -1, predictor);
                }

                if (reader.Exhausted)
                {
                    CheckLineEnd(ref reader, scan, 0, y, height);
                }
            }
        }

        /// <summary>
        /// Decodes and reconstructs samples <paramref name="x"/>..<paramref name="end"/> - 1 of a line while the reader
        /// has not reached a marker or the end (as <see cref="DecodeDifferencesFast"/>); returns the first sample not done.
        /// <paramref name="ra"/> is the sample left of <paramref name="x"/> (or the prediction of column 0).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int DecodeRun<TPredictor>(ref BitReader reader, HuffmanTable table, int[] lookup, Span<ushort> row,
            ReadOnlySpan<ushort> above, int x, int end, int ra)
            where TPredictor : struct, IPredictor
        {
            const int lookupShift = 64 - DifferenceLookupBits;
            const int tableShift = 64 - HuffmanTable.LookupBits;
            var fastEnd = reader.FastRefillEnd;
            var bits = reader.Bits;
            var count = reader.Count;
            var position = reader.Position;
            ref var data = ref MemoryMarshal.GetReference(reader.Data);
            ref var rowRef = ref MemoryMarshal.GetReference(row);
            ref var aboveRef = ref MemoryMarshal.GetReference(above);
            ref var fast = ref MemoryMarshal.GetArrayDataReference(lookup);
            ref var codes = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
            if ((uint)end > (uint)row.Length || (TPredictor.UsesAbove && (uint)end > (uint)above.Length) || x >= end)
            {
                return x;
            }

            for (; x < end && fastEnd >= 0; x++)
            {
                if (count < 32)
                {
                    ulong word;
                    if (position <= fastEnd
                        && !BitReader.HasFfByte(word = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref data, position)))))
                    {
                        var take = (64 - count) >> 3;
                        bits |= (word >> (64 - (take * 8))) << (64 - count - (take * 8));
                        count += take * 8;
                        position += take;
                    }
                    else
                    {
                        (reader.Bits, reader.Count, reader.Position) = (bits, count, position);
                        reader.Fill();
                        (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
                        fastEnd = reader.FastRefillEnd;
                    }
                }

                // At least 32 bits are buffered: a code (up to 16) and its extra bits (up to 15) fit.
                var entry = Unsafe.Add(ref fast, (nint)(bits >> lookupShift));
                int difference;
                if (entry != 0)
                {
                    var total = entry & 0xFF;
                    bits <<= total;
                    count -= total;
                    difference = entry >> 8;
                }
                else
                {
                    int s = Unsafe.Add(ref codes, (nint)(bits >> tableShift));
                    if (s != 0)
                    {
                        bits <<= s >> 8;
                        count -= s >> 8;
                        s &= 0xFF;
                    }
                    else
                    {
                        (reader.Bits, reader.Count, reader.Position) = (bits, count, position);
                        s = reader.DecodeSlow(table);
                        (bits, count) = (reader.Bits, reader.Count);
                    }

                    if (s is 0 or 16)
                    {
                        difference = s == 0 ? 0 : 32768;
                    }
                    else
                    {
                        var v = (int)(bits >> (64 - s));
                        bits <<= s;
                        count -= s;
                        difference = v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
                    }
                }

                // Modulo 2^16: the ushort cast drops the carry, as libjpeg's & 0xFFFF does.
                ra = (ushort)(TPredictor.Predict(ra, ref aboveRef, x) + difference);
                Unsafe.Add(ref rowRef, x) = (ushort)ra;
            }

            (reader.Bits, reader.Count, reader.Position) = (bits, count, position);
            return x;
        }

        /// <summary>A lossless predictor (T.81 table H.1) from Ra (left), the line above and the column (at least 1 unless only Ra is used).</summary>
        private interface IPredictor
        {
            static abstract bool UsesAbove { get; }

            static abstract int Predict(int ra, ref ushort above, int x);
        }

        private struct LeftPredictor : IPredictor
        {
            public static bool UsesAbove => false;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int Predict(int ra, ref ushort above, int x) => ra;
        }

        private struct Predictor2 : IPredictor
        {
            public static bool UsesAbove => true;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int Predict(int ra, ref ushort above, int x) => Unsafe.Add(ref above, x);
        }

        private struct Predictor3 : IPredictor
        {
            public static bool UsesAbove => true;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int Predict(int ra, ref ushort above, int x) => Unsafe.Add(ref above, x - 1);
        }

        private struct Predictor4 : IPredictor
        {
            public static bool UsesAbove => true;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int Predict(int ra, ref ushort above, int x) => ra + Unsafe.Add(ref above, x) - Unsafe.Add(ref above, x - 1);
        }

        private struct Predictor5 : IPredictor
        {
            public static bool UsesAbove => true;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int Predict(int ra, ref ushort above, int x) => ra + ((Unsafe.Add(ref above, x) - Unsafe.Add(ref above, x - 1)) >> 1);
        }

        private struct Predictor6 : IPredictor
        {
            public static bool UsesAbove => true;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int Predict(int ra, ref ushort above, int x) => Unsafe.Add(ref above, x) + ((ra - Unsafe.Add(ref above, x - 1)) >> 1);
        }

        private struct Predictor7 : IPredictor
        {
            public static bool UsesAbove => true;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int Predict(int ra, ref ushort above, int x) => (ra + Unsafe.Add(ref above, x)) >> 1;
        }

        /// <summary>
        /// Entropy-decodes <paramref name="count"/> MCUs from column <paramref name="x"/>. As in DCT scans, once the data
        /// has run out the remaining MCUs get zero differences.
        /// </summary>
        private static void DecodeDifferences(ref BitReader reader, HuffmanTable[] tables, int[][] differences, int x, int count)
        {
            var end = x + count;
            var k = DecodeDifferencesFast(ref reader, tables, differences, x, end);
            for (; k < end; k++)
            {
                var skip = reader.Exhausted;
                for (var i = 0; i < tables.Length; i++)
                {
                    differences[i][k] = skip ? 0 : DecodeDifference(ref reader, tables[i]);
                }
            }
        }

        /// <summary>
        /// The same decoding with the bit buffer in locals and inline 8-byte refills, while the reader has not reached a
        /// marker or the end (so no MCU can start exhausted); returns the first MCU it did not decode, for the careful
        /// loop to finish from there.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int DecodeDifferencesFast(ref BitReader reader, HuffmanTable[] tables, int[][] differences, int x, int end)
        {
            const int lookupShift = 64 - HuffmanTable.LookupBits;
            var fastEnd = reader.FastRefillEnd;
            var bits = reader.Bits;
            var count = reader.Count;
            var position = reader.Position;
            ref var data = ref MemoryMarshal.GetReference(reader.Data);
            var n = tables.Length;
            var k = x;
            for (; k < end && fastEnd >= 0; k++)
            {
                for (var i = 0; i < n; i++)
                {
                    if (count < 32)
                    {
                        ulong word;
                        if (position <= fastEnd
                            && !BitReader.HasFfByte(word = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref data, position)))))
                        {
                            var take = (64 - count) >> 3;
                            bits |= (word >> (64 - (take * 8))) << (64 - count - (take * 8));
                            count += take * 8;
                            position += take;
                        }
                        else
                        {
                            (reader.Bits, reader.Count, reader.Position) = (bits, count, position);
                            reader.Fill();
                            (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
                            fastEnd = reader.FastRefillEnd;
                        }
                    }

                    // At least 32 bits are buffered: a code (up to 16) and its extra bits (up to 15) fit.
                    var table = tables[i];
                    int s = table.Lookup[(int)(bits >> lookupShift)];
                    if (s != 0)
                    {
                        bits <<= s >> 8;
                        count -= s >> 8;
                        s &= 0xFF;
                    }
                    else
                    {
                        (reader.Bits, reader.Count, reader.Position) = (bits, count, position);
                        s = reader.DecodeSlow(table);
                        (bits, count) = (reader.Bits, reader.Count);
                    }

                    int difference;
                    if (s is 0 or 16)
                    {
                        difference = s == 0 ? 0 : 32768;
                    }
                    else
                    {
                        var v = (int)(bits >> (64 - s));
                        bits <<= s;
                        count -= s;
                        difference = v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
                    }

                    differences[i][k] = difference;
                }
            }

            (reader.Bits, reader.Count, reader.Position) = (bits, count, position);
            return k;
        }

        /// <summary>
        /// Reconstructs samples <paramref name="x0"/>..<paramref name="x1"/> - 1 of one line. <paramref name="firstLine"/>:
        /// the line a restart interval (or the scan) starts on, predicted by Ra after <paramref name="initial"/> (when
        /// that run starts the interval, else -1). Otherwise column 0 is predicted by Rb and the rest by the selection.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Reconstruct(Span<ushort> row, ReadOnlySpan<ushort> above, int[] differences, int x0, int x1, bool firstLine,
            int initial, int predictor)
        {
            var d = differences.AsSpan(0, x1);
            var x = x0;
            if (firstLine)
            {
                if (initial >= 0)
                {
                    row[x] = (ushort)(initial + d[x]);
                    x++;
                }

                for (; x < x1; x++)
                {
                    row[x] = (ushort)(row[x - 1] + d[x]);
                }

                return;
            }

            if (x == 0)
            {
                row[0] = (ushort)(above[0] + d[0]);
                x = 1;
            }

            // Modulo 2^16: the ushort casts drop the carry, as libjpeg's & 0xFFFF does.
            switch (predictor)
            {
                case 1:
                    for (; x < x1; x++)
                    {
                        row[x] = (ushort)(row[x - 1] + d[x]);
                    }

                    break;
                case 2:
                    for (; x < x1; x++)
                    {
                        row[x] = (ushort)(above[x] + d[x]);
                    }

                    break;
                case 3:
                    for (; x < x1; x++)
                    {
                        row[x] = (ushort)(above[x - 1] + d[x]);
                    }

                    break;
                case 4:
                    for (; x < x1; x++)
                    {
                        row[x] = (ushort)(row[x - 1] + above[x] - above[x - 1] + d[x]);
                    }

                    break;
                case 5:
                    for (; x < x1; x++)
                    {
                        row[x] = (ushort)(row[x - 1] + ((above[x] - above[x - 1]) >> 1) + d[x]);
                    }

                    break;
                case 6:
                    for (; x < x1; x++)
                    {
                        row[x] = (ushort)(above[x] + ((row[x - 1] - above[x - 1]) >> 1) + d[x]);
                    }

                    break;
                default:
                    for (; x < x1; x++)
                    {
                        row[x] = (ushort)(((row[x - 1] + above[x]) >> 1) + d[x]);
                    }

                    break;
            }
        }

        /// <summary>One difference (T.81 H.2.2): category SSSS, then SSSS extra bits; category 16 means 32768 with none.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int DecodeDifference(ref BitReader reader, HuffmanTable table)
        {
            var s = reader.DecodeHuffman(table);
            return s switch
            {
                0 => 0,
                16 => 32768,
                _ => reader.ReceiveExtend(s),
            };
        }
    }
}
