using System.Runtime.InteropServices;
using MedVision.Imaging;

namespace MedVision.Dicom.Imaging;

/// <summary>
/// The pixel data of a data set, checked against its <see cref="DicomImageInfo"/> and split into frames: native frames
/// are slices of the value (bit offsets for Bits Allocated 1); encapsulated frames are mapped to fragments by
/// <see cref="FrameMapper"/>. <see cref="GetFrame"/> decodes native, RLE Lossless and JPEG (baseline, extended 12-bit,
/// lossless); other encapsulated syntaxes (JPEG-LS, JPEG 2000, MPEG, unknown) raise
/// <see cref="DicomErrorCodes.UnsupportedTransferSyntax"/>.
/// </summary>
public sealed class DicomPixelData
{
    private readonly DicomElement element;
    private readonly FrameMapper.FrameFragments[]? fragmentMap;

    private DicomPixelData(DicomImageInfo info, TransferSyntax transferSyntax, DicomElement element)
    {
        Info = info;
        TransferSyntax = transferSyntax;
        this.element = element;
        if (transferSyntax.IsEncapsulated)
        {
            if (element.Fragments is null)
            {
                throw new DicomFormatException(DicomErrorCodes.BadPixelData,
                    $"Pixel Data is native but the transfer syntax {transferSyntax.Uid} encapsulates it", element.SourceOffset, element.Tag);
            }

            fragmentMap = FrameMapper.Map(info.Dataset, element, info.NumberOfFrames, transferSyntax.Pixels);
            return;
        }

        if (element.Fragments is not null)
        {
            throw new DicomFormatException(DicomErrorCodes.BadPixelData,
                $"Pixel Data is encapsulated but the transfer syntax {transferSyntax.Uid} is native", element.SourceOffset, element.Tag);
        }

        if (info.PhotometricInterpretation == "YBR_FULL_422" && (info.BitsAllocated != 8 || ((long)info.Rows * info.Columns % 2) != 0))
        {
            throw DicomImageInfo.Bad("Native YBR_FULL_422 needs 8 bits allocated and an even number of pixels", PixelTags.PhotometricInterpretation);
        }

        // Compare frame counts, not byte counts: frames x frame size can overflow for a hostile Number of Frames.
        var whole = element.Bytes.Length * 8L / info.NativeFrameBits;
        if (whole < info.NumberOfFrames)
        {
            var needed = (((decimal)info.NativeFrameBits * info.NumberOfFrames) + 7) / 8;
            throw new DicomFormatException(DicomErrorCodes.BadPixelData,
                $"Pixel Data holds {element.Bytes.Length} bytes, {whole} complete frames of {info.Columns}x{info.Rows}x{info.SamplesPerPixel} " +
                $"at {info.BitsAllocated} bits; {info.NumberOfFrames} frames need {decimal.Floor(needed)}", element.SourceOffset, element.Tag);
        }
    }

    public DicomImageInfo Info { get; }

    public TransferSyntax TransferSyntax { get; }

    public int FrameCount => Info.NumberOfFrames;

    public bool IsEncapsulated => fragmentMap is not null;

    /// <summary>Whether <see cref="GetFrame"/> can decode this transfer syntax.</summary>
    public bool IsDecodable => TransferSyntax.IsDecodable;

    /// <summary>Reads the pixel description and checks the pixel data of a file.</summary>
    /// <exception cref="DicomFormatException">Missing or inconsistent pixel data (<see cref="DicomErrorCodes.BadPixelData"/>).</exception>
    public static DicomPixelData FromFile(DicomFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.StoppedBeforePixelData)
        {
            throw new DicomFormatException(DicomErrorCodes.BadPixelData, "The file was read header-only; Pixel Data was not read", -1, DicomTag.PixelData);
        }

