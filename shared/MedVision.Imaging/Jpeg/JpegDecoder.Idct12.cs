using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    /// <summary>
    /// The ISLOW inverse DCT as IJG libjpeg 6b builds it for 12-bit samples (BITS_IN_JSAMPLE 12), which is what DCMTK's
    /// dcmdjpeg runs: CONST_BITS 13 but PASS1_BITS 1, dequantisation and all intermediate sums in INT32 (a C long, so
    /// 64-bit on the LP64 systems DCMTK ships for; here <see cref="long"/>), pass-1 results truncated to int, and
    /// outputs range-limited through libjpeg's wrap-around table: the descaled value masked to 14 bits (RANGE_MASK
    /// 4*4096-1), read as a signed offset from 2048 and clamped to 0..4095. Written operation for operation from that
    /// description, so sample values are identical; the zero-column/zero-row shortcuts give exactly what the full
    /// formulas give, as in libjpeg.
    /// </summary>
    private static class Idct12
    {
        private const int ConstBits = 13;
        private const int Pass1Bits = 1;
        private const int MaxSample = 4095;
        private const int CenterSample = 2048;
        private const int RangeMask = (4 * (MaxSample + 1)) - 1;
        private const long Fix0298631336 = 2446;
        private const long Fix0390180644 = 3196;
        private const long Fix0541196100 = 4433;
        private const long Fix0765366865 = 6270;
        private const long Fix0899976223 = 7373;
        private const long Fix1175875602 = 9633;
        private const long Fix1501321110 = 12299;
        private const long Fix1847759065 = 15137;
        private const long Fix1961570560 = 16069;
        private const long Fix2053119869 = 16819;
        private const long Fix2562915447 = 20995;
        private const long Fix3072711026 = 25172;

        /// <summary>Dequantises and inverse-transforms one block into 8 rows of <paramref name="output"/>, level-shifted and range-limited.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Islow(ReadOnlySpan<short> coefficients, int[] quant, Span<int> workspace, Span<ushort> output, int stride)
        {
            _ = output[(7 * stride) + 7];
            _ = coefficients[63];
            _ = workspace[63];
            _ = quant[63];
            ref var inp = ref MemoryMarshal.GetReference(coefficients);
            ref var q = ref MemoryMarshal.GetArrayDataReference(quant);
            ref var ws = ref MemoryMarshal.GetReference(workspace);

            // Pass 1: columns, results scaled up by 2^Pass1Bits and stored as int (a C cast from INT32).
            for (var col = 0; col < 8; col++)
            {
                ref var c = ref Unsafe.Add(ref inp, col);
                ref var qc = ref Unsafe.Add(ref q, col);
                ref var w = ref Unsafe.Add(ref ws, col);
                if (((ushort)Unsafe.Add(ref c, 8) | (ushort)Unsafe.Add(ref c, 16) | (ushort)Unsafe.Add(ref c, 24) | (ushort)Unsafe.Add(ref c, 32)
                     | (ushort)Unsafe.Add(ref c, 40) | (ushort)Unsafe.Add(ref c, 48) | (ushort)Unsafe.Add(ref c, 56)) == 0)
                {
                    var dc = (int)(((long)c * qc) << Pass1Bits);
                    for (var row = 0; row < 8; row++)
                    {
                        Unsafe.Add(ref w, row * 8) = dc;
                    }

                    continue;
                }

                var z2 = (long)Unsafe.Add(ref c, 16) * Unsafe.Add(ref qc, 16);
                var z3 = (long)Unsafe.Add(ref c, 48) * Unsafe.Add(ref qc, 48);
                var z1 = (z2 + z3) * Fix0541196100;
                var tmp2 = z1 + (z3 * -Fix1847759065);
                var tmp3 = z1 + (z2 * Fix0765366865);
                z2 = (long)c * qc;
                z3 = (long)Unsafe.Add(ref c, 32) * Unsafe.Add(ref qc, 32);
                var tmp0 = (z2 + z3) << ConstBits;
                var tmp1 = (z2 - z3) << ConstBits;
                var tmp10 = tmp0 + tmp3;
                var tmp13 = tmp0 - tmp3;
                var tmp11 = tmp1 + tmp2;
                var tmp12 = tmp1 - tmp2;

                tmp0 = (long)Unsafe.Add(ref c, 56) * Unsafe.Add(ref qc, 56);
                tmp1 = (long)Unsafe.Add(ref c, 40) * Unsafe.Add(ref qc, 40);
                tmp2 = (long)Unsafe.Add(ref c, 24) * Unsafe.Add(ref qc, 24);
                tmp3 = (long)Unsafe.Add(ref c, 8) * Unsafe.Add(ref qc, 8);
                Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

                const int shift = ConstBits - Pass1Bits;
                const long round = 1L << (shift - 1);
                Unsafe.Add(ref w, 0) = (int)((tmp10 + tmp3 + round) >> shift);
                Unsafe.Add(ref w, 56) = (int)((tmp10 - tmp3 + round) >> shift);
                Unsafe.Add(ref w, 8) = (int)((tmp11 + tmp2 + round) >> shift);
                Unsafe.Add(ref w, 48) = (int)((tmp11 - tmp2 + round) >> shift);
                Unsafe.Add(ref w, 16) = (int)((tmp12 + tmp1 + round) >> shift);
                Unsafe.Add(ref w, 40) = (int)((tmp12 - tmp1 + round) >> shift);
                Unsafe.Add(ref w, 24) = (int)((tmp13 + tmp0 + round) >> shift);
                Unsafe.Add(ref w, 32) = (int)((tmp13 - tmp0 + round) >> shift);
            }

            // Pass 2: rows, descaled by 2^(ConstBits + Pass1Bits + 3), then range-limited.
            ref var outp = ref MemoryMarshal.GetReference(output);
            for (var row = 0; row < 8; row++)
            {
                ref var w = ref Unsafe.Add(ref ws, row * 8);
                ref var o = ref Unsafe.Add(ref outp, row * stride);
                if ((Unsafe.Add(ref w, 1) | Unsafe.Add(ref w, 2) | Unsafe.Add(ref w, 3) | Unsafe.Add(ref w, 4)
                     | Unsafe.Add(ref w, 5) | Unsafe.Add(ref w, 6) | Unsafe.Add(ref w, 7)) == 0)
                {
                    var value = Limit((int)(((long)w + (1L << (Pass1Bits + 2))) >> (Pass1Bits + 3)));
                    MemoryMarshal.CreateSpan(ref o, 8).Fill(value);
                    continue;
                }

                long z2 = Unsafe.Add(ref w, 2);
                long z3 = Unsafe.Add(ref w, 6);
                var z1 = (z2 + z3) * Fix0541196100;
                var tmp2 = z1 + (z3 * -Fix1847759065);
                var tmp3 = z1 + (z2 * Fix0765366865);
                var tmp0 = ((long)w + Unsafe.Add(ref w, 4)) << ConstBits;
                var tmp1 = ((long)w - Unsafe.Add(ref w, 4)) << ConstBits;
                var tmp10 = tmp0 + tmp3;
                var tmp13 = tmp0 - tmp3;
                var tmp11 = tmp1 + tmp2;
                var tmp12 = tmp1 - tmp2;

                tmp0 = Unsafe.Add(ref w, 7);
                tmp1 = Unsafe.Add(ref w, 5);
                tmp2 = Unsafe.Add(ref w, 3);
                tmp3 = Unsafe.Add(ref w, 1);
                Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

                const int shift = ConstBits + Pass1Bits + 3;
                const long round = 1L << (shift - 1);
                o = Limit((int)((tmp10 + tmp3 + round) >> shift));
                Unsafe.Add(ref o, 7) = Limit((int)((tmp10 - tmp3 + round) >> shift));
                Unsafe.Add(ref o, 1) = Limit((int)((tmp11 + tmp2 + round) >> shift));
                Unsafe.Add(ref o, 6) = Limit((int)((tmp11 - tmp2 + round) >> shift));
                Unsafe.Add(ref o, 2) = Limit((int)((tmp12 + tmp1 + round) >> shift));
                Unsafe.Add(ref o, 5) = Limit((int)((tmp12 - tmp1 + round) >> shift));
                Unsafe.Add(ref o, 3) = Limit((int)((tmp13 + tmp0 + round) >> shift));
                Unsafe.Add(ref o, 4) = Limit((int)((tmp13 - tmp0 + round) >> shift));
            }
        }

        /// <summary>A DC-only block: pass 1's AC-free column value, then pass 2's zero-row shortcut, for all 64 samples.</summary>
        public static void DcOnly(int dc, int quant, Span<ushort> output, int stride)
        {
            _ = output[(7 * stride) + 7];
            var columnValue = (int)(((long)dc * quant) << Pass1Bits);
            var value = Limit((int)(((long)columnValue + (1L << (Pass1Bits + 2))) >> (Pass1Bits + 3)));
            for (var row = 0; row < 8; row++)
            {
                output.Slice(row * stride, 8).Fill(value);
            }
        }

        /// <summary>
        /// libjpeg's idct_range_limit[x &amp; RANGE_MASK]: the table maps 0..2047 to 2048..4095, 2048..8191 to 4095,
        /// 8192..14335 to 0 and 14336..16383 to 0..2047, i.e. the 14-bit value read as signed, offset by 2048, clamped.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ushort Limit(int x)
        {
            var v = (((x + ((RangeMask + 1) / 2)) & RangeMask) - ((RangeMask + 1) / 2)) + CenterSample;
            return (ushort)(v < 0 ? 0 : v > MaxSample ? MaxSample : v);
        }

        /// <summary>The shared odd part in INT32 (long) arithmetic; on return tmp0..tmp3 hold the four odd outputs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Odd(ref long tmp0, ref long tmp1, ref long tmp2, ref long tmp3)
        {
            var z1 = tmp0 + tmp3;
            var z2 = tmp1 + tmp2;
            var z3 = tmp0 + tmp2;
            var z4 = tmp1 + tmp3;
            var z5 = (z3 + z4) * Fix1175875602;
            tmp0 *= Fix0298631336;
            tmp1 *= Fix2053119869;
            tmp2 *= Fix3072711026;
            tmp3 *= Fix1501321110;
            z1 *= -Fix0899976223;
            z2 *= -Fix2562915447;
            z3 *= -Fix1961570560;
            z4 *= -Fix0390180644;
            z3 += z5;
            z4 += z5;
            tmp0 += z1 + z3;
            tmp1 += z2 + z4;
            tmp2 += z2 + z3;
            tmp3 += z1 + z4;
        }
    }
}
