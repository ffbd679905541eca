using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MedVision.Dicom.Imaging;

/// <summary>
/// DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of 16 little-endian 32-bit values (segment count, then each
/// segment's offset), then PackBits segments, one per byte of each sample, most significant byte first, samples in
/// order. Decodes into the native layout: samples interleaved, each sample's bytes little endian. Bad headers, offsets
/// and runs that read past their segment end as <see cref="DicomFormatException"/> (<see cref="DicomErrorCodes.BadPixelData"/>).
/// </summary>
public static class RleDecoder
{
    private const int HeaderLength = 64;

    // Below this many pixels per segment, threads cost more than they save.
    private const int ParallelThreshold = 1 << 18;

    /// <summary>Decodes one frame of <paramref name="rows"/> x <paramref name="columns"/> pixels.</summary>
    /// <param name="frame">The frame's bytes: header and segments (the concatenated fragments of the frame).</param>
    /// <param name="bytesPerSample">1, 2 or 4 (Bits Allocated / 8).</param>
    /// <returns>rows * columns * samplesPerPixel * bytesPerSample bytes.</returns>
    public static byte[] Decode(ReadOnlySpan<byte> frame, int rows, int columns, int samplesPerPixel, int bytesPerSample, int frameIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (samplesPerPixel is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(samplesPerPixel), samplesPerPixel, "1 to 4 samples per pixel.");
        }

