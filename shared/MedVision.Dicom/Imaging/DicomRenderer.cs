using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MedVision.Imaging;

namespace MedVision.Dicom.Imaging;

/// <summary>
/// Renders a frame for display as an 8-bit <see cref="Raster"/>. Grayscale (MONOCHROME1/2) follows PS3.3 C.11: Modality
/// LUT (rescale, or the Modality LUT Sequence), then VOI (a window through <see cref="Windowing"/>, or a VOI LUT), then
/// inversion for MONOCHROME1, all folded into one lookup table over the stored-value range, so the per-pixel work is a
/// table load. Colour (RGB, YBR_*, PALETTE COLOR) comes out as 8-bit RGB, colour-by-pixel.
/// </summary>
public static class DicomRenderer
{
    // Below this many pixels a second thread costs more than it saves.
    private const int ParallelThreshold = 1 << 20;

    private const int LutCacheSize = 8;

    // Tables are never written after they are built, so sharing them between threads is safe.
    private static readonly List<(GrayRendering Rendering, int Bits, byte[] Lut)> LutCache = [];

    /// <summary>Renders frame <paramref name="frame"/> (0-based) of a file.</summary>
    /// <exception cref="DicomFormatException">Bad or undecodable pixel data.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No such frame, window or VOI LUT.</exception>
    public static Raster Render(DicomFile file, int frame = 0, RenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Render(DicomPixelData.FromFile(file), frame, options);
    }

    /// <summary>Renders frame <paramref name="frame"/> of already parsed pixel data (parse once, render many frames).</summary>
    public static Raster Render(DicomPixelData pixelData, int frame = 0, RenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pixelData);
        options ??= RenderOptions.Default;
        var info = pixelData.Info;
        if (info.IsMonochrome)
        {
            try
            {
                return RenderGray(pixelData, frame, options);
            }
            catch (ArgumentException ex) when (ex is not ArgumentOutOfRangeException)
            {
                // Windowing refuses a slope, intercept or window that is not finite once combined (e.g. slope 1e308
                // times the stored range): that is the file's data, not the caller's argument.
                throw new DicomFormatException(DicomErrorCodes.BadPixelData,
                    $"The rescale and window values of frame {frame} do not give a finite transformation: {ex.Message}", -1, new DicomTag(0x0028, 0x1053), ex);
            }
        }

