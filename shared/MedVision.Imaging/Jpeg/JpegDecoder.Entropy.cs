using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    private enum ScanKind
    {
        Sequential,
        DcFirst,
        DcRefine,
        AcFirst,
        AcRefine,
    }

    private ref partial struct Parser
    {
        /// <summary>
        /// Decodes one scan's entropy-coded data (T.81 Annex F and G). Sequential blocks are dequantised and
        /// inverse-transformed straight into the component planes; progressive ones accumulate in coefficient buffers.
        /// Returns false when a later progressive scan runs out of data, so the caller renders what it has.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool DecodeScan(Scan scan)
        {
            var f = frame!;
            if (f.Lossless)
            {
                DecodeLosslessScan(scan);
                return true;
            }

            var reader = new BitReader(data, pos);
            var kind = !f.Progressive ? ScanKind.Sequential
                : scan.Ss == 0 ? (scan.Ah == 0 ? ScanKind.DcFirst : ScanKind.DcRefine)
                : (scan.Ah == 0 ? ScanKind.AcFirst : ScanKind.AcRefine);
            var single = scan.Components.Length == 1;
            var mcusX = single ? scan.Components[0].WidthInBlocks : f.McusPerLine;
            var mcusY = single ? scan.Components[0].HeightInBlocks : f.McusPerColumn;
            foreach (var c in scan.Components)
            {
                c.DcPredictor = 0;
                c.Decoded = true;
            }

            var eobRun = 0;
            var restartsLeft = scan.RestartInterval;
            var expectedRst = 0;
            Span<short> block = stackalloc short[64];
            Span<int> workspace = stackalloc int[64];
            var lenient = f.Progressive && scan.Number > 1;

            for (var my = 0; my < mcusY; my++)
            {
                for (var mx = 0; mx < mcusX; mx++)
                {
                    if (scan.RestartInterval > 0)
                    {
                        if (restartsLeft == 0)
                        {
                            ProcessRestart(ref reader, ref expectedRst);
                            foreach (var c in scan.Components)
                            {
                                c.DcPredictor = 0;
                            }

                            eobRun = 0;
                            restartsLeft = scan.RestartInterval;
                        }

                        restartsLeft--;
                    }

                    // As libjpeg: once the data has run out, whole MCUs are skipped (the one that ran out was decoded from zeros).
                    var skip = reader.Exhausted;
                    if (single)
                    {
                        DecodeBlock(ref reader, kind, scan, scan.Components[0], mx, my, skip, ref eobRun, block, workspace);
                        continue;
                    }

                    foreach (var c in scan.Components)
                    {
                        for (var v = 0; v < c.V; v++)
                        {
                            for (var h = 0; h < c.H; h++)
                            {
                                DecodeBlock(ref reader, kind, scan, c, (mx * c.H) + h, (my * c.V) + v, skip, ref eobRun, block, workspace);
                            }
                        }
                    }
                }

                // Running into padding is normal inside a corrupt restart interval (the next RSTn resynchronises);
                // anywhere else it means the data ended or a foreign marker cut the scan short.
                if (reader.Exhausted)
                {
                    var marker = reader.PeekMarker();
                    var atRestart = scan.RestartInterval > 0 && marker is >= MarkerRst0 and <= MarkerRst7;
                    if (reader.HitEof || !atRestart)
                    {
                        if (!lenient)
                        {
                            throw reader.HitEof || marker == MarkerEoi
                                ? Fail(JpegErrorCodes.Truncated, $"JPEG data ends at offset {reader.Position} in scan {scan.Number}, MCU row {my + 1} of {mcusY}.")
                                : Fail(JpegErrorCodes.BadData, $"JPEG scan {scan.Number} is cut short by marker FF{marker:X2} at offset {reader.Position} (MCU row {my + 1} of {mcusY}).");
                        }

                        if (reader.HitEof)
                        {
                            pos = data.Length;
                            return false;
                        }

                        // A foreign marker: stop this scan and carry on with the segments that follow it.
                        break;
                    }
                }
            }

            pos = reader.Position;
            return true;
        }

        /// <summary>
        /// At an interval boundary expects RSTn; otherwise resynchronises with libjpeg's jpeg_resync_to_restart rules:
        /// a later RST (or another marker) leaves the interval to be zero-filled, an earlier RST is skipped.
        /// </summary>
        private readonly void ProcessRestart(ref BitReader reader, ref int expected)
        {
            var p = reader.Position;
            var wasExhausted = reader.Exhausted;
            while (true)
            {
                // Bytes before the marker are garbage from a corrupt interval; libjpeg discards them too.
                while (p < data.Length && data[p] != 0xFF)
                {
                    p++;
                }

                var q = p;
                while (q < data.Length && data[q] == 0xFF)
                {
                    q++;
                }

                if (q >= data.Length)
                {
                    reader.Reset(data.Length);
                    return;
                }

                int m = data[q];
                if (m == 0)
                {
                    p = q + 1;
                    continue;
                }

                var desired = MarkerRst0 + expected;
                int action;
                if (m == desired)
                {
                    action = 1;
                }
                else if (m < 0xC0)
                {
                    action = 2;
                }
                else if (m is < MarkerRst0 or > MarkerRst7)
                {
                    action = 3;
                }
                else if (m == MarkerRst0 + ((expected + 1) & 7) || m == MarkerRst0 + ((expected + 2) & 7))
                {
                    action = 3;
                }
                else if (m == MarkerRst0 + ((expected - 1) & 7) || m == MarkerRst0 + ((expected - 2) & 7))
                {
                    action = 2;
                }
                else
                {
                    action = 1;
                }

                switch (action)
                {
                    case 1:
                        reader.Reset(q + 1);
                        expected = (expected + 1) & 7;
                        return;
                    case 2:
                        p = q + 1;
                        continue;
                    default:
                        // libjpeg keeps its out-of-data flag when the marker stays unread: if this interval already ran
                        // dry, the next one is skipped outright rather than decoded from zero bits.
                        if (wasExhausted)
                        {
                            reader.ResetExhausted(p);
                        }
                        else
                        {
                            reader.Reset(p);
                        }

                        expected = (expected + 1) & 7;
                        return;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DecodeBlock(ref BitReader reader, ScanKind kind, Scan scan, Component c, int bx, int by, bool skip,
            ref int eobRun, scoped Span<short> block, scoped Span<int> workspace)
        {
            if (kind == ScanKind.Sequential)
            {
                if (c.Plane16 is not null)
                {
                    DecodeBlock12(ref reader, c, bx, by, skip, block, workspace);
                    return;
                }

                var stride = c.Stride;
                var target = c.Plane.AsSpan((by * 8 * stride) + (bx * 8));
                if (DecodeSequentialBlock(ref reader, c, block, skip))
                {
                    Idct.Islow(block, c.Quant!, workspace, target, stride);
                }
                else
                {
                    Idct.DcOnly(block[0], c.Quant![0], target, stride);
                }

                return;
            }

            if (skip)
            {
                return; // progressive: leave what earlier scans gave
            }

            var coefficients = c.Coefficients.AsSpan(((by * c.BlocksPerLine) + bx) * 64, 64);
            switch (kind)
            {
                case ScanKind.DcFirst:
                    var s = reader.DecodeHuffman(c.DcTable!);
                    var predictor = c.DcPredictor + (s == 0 ? 0 : reader.ReceiveExtend(s));
                    c.DcPredictor = predictor;
                    coefficients[0] = (short)(predictor << scan.Al);
                    break;
                case ScanKind.DcRefine:
                    if (reader.ReadBit() != 0)
                    {
                        coefficients[0] |= (short)(1 << scan.Al);
                    }

                    break;
                case ScanKind.AcFirst:
                    DecodeAcFirst(ref reader, c.AcTable!, scan, coefficients, ref eobRun);
                    break;
                default:
                    DecodeAcRefine(ref reader, c.AcTable!, scan, coefficients, ref eobRun);
                    break;
            }
        }

        /// <summary>A sequential 12-bit block: the same entropy decoding, then IJG's 12-bit IDCT into the 16-bit plane.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void DecodeBlock12(ref BitReader reader, Component c, int bx, int by, bool skip, scoped Span<short> block, scoped Span<int> workspace)
        {
            var stride = c.Stride;
            var target = c.Plane16.AsSpan((by * 8 * stride) + (bx * 8));
            if (DecodeSequentialBlock(ref reader, c, block, skip))
            {
                Idct12.Islow(block, c.Quant!, workspace, target, stride);
            }
            else
            {
                Idct12.DcOnly(block[0], c.Quant![0], target, stride);
            }
        }

        /// <summary>
        /// Baseline/extended Huffman block (T.81 F.2.2): coefficients land in natural order, not yet dequantised.
        /// The bit buffer lives in locals for the whole block (written back at the end), which keeps it in registers.
        /// Returns whether any AC symbol was coded, so DC-only blocks can skip the IDCT.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool DecodeSequentialBlock(ref BitReader reader, Component c, scoped Span<short> block, bool skip)
        {
            _ = block[63];
            Unsafe.InitBlockUnaligned(ref Unsafe.As<short, byte>(ref MemoryMarshal.GetReference(block)), 0, 64 * sizeof(short));
            if (skip)
            {
                return false; // libjpeg leaves the block zero once the data has run out
            }

            const int lookupShift = 64 - HuffmanTable.LookupBits;
            var bits = reader.Bits;
            var count = reader.Count;
            if (count < 32)
            {
                reader.Fill();
                bits = reader.Bits;
                count = reader.Count;
            }

            var dc = c.DcTable!;
            int s = dc.Lookup[(int)(bits >> lookupShift)];
            if (s != 0)
            {
                bits <<= s >> 8;
                count -= s >> 8;
                s &= 0xFF;
            }
            else
            {
                (reader.Bits, reader.Count) = (bits, count);
                s = reader.DecodeSlow(dc);
                (bits, count) = (reader.Bits, reader.Count);
            }

            var predictor = c.DcPredictor;
            if (s != 0)
            {
                var v = (int)(bits >> (64 - s));
                bits <<= s;
                count -= s;
                predictor += v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
            }

            c.DcPredictor = predictor;
            ref var coefficients = ref MemoryMarshal.GetReference(block);
            coefficients = (short)predictor;
            var ac = c.AcTable!;

            // Unchecked indexing below: table indices are the top 10 bits (< 1024 = table size), k stays below 64 before
            // a run of at most 15 is added, and NaturalOrder has 80 entries, all naming one of the block's 64 slots.
            ref var acFast = ref MemoryMarshal.GetArrayDataReference(ac.AcFast);
            ref var lookup = ref MemoryMarshal.GetArrayDataReference(ac.Lookup);
            ref var natural = ref MemoryMarshal.GetArrayDataReference(NaturalOrder);
            _ = ac.AcFast[(1 << HuffmanTable.LookupBits) - 1];
            _ = ac.Lookup[(1 << HuffmanTable.LookupBits) - 1];
            _ = NaturalOrder[79];
            // Refills take eight bytes inline when none of them is 0xFF, as Fill's own fast path does.
            ref var data = ref MemoryMarshal.GetReference(reader.Data);
            var fastEnd = reader.FastRefillEnd;
            var position = reader.Position;
            var k = 1;
            for (; k < 64; k++)
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

                var index = (nint)(bits >> lookupShift);
                var fast = Unsafe.Add(ref acFast, index);
                if (fast != 0)
                {
                    // Code and magnitude resolved by one lookup.
                    k += (fast >> 8) & 15;
                    bits <<= fast & 0xFF;
                    count -= fast & 0xFF;
                    Unsafe.Add(ref coefficients, Unsafe.Add(ref natural, k)) = (short)(fast >> 16);
                    continue;
                }

                int rs = Unsafe.Add(ref lookup, index);
                if (rs != 0)
                {
                    bits <<= rs >> 8;
                    count -= rs >> 8;
                    rs &= 0xFF;
                }
                else
                {
                    (reader.Bits, reader.Count, reader.Position) = (bits, count, position);
                    rs = reader.DecodeSlow(ac);
                    (bits, count) = (reader.Bits, reader.Count);
                }

                var run = rs >> 4;
                s = rs & 15;
                if (s != 0)
                {
                    k += run;
                    var v = (int)(bits >> (64 - s));
                    bits <<= s;
                    count -= s;
                    Unsafe.Add(ref coefficients, Unsafe.Add(ref natural, k)) = (short)(v < 1 << (s - 1) ? v - (1 << s) + 1 : v);
                }
                else
                {
                    if (run != 15)
                    {
                        break;
                    }

                    k += 15;
                }
            }

            // k > 1 means some AC symbol was read; at worst (only zero runs) the full IDCT runs on a DC-only block,
            // which gives exactly what the DC shortcut would.
            var hasAc = k > 1;
            reader.Position = position;
            (reader.Bits, reader.Count) = (bits, count);
            return hasAc;
        }

        /// <summary>G.1.2.2 first AC pass: spectral band Ss..Se at point transform Al, with EOB runs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DecodeAcFirst(ref BitReader reader, HuffmanTable table, Scan scan, Span<short> coefficients, ref int eobRun)
        {
            if (eobRun > 0)
            {
                eobRun--;
                return;
            }

            var natural = NaturalOrder;
            for (var k = scan.Ss; k <= scan.Se; k++)
            {
                var rs = reader.DecodeHuffman(table);
                var run = rs >> 4;
                var s = rs & 15;
                if (s != 0)
                {
                    k += run;
                    coefficients[natural[k]] = (short)(reader.ReceiveExtend(s) * (1 << scan.Al));
                }
                else if (run == 15)
                {
                    k += 15;
                }
                else
                {
                    eobRun = 1 << run;
                    if (run != 0)
                    {
                        eobRun += reader.ReadBits(run);
                    }

                    eobRun--;
                    break;
                }
            }
        }

        /// <summary>G.1.2.3 AC refinement: correction bits for known non-zero coefficients, new ones of magnitude 1 &lt;&lt; Al.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DecodeAcRefine(ref BitReader reader, HuffmanTable table, Scan scan, Span<short> coefficients, ref int eobRun)
        {
            var p1 = 1 << scan.Al;
            var m1 = -1 << scan.Al;
            var natural = NaturalOrder;
            var k = scan.Ss;
            var se = scan.Se;
            if (eobRun == 0)
            {
                for (; k <= se; k++)
                {
                    var rs = reader.DecodeHuffman(table);
                    var run = rs >> 4;
                    var s = rs & 15;
                    if (s != 0)
                    {
                        // T.81 requires s == 1 here; libjpeg only warns otherwise, and so do we (by carrying on).
                        s = reader.ReadBit() != 0 ? p1 : m1;
                    }
                    else if (run != 15)
                    {
                        eobRun = 1 << run;
                        if (run != 0)
                        {
                            eobRun += reader.ReadBits(run);
                        }

                        break;
                    }

                    // Skip 'run' zero-history coefficients, refining the non-zero ones passed on the way.
                    do
                    {
                        ref var coefficient = ref coefficients[natural[k]];
                        if (coefficient != 0)
                        {
                            Refine(ref reader, ref coefficient, p1, m1);
                        }
                        else
                        {
                            if (--run < 0)
                            {
                                break;
                            }
                        }

                        k++;
                    }
                    while (k <= se);

                    if (s != 0)
                    {
                        coefficients[natural[k]] = (short)s;
                    }
                }
            }

            if (eobRun > 0)
            {
                // Inside an EOB run only the already non-zero coefficients get a correction bit.
                for (; k <= se; k++)
                {
                    ref var coefficient = ref coefficients[natural[k]];
                    if (coefficient != 0)
                    {
                        Refine(ref reader, ref coefficient, p1, m1);
                    }
                }

                eobRun--;
            }
        }

        private static void Refine(ref BitReader reader, ref short coefficient, int p1, int m1)
        {
            if (reader.ReadBit() != 0 && (coefficient & p1) == 0)
            {
                coefficient = (short)(coefficient >= 0 ? coefficient + p1 : coefficient + m1);
            }
        }
    }
}