        if (bytesPerSample is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(bytesPerSample), bytesPerSample, "1, 2 or 4 bytes per sample.");
        }

        var pixels = rows * columns;
        CheckCanHold(frame.Length, pixels, samplesPerPixel * bytesPerSample, frameIndex);
        var output = GC.AllocateUninitializedArray<byte>(checked(pixels * samplesPerPixel * bytesPerSample));
        Decode(frame, ReadOnlyMemory<byte>.Empty, output, pixels, samplesPerPixel, bytesPerSample, frameIndex);
        return output;
    }

    /// <summary>
    /// PackBits expands 2 bytes to at most 128, so a frame's segments need at least 2 bytes per 128 output bytes.
    /// Checked before the output is allocated: a tiny file claiming millions of pixels is rejected without costing them.
    /// </summary>
    internal static void CheckCanHold(int frameLength, int pixels, int segments, int frameIndex)
    {
        var needed = HeaderLength + (segments * 2L * ((pixels + 127L) / 128));
        if (frameLength < needed)
        {
            throw Bad(frameIndex, $"the {frameLength}-byte RLE frame cannot hold {pixels} pixels in {segments} segment(s); PackBits needs at least {needed} bytes");
        }
    }

    internal static void Decode(ReadOnlyMemory<byte> frame, Span<byte> output, int pixels, int samples, int bytesPerSample, int frameIndex) =>
        Decode(frame.Span, frame, output, pixels, samples, bytesPerSample, frameIndex);

    internal static void Decode(ReadOnlySpan<byte> frame, Span<byte> output, int pixels, int samples, int bytesPerSample, int frameIndex) =>
        Decode(frame, ReadOnlyMemory<byte>.Empty, output, pixels, samples, bytesPerSample, frameIndex);

    /// <param name="frameMemory">The same bytes as <paramref name="frame"/> when the caller has them as memory (enables parallel segments), else empty.</param>
    private static void Decode(ReadOnlySpan<byte> frame, ReadOnlyMemory<byte> frameMemory, Span<byte> output, int pixels, int samples, int bytesPerSample, int frameIndex)
    {
        var segmentCount = samples * bytesPerSample;
        if (frame.Length < HeaderLength)
        {
            throw Bad(frameIndex, $"the RLE header needs 64 bytes, the frame has {frame.Length}");
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (declared != segmentCount)
        {
            throw Bad(frameIndex, declared is 0 or > 15
                ? $"the RLE header declares {declared} segments (1 to 15 are possible)"
                : $"the RLE header declares {declared} segments; {samples} samples of {bytesPerSample} bytes need {segmentCount}");
        }

        Span<int> offsets = stackalloc int[16];
        for (var s = 0; s < segmentCount; s++)
        {
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(frame[(4 + (4 * s))..]);
            if (offset < HeaderLength || offset >= (uint)frame.Length)
            {
                throw Bad(frameIndex, $"RLE segment {s + 1} starts at offset {offset}, outside the {frame.Length}-byte frame after its header");
            }

            if (s > 0 && offset <= (uint)offsets[s - 1])
            {
                throw Bad(frameIndex, $"RLE segment {s + 1} starts at offset {offset}, not after segment {s} (offset {offsets[s - 1]})");
            }

            offsets[s] = (int)offset;
        }

        offsets[segmentCount] = frame.Length;
        if (segmentCount == 1)
        {
            DecodeSegment(frame[offsets[0]..], output[..pixels], frameIndex, 0);
            return;
        }

        // Each segment decodes into a contiguous plane (runs become memset/memcpy), then the planes are interleaved.
        var planes = ArrayPool<byte>.Shared.Rent(pixels * segmentCount);
        try
        {
            if (frameMemory.IsEmpty || pixels < ParallelThreshold || Environment.ProcessorCount < 2)
            {
                for (var s = 0; s < segmentCount; s++)
                {
                    DecodeSegment(frame[offsets[s]..offsets[s + 1]], planes.AsSpan(s * pixels, pixels), frameIndex, s);
                }
            }
            else
            {
                // Segments are independent: decode them on all cores (each writes its own plane).
                var bounds = offsets[..(segmentCount + 1)].ToArray();
                try
                {
                    Parallel.For(0, segmentCount, s =>
                        DecodeSegment(frameMemory.Span[bounds[s]..bounds[s + 1]], planes.AsSpan(s * pixels, pixels), frameIndex, s));
                }
                catch (AggregateException ex) when (ex.InnerExceptions.FirstOrDefault(e => e is DicomFormatException) is DicomFormatException first)
                {
                    throw first;
                }
            }

            Interleave(planes, output, pixels, samples, bytesPerSample);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(planes);
        }
    }

    /// <summary>
    /// PackBits (G.3.1): header n in 0..127 copies the next n+1 bytes, -1..-127 repeats the next byte 1-n times, -128 is a
    /// no-op. Decoding stops once the plane is full (trailing bytes, e.g. padding, are ignored; a final run that overshoots
    /// is clipped, as pydicom and DCMTK do); a segment whose data ends first is an error.
    /// </summary>
    internal static void DecodeSegment(ReadOnlySpan<byte> source, Span<byte> destination, int frameIndex, int segment)
    {
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var inLength = source.Length;
        var outLength = destination.Length;
        var i = 0;
        var o = 0;
        while (o < outLength)
        {
            if (i >= inLength)
            {
                throw Bad(frameIndex, $"RLE segment {segment + 1} ends after {o} of {outLength} bytes");
            }

            int header = (sbyte)Unsafe.Add(ref src, i++);
            if (header >= 0)
            {
                var count = header + 1;
                if (count > inLength - i)
                {
                    throw Bad(frameIndex, $"RLE segment {segment + 1}: a literal run of {count} bytes overruns the segment end");
                }

                var take = Math.Min(count, outLength - o);
                Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, o), ref Unsafe.Add(ref src, i), (uint)take);
                i += count;
                o += take;
            }
            else if (header != -128)
            {
                if (i >= inLength)
                {
                    throw Bad(frameIndex, $"RLE segment {segment + 1}: a replicate run has no byte to repeat");
                }

                var value = Unsafe.Add(ref src, i++);
                var take = Math.Min(1 - header, outLength - o);
                Unsafe.InitBlockUnaligned(ref Unsafe.Add(ref dst, o), value, (uint)take);
                o += take;
            }
        }
    }

    private static void Interleave(byte[] planes, Span<byte> output, int pixels, int samples, int bytesPerSample)
    {
        var p = planes.AsSpan(0, pixels * samples * bytesPerSample);
        if (samples == 1 && bytesPerSample == 2)
        {
            Combine16(p[..pixels], p.Slice(pixels, pixels), output);
            return;
        }

        if (samples == 3 && bytesPerSample == 1)
        {
            var r = p[..pixels];
            var g = p.Slice(pixels, pixels);
            var b = p.Slice(2 * pixels, pixels);
            for (var i = 0; i < pixels; i++)
            {
                var o = 3 * i;
                output[o] = r[i];
                output[o + 1] = g[i];
                output[o + 2] = b[i];
            }

            return;
        }

        // General case: segment (sample s, byte b counted from the most significant) lands at byte
        // (pixel * samples + s) * bytesPerSample + (bytesPerSample - 1 - b).
        var stride = samples * bytesPerSample;
        for (var s = 0; s < samples; s++)
        {
            for (var b = 0; b < bytesPerSample; b++)
            {
                var plane = p.Slice(((s * bytesPerSample) + b) * pixels, pixels);
                var start = (s * bytesPerSample) + (bytesPerSample - 1 - b);
                for (var i = 0; i < pixels; i++)
                {
                    output[start + (i * stride)] = plane[i];
                }
            }
        }
    }

    /// <summary>Interleaves a high-byte and a low-byte plane into little-endian 16-bit values.</summary>
    private static void Combine16(ReadOnlySpan<byte> high, ReadOnlySpan<byte> low, Span<byte> output)
    {
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var h = ref MemoryMarshal.GetReference(high);
            ref var l = ref MemoryMarshal.GetReference(low);
            ref var o = ref MemoryMarshal.GetReference(output);
            _ = output[(2 * high.Length) - 1];
            for (; i <= high.Length - 16; i += 16)
            {
                var hv = Vector128.LoadUnsafe(ref h, (nuint)i);
                var lv = Vector128.LoadUnsafe(ref l, (nuint)i);
                var (hLo, hHi) = Vector128.Widen(hv);
                var (lLo, lHi) = Vector128.Widen(lv);
                (Vector128.ShiftLeft(hLo, 8) | lLo).AsByte().StoreUnsafe(ref o, (nuint)(2 * i));
                (Vector128.ShiftLeft(hHi, 8) | lHi).AsByte().StoreUnsafe(ref o, (nuint)((2 * i) + 16));
            }
        }

        for (; i < high.Length; i++)
        {
            output[2 * i] = low[i];
            output[(2 * i) + 1] = high[i];
        }
    }

    private static DicomFormatException Bad(int frameIndex, string message) =>
        new(DicomErrorCodes.BadPixelData, $"Frame {frameIndex}: {message}", -1, DicomTag.PixelData);
}