        return info.PhotometricInterpretation == "PALETTE COLOR"
            ? RenderPalette(pixelData, frame)
            : RenderColor(pixelData.GetFrame(frame));
    }

    /// <summary>
    /// The window a VOI choice amounts to for one frame (null for a VOI LUT or <see cref="VoiSource.FullRange"/>), in
    /// modality units: what <see cref="Render(DicomPixelData, int, RenderOptions?)"/> applies.
    /// </summary>
    public static WindowLevel? ResolveWindow(DicomPixelData pixelData, int frame = 0, RenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pixelData);
        options ??= RenderOptions.Default;
        var plan = Plan(pixelData, frame, options, out _);
        return plan.Window;
    }

    // ---- grayscale ----------------------------------------------------------------------------------------------

    private sealed record GrayPlan(
        FrameLayout Layout,
        double Slope,
        double Intercept,
        DicomLut? ModalityLut,
        WindowLevel? Window,
        DicomLut? VoiLut,
        bool Invert,
        long MinValue,
        long MaxValue);

    private static Raster RenderGray(DicomPixelData pixelData, int frame, RenderOptions options)
    {
        var plan = Plan(pixelData, frame, options, out var info);
        var layout = plan.Layout;
        var output = GC.AllocateUninitializedArray<byte>(info.Rows * info.Columns);
        if (layout.BytesPerSample == 4)
        {
            Map32(plan, info, output);
        }
        else
        {
            var lut = BuildLut(plan, info, layout.BytesPerSample * 8);
            MapParallel(layout.Data, output, lut, layout.BytesPerSample);
        }

        return new Raster(info.Columns, info.Rows, ColorModel.Gray, 8, output);
    }

    private static GrayPlan Plan(DicomPixelData pixelData, int frame, RenderOptions options, out DicomImageInfo info)
    {
        info = pixelData.Info;
        if (!info.IsMonochrome)
        {
            throw new InvalidOperationException($"Windowing applies to MONOCHROME1/2 images; this one is {info.PhotometricInterpretation}.");
        }

        var layout = pixelData.GetLayout(frame);
        var bits = info.BitsStored;
        if (layout.HighBit != bits - 1 || layout.BytesPerSample == 4)
        {
            // Stored bits not at the bottom (or 32-bit values): extract them once, so the tables can index by value.
            var target = layout.Owned ? layout.Data : GC.AllocateUninitializedArray<byte>(layout.Data.Length);
            SampleLayout.Extract(layout.Data.Span, MemoryMarshal.AsMemory(target).Span, layout.BytesPerSample, bits, layout.HighBit, info.IsSigned);
            layout = layout with { Data = target, HighBit = bits - 1, Owned = true };
        }

        var transform = info.GetFrameTransform(frame);
        var modalityLut = options.ApplyModalityLut ? info.ModalityLut : null;
        var (slope, intercept) = options.ApplyModalityLut && modalityLut is null ? (transform.RescaleSlope, transform.RescaleIntercept) : (1.0, 0.0);
        var invert = options.Invert ?? info.PhotometricInterpretation == "MONOCHROME1";

        var source = options.Voi;
        if (options.Window is null && source == VoiSource.Auto)
        {
            source = options.WindowIndex < transform.Windows.Count ? VoiSource.Window
                : options.VoiLutIndex < info.VoiLuts.Count ? VoiSource.VoiLut
                : VoiSource.MinMax;
        }

        WindowLevel? window = options.Window;
        DicomLut? voiLut = null;
        long min = 0, max = 0;
        var needRange = layout.BytesPerSample == 4 || (options.Window is null && source == VoiSource.MinMax);
        if (needRange)
        {
            (min, max) = MinMax(layout.Data.Span, layout.BytesPerSample, bits, info.IsSigned);
        }

        if (options.Window is null)
        {
            switch (source)
            {
                case VoiSource.Window:
                    ArgumentOutOfRangeException.ThrowIfNegative(options.WindowIndex);
                    if (options.WindowIndex >= transform.Windows.Count)
                    {
                        throw new ArgumentOutOfRangeException(nameof(options), options.WindowIndex, $"The frame has {transform.Windows.Count} valid windows.");
                    }

                    window = transform.Windows[options.WindowIndex];
                    break;
                case VoiSource.VoiLut:
                    ArgumentOutOfRangeException.ThrowIfNegative(options.VoiLutIndex);
                    if (options.VoiLutIndex >= info.VoiLuts.Count)
                    {
                        throw new ArgumentOutOfRangeException(nameof(options), options.VoiLutIndex, $"The file has {info.VoiLuts.Count} usable VOI LUTs.");
                    }

                    voiLut = info.VoiLuts[options.VoiLutIndex];
                    break;
                case VoiSource.MinMax:
                    var (low, high) = ModalityRange(min, max, slope, intercept, modalityLut);

                    // DCMTK's min-max window (PS3.3 C.11.2.1.2.1 note): [low, high] spans the whole output.
                    window = new WindowLevel((low + high + 1) / 2, high - low + 1);
                    break;
                default:
                    break;
            }
        }

        return new GrayPlan(layout, slope, intercept, modalityLut, window, voiLut, invert, min, max);
    }

    private static (double Low, double High) ModalityRange(long min, long max, double slope, double intercept, DicomLut? modalityLut)
    {
        if (modalityLut is null)
        {
            var a = (slope * min) + intercept;
            var b = (slope * max) + intercept;
            return a <= b ? (a, b) : (b, a);
        }

        // Inputs outside the table clamp to its ends, so the endpoints plus the table entries inside [min, max] cover every output.
        int low = Math.Min(modalityLut.Lookup(min), modalityLut.Lookup(max));
        int high = Math.Max(modalityLut.Lookup(min), modalityLut.Lookup(max));
        var first = Math.Max(min, modalityLut.FirstMapped);
        var last = Math.Min(max, modalityLut.FirstMapped + (long)modalityLut.EntryCount - 1);
        for (var v = first; v <= last; v++)
        {
            var m = modalityLut.Lookup(v);
            low = Math.Min(low, m);
            high = Math.Max(high, m);
        }

        return (low, high);
    }

    /// <summary>The display byte for every container value of a 8- or 16-bit container (256 or 65536 entries).</summary>
    private static byte[] BuildLut(GrayPlan plan, DicomImageInfo info, int containerBits)
    {
        var bits = info.BitsStored;
        var signed = info.IsSigned;
        if (plan.ModalityLut is null && plan.VoiLut is null)
        {
            // The common case is exactly MedVision.Imaging's pipeline: rescale, window, invert, over the stored bits.
            return CachedLut(new GrayRendering(plan.Slope, plan.Intercept, plan.Window, plan.Invert, signed, bits), containerBits);
        }

        var size = 1 << containerBits;
        var mask = (1L << bits) - 1;
        return BuildCustomLut(size, index =>
        {
            var masked = index & mask;
            return signed && (masked & (1L << (bits - 1))) != 0 ? masked - (1L << bits) : masked;
        }, plan);
    }

    /// <summary>
    /// <see cref="Windowing.BuildLut"/> through a small most-recently-used cache: the slices of a series share their
    /// rescale and window, and a 65536-entry table costs about as much as mapping a megapixel.
    /// </summary>
    private static byte[] CachedLut(GrayRendering rendering, int containerBits)
    {
        lock (LutCache)
        {
            for (var i = 0; i < LutCache.Count; i++)
            {
                if (LutCache[i].Bits == containerBits && LutCache[i].Rendering == rendering)
                {
                    var hit = LutCache[i];
                    LutCache.RemoveAt(i);
                    LutCache.Insert(0, hit);
                    return hit.Lut;
                }
            }
        }

        var lut = Windowing.BuildLut(rendering, containerBits);
        lock (LutCache)
        {
            LutCache.Insert(0, (rendering, containerBits, lut));
            if (LutCache.Count > LutCacheSize)
            {
                LutCache.RemoveAt(LutCache.Count - 1);
            }
        }

        return lut;
    }

    /// <summary>Tables for a Modality LUT Sequence or a VOI LUT, indexed by <paramref name="valueOf"/>(index).</summary>
    private static byte[] BuildCustomLut(int size, Func<int, long> valueOf, GrayPlan plan)
    {
        var lut = new byte[size];
        if (plan.VoiLut is { } voi)
        {
            var scale = 255.0 / voi.MaxOutput;
            for (var i = 0; i < size; i++)
            {
                var v = valueOf(i);
                var m = plan.ModalityLut is { } mlut ? mlut.Lookup(v) : Math.Round((plan.Slope * v) + plan.Intercept, MidpointRounding.AwayFromZero);
                var y = (byte)Math.Clamp(Math.Round(voi.Lookup((long)Math.Clamp(m, long.MinValue / 2, long.MaxValue / 2)) * scale, MidpointRounding.AwayFromZero), 0, 255);
                lut[i] = plan.Invert ? (byte)(255 - y) : y;
            }

            return lut;
        }

        // Modality LUT Sequence then a window: the window applies to the table's (unsigned) outputs, via Windowing.
        var table = plan.ModalityLut!;
        var windowLut = Windowing.BuildLut(new GrayRendering(1, 0, plan.Window, plan.Invert, false, Math.Min(16, table.BitsPerEntry)), 16);
        for (var i = 0; i < size; i++)
        {
            lut[i] = windowLut[table.Lookup(valueOf(i))];
        }

        return lut;
    }

    /// <summary>32-bit values: a table over [min, max] (coarsened by a shift when wider than 65536 values).</summary>
    private static void Map32(GrayPlan plan, DicomImageInfo info, byte[] output)
    {
        var (min, max) = (plan.MinValue, plan.MaxValue);
        var shift = 0;
        while (((max - min) >> shift) > ushort.MaxValue)
        {
            shift++;
        }

        byte[] lut;
        if (plan.ModalityLut is null && plan.VoiLut is null)
        {
            // Stored value min + (index << shift) has modality value (slope << shift) * index + (slope * min + intercept).
            var window = plan.Window;
            if (window is null)
            {
                var (low, high) = ModalityRange(min, max, plan.Slope, plan.Intercept, null);
                window = new WindowLevel((low + high + 1) / 2, high - low + 1);
            }

            lut = Windowing.BuildLut(new GrayRendering(plan.Slope * (1L << shift), (plan.Slope * min) + plan.Intercept, window, plan.Invert, false, 16), 16);
        }
        else
        {
            lut = BuildCustomLut(65536, index => min + ((long)index << shift), plan);
        }

        var span = plan.Layout.Data.Span;
        if (info.IsSigned)
        {
            var values = MemoryMarshal.Cast<byte, int>(span);
            for (var i = 0; i < output.Length; i++)
            {
                output[i] = lut[(int)((values[i] - min) >> shift)];
            }
        }
        else
        {
            var values = MemoryMarshal.Cast<byte, uint>(span);
            for (var i = 0; i < output.Length; i++)
            {
                output[i] = lut[(int)((values[i] - min) >> shift)];
            }
        }
    }

    /// <summary>Smallest and largest stored value (masked, sign-extended) of a container of values whose stored bits are at the bottom.</summary>
    internal static (long Min, long Max) MinMax(ReadOnlySpan<byte> data, int bytesPerSample, int bits, bool signed)
    {
        switch (bytesPerSample)
        {
            case 1:
            {
                long min = long.MaxValue, max = long.MinValue;
                var left = 8 - bits;
                foreach (var b in data)
                {
                    long v = signed ? (sbyte)(byte)(b << left) >> left : (byte)(b << left) >> left;
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }

                return (min, max);
            }

            case 2:
                return signed ? MinMax16Signed(MemoryMarshal.Cast<byte, short>(data), bits) : MinMax16(MemoryMarshal.Cast<byte, ushort>(data), bits);
            default:
            {
                // 32-bit values are already extracted (Plan does it).
                long min = long.MaxValue, max = long.MinValue;
                if (signed)
                {
                    foreach (var v in MemoryMarshal.Cast<byte, int>(data))
                    {
                        min = Math.Min(min, v);
                        max = Math.Max(max, v);
                    }
                }
                else
                {
                    foreach (var v in MemoryMarshal.Cast<byte, uint>(data))
                    {
                        min = Math.Min(min, v);
                        max = Math.Max(max, v);
                    }
                }

                return (min, max);
            }
        }
    }

    private static (long Min, long Max) MinMax16(ReadOnlySpan<ushort> values, int bits)
    {
        var mask = (ushort)((1 << bits) - 1);
        var i = 0;
        ushort min = ushort.MaxValue, max = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<ushort>.Count)
        {
            var vmin = new Vector<ushort>(ushort.MaxValue);
            var vmax = Vector<ushort>.Zero;
            var vmask = new Vector<ushort>(mask);
            for (; i <= values.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                var v = new Vector<ushort>(values[i..]) & vmask;
                vmin = Vector.Min(vmin, v);
                vmax = Vector.Max(vmax, v);
            }

            for (var k = 0; k < Vector<ushort>.Count; k++)
            {
                min = Math.Min(min, vmin[k]);
                max = Math.Max(max, vmax[k]);
            }
        }

        for (; i < values.Length; i++)
        {
            var v = (ushort)(values[i] & mask);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return (min, max);
    }

    private static (long Min, long Max) MinMax16Signed(ReadOnlySpan<short> values, int bits)
    {
        var left = 16 - bits;
        var i = 0;
        short min = short.MaxValue, max = short.MinValue;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<short>.Count)
        {
            var vmin = new Vector<short>(short.MaxValue);
            var vmax = new Vector<short>(short.MinValue);
            for (; i <= values.Length - Vector<short>.Count; i += Vector<short>.Count)
            {
                var v = Vector.ShiftRightArithmetic(Vector.ShiftLeft(new Vector<short>(values[i..]), left), left);
                vmin = Vector.Min(vmin, v);
                vmax = Vector.Max(vmax, v);
            }

            for (var k = 0; k < Vector<short>.Count; k++)
            {
                min = Math.Min(min, vmin[k]);
                max = Math.Max(max, vmax[k]);
            }
        }

        for (; i < values.Length; i++)
        {
            var v = (short)((short)(values[i] << left) >> left);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return (min, max);
    }

    private static void MapParallel(ReadOnlyMemory<byte> source, byte[] output, byte[] lut, int bytesPerSample)
    {
        var pixels = output.Length;
        if (pixels < ParallelThreshold || Environment.ProcessorCount < 2)
        {
            Map(source.Span, output, lut, bytesPerSample);
            return;
        }

        // Contiguous chunks so each thread streams through memory.
        var chunks = Math.Min(Environment.ProcessorCount, 8);
        var chunkSize = (pixels + chunks - 1) / chunks;
        Parallel.For(0, chunks, chunk =>
        {
            var start = chunk * chunkSize;
            var length = Math.Min(chunkSize, pixels - start);
            if (length > 0)
            {
                Map(source.Span.Slice(start * bytesPerSample, length * bytesPerSample), output.AsSpan(start, length), lut, bytesPerSample);
            }
        });
    }

    private static void Map(ReadOnlySpan<byte> source, Span<byte> destination, byte[] lut, int bytesPerSample)
    {
        // The table covers every container value (256 or 65536 entries), so skipping its bounds check is safe.
        ref var table = ref MemoryMarshal.GetArrayDataReference(lut);
        if (bytesPerSample == 1)
        {
            source = source[..destination.Length];
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = Unsafe.Add(ref table, source[i]);
            }

            return;
        }

        Windowing.Map16(MemoryMarshal.Cast<byte, ushort>(source)[..destination.Length], destination, lut);
    }

    // ---- colour -------------------------------------------------------------------------------------------------

    private static Raster RenderColor(DicomFrame frame)
    {
        var pixels = frame.PixelCount;
        var samples = To8Bit(frame);
        var rgb = frame.PhotometricInterpretation switch
        {
            "RGB" => samples,
            "YBR_FULL" or "YBR_ICT" => YbrToRgb.Convert(samples, pixels, YbrToRgb.Full),
            "YBR_PARTIAL_422" or "YBR_PARTIAL_420" => YbrToRgb.Convert(samples, pixels, YbrToRgb.Partial),
            "YBR_RCT" => YbrToRgb.ConvertRct(samples, pixels),
            var other => throw new DicomFormatException(DicomErrorCodes.BadPixelData, $"Photometric Interpretation {other} cannot be rendered", -1, PixelTags.PhotometricInterpretation),
        };
        return new Raster(frame.Columns, frame.Rows, ColorModel.Rgb, 8, rgb);
    }

    /// <summary>Samples as 8-bit: unchanged for unsigned 8-bit; else rescaled from their stored range (signed ones offset by half).</summary>
    private static byte[] To8Bit(DicomFrame frame)
    {
        if (frame.BytesPerSample == 1 && frame.BitsStored == 8 && !frame.IsSigned)
        {
            return frame.Data.Span.ToArray();
        }

        var count = frame.SampleCount;
        var result = new byte[count];
        var max = (1L << frame.BitsStored) - 1;
        var offset = frame.IsSigned ? 1L << (frame.BitsStored - 1) : 0;
        for (var i = 0; i < count; i++)
        {
            var v = Math.Clamp(frame.GetValue(i) + offset, 0, max);
            result[i] = (byte)(((v * 255) + (max / 2)) / max);
        }

        return result;
    }

    private static Raster RenderPalette(DicomPixelData pixelData, int frameIndex)
    {
        var info = pixelData.Info;
        var dataset = info.Dataset;
        var luts = new DicomLut[3];
        ReadOnlySpan<(DicomTag Descriptor, DicomTag Data)> tags =
        [
            (PixelTags.RedPaletteDescriptor, PixelTags.RedPaletteData),
            (PixelTags.GreenPaletteDescriptor, PixelTags.GreenPaletteData),
            (PixelTags.BluePaletteDescriptor, PixelTags.BluePaletteData),
        ];
        for (var c = 0; c < 3; c++)
        {
            luts[c] = DicomLut.TryParse(dataset, tags[c].Descriptor, tags[c].Data, info.IsSigned, modality: false, out var problem)
                ?? throw DicomImageInfo.Bad($"PALETTE COLOR needs its palette: {problem}", tags[c].Descriptor);
        }

        var frame = pixelData.GetFrame(frameIndex);
        var pixels = frame.PixelCount;
        var rgb = GC.AllocateUninitializedArray<byte>(pixels * 3);
        for (var i = 0; i < pixels; i++)
        {
            var v = frame.GetValue(i);
            for (var c = 0; c < 3; c++)
            {
                var lut = luts[c];
                rgb[(3 * i) + c] = (byte)(((lut.Lookup(v) * 255L) + (lut.MaxOutput / 2)) / lut.MaxOutput);
            }
        }

        return new Raster(frame.Columns, frame.Rows, ColorModel.Rgb, 8, rgb);
    }
}