        return FromDataset(file.Dataset, file.TransferSyntax);
    }

    public static DicomPixelData FromDataset(DicomDataset dataset, TransferSyntax transferSyntax)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(transferSyntax);
        if (!dataset.TryGet(DicomTag.PixelData, out var pixelData))
        {
            var why = dataset.Contains(DicomTag.FloatPixelData) || dataset.Contains(DicomTag.DoubleFloatPixelData)
                ? "Float Pixel Data is not supported; there is no (7FE0,0010) Pixel Data"
                : "The data set has no Pixel Data";
            throw new DicomFormatException(DicomErrorCodes.BadPixelData, why, -1, DicomTag.PixelData);
        }

        var info = DicomImageInfo.FromDataset(dataset);
        return new DicomPixelData(info, transferSyntax, pixelData);
    }

    /// <summary>The error <see cref="GetFrame"/> raises for a syntax MedVision archives but does not decode; null when decodable.</summary>
    internal DicomFormatException? UnsupportedError() => IsDecodable ? null
        : new DicomFormatException(DicomErrorCodes.UnsupportedTransferSyntax,
            $"Transfer syntax {TransferSyntax.Name} ({TransferSyntax.Uid}) is archived but not supported for analysis", -1, DicomTag.PixelData);

    /// <summary>
    /// The bytes of one frame as stored: for native data the frame's slice (for Bits Allocated 1, the bytes that hold its
    /// bits), for encapsulated data the frame's bitstream (its fragments, concatenated when there are several).
    /// </summary>
    public ReadOnlyMemory<byte> GetFrameData(int frame)
    {
        CheckFrame(frame);
        if (fragmentMap is null)
        {
            var bits = Info.NativeFrameBits;
            var first = bits * frame / 8;
            var last = ((bits * (frame + 1)) + 7) / 8;
            return element.Bytes.Slice((int)first, (int)(last - first));
        }

        var map = fragmentMap[frame];
        var fragments = element.Fragments!.Fragments;
        ReadOnlyMemory<byte> data;
        if (map.Count == 1)
        {
            data = fragments[map.First];
        }
        else
        {
            long total = 0;
            for (var i = 0; i < map.Count; i++)
            {
                total += fragments[map.First + i].Length;
            }

            if (total > Array.MaxLength)
            {
                throw new DicomFormatException(DicomErrorCodes.TooLarge, $"Frame {frame} has {total} bytes of fragments", element.SourceOffset, element.Tag);
            }

            var joined = GC.AllocateUninitializedArray<byte>((int)total);
            var at = 0;
            for (var i = 0; i < map.Count; i++)
            {
                var fragment = fragments[map.First + i].Span;
                fragment.CopyTo(joined.AsSpan(at));
                at += fragment.Length;
            }

            data = joined;
        }

        return map.Length >= 0 ? data[..(int)map.Length] : data;
    }

    /// <summary>Decodes one frame to stored values.</summary>
    /// <exception cref="DicomFormatException">
    /// <see cref="DicomErrorCodes.UnsupportedTransferSyntax"/> for syntaxes MedVision does not decode;
    /// <see cref="DicomErrorCodes.BadPixelData"/> when the frame's data is corrupt or disagrees with the image description.
    /// </exception>
    public DicomFrame GetFrame(int frame)
    {
        var layout = GetLayout(frame);
        var info = Info;
        var data = layout.Data;
        if (SampleLayout.NeedsExtraction(layout.BytesPerSample, info.BitsStored, layout.HighBit))
        {
            var target = layout.Owned ? data : GC.AllocateUninitializedArray<byte>(data.Length);
            SampleLayout.Extract(data.Span, MemoryMarshal.AsMemory(target).Span, layout.BytesPerSample, info.BitsStored, layout.HighBit, info.IsSigned);
            data = target;
        }

        return new DicomFrame(frame, info.Rows, info.Columns, info.SamplesPerPixel, layout.BytesPerSample, info.BitsStored, info.IsSigned,
            layout.Photometric, data);
    }

    /// <summary>
    /// A frame's samples in the native layout, interleaved, little endian, before bit-field extraction (the renderer's
    /// lookup tables mask and sign-extend themselves). <see cref="FrameLayout.Owned"/> tells whether the memory is a
    /// private buffer (decoded) or a slice of the file.
    /// </summary>
    internal FrameLayout GetLayout(int frame)
    {
        CheckFrame(frame);
        if (UnsupportedError() is { } unsupported)
        {
            throw unsupported;
        }

        var info = Info;
        var pixels = info.Rows * info.Columns;
        var samples = info.SamplesPerPixel;
        var bytesPerSample = info.BytesPerSample;
        var photometric = info.PhotometricInterpretation;
        var raw = GetFrameData(frame);
        switch (TransferSyntax.Pixels)
        {
            case PixelEncoding.Native:
                if (info.BitsAllocated == 1)
                {
                    var bits = new byte[pixels * samples];
                    var firstBit = info.NativeFrameBits * frame;
                    SampleLayout.UnpackBits(element.Bytes.Span[(int)(firstBit / 8)..], firstBit % 8, bits);
                    return new FrameLayout(bits, 1, info.BitsStored - 1, photometric, true);
                }

                if (photometric == "YBR_FULL_422")
                {
                    var full = GC.AllocateUninitializedArray<byte>(pixels * 3);
                    SampleLayout.ExpandYbr422(raw.Span, full, pixels);
                    return new FrameLayout(full, 1, info.HighBit, "YBR_FULL", true);
                }

                if (samples > 1 && info.PlanarConfiguration == 1)
                {
                    var interleaved = GC.AllocateUninitializedArray<byte>(raw.Length);
                    SampleLayout.PlanarToInterleaved(raw.Span, interleaved, pixels, samples, bytesPerSample);
                    return new FrameLayout(interleaved, bytesPerSample, info.HighBit, photometric, true);
                }

                return new FrameLayout(raw, bytesPerSample, info.HighBit, photometric, false);

            case PixelEncoding.Rle:
                if (info.BitsAllocated == 1)
                {
                    throw DicomImageInfo.Bad("RLE Lossless cannot encode Bits Allocated 1", PixelTags.BitsAllocated);
                }

                RleDecoder.CheckCanHold(raw.Length, pixels, samples * bytesPerSample, frame);
                var decoded = GC.AllocateUninitializedArray<byte>(pixels * samples * bytesPerSample);
                RleDecoder.Decode(raw, decoded, pixels, samples, bytesPerSample, frame);
                return new FrameLayout(decoded, bytesPerSample, info.HighBit, photometric, true);

            default:
                return JpegFrame.Decode(raw.Span, info, frame);
        }
    }

    private void CheckFrame(int frame)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, FrameCount);
    }
}

