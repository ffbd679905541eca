using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MedVision.Imaging;

/// <summary>
/// The inverse PNG filters on one scanline, in place. <c>prior</c> is the unfiltered row above, empty for the first row
/// of an image or pass (PNG then treats it as zeros). Up is vectorised; Sub, Average and Paeth carry a dependency from
/// each pixel to the next, so they run as tight scalar loops without bounds checks (every index stays below
/// <c>line.Length</c>, and <c>prior</c> is either empty or as long as <c>line</c>). AggressiveOptimization: a decode
/// runs each of these a few thousand times and then perhaps never again, so tier-0 JIT code would carry most of the
/// work (Native AOT compiles them optimised anyway).
/// </summary>
internal static class PngFilters
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UndoUp(Span<byte> line, ReadOnlySpan<byte> prior)
    {
        if (prior.Length < line.Length)
        {
            throw new ArgumentException("The prior row is shorter than the line.", nameof(prior));
        }

        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lineVectors = MemoryMarshal.Cast<byte, Vector<byte>>(line);
            var priorVectors = MemoryMarshal.Cast<byte, Vector<byte>>(prior[..line.Length]);
            for (var v = 0; v < lineVectors.Length; v++)
            {
                lineVectors[v] += priorVectors[v]; // byte lanes wrap modulo 256, as the filter requires
            }

            i = lineVectors.Length * Vector<byte>.Count;
        }

        for (; i < line.Length; i++)
        {
            line[i] += prior[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UndoSub(Span<byte> line, int bpp)
    {
        ref var r = ref MemoryMarshal.GetReference(line);
        if (bpp == 1)
        {
            // Gray rows: the left byte stays in a register instead of a store-to-load round trip per byte.
            var left = 0;
            for (var i = 0; i < line.Length; i++)
            {
                left = (byte)(Unsafe.Add(ref r, i) + left);
                Unsafe.Add(ref r, i) = (byte)left;
            }

            return;
        }

        for (var i = bpp; i < line.Length; i++)
        {
            Unsafe.Add(ref r, i) += Unsafe.Add(ref r, i - bpp);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UndoAverage(Span<byte> line, ReadOnlySpan<byte> prior, int bpp)
    {
        ref var r = ref MemoryMarshal.GetReference(line);
        var n = line.Length;
        var first = Math.Min(bpp, n);
        if (prior.IsEmpty)
        {
            for (var i = first; i < n; i++)
            {
                Unsafe.Add(ref r, i) += (byte)(Unsafe.Add(ref r, i - bpp) >> 1);
            }

            return;
        }

        if (prior.Length < n)
        {
            throw new ArgumentException("The prior row is shorter than the line.", nameof(prior));
        }

        ref var p = ref MemoryMarshal.GetReference(prior);
        if (bpp == 1)
        {
            var left = 0;
            for (var i = 0; i < n; i++)
            {
                left = (byte)(Unsafe.Add(ref r, i) + ((left + Unsafe.Add(ref p, i)) >> 1));
                Unsafe.Add(ref r, i) = (byte)left;
            }

            return;
        }

        for (var i = 0; i < first; i++)
        {
            Unsafe.Add(ref r, i) += (byte)(Unsafe.Add(ref p, i) >> 1);
        }

        for (var i = first; i < n; i++)
        {
            Unsafe.Add(ref r, i) += (byte)((Unsafe.Add(ref r, i - bpp) + Unsafe.Add(ref p, i)) >> 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UndoPaeth(Span<byte> line, ReadOnlySpan<byte> prior, int bpp)
    {
        if (prior.IsEmpty)
        {
            // With the row above all zero, the Paeth predictor is always the left byte: Sub.
            UndoSub(line, bpp);
            return;
        }

        if (prior.Length < line.Length)
        {
            throw new ArgumentException("The prior row is shorter than the line.", nameof(prior));
        }

        ref var r = ref MemoryMarshal.GetReference(line);
        ref var p = ref MemoryMarshal.GetReference(prior);
        var n = line.Length;
        if (bpp == 1)
        {
            int a = 0, c = 0;
            for (var i = 0; i < n; i++)
            {
                int b = Unsafe.Add(ref p, i);
                a = (byte)(Unsafe.Add(ref r, i) + Paeth(a, b, c));
                Unsafe.Add(ref r, i) = (byte)a;
                c = b;
            }

            return;
        }

        var first = Math.Min(bpp, n);
        for (var i = 0; i < first; i++)
        {
            Unsafe.Add(ref r, i) += Unsafe.Add(ref p, i); // left and upper-left are zero: the predictor is up
        }

        for (var i = first; i < n; i++)
        {
            int a = Unsafe.Add(ref r, i - bpp);
            int b = Unsafe.Add(ref p, i);
            int c = Unsafe.Add(ref p, i - bpp);
            Unsafe.Add(ref r, i) += (byte)Paeth(a, b, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Paeth(int a, int b, int c)
    {
        // p = a + b - c, so |p - a| = |b - c|, |p - b| = |a - c|, |p - c| = |a + b - 2c|.
        var pa = Math.Abs(b - c);
        var pb = Math.Abs(a - c);
        var pc = Math.Abs(a + b - c - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
