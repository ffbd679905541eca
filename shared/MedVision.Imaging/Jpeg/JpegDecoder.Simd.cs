using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    // Vectorised row kernels for the output stage. Each computes exactly the integer formulas of the scalar code in
    // JpegDecoder.Output.cs (which mirrors libjpeg's jdsample.c/jdcolor.c), so results are bit-identical; the scalar
    // code finishes each row's tail and is the whole path where no 128-bit SIMD is available.
    /// <summary>
    /// YCbCr to interleaved RGB for one row, 16 pixels per step in 16-bit lanes, as libjpeg-turbo's SIMD does it.
    /// With C = Cr - 128 and D = Cb - 128 the scalar tables hold (91881 C + 2^15) &gt;&gt; 16 for R,
    /// (116130 D + 2^15) &gt;&gt; 16 for B and (-22554 D - 46802 C + 2^15) &gt;&gt; 16 for G. Splitting each constant into a
    /// multiple of 2^16 plus a 16-bit remainder gives the same integers exactly: R = C + ((mulhi(2C, 26345) + 1) &gt;&gt; 1)
    /// (floor((floor(a / 2^15) + 1) / 2) = floor((a + 2^15) / 2^16)), B = 2D + ((mulhi(2D, -14942) + 1) &gt;&gt; 1), and
    /// G = -C + ((-22554 D + 18734 C + 2^15) &gt;&gt; 16) with the bracket an exact 32-bit multiply-add. The saturating
    /// pack is the scalar clamp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void YccToRgbRow(ReadOnlySpan<byte> yRow, ReadOnlySpan<byte> cbRow, ReadOnlySpan<byte> crRow, Span<byte> dst, int width)
    {
        if (Ssse3.IsSupported && width >= 16)
        {
            _ = yRow[width - 1];
            _ = cbRow[width - 1];
            _ = crRow[width - 1];
            _ = dst[(3 * width) - 1];
            ref var yRef = ref MemoryMarshal.GetReference(yRow);
            ref var cbRef = ref MemoryMarshal.GetReference(cbRow);
            ref var crRef = ref MemoryMarshal.GetReference(crRow);
            ref var dRef = ref MemoryMarshal.GetReference(dst);

            // The last step is moved back to end at the row's end; recomputing a few pixels gives the same bytes.
            for (var step = 0; step < width; step += 16)
            {
                var x = Math.Min(step, width - 16);
                var luma = Vector128.LoadUnsafe(ref yRef, (nuint)x);
                var cb = Vector128.LoadUnsafe(ref cbRef, (nuint)x);
                var cr = Vector128.LoadUnsafe(ref crRef, (nuint)x);
                Vector128<byte> r, g, b;
                if (Avx2.IsSupported)
                {
                    var (r16, g16, b16) = Ycc16(Avx2.ConvertToVector256Int16(luma), Avx2.ConvertToVector256Int16(cb), Avx2.ConvertToVector256Int16(cr));
                    r = Sse2.PackUnsignedSaturate(r16.GetLower(), r16.GetUpper());
                    g = Sse2.PackUnsignedSaturate(g16.GetLower(), g16.GetUpper());
                    b = Sse2.PackUnsignedSaturate(b16.GetLower(), b16.GetUpper());
                }
                else
                {
                    var zero = Vector128<byte>.Zero;
                    var (rLo, gLo, bLo) = Ycc8(Sse2.UnpackLow(luma, zero).AsInt16(), Sse2.UnpackLow(cb, zero).AsInt16(), Sse2.UnpackLow(cr, zero).AsInt16());
                    var (rHi, gHi, bHi) = Ycc8(Sse2.UnpackHigh(luma, zero).AsInt16(), Sse2.UnpackHigh(cb, zero).AsInt16(), Sse2.UnpackHigh(cr, zero).AsInt16());
                    r = Sse2.PackUnsignedSaturate(rLo, rHi);
                    g = Sse2.PackUnsignedSaturate(gLo, gHi);
                    b = Sse2.PackUnsignedSaturate(bLo, bHi);
                }

                ref var o = ref Unsafe.Add(ref dRef, 3 * x);
                var (o0, o1, o2) = Interleave3(r, g, b);
                o0.StoreUnsafe(ref o);
                o1.StoreUnsafe(ref o, 16);
                o2.StoreUnsafe(ref o, 32);
            }

            return;
        }

        YccToRgb(yRow, cbRow, crRow, dst, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> R, Vector256<short> G, Vector256<short> B) Ycc16(Vector256<short> luma, Vector256<short> cb, Vector256<short> cr)
    {
        var bias = Vector256.Create((short)128);
        cb = Avx2.Subtract(cb, bias);
        cr = Avx2.Subtract(cr, bias);
        var one = Vector256.Create((short)1);
        var cr2 = Avx2.Add(cr, cr);
        var cb2 = Avx2.Add(cb, cb);
        var rOff = Avx2.Add(cr, Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.MultiplyHigh(cr2, Vector256.Create((short)26345)), one), 1));
        var bOff = Avx2.Add(cb2, Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.MultiplyHigh(cb2, Vector256.Create((short)-14942)), one), 1));
        var factors = Vector256.Create((short)-22554, 18734, -22554, 18734, -22554, 18734, -22554, 18734, -22554, 18734, -22554, 18734, -22554, 18734, -22554, 18734);
        var half = Vector256.Create(1 << (ColorScaleBits - 1));
        var gLo = Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(cb, cr), factors), half), ColorScaleBits);
        var gHi = Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(cb, cr), factors), half), ColorScaleBits);
        var gOff = Avx2.Subtract(Avx2.PackSignedSaturate(gLo, gHi), cr);
        return (Avx2.Add(luma, rOff), Avx2.Add(luma, gOff), Avx2.Add(luma, bOff));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<short> R, Vector128<short> G, Vector128<short> B) Ycc8(Vector128<short> luma, Vector128<short> cb, Vector128<short> cr)
    {
        var bias = Vector128.Create((short)128);
        cb = Sse2.Subtract(cb, bias);
        cr = Sse2.Subtract(cr, bias);
        var one = Vector128.Create((short)1);
        var cr2 = Sse2.Add(cr, cr);
        var cb2 = Sse2.Add(cb, cb);
        var rOff = Sse2.Add(cr, Sse2.ShiftRightArithmetic(Sse2.Add(Sse2.MultiplyHigh(cr2, Vector128.Create((short)26345)), one), 1));
        var bOff = Sse2.Add(cb2, Sse2.ShiftRightArithmetic(Sse2.Add(Sse2.MultiplyHigh(cb2, Vector128.Create((short)-14942)), one), 1));
        var factors = Vector128.Create((short)-22554, 18734, -22554, 18734, -22554, 18734, -22554, 18734);
        var half = Vector128.Create(1 << (ColorScaleBits - 1));
        var gLo = Sse2.ShiftRightArithmetic(Sse2.Add(Sse2.MultiplyAddAdjacent(Sse2.UnpackLow(cb, cr), factors), half), ColorScaleBits);
        var gHi = Sse2.ShiftRightArithmetic(Sse2.Add(Sse2.MultiplyAddAdjacent(Sse2.UnpackHigh(cb, cr), factors), half), ColorScaleBits);
        var gOff = Sse2.Subtract(Sse2.PackSignedSaturate(gLo, gHi), cr);
        return (Sse2.Add(luma, rOff), Sse2.Add(luma, gOff), Sse2.Add(luma, bOff));
    }

    /// <summary>16 R, G and B bytes to 48 bytes of RGB triplets (byte shuffles; index 128 yields zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<byte>, Vector128<byte>, Vector128<byte>) Interleave3(Vector128<byte> r, Vector128<byte> g, Vector128<byte> b)
    {
        var o0 = Shuffle(r, Vector128.Create((byte)0, 128, 128, 1, 128, 128, 2, 128, 128, 3, 128, 128, 4, 128, 128, 5))
                 | Shuffle(g, Vector128.Create((byte)128, 0, 128, 128, 1, 128, 128, 2, 128, 128, 3, 128, 128, 4, 128, 128))
                 | Shuffle(b, Vector128.Create((byte)128, 128, 0, 128, 128, 1, 128, 128, 2, 128, 128, 3, 128, 128, 4, 128));
        var o1 = Shuffle(r, Vector128.Create((byte)128, 128, 6, 128, 128, 7, 128, 128, 8, 128, 128, 9, 128, 128, 10, 128))
                 | Shuffle(g, Vector128.Create((byte)5, 128, 128, 6, 128, 128, 7, 128, 128, 8, 128, 128, 9, 128, 128, 10))
                 | Shuffle(b, Vector128.Create((byte)128, 5, 128, 128, 6, 128, 128, 7, 128, 128, 8, 128, 128, 9, 128, 128));
        var o2 = Shuffle(r, Vector128.Create((byte)128, 11, 128, 128, 12, 128, 128, 13, 128, 128, 14, 128, 128, 15, 128, 128))
                 | Shuffle(g, Vector128.Create((byte)128, 128, 11, 128, 128, 12, 128, 128, 13, 128, 128, 14, 128, 128, 15, 128))
                 | Shuffle(b, Vector128.Create((byte)10, 128, 128, 11, 128, 128, 12, 128, 128, 13, 128, 128, 14, 128, 128, 15));
        return (o0, o1, o2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Shuffle(Vector128<byte> value, Vector128<byte> indices) => Ssse3.Shuffle(value, indices);

    /// <summary>
    /// libjpeg's h2v2 "fancy" upsampling of one output row: column sums 3 * near + far, then each output sample is
    /// (3 * this + neighbour + 8 or 7) &gt;&gt; 4. The sums row is padded with a copy of its first and last entry, which
    /// makes the edge formulas of the scalar code fall out of the general one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void H2V2FancyRow(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<byte> output, int n, ushort[] sums)
    {
        if (!Vector128.IsHardwareAccelerated || !BitConverter.IsLittleEndian || n < 16)
        {
            H2V2Fancy(near, far, output, n);
            return;
        }

        _ = near[n - 1];
        _ = far[n - 1];
        _ = output[(2 * n) - 1];
        _ = sums[n + 1];
        ref var nearRef = ref MemoryMarshal.GetReference(near);
        ref var farRef = ref MemoryMarshal.GetReference(far);
        ref var s = ref MemoryMarshal.GetArrayDataReference(sums);
        if (Avx2.IsSupported && n >= 32)
        {
            H2V2FancyRowAvx2(ref nearRef, ref farRef, ref MemoryMarshal.GetReference(output), n, sums);
            return;
        }

        // Final steps are moved back to end at n (recomputing a few entries gives the same values).
        for (var step = 0; step < n; step += 16)
        {
            var i = Math.Min(step, n - 16);
            var a = Vector128.LoadUnsafe(ref nearRef, (nuint)i);
            var b = Vector128.LoadUnsafe(ref farRef, (nuint)i);
            ((Vector128.WidenLower(a) * 3) + Vector128.WidenLower(b)).StoreUnsafe(ref s, (nuint)(i + 1));
            ((Vector128.WidenUpper(a) * 3) + Vector128.WidenUpper(b)).StoreUnsafe(ref s, (nuint)(i + 9));
        }

        sums[0] = sums[1];
        sums[n + 1] = sums[n];

        ref var o = ref MemoryMarshal.GetReference(output);
        var eight = Vector128.Create((ushort)8);
        var seven = Vector128.Create((ushort)7);
        for (var step = 0; step < n; step += 8)
        {
            var i = Math.Min(step, n - 8);
            var last = Vector128.LoadUnsafe(ref s, (nuint)i);
            var thisSum = Vector128.LoadUnsafe(ref s, (nuint)(i + 1)) * 3;
            var next = Vector128.LoadUnsafe(ref s, (nuint)(i + 2));
            var even = (thisSum + last + eight) >>> 4;
            var odd = (thisSum + next + seven) >>> 4;
            (even | (odd << 8)).AsByte().StoreUnsafe(ref o, (nuint)(2 * i));
        }
    }

    /// <summary><see cref="H2V2FancyRow"/> with 16 column sums per step; the caller checked the spans hold n (&gt;= 32) samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void H2V2FancyRowAvx2(ref byte nearRef, ref byte farRef, ref byte o, int n, ushort[] sums)
    {
        ref var s = ref MemoryMarshal.GetArrayDataReference(sums);
        var three = Vector256.Create((short)3);
        for (var step = 0; step < n; step += 16)
        {
            var i = Math.Min(step, n - 16);
            var a = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref nearRef, (nuint)i));
            var b = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref farRef, (nuint)i));
            Avx2.Add(Avx2.MultiplyLow(a, three), b).AsUInt16().StoreUnsafe(ref s, (nuint)(i + 1));
        }

        sums[0] = sums[1];
        sums[n + 1] = sums[n];

        var eight = Vector256.Create((ushort)8);
        var seven = Vector256.Create((ushort)7);
        for (var step = 0; step < n; step += 16)
        {
            var i = Math.Min(step, n - 16);
            var last = Vector256.LoadUnsafe(ref s, (nuint)i);
            var thisSum = Vector256.LoadUnsafe(ref s, (nuint)(i + 1)) * 3;
            var next = Vector256.LoadUnsafe(ref s, (nuint)(i + 2));
            var even = (thisSum + last + eight) >>> 4;
            var odd = (thisSum + next + seven) >>> 4;
            (even | (odd << 8)).AsByte().StoreUnsafe(ref o, (nuint)(2 * i));
        }
    }
}