/// <summary>A frame in native layout; <paramref name="HighBit"/> locates the stored bits in each container value.</summary>
internal readonly record struct FrameLayout(ReadOnlyMemory<byte> Data, int BytesPerSample, int HighBit, string Photometric, bool Owned);

/// <summary>JPEG frames through MedVision.Imaging's <see cref="JpegDecoder"/>, with DCMTK's colour-conversion default.</summary>
internal static class JpegFrame
{
    public static FrameLayout Decode(ReadOnlySpan<byte> jpeg, DicomImageInfo info, int frame)
    {
        var photometric = info.PhotometricInterpretation;

        // dcmdjpeg's default (+cp): convert YCbCr to RGB exactly when the DICOM Photometric Interpretation is YBR_*;
        // for RGB (and monochrome) the components are taken as coded, whatever JFIF/Adobe markers the stream has.
        var convert = photometric.StartsWith("YBR", StringComparison.Ordinal);
        // The data set's geometry (already validated) bounds the decode; the decoder's own buffers pad to whole MCUs and
        // keep 16-bit planes, so allow a generous multiple of the frame plus a fixed margin.
        var limits = new ImageLimits(MaxWidth: 65535, MaxHeight: 65535, MaxPixels: (long)info.Rows * info.Columns,
            MaxDecodedBytes: ((long)info.Rows * info.Columns * info.SamplesPerPixel * 16) + (1 << 20));
        var options = new JpegDecodeOptions(Limits: limits, ApplyExifOrientation: false, ConvertColor: convert);
        Raster raster;
        JpegInfo header;
        try
        {
            header = JpegDecoder.ReadInfo(jpeg, options);
            raster = JpegDecoder.Decode(jpeg, options);
        }
        catch (DicomFormatException)
        {
            throw;
        }
        catch (ImageDecodeException ex)
        {
            var code = ex.Code == JpegErrorCodes.Unsupported ? DicomErrorCodes.UnsupportedTransferSyntax : DicomErrorCodes.BadPixelData;
            throw new DicomFormatException(code, $"Frame {frame}: the JPEG data does not decode ({ex.Code}): {ex.Message}", -1, DicomTag.PixelData, ex);
        }

        if (raster.Width != info.Columns || raster.Height != info.Rows || raster.Channels != info.SamplesPerPixel)
        {
            throw new DicomFormatException(DicomErrorCodes.BadPixelData,
                $"Frame {frame}: the JPEG image is {raster.Width}x{raster.Height} with {raster.Channels} components; the data set says " +
                $"{info.Columns}x{info.Rows} with {info.SamplesPerPixel}", -1, DicomTag.PixelData);
        }

        if (convert && header.Process != JpegProcess.Lossless && raster.Channels == 3)
        {
            photometric = "RGB";
        }
        else if (photometric == "YBR_FULL_422")
        {
            // Components come back full size: what is left to do is the colour conversion of YBR_FULL.
            photometric = "YBR_FULL";
        }

        var bytesPerSample = info.BytesPerSample;
        if (bytesPerSample == 1 && raster.BitDepth == 16)
        {
            throw new DicomFormatException(DicomErrorCodes.BadPixelData,
                $"Frame {frame}: the JPEG precision is {header.Precision} bits but Bits Allocated is {info.BitsAllocated}", -1, PixelTags.BitsAllocated);
        }

        // JPEG yields the value itself (no High Bit offset): its bits are the low Bits Stored bits of the container.
        var highBit = info.BitsStored - 1;
        if (bytesPerSample == raster.BitDepth / 8)
        {
            return new FrameLayout(raster.Data, bytesPerSample, highBit, photometric, true);
        }

        var count = raster.Width * raster.Height * raster.Channels;
        var widened = new byte[count * bytesPerSample];
        var source = raster.Data;
        if (raster.BitDepth == 8)
        {
            for (var i = 0; i < count; i++)
            {
                widened[i * bytesPerSample] = source[i];
            }
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                widened[i * bytesPerSample] = source[2 * i];
                widened[(i * bytesPerSample) + 1] = source[(2 * i) + 1];
            }
        }

        return new FrameLayout(widened, bytesPerSample, highBit, photometric, true);
    }
}
