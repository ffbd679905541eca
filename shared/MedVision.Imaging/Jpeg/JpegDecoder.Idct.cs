using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    /// <summary>
    /// The "ISLOW" integer inverse DCT (Loeffler-Ligtenberg-Moschytz, 13-bit constants, 2 extra bits between passes),
    /// reproduced operation for operation so output is bit-identical to libjpeg/libjpeg-turbo's default.
    /// </summary>
    private static class Idct
    {
        private const int ConstBits = 13;
        private const int Pass1Bits = 2;
        private const int Fix0298631336 = 2446;
        private const int Fix0390180644 = 3196;
        private const int Fix0541196100 = 4433;
        private const int Fix0765366865 = 6270;
        private const int Fix0899976223 = 7373;
        private const int Fix1175875602 = 9633;
        private const int Fix1501321110 = 12299;
        private const int Fix1847759065 = 15137;
        private const int Fix1961570560 = 16069;
        private const int Fix2053119869 = 16819;
        private const int Fix2562915447 = 20995;
        private const int Fix3072711026 = 25172;

        /// <summary>Dequantises and inverse-transforms one block into 8 rows of <paramref name="output"/>, level-shifted and clamped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Islow(ReadOnlySpan<short> coefficients, int[] quant, Span<int> workspace, Span<byte> output, int stride)
        {
            if (Avx2.IsSupported)
            {
                IslowAvx2(coefficients, quant, output, stride);
                return;
            }

            // One bounds check up front; the loops below index through refs.
            _ = output[(7 * stride) + 7];
            _ = coefficients[63];
            _ = workspace[63];
            ref var inp = ref MemoryMarshal.GetReference(coefficients);
            ref var q = ref MemoryMarshal.GetArrayDataReference(quant);
            ref var ws = ref MemoryMarshal.GetReference(workspace);
            ref var outp = ref MemoryMarshal.GetReference(output);
            _ = quant[63];

            // Pass 1: columns, results scaled up by 2^Pass1Bits.
            for (var col = 0; col < 8; col++)
            {
                ref var c = ref Unsafe.Add(ref inp, col);
                ref var qc = ref Unsafe.Add(ref q, col);
                ref var w = ref Unsafe.Add(ref ws, col);
                if (((ushort)Unsafe.Add(ref c, 8) | (ushort)Unsafe.Add(ref c, 16) | (ushort)Unsafe.Add(ref c, 24)
                     | (ushort)Unsafe.Add(ref c, 32) | (ushort)Unsafe.Add(ref c, 40) | (ushort)Unsafe.Add(ref c, 48)
                     | (ushort)Unsafe.Add(ref c, 56)) == 0)
                {
                    // AC-free column: every output equals the scaled DC (common, and exactly what the full math gives).
                    var dc = c * qc << Pass1Bits;
                    Unsafe.Add(ref w, 0) = dc;
                    Unsafe.Add(ref w, 8) = dc;
                    Unsafe.Add(ref w, 16) = dc;
                    Unsafe.Add(ref w, 24) = dc;
                    Unsafe.Add(ref w, 32) = dc;
                    Unsafe.Add(ref w, 40) = dc;
                    Unsafe.Add(ref w, 48) = dc;
                    Unsafe.Add(ref w, 56) = dc;
                    continue;
                }

                var z2 = Unsafe.Add(ref c, 16) * Unsafe.Add(ref qc, 16);
                var z3 = Unsafe.Add(ref c, 48) * Unsafe.Add(ref qc, 48);
                var z1 = (z2 + z3) * Fix0541196100;
                var tmp2 = z1 + (z3 * -Fix1847759065);
                var tmp3 = z1 + (z2 * Fix0765366865);
                z2 = c * qc;
                z3 = Unsafe.Add(ref c, 32) * Unsafe.Add(ref qc, 32);
                var tmp0 = (z2 + z3) << ConstBits;
                var tmp1 = (z2 - z3) << ConstBits;
                var tmp10 = tmp0 + tmp3;
                var tmp13 = tmp0 - tmp3;
                var tmp11 = tmp1 + tmp2;
                var tmp12 = tmp1 - tmp2;

                tmp0 = Unsafe.Add(ref c, 56) * Unsafe.Add(ref qc, 56);
                tmp1 = Unsafe.Add(ref c, 40) * Unsafe.Add(ref qc, 40);
                tmp2 = Unsafe.Add(ref c, 24) * Unsafe.Add(ref qc, 24);
                tmp3 = Unsafe.Add(ref c, 8) * Unsafe.Add(ref qc, 8);
                Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

                const int round = 1 << (ConstBits - Pass1Bits - 1);
                const int shift = ConstBits - Pass1Bits;
                Unsafe.Add(ref w, 0) = (tmp10 + tmp3 + round) >> shift;
                Unsafe.Add(ref w, 56) = (tmp10 - tmp3 + round) >> shift;
                Unsafe.Add(ref w, 8) = (tmp11 + tmp2 + round) >> shift;
                Unsafe.Add(ref w, 48) = (tmp11 - tmp2 + round) >> shift;
                Unsafe.Add(ref w, 16) = (tmp12 + tmp1 + round) >> shift;
                Unsafe.Add(ref w, 40) = (tmp12 - tmp1 + round) >> shift;
                Unsafe.Add(ref w, 24) = (tmp13 + tmp0 + round) >> shift;
                Unsafe.Add(ref w, 32) = (tmp13 - tmp0 + round) >> shift;
            }

            // Pass 2: rows, descaled by 2^(ConstBits + Pass1Bits + 3), level-shifted by 128 and clamped.
            for (var row = 0; row < 8; row++)
            {
                ref var w = ref Unsafe.Add(ref ws, row * 8);
                ref var o = ref Unsafe.Add(ref outp, row * stride);
                if ((Unsafe.Add(ref w, 1) | Unsafe.Add(ref w, 2) | Unsafe.Add(ref w, 3) | Unsafe.Add(ref w, 4)
                     | Unsafe.Add(ref w, 5) | Unsafe.Add(ref w, 6) | Unsafe.Add(ref w, 7)) == 0)
                {
                    var value = Clamp(((w + (1 << (Pass1Bits + 2))) >> (Pass1Bits + 3)) + 128);
                    Unsafe.WriteUnaligned(ref o, 0x0101010101010101UL * (uint)value);
                    continue;
                }

                var z2 = Unsafe.Add(ref w, 2);
                var z3 = Unsafe.Add(ref w, 6);
                var z1 = (z2 + z3) * Fix0541196100;
                var tmp2 = z1 + (z3 * -Fix1847759065);
                var tmp3 = z1 + (z2 * Fix0765366865);
                var tmp0 = (w + Unsafe.Add(ref w, 4)) << ConstBits;
                var tmp1 = (w - Unsafe.Add(ref w, 4)) << ConstBits;
                var tmp10 = tmp0 + tmp3;
                var tmp13 = tmp0 - tmp3;
                var tmp11 = tmp1 + tmp2;
                var tmp12 = tmp1 - tmp2;

                tmp0 = Unsafe.Add(ref w, 7);
                tmp1 = Unsafe.Add(ref w, 5);
                tmp2 = Unsafe.Add(ref w, 3);
                tmp3 = Unsafe.Add(ref w, 1);
                Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

                const int round = 1 << (ConstBits + Pass1Bits + 3 - 1);
                const int shift = ConstBits + Pass1Bits + 3;
                o = (byte)Clamp(((tmp10 + tmp3 + round) >> shift) + 128);
                Unsafe.Add(ref o, 7) = (byte)Clamp(((tmp10 - tmp3 + round) >> shift) + 128);
                Unsafe.Add(ref o, 1) = (byte)Clamp(((tmp11 + tmp2 + round) >> shift) + 128);
                Unsafe.Add(ref o, 6) = (byte)Clamp(((tmp11 - tmp2 + round) >> shift) + 128);
                Unsafe.Add(ref o, 2) = (byte)Clamp(((tmp12 + tmp1 + round) >> shift) + 128);
                Unsafe.Add(ref o, 5) = (byte)Clamp(((tmp12 - tmp1 + round) >> shift) + 128);
                Unsafe.Add(ref o, 3) = (byte)Clamp(((tmp13 + tmp0 + round) >> shift) + 128);
                Unsafe.Add(ref o, 4) = (byte)Clamp(((tmp13 - tmp0 + round) >> shift) + 128);
            }
        }

        /// <summary>
        /// The same arithmetic on eight lanes at once: pass 1 treats each vector as a row (lanes are columns), then
        /// a transpose lets pass 2 run on columns of the workspace. All 32-bit, as the scalar version, so bit-identical
        /// (the scalar zero-column/row shortcuts give exactly what the full formulas give).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void IslowAvx2(ReadOnlySpan<short> coefficients, int[] quant, Span<byte> output, int stride)
        {
            _ = output[(7 * stride) + 7];
            _ = coefficients[63];
            _ = quant[63];
            ref var c = ref MemoryMarshal.GetReference(coefficients);
            ref var q = ref MemoryMarshal.GetArrayDataReference(quant);

            // Most blocks only code low frequencies. With rows 4..7 of coefficients zero, pass 1 runs the butterfly
            // with those inputs dropped; with columns 4..7 zero the pass-1 outputs in those lanes are exactly zero,
            // so pass 2 can do the same.
            var lowRows = Vector256.LoadUnsafe(ref c);
            var highRows = Vector256.LoadUnsafe(ref c, 32) | Vector256.LoadUnsafe(ref c, 48);
            var rowsHighZero = highRows == Vector256<short>.Zero;
            var all = lowRows | highRows | Vector256.LoadUnsafe(ref c, 16);
            var columnsHighZero = ((all.AsUInt64() & Vector256.Create(0UL, ulong.MaxValue, 0UL, ulong.MaxValue)) == Vector256<ulong>.Zero);

            var r0 = Row(ref c, ref q, 0);
            var r1 = Row(ref c, ref q, 1);
            var r2 = Row(ref c, ref q, 2);
            var r3 = Row(ref c, ref q, 3);
            Vector256<int> r4, r5, r6, r7;
            if (rowsHighZero)
            {
                ButterflyLow(ref r0, ref r1, ref r2, ref r3, out r4, out r5, out r6, out r7, ConstBits - Pass1Bits);
            }
            else
            {
                r4 = Row(ref c, ref q, 4);
                r5 = Row(ref c, ref q, 5);
                r6 = Row(ref c, ref q, 6);
                r7 = Row(ref c, ref q, 7);
                Butterfly(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ConstBits - Pass1Bits);
            }

            Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            if (columnsHighZero)
            {
                ButterflyLow(ref r0, ref r1, ref r2, ref r3, out r4, out r5, out r6, out r7, ConstBits + Pass1Bits + 3);
            }
            else
            {
                Butterfly(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ConstBits + Pass1Bits + 3);
            }

            Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);

            ref var o = ref MemoryMarshal.GetReference(output);
            Store(ref o, r0);
            Store(ref Unsafe.Add(ref o, stride), r1);
            Store(ref Unsafe.Add(ref o, 2 * stride), r2);
            Store(ref Unsafe.Add(ref o, 3 * stride), r3);
            Store(ref Unsafe.Add(ref o, 4 * stride), r4);
            Store(ref Unsafe.Add(ref o, 5 * stride), r5);
            Store(ref Unsafe.Add(ref o, 6 * stride), r6);
            Store(ref Unsafe.Add(ref o, 7 * stride), r7);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Row(ref short c, ref int q, int row)
        {
            var coefficients = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref c, (nuint)(row * 8)));
            return Avx2.MultiplyLow(coefficients, Vector256.LoadUnsafe(ref q, (nuint)(row * 8)));
        }

        /// <summary>Level shift, then saturating packs clamp to 0..255 exactly as the scalar clamp does.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(ref byte destination, Vector256<int> row)
        {
            var shifted = Avx2.Add(row, Vector256.Create(128));
            var words = Sse2.PackSignedSaturate(shifted.GetLower(), shifted.GetUpper());
            var bytes = Sse2.PackUnsignedSaturate(words, words);
            Unsafe.WriteUnaligned(ref destination, bytes.AsUInt64().ToScalar());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Butterfly(
            ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
            ref Vector256<int> v4, ref Vector256<int> v5, ref Vector256<int> v6, ref Vector256<int> v7, [ConstantExpected] byte shift)
        {
            var z1 = Avx2.MultiplyLow(Avx2.Add(v2, v6), Vector256.Create(Fix0541196100));
            var tmp2 = Avx2.Add(z1, Avx2.MultiplyLow(v6, Vector256.Create(-Fix1847759065)));
            var tmp3 = Avx2.Add(z1, Avx2.MultiplyLow(v2, Vector256.Create(Fix0765366865)));
            var tmp0 = Avx2.ShiftLeftLogical(Avx2.Add(v0, v4), ConstBits);
            var tmp1 = Avx2.ShiftLeftLogical(Avx2.Subtract(v0, v4), ConstBits);
            var tmp10 = Avx2.Add(tmp0, tmp3);
            var tmp13 = Avx2.Subtract(tmp0, tmp3);
            var tmp11 = Avx2.Add(tmp1, tmp2);
            var tmp12 = Avx2.Subtract(tmp1, tmp2);

            var o0 = v7;
            var o1 = v5;
            var o2 = v3;
            var o3 = v1;
            var z1o = Avx2.Add(o0, o3);
            var z2o = Avx2.Add(o1, o2);
            var z3o = Avx2.Add(o0, o2);
            var z4o = Avx2.Add(o1, o3);
            var z5 = Avx2.MultiplyLow(Avx2.Add(z3o, z4o), Vector256.Create(Fix1175875602));
            o0 = Avx2.MultiplyLow(o0, Vector256.Create(Fix0298631336));
            o1 = Avx2.MultiplyLow(o1, Vector256.Create(Fix2053119869));
            o2 = Avx2.MultiplyLow(o2, Vector256.Create(Fix3072711026));
            o3 = Avx2.MultiplyLow(o3, Vector256.Create(Fix1501321110));
            z1o = Avx2.MultiplyLow(z1o, Vector256.Create(-Fix0899976223));
            z2o = Avx2.MultiplyLow(z2o, Vector256.Create(-Fix2562915447));
            z3o = Avx2.Add(Avx2.MultiplyLow(z3o, Vector256.Create(-Fix1961570560)), z5);
            z4o = Avx2.Add(Avx2.MultiplyLow(z4o, Vector256.Create(-Fix0390180644)), z5);
            o0 = Avx2.Add(o0, Avx2.Add(z1o, z3o));
            o1 = Avx2.Add(o1, Avx2.Add(z2o, z4o));
            o2 = Avx2.Add(o2, Avx2.Add(z2o, z3o));
            o3 = Avx2.Add(o3, Avx2.Add(z1o, z4o));

            var round = Vector256.Create(1 << (shift - 1));
            tmp10 = Avx2.Add(tmp10, round);
            tmp11 = Avx2.Add(tmp11, round);
            tmp12 = Avx2.Add(tmp12, round);
            tmp13 = Avx2.Add(tmp13, round);
            v0 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp10, o3), shift);
            v7 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp10, o3), shift);
            v1 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp11, o2), shift);
            v6 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp11, o2), shift);
            v2 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp12, o1), shift);
            v5 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp12, o1), shift);
            v3 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp13, o0), shift);
            v4 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp13, o0), shift);
        }

        /// <summary>
        /// <see cref="Butterfly"/> for inputs 4..7 all zero, with the zero terms dropped and the products of each
        /// input merged into one constant. Integer products distribute exactly (and wrap alike), so every sum before
        /// the descale equals the full butterfly's.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ButterflyLow(
            ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
            out Vector256<int> v4, out Vector256<int> v5, out Vector256<int> v6, out Vector256<int> v7, [ConstantExpected] byte shift)
        {
            var round = Vector256.Create(1 << (shift - 1));
            var tmp0 = Avx2.Add(Avx2.ShiftLeftLogical(v0, ConstBits), round);
            var tmp2 = Avx2.MultiplyLow(v2, Vector256.Create(Fix0541196100));
            var tmp3 = Avx2.MultiplyLow(v2, Vector256.Create(Fix0541196100 + Fix0765366865));
            var tmp10 = Avx2.Add(tmp0, tmp3);
            var tmp13 = Avx2.Subtract(tmp0, tmp3);
            var tmp11 = Avx2.Add(tmp0, tmp2);
            var tmp12 = Avx2.Subtract(tmp0, tmp2);

            var z5 = Avx2.MultiplyLow(Avx2.Add(v1, v3), Vector256.Create(Fix1175875602));
            var o0 = Avx2.Add(Avx2.Add(Avx2.MultiplyLow(v1, Vector256.Create(-Fix0899976223)), Avx2.MultiplyLow(v3, Vector256.Create(-Fix1961570560))), z5);
            var o1 = Avx2.Add(Avx2.Add(Avx2.MultiplyLow(v3, Vector256.Create(-Fix2562915447)), Avx2.MultiplyLow(v1, Vector256.Create(-Fix0390180644))), z5);
            var o2 = Avx2.Add(Avx2.MultiplyLow(v3, Vector256.Create(Fix3072711026 - Fix2562915447 - Fix1961570560)), z5);
            var o3 = Avx2.Add(Avx2.MultiplyLow(v1, Vector256.Create(Fix1501321110 - Fix0899976223 - Fix0390180644)), z5);

            v0 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp10, o3), shift);
            v7 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp10, o3), shift);
            v1 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp11, o2), shift);
            v6 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp11, o2), shift);
            v2 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp12, o1), shift);
            v5 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp12, o1), shift);
            v3 = Avx2.ShiftRightArithmetic(Avx2.Add(tmp13, o0), shift);
            v4 = Avx2.ShiftRightArithmetic(Avx2.Subtract(tmp13, o0), shift);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Transpose(
            ref Vector256<int> r0, ref Vector256<int> r1, ref Vector256<int> r2, ref Vector256<int> r3,
            ref Vector256<int> r4, ref Vector256<int> r5, ref Vector256<int> r6, ref Vector256<int> r7)
        {
            var t0 = Avx2.UnpackLow(r0, r1);
            var t1 = Avx2.UnpackHigh(r0, r1);
            var t2 = Avx2.UnpackLow(r2, r3);
            var t3 = Avx2.UnpackHigh(r2, r3);
            var t4 = Avx2.UnpackLow(r4, r5);
            var t5 = Avx2.UnpackHigh(r4, r5);
            var t6 = Avx2.UnpackLow(r6, r7);
            var t7 = Avx2.UnpackHigh(r6, r7);
            var u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32();
            var u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
            var u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32();
            var u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
            var u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32();
            var u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
            var u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32();
            var u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
            r0 = Avx2.Permute2x128(u0, u4, 0x20);
            r4 = Avx2.Permute2x128(u0, u4, 0x31);
            r1 = Avx2.Permute2x128(u1, u5, 0x20);
            r5 = Avx2.Permute2x128(u1, u5, 0x31);
            r2 = Avx2.Permute2x128(u2, u6, 0x20);
            r6 = Avx2.Permute2x128(u2, u6, 0x31);
            r3 = Avx2.Permute2x128(u3, u7, 0x20);
            r7 = Avx2.Permute2x128(u3, u7, 0x31);
        }

        /// <summary>Fills a block with one value: the IDCT of a DC-only block, without the arithmetic.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void DcOnly(int dc, int quant, Span<byte> output, int stride)
        {
            _ = output[(7 * stride) + 7];
            var value = (ulong)Clamp((((dc * quant << Pass1Bits) + (1 << (Pass1Bits + 2))) >> (Pass1Bits + 3)) + 128);
            ref var o = ref MemoryMarshal.GetReference(output);
            for (var row = 0; row < 8; row++)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, row * stride), 0x0101010101010101UL * value);
            }
        }

        /// <summary>The shared odd part; on return tmp0..tmp3 hold the four odd outputs as in jidctint.c.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Odd(ref int tmp0, ref int tmp1, ref int tmp2, ref int tmp3)
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

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Clamp(int v) => (uint)v <= 255 ? v : (v < 0 ? 0 : 255);
    }
}
