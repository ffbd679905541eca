using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MedVision.Imaging;

public static partial class JpegEncoder
{
    /// <summary>
    /// The output buffer plus the per-block pipeline: level shift, AAN float DCT (8 columns per vector),
    /// reciprocal quantization, zigzag and Huffman coding with a 64-bit bit buffer. One instance per
    /// Encode call; its scratch arrays are reused so no block allocates, and the output buffer is pooled
    /// because previews are encoded repeatedly and multi-megabyte buffers would otherwise churn the LOH.
    /// </summary>
    private sealed class BlockWriter : IDisposable
    {
        // A block codes to at most ~210 bytes, ~420 with worst-case 0xFF stuffing; keep this much headroom.
        private const int BlockHeadroom = 1024;

        private readonly int[] quantized = new int[64];
        private readonly short[] zigzag = new short[64];
        private byte[] buffer;
        private int position;

        // Bits are appended at the low end of 'bits'; 'free' counts unused high bits (64 = empty).
        private ulong bits;
        private int free = 64;

        public BlockWriter(int initialCapacity)
        {
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 4 * BlockHeadroom));
        }

        public void Dispose()
        {
            // The bytes encode (possibly patient) pixels; don't leave them for the pool's next renter.
            buffer.AsSpan(0, position).Clear();
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
            position = 0;
        }

        public void WriteByte(byte value)
        {
            EnsureCapacity(1);
            buffer[position++] = value;
        }

        public void WriteUInt16(int value)
        {
            EnsureCapacity(2);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(position), (ushort)value);
            position += 2;
        }

        public void WriteBytes(ReadOnlySpan<byte> data)
        {
            EnsureCapacity(data.Length);
            data.CopyTo(buffer.AsSpan(position));
            position += data.Length;
        }

        public byte[] ToArray() => buffer.AsSpan(0, position).ToArray();

        /// <summary>Ends the entropy-coded segment: pads the last byte with 1-bits (F.1.2.3) and stuffs 0xFF.</summary>
        public void FlushBits()
        {
            EnsureCapacity(32);
            var count = 64 - free;
            var padded = (count + 7) & ~7;
            var value = (bits << (padded - count)) | ((1UL << (padded - count)) - 1);
            for (var shift = padded - 8; shift >= 0; shift -= 8)
            {
                var b = (byte)(value >> shift);
                buffer[position++] = b;
                if (b == 0xFF)
                {
                    buffer[position++] = 0;
                }
            }

            bits = 0;
            free = 64;
        }

        /// <summary>Transforms, quantizes and codes the 8x8 block whose top-left sample is plane[offset].</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void EncodeBlock(ReadOnlySpan<byte> plane, int offset, int stride, float[] reciprocals, uint[] dcCodes, uint[] acCodes, ref int lastDc)
        {
            EnsureCapacity(BlockHeadroom);
            TransformAndQuantize(plane, offset, stride, reciprocals, quantized);

            // Zigzag reorder, then one bit per nonzero coefficient so the coder can jump over zero runs.
            ref var zz = ref MemoryMarshal.GetArrayDataReference(zigzag);
            ref var source = ref MemoryMarshal.GetArrayDataReference(quantized);
            ref var order = ref MemoryMarshal.GetArrayDataReference(ZigzagToTransposed);
            for (var k = 0; k < 64; k++)
            {
                Unsafe.Add(ref zz, k) = (short)Unsafe.Add(ref source, Unsafe.Add(ref order, k));
            }

            ulong nonzero = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (var k = 0; k < 64; k += Vector256<short>.Count)
                {
                    var zero = Vector256.Equals(Vector256.LoadUnsafe(ref zz, (nuint)k), Vector256<short>.Zero);
                    nonzero |= (ulong)(~zero.ExtractMostSignificantBits() & 0xFFFF) << k;
                }
            }
            else
            {
                for (var k = 0; k < 64; k++)
                {
                    nonzero |= (Unsafe.Add(ref zz, k) != 0 ? 1UL : 0UL) << k;
                }
            }

            var acc = bits;
            var left = free;
            var pos = position;
            var output = buffer;

            // DC: difference from the previous block of the same component (F.1.2.1).
            int dc = zz;
            var diff = dc - lastDc;
            lastDc = dc;
            var dcBits = Magnitude(diff);
            var dcCode = dcCodes[dcBits];
            Put(ref acc, ref left, ref pos, output, ((dcCode >> 8) << dcBits) | ValueBits(diff, dcBits), (int)(dcCode & 0xFF) + dcBits);

            // AC: (run, size) symbols over the nonzero coefficients; ZRL for runs of 16+, EOB if the tail is zero.
            nonzero &= ~1UL;
            var previous = 0;
            while (nonzero != 0)
            {
                var k = BitOperations.TrailingZeroCount(nonzero);
                nonzero &= nonzero - 1;
                var run = k - previous - 1;
                previous = k;
                while (run > 15)
                {
                    var zrl = acCodes[0xF0];
                    Put(ref acc, ref left, ref pos, output, zrl >> 8, (int)(zrl & 0xFF));
                    run -= 16;
                }

                int value = Unsafe.Add(ref zz, k);
                var valueBits = Magnitude(value);
                var code = acCodes[(run << 4) | valueBits];
                Put(ref acc, ref left, ref pos, output, ((code >> 8) << valueBits) | ValueBits(value, valueBits), (int)(code & 0xFF) + valueBits);
            }

            if (previous != 63)
            {
                var eob = acCodes[0x00];
                Put(ref acc, ref left, ref pos, output, eob >> 8, (int)(eob & 0xFF));
            }

            bits = acc;
            free = left;
            position = pos;
        }

        /// <summary>Number of bits needed for |value| (the SSSS category of F.1.2.1 / F.1.2.2).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Magnitude(int value)
        {
            var sign = value >> 31;
            return 32 - BitOperations.LeadingZeroCount((uint)((value ^ sign) - sign));
        }

        /// <summary>The low 'size' bits of value, or of value - 1 when negative (one's complement, F.1.2.1).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint ValueBits(int value, int size) => (uint)(value + (value >> 31)) & ((1u << size) - 1);

        /// <summary>
        /// Appends 'size' (at most 32) bits. When the 64-bit buffer fills it is written as 8 bytes at once,
        /// unless one of them is 0xFF and needs a stuffed 0x00 (F.1.2.3).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Put(ref ulong acc, ref int free, ref int pos, byte[] output, uint code, int size)
        {
            if (size < free)
            {
                acc = (acc << size) | code;
                free -= size;
                return;
            }

            // The high bits of 'code' left in acc are shifted out before the next flush, so no masking.
            var over = size - free;
            var full = (acc << free) | (code >> over);
            acc = code;
            free = 64 - over;
            Flush(full, output, ref pos);
        }

        private static void Flush(ulong full, byte[] output, ref int pos)
        {
            // Nonzero iff some byte is 0xFF: only 0xFF + 1 clears a set top bit without a carry from below.
            if ((full & 0x8080808080808080UL & ~(full + 0x0101010101010101UL)) == 0)
            {
                BinaryPrimitives.WriteUInt64BigEndian(output.AsSpan(pos, 8), full);
                pos += 8;
                return;
            }

            for (var shift = 56; shift >= 0; shift -= 8)
            {
                var b = (byte)(full >> shift);
                output[pos++] = b;
                if (b == 0xFF)
                {
                    output[pos++] = 0;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void EnsureCapacity(int count)
        {
            if (buffer.Length - position < count)
            {
                Grow(count);
            }
        }

        private void Grow(int count)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(2L * buffer.Length, position + count), Array.MaxLength));
            buffer.AsSpan(0, position).CopyTo(larger);
            buffer.AsSpan(0, position).Clear();
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
    }

    /// <summary>
    /// Level shift, separable AAN float DCT (jfdctflt.c's flow graph) on eight columns at a time with AVX2, then
    /// reciprocal quantization with round-to-nearest. Output is transposed (index u * 8 + v); the zigzag
    /// map accounts for that, which saves transposing back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformAndQuantize(ReadOnlySpan<byte> plane, int offset, int stride, float[] reciprocals, int[] output)
    {
        if (!Avx2.IsSupported)
        {
            TransformAndQuantizeScalar(plane, offset, stride, reciprocals, output);
            return;
        }

        var r0 = LoadRow(plane, offset);
        var r1 = LoadRow(plane, offset + stride);
        var r2 = LoadRow(plane, offset + (2 * stride));
        var r3 = LoadRow(plane, offset + (3 * stride));
        var r4 = LoadRow(plane, offset + (4 * stride));
        var r5 = LoadRow(plane, offset + (5 * stride));
        var r6 = LoadRow(plane, offset + (6 * stride));
        var r7 = LoadRow(plane, offset + (7 * stride));

        Dct8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Dct8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);

        ref var recip = ref MemoryMarshal.GetArrayDataReference(reciprocals);
        ref var target = ref MemoryMarshal.GetArrayDataReference(output);
        Quantize(r0, Vector256.LoadUnsafe(ref recip, 0)).StoreUnsafe(ref target, 0);
        Quantize(r1, Vector256.LoadUnsafe(ref recip, 8)).StoreUnsafe(ref target, 8);
        Quantize(r2, Vector256.LoadUnsafe(ref recip, 16)).StoreUnsafe(ref target, 16);
        Quantize(r3, Vector256.LoadUnsafe(ref recip, 24)).StoreUnsafe(ref target, 24);
        Quantize(r4, Vector256.LoadUnsafe(ref recip, 32)).StoreUnsafe(ref target, 32);
        Quantize(r5, Vector256.LoadUnsafe(ref recip, 40)).StoreUnsafe(ref target, 40);
        Quantize(r6, Vector256.LoadUnsafe(ref recip, 48)).StoreUnsafe(ref target, 48);
        Quantize(r7, Vector256.LoadUnsafe(ref recip, 56)).StoreUnsafe(ref target, 56);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadRow(ReadOnlySpan<byte> plane, int offset)
    {
        var bytes = Vector128.CreateScalarUnsafe(MemoryMarshal.Read<ulong>(plane.Slice(offset, 8))).AsByte();
        return Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(bytes)) - Vector256.Create(128f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quantize(Vector256<float> coefficients, Vector256<float> reciprocals)
    {
        var scaled = coefficients * reciprocals;

        // Rounds to nearest-even (default MXCSR) in one instruction; |value| < 1024 for 8-bit input, no overflow.
        return Avx.ConvertToVector256Int32(scaled);
    }

    /// <summary>One 1-D AAN forward DCT applied lane-wise, i.e. to eight independent 8-point signals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dct8(
        ref Vector256<float> d0, ref Vector256<float> d1, ref Vector256<float> d2, ref Vector256<float> d3,
        ref Vector256<float> d4, ref Vector256<float> d5, ref Vector256<float> d6, ref Vector256<float> d7)
    {
        var tmp0 = d0 + d7;
        var tmp7 = d0 - d7;
        var tmp1 = d1 + d6;
        var tmp6 = d1 - d6;
        var tmp2 = d2 + d5;
        var tmp5 = d2 - d5;
        var tmp3 = d3 + d4;
        var tmp4 = d3 - d4;

        // Even part.
        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;
        d0 = tmp10 + tmp11;
        d4 = tmp10 - tmp11;
        var z1 = (tmp12 + tmp13) * Vector256.Create(0.707106781f);
        d2 = tmp13 + z1;
        d6 = tmp13 - z1;

        // Odd part.
        tmp10 = tmp4 + tmp5;
        tmp11 = tmp5 + tmp6;
        tmp12 = tmp6 + tmp7;
        var z5 = (tmp10 - tmp12) * Vector256.Create(0.382683433f);
        var z2 = (tmp10 * Vector256.Create(0.541196100f)) + z5;
        var z4 = (tmp12 * Vector256.Create(1.306562965f)) + z5;
        var z3 = tmp11 * Vector256.Create(0.707106781f);
        var z11 = tmp7 + z3;
        var z13 = tmp7 - z3;
        d5 = z13 + z2;
        d3 = z13 - z2;
        d1 = z11 + z4;
        d7 = z11 - z4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(
        ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(s0, s4, 0x20);
        r1 = Avx.Permute2x128(s1, s5, 0x20);
        r2 = Avx.Permute2x128(s2, s6, 0x20);
        r3 = Avx.Permute2x128(s3, s7, 0x20);
        r4 = Avx.Permute2x128(s0, s4, 0x31);
        r5 = Avx.Permute2x128(s1, s5, 0x31);
        r6 = Avx.Permute2x128(s2, s6, 0x31);
        r7 = Avx.Permute2x128(s3, s7, 0x31);
    }

    /// <summary>
    /// Fallback for machines without 256-bit vectors (ARM64, pre-AVX2 x64): the same flow graph in the same
    /// order, so results are bit-identical to the vector path (no FMA contraction in .NET).
    /// </summary>
    private static void TransformAndQuantizeScalar(ReadOnlySpan<byte> plane, int offset, int stride, float[] reciprocals, int[] output)
    {
        Span<float> work = stackalloc float[64];
        for (var x = 0; x < 8; x++)
        {
            var p = offset + x;
            var d0 = plane[p] - 128f;
            var d1 = plane[p + stride] - 128f;
            var d2 = plane[p + (2 * stride)] - 128f;
            var d3 = plane[p + (3 * stride)] - 128f;
            var d4 = plane[p + (4 * stride)] - 128f;
            var d5 = plane[p + (5 * stride)] - 128f;
            var d6 = plane[p + (6 * stride)] - 128f;
            var d7 = plane[p + (7 * stride)] - 128f;
            Dct8(ref d0, ref d1, ref d2, ref d3, ref d4, ref d5, ref d6, ref d7);
            work[x] = d0;
            work[8 + x] = d1;
            work[16 + x] = d2;
            work[24 + x] = d3;
            work[32 + x] = d4;
            work[40 + x] = d5;
            work[48 + x] = d6;
            work[56 + x] = d7;
        }

        for (var v = 0; v < 8; v++)
        {
            var row = work.Slice(v * 8, 8);
            var d0 = row[0];
            var d1 = row[1];
            var d2 = row[2];
            var d3 = row[3];
            var d4 = row[4];
            var d5 = row[5];
            var d6 = row[6];
            var d7 = row[7];
            Dct8(ref d0, ref d1, ref d2, ref d3, ref d4, ref d5, ref d6, ref d7);
            output[v] = QuantizeScalar(d0, reciprocals[v]);
            output[8 + v] = QuantizeScalar(d1, reciprocals[8 + v]);
            output[16 + v] = QuantizeScalar(d2, reciprocals[16 + v]);
            output[24 + v] = QuantizeScalar(d3, reciprocals[24 + v]);
            output[32 + v] = QuantizeScalar(d4, reciprocals[32 + v]);
            output[40 + v] = QuantizeScalar(d5, reciprocals[40 + v]);
            output[48 + v] = QuantizeScalar(d6, reciprocals[48 + v]);
            output[56 + v] = QuantizeScalar(d7, reciprocals[56 + v]);
        }
    }

    private static int QuantizeScalar(float coefficient, float reciprocal) => (int)MathF.Round(coefficient * reciprocal);

    /// <summary>Scalar twin of the vector <see cref="Dct8(ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float}, ref Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dct8(ref float d0, ref float d1, ref float d2, ref float d3, ref float d4, ref float d5, ref float d6, ref float d7)
    {
        var tmp0 = d0 + d7;
        var tmp7 = d0 - d7;
        var tmp1 = d1 + d6;
        var tmp6 = d1 - d6;
        var tmp2 = d2 + d5;
        var tmp5 = d2 - d5;
        var tmp3 = d3 + d4;
        var tmp4 = d3 - d4;

        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;
        d0 = tmp10 + tmp11;
        d4 = tmp10 - tmp11;
        var z1 = (tmp12 + tmp13) * 0.707106781f;
        d2 = tmp13 + z1;
        d6 = tmp13 - z1;

        tmp10 = tmp4 + tmp5;
        tmp11 = tmp5 + tmp6;
        tmp12 = tmp6 + tmp7;
        var z5 = (tmp10 - tmp12) * 0.382683433f;
        var z2 = (tmp10 * 0.541196100f) + z5;
        var z4 = (tmp12 * 1.306562965f) + z5;
        var z3 = tmp11 * 0.707106781f;
        var z11 = tmp7 + z3;
        var z13 = tmp7 - z3;
        d5 = z13 + z2;
        d3 = z13 - z2;
        d1 = z11 + z4;
        d7 = z11 - z4;
    }
}
