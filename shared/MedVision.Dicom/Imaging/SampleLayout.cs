using System.Numerics;
using System.Runtime.InteropServices;

namespace MedVision.Dicom.Imaging;

/// <summary>
/// Native-layout helpers: bit-field extraction (mask, shift, sign extension), planar → interleaved, 1-bit unpacking,
/// YBR_FULL_422 chroma replication. Spans in, spans out; vectorized where images are large.
/// </summary>
internal static class SampleLayout
{
    /// <summary>Whether a container of <paramref name="bytesPerSample"/> holds other bits than the stored value.</summary>
    public static bool NeedsExtraction(int bytesPerSample, int bitsStored, int highBit) =>
        bitsStored != bytesPerSample * 8 || highBit != bitsStored - 1;

    /// <summary>
    /// Replaces each container value by its stored value: bits [highBit - bitsStored + 1, highBit], sign-extended when
    /// <paramref name="signed"/>. <paramref name="source"/> and <paramref name="destination"/> may be the same memory.
    /// </summary>
    public static void Extract(ReadOnlySpan<byte> source, Span<byte> destination, int bytesPerSample, int bitsStored, int highBit, bool signed)
    {
        switch (bytesPerSample)
        {
            case 1:
                Extract8(source, destination, bitsStored, highBit, signed);
                break;
            case 2:
                Extract16(MemoryMarshal.Cast<byte, ushort>(source), MemoryMarshal.Cast<byte, ushort>(destination), bitsStored, highBit, signed);
                break;
            default:
                Extract32(MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, uint>(destination), bitsStored, highBit, signed);
                break;
        }
    }

    private static void Extract8(ReadOnlySpan<byte> source, Span<byte> destination, int bitsStored, int highBit, bool signed)
    {
        var left = 7 - highBit;
        var right = 8 - bitsStored;
        for (var i = 0; i < source.Length; i++)
        {
            var up = (byte)(source[i] << left);
            destination[i] = signed ? (byte)((sbyte)up >> right) : (byte)(up >> right);
        }
    }

    private static void Extract16(ReadOnlySpan<ushort> source, Span<ushort> destination, int bitsStored, int highBit, bool signed)
    {
        var left = 15 - highBit;
        var right = 16 - bitsStored;
        var i = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<ushort>.Count)
        {
            var n = Vector<ushort>.Count;
            for (; i <= source.Length - n; i += n)
            {
                var up = Vector.ShiftLeft(new Vector<ushort>(source[i..]), left);
                var value = signed
                    ? Vector.AsVectorUInt16(Vector.ShiftRightArithmetic(Vector.AsVectorInt16(up), right))
                    : Vector.ShiftRightLogical(up, right);
                value.CopyTo(destination[i..]);
            }
        }

        for (; i < source.Length; i++)
        {
            var up = (ushort)(source[i] << left);
            destination[i] = signed ? (ushort)((short)up >> right) : (ushort)(up >> right);
        }
    }

    private static void Extract32(ReadOnlySpan<uint> source, Span<uint> destination, int bitsStored, int highBit, bool signed)
    {
        var left = 31 - highBit;
        var right = 32 - bitsStored;
        for (var i = 0; i < source.Length; i++)
        {
            var up = source[i] << left;
            destination[i] = signed ? (uint)((int)up >> right) : up >> right;
        }
    }

    /// <summary>Colour-by-plane (R…G…B…) to colour-by-pixel (RGB RGB…), for any sample width.</summary>
    public static void PlanarToInterleaved(ReadOnlySpan<byte> source, Span<byte> destination, int pixels, int samples, int bytesPerSample)
    {
        var planeBytes = pixels * bytesPerSample;
        var stride = samples * bytesPerSample;
        if (bytesPerSample == 1)
        {
            for (var s = 0; s < samples; s++)
            {
                var plane = source.Slice(s * planeBytes, planeBytes);
                for (var i = 0; i < pixels; i++)
                {
                    destination[(i * stride) + s] = plane[i];
                }
            }

            return;
        }

        for (var s = 0; s < samples; s++)
        {
            var plane = source.Slice(s * planeBytes, planeBytes);
            for (var i = 0; i < pixels; i++)
            {
                plane.Slice(i * bytesPerSample, bytesPerSample).CopyTo(destination[((i * stride) + (s * bytesPerSample))..]);
            }
        }
    }

    /// <summary>Bits Allocated 1: pixel k of the frame is bit (firstBit + k) of the data, least significant bit first (PS3.5 §8.1.1).</summary>
    public static void UnpackBits(ReadOnlySpan<byte> data, long firstBit, Span<byte> destination)
    {
        for (var k = 0; k < destination.Length; k++)
        {
            var bit = firstBit + k;
            destination[k] = (byte)((data[(int)(bit >> 3)] >> (int)(bit & 7)) & 1);
        }
    }

    /// <summary>
    /// Native YBR_FULL_422 (PS3.3 C.7.6.3.1.2): each pair of pixels is stored Y1 Y2 Cb Cr; the output gives every pixel
    /// its own Y Cb Cr, chroma replicated over the pair (8-bit samples).
    /// </summary>
    public static void ExpandYbr422(ReadOnlySpan<byte> source, Span<byte> destination, int pixels)
    {
        for (int p = 0, s = 0, o = 0; p < pixels; p += 2, s += 4, o += 6)
        {
            var cb = source[s + 2];
            var cr = source[s + 3];
            destination[o] = source[s];
            destination[o + 1] = cb;
            destination[o + 2] = cr;
            destination[o + 3] = source[s + 1];
            destination[o + 4] = cb;
            destination[o + 5] = cr;
        }
    }
}
