using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MedVision.Imaging;

public static partial class PngEncoder
{
    /// <summary>
    /// Writes <paramref name="row"/> filtered with <paramref name="filter"/> (0–4) into <paramref name="output"/>
    /// (stride bytes, no type byte). Encoding reads only raw samples, so every filter vectorizes.
    /// </summary>
    private static void ApplyFilter(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output)
    {
        var n = row.Length;
        ref var r = ref MemoryMarshal.GetReference(row);
        ref var p = ref MemoryMarshal.GetReference(prior);
        ref var o = ref MemoryMarshal.GetReference(output);
        var head = Math.Min(bpp, n);
        int i;
        switch (filter)
        {
            case 0:
                row.CopyTo(output);
                return;
            case 1:
                row[..head].CopyTo(output);
                i = head;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; i + 32 <= n; i += 32)
                    {
                        var v = Vector256.LoadUnsafe(ref r, (nuint)i) - Vector256.LoadUnsafe(ref r, (nuint)(i - bpp));
                        v.StoreUnsafe(ref o, (nuint)i);
                    }
                }

                for (; i < n; i++)
                {
                    output[i] = (byte)(row[i] - row[i - bpp]);
                }

                return;
            case 2:
                i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; i + 32 <= n; i += 32)
                    {
                        var v = Vector256.LoadUnsafe(ref r, (nuint)i) - Vector256.LoadUnsafe(ref p, (nuint)i);
                        v.StoreUnsafe(ref o, (nuint)i);
                    }
                }

                for (; i < n; i++)
                {
                    output[i] = (byte)(row[i] - prior[i]);
                }

                return;
            case 3:
                for (i = 0; i < head; i++)
                {
                    output[i] = (byte)(row[i] - (prior[i] >> 1));
                }

                if (Vector256.IsHardwareAccelerated)
                {
                    for (; i + 32 <= n; i += 32)
                    {
                        var a = Vector256.LoadUnsafe(ref r, (nuint)(i - bpp));
                        var b = Vector256.LoadUnsafe(ref p, (nuint)i);
                        var average = (a & b) + Vector256.ShiftRightLogical(a ^ b, 1); // floor((a + b) / 2) without overflow
                        (Vector256.LoadUnsafe(ref r, (nuint)i) - average).StoreUnsafe(ref o, (nuint)i);
                    }
                }

                for (; i < n; i++)
                {
                    output[i] = (byte)(row[i] - ((row[i - bpp] + prior[i]) >> 1));
                }

                return;
            default:
                for (i = 0; i < head; i++)
                {
                    output[i] = (byte)(row[i] - prior[i]); // Paeth with no left neighbour predicts up
                }

                if (Vector256.IsHardwareAccelerated)
                {
                    for (; i + 16 <= n; i += 16)
                    {
                        var a = Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)(i - bpp)).ToVector256Unsafe()).AsInt16();
                        var b = Vector256.WidenLower(Vector128.LoadUnsafe(ref p, (nuint)i).ToVector256Unsafe()).AsInt16();
                        var c = Vector256.WidenLower(Vector128.LoadUnsafe(ref p, (nuint)(i - bpp)).ToVector256Unsafe()).AsInt16();
                        var pa = Vector256.Abs(b - c);
                        var pb = Vector256.Abs(a - c);
                        var pc = Vector256.Abs(a + b - c - c);
                        var useA = Vector256.LessThanOrEqual(pa, pb) & Vector256.LessThanOrEqual(pa, pc);
                        var useB = Vector256.LessThanOrEqual(pb, pc);
                        var predictor = Vector256.ConditionalSelect(useA, a, Vector256.ConditionalSelect(useB, b, c));
                        var x = Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)i).ToVector256Unsafe()).AsInt16();
                        var narrowed = Vector256.Narrow((x - predictor).AsUInt16() & Vector256.Create((ushort)0xFF), Vector256<ushort>.Zero);
                        narrowed.GetLower().StoreUnsafe(ref o, (nuint)i);
                    }
                }

                for (; i < n; i++)
                {
                    output[i] = (byte)(row[i] - PngDecoder.Paeth(row[i - bpp], prior[i], prior[i - bpp]));
                }

                return;
        }
    }

    /// <summary>Sum over the bytes read as signed values of their magnitudes.</summary>
    private static ulong SumOfMagnitudes(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        var i = 0;
        if (Avx2.IsSupported)
        {
            ref var d = ref MemoryMarshal.GetReference(data);
            var total = Vector256<ulong>.Zero;
            for (; i + 32 <= data.Length; i += 32)
            {
                var v = Vector256.LoadUnsafe(ref d, (nuint)i);
                var magnitude = Vector256.Min(v, Vector256<byte>.Zero - v); // |signed byte|, 0x80 → 128
                total += Avx2.SumAbsoluteDifferences(magnitude, Vector256<byte>.Zero).AsUInt64();
            }

            sum = Vector256.Sum(total);
        }

        for (; i < data.Length; i++)
        {
            sum += (ulong)Math.Abs((int)(sbyte)data[i]);
        }

        return sum;
    }

    /// <summary>Adler-32 as zlib defines it (RFC 1950), with zlib's adler32_combine for bands checked separately.</summary>
    internal static class Adler32
    {
        private const uint Base = 65521;

        // Largest n with 255 n (n + 1) / 2 + (n + 1) (Base - 1) < 2^32: sums cannot overflow before a reduction.
        private const int MaxBlock = 5552;

        public static uint Update(uint adler, ReadOnlySpan<byte> data)
        {
            uint s1 = adler & 0xFFFF;
            var s2 = adler >> 16;
            while (!data.IsEmpty)
            {
                var block = data[..Math.Min(data.Length, MaxBlock)];
                data = data[block.Length..];
                var i = 0;
                if (Avx2.IsSupported && block.Length >= 32)
                {
                    i = Vectorized(block, ref s1, ref s2);
                }

                for (; i < block.Length; i++)
                {
                    s1 += block[i];
                    s2 += s1;
                }

                s1 %= Base;
                s2 %= Base;
            }

            return (s2 << 16) | s1;
        }

        /// <summary>Runs whole 32-byte groups of one block (≤ 5552 bytes); returns how many bytes it consumed.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int Vectorized(ReadOnlySpan<byte> block, ref uint s1, ref uint s2)
        {
            ref var d = ref MemoryMarshal.GetReference(block);
            var weights = Vector256.Create(
                (sbyte)32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
                16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
            var ones = Vector256.Create((short)1);
            var vs1 = Vector256<uint>.Zero; // per-lane byte sums
            var vs2 = Vector256<uint>.Zero; // per-lane weighted sums within each group
            var vs1Before = Vector256<uint>.Zero; // sum over groups of s1 before the group (times 32 later)
            var groups = block.Length / 32;
            for (var g = 0; g < groups; g++)
            {
                var v = Vector256.LoadUnsafe(ref d, (nuint)(g * 32));
                vs1Before += vs1;
                vs1 += Avx2.SumAbsoluteDifferences(v, Vector256<byte>.Zero).AsUInt32();
                vs2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, weights), ones).AsUInt32();
            }

            var n = (uint)groups * 32;
            var sum1 = Vector256.Sum(vs1);
            s2 += (s1 * n) + (Vector256.Sum(vs1Before) * 32) + Vector256.Sum(vs2);
            s1 += sum1;
            return (int)n;
        }

        /// <summary>The Adler-32 of A followed by B from adler(A), adler(B) and B's length.</summary>
        public static uint Combine(uint adler1, uint adler2, long length2)
        {
            var remainder = (uint)(length2 % Base);
            var sum1 = adler1 & 0xFFFF;
            var sum2 = (uint)((ulong)remainder * sum1 % Base);
            sum1 += (adler2 & 0xFFFF) + Base - 1;
            sum2 += (adler1 >> 16) + (adler2 >> 16) + Base - remainder;
            if (sum1 >= Base)
            {
                sum1 -= Base;
            }

            if (sum1 >= Base)
            {
                sum1 -= Base;
            }

            if (sum2 >= Base << 1)
            {
                sum2 -= Base << 1;
            }

            if (sum2 >= Base)
            {
                sum2 -= Base;
            }

            return sum1 | (sum2 << 16);
        }
    }
}
