using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MedVision.Imaging;

/// <summary>VOI LUT Function (0028,1056), DICOM PS3.3 C.11.2.1.3.</summary>
public enum VoiFunction
{
    /// <summary>C.11.2.1.2.1: the default, with the historical half-pixel offset; width ≥ 1.</summary>
    Linear,

    /// <summary>C.11.2.1.3.2: linear from c - w/2 to c + w/2; width &gt; 0.</summary>
    LinearExact,

    /// <summary>C.11.2.1.3.1: 255 / (1 + exp(-4 (x - c) / w)); width &gt; 0.</summary>
    Sigmoid,
}

/// <summary>Window Center (0028,1050) and Window Width (0028,1051), in modality (rescaled) units.</summary>
public sealed record WindowLevel(double Center, double Width, VoiFunction Function = VoiFunction.Linear);

/// <summary>The attributes that turn stored grayscale values into display values.</summary>
/// <param name="RescaleSlope">Rescale Slope (0028,1053).</param>
/// <param name="RescaleIntercept">Rescale Intercept (0028,1052).</param>
/// <param name="Window">The VOI window; null picks one from the image's histogram (<see cref="Windowing.AutoWindow"/>).</param>
/// <param name="Invert">MONOCHROME1: low values are bright; applied after the VOI function.</param>
/// <param name="SignedSamples">Pixel Representation (0028,0103) = 1: samples are two's complement in <paramref name="BitsStored"/> bits.</param>
/// <param name="BitsStored">Bits Stored (0028,0101), 1 to 16; bits above it are ignored. Capped at the raster's bit depth.</param>
public sealed record GrayRendering(
    double RescaleSlope = 1.0,
    double RescaleIntercept = 0.0,
    WindowLevel? Window = null,
    bool Invert = false,
    bool SignedSamples = false,
    int BitsStored = 16);

/// <summary>
/// Grayscale display pipeline of DICOM PS3.3: Modality LUT as rescale slope/intercept (C.11.1), then the VOI LUT
/// function of a window (C.11.2.1.2 / C.11.2.1.3) onto 0–255, then inversion for MONOCHROME1.
/// </summary>
public static class Windowing
{
    private const double OutputMax = byte.MaxValue;

    // Below this many pixels a second thread costs more than it saves.
    private const int ParallelThreshold = 1 << 20;

    /// <summary>Renders a Gray 8- or 16-bit raster to Gray 8-bit through one lookup table.</summary>
    /// <exception cref="ArgumentException">The raster is not <see cref="ColorModel.Gray"/>, or the rendering is invalid.</exception>
    public static Raster RenderGray8(Raster gray, GrayRendering rendering)
    {
        ArgumentNullException.ThrowIfNull(gray);
        ArgumentNullException.ThrowIfNull(rendering);
        RequireGray(gray, nameof(gray));
        if (rendering.Window is null)
        {
            rendering = rendering with { Window = AutoWindow(gray, rendering) };
        }

        var lut = BuildLut(rendering, gray.BitDepth);
        var output = new Raster(gray.Width, gray.Height, ColorModel.Gray, 8);
        if (gray.BitDepth == 8)
        {
            Map8(gray.Data, output.Data, lut);
            return output;
        }

        var pixels = gray.Width * gray.Height;
        if (pixels < ParallelThreshold || Environment.ProcessorCount < 2)
        {
            Map16(gray.Samples16, output.Data, lut);
            return output;
        }

        // Contiguous chunks (not interleaved rows) so each thread streams through memory.
        var chunks = Math.Min(Environment.ProcessorCount, 8);
        var chunkSize = (pixels + chunks - 1) / chunks;
        Parallel.For(0, chunks, chunk =>
        {
            var start = chunk * chunkSize;
            var length = Math.Min(chunkSize, pixels - start);
            if (length > 0)
            {
                Map16(gray.Samples16.Slice(start, length), output.Data.AsSpan(start, length), lut);
            }
        });
        return output;
    }

    /// <summary>
    /// A LINEAR window whose C.11.2.1.2.1 ramp runs from the <paramref name="lowPercentile"/> to the
    /// <paramref name="highPercentile"/> of the image's modality (rescaled) values, for images that carry no window.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The percentiles are not 0 ≤ low ≤ high ≤ 100.</exception>
    public static WindowLevel AutoWindow(Raster gray, GrayRendering rendering, double lowPercentile = 0.5, double highPercentile = 99.5)
    {
        ArgumentNullException.ThrowIfNull(gray);
        ArgumentNullException.ThrowIfNull(rendering);
        RequireGray(gray, nameof(gray));
        if (!(lowPercentile is >= 0 and <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(lowPercentile), lowPercentile, "Percentiles must be between 0 and 100.");
        }

        if (!(highPercentile >= lowPercentile && highPercentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(highPercentile), highPercentile, "The high percentile must be between the low one and 100.");
        }

        ValidateModality(rendering);
        var histogram = new long[1 << gray.BitDepth];
        if (gray.BitDepth == 8)
        {
            foreach (var v in gray.Data)
            {
                histogram[v]++;
            }
        }
        else
        {
            foreach (var v in gray.Samples16)
            {
                histogram[v]++;
            }
        }

        // Bins in modality order: sign extension and a negative slope both reorder raw stored values.
        var decode = new SampleDecoder(rendering, gray.BitDepth);
        var bins = new List<(double Value, long Count)>();
        for (var stored = 0; stored < histogram.Length; stored++)
        {
            if (histogram[stored] > 0)
            {
                bins.Add((decode.Modality(stored), histogram[stored]));
            }
        }

        bins.Sort((a, b) => a.Value.CompareTo(b.Value));
        var total = (double)gray.Width * gray.Height;
        var low = Percentile(bins, total * lowPercentile / 100);
        var high = Percentile(bins, total * highPercentile / 100);

        // C.11.2.1.2.1 note: the window mapping [low, high] onto the full output is w = high - low + 1, c = (low + high + 1) / 2.
        return new WindowLevel((low + high + 1) / 2, high - low + 1);
    }

    /// <summary>
    /// Lookup table from every stored value of a <paramref name="bitDepth"/>-bit raster (256 or 65536 entries) to
    /// the display byte. Without a window it spans every value the stored bits can represent.
    /// </summary>
    public static byte[] BuildLut(GrayRendering rendering, int bitDepth)
    {
        ArgumentNullException.ThrowIfNull(rendering);
        if (bitDepth is not (8 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "Bit depth must be 8 or 16.");
        }

        ValidateModality(rendering);
        var decode = new SampleDecoder(rendering, bitDepth);
        var window = rendering.Window ?? FullRangeWindow(decode);
        var voi = Voi.Create(window);
        var lut = new byte[1 << bitDepth];
        for (var stored = 0; stored < lut.Length; stored++)
        {
            var y = (byte)Math.Clamp(Math.Round(voi.Apply(decode.Modality(stored)), MidpointRounding.AwayFromZero), 0, OutputMax);
            lut[stored] = rendering.Invert ? (byte)(byte.MaxValue - y) : y;
        }

        return lut;
    }

    private static void RequireGray(Raster raster, string paramName)
    {
        if (raster.Color != ColorModel.Gray)
        {
            throw new ArgumentException($"Windowing needs a Gray raster, got {raster.Color}.", paramName);
        }
    }

    private static void ValidateModality(GrayRendering rendering)
    {
        if (!double.IsFinite(rendering.RescaleSlope) || !double.IsFinite(rendering.RescaleIntercept))
        {
            throw new ArgumentException("Rescale slope and intercept must be finite.", nameof(rendering));
        }

        if (rendering.BitsStored is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(rendering), rendering.BitsStored, "Bits Stored must be between 1 and 16.");
        }
    }

    private static double Percentile(List<(double Value, long Count)> bins, double rank)
    {
        long cumulative = 0;
        foreach (var (value, count) in bins)
        {
            cumulative += count;
            if (cumulative >= rank)
            {
                return value;
            }
        }

        return bins[^1].Value;
    }

    private static WindowLevel FullRangeWindow(SampleDecoder decode)
    {
        var a = decode.Modality(decode.MinStored);
        var b = decode.Modality(decode.MaxStored);
        var (low, high) = a <= b ? (a, b) : (b, a);
        return new WindowLevel((low + high + 1) / 2, high - low + 1);
    }

    private static void Map8(ReadOnlySpan<byte> source, Span<byte> destination, byte[] lut)
    {
        ref var table = ref MemoryMarshal.GetArrayDataReference(lut);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = Unsafe.Add(ref table, source[i]);
        }
    }

    /// <summary>Maps 16-bit samples through a 65536-entry table (from <see cref="BuildLut"/> with 16 bits).</summary>
    public static void Map16(ReadOnlySpan<ushort> source, Span<byte> destination, byte[] lut)
    {
        ArgumentNullException.ThrowIfNull(lut);
        if (lut.Length < 65536)
        {
            throw new ArgumentException("A 16-bit map needs a table of 65536 entries.", nameof(lut));
        }

        // The table has 65536 entries, so any ushort indexes it: skipping its bounds check is safe.
        ref var table = ref MemoryMarshal.GetArrayDataReference(lut);
        destination = destination[..source.Length];
        var i = 0;
        for (; i <= source.Length - 4; i += 4)
        {
            destination[i] = Unsafe.Add(ref table, source[i]);
            destination[i + 1] = Unsafe.Add(ref table, source[i + 1]);
            destination[i + 2] = Unsafe.Add(ref table, source[i + 2]);
            destination[i + 3] = Unsafe.Add(ref table, source[i + 3]);
        }

        for (; i < source.Length; i++)
        {
            destination[i] = Unsafe.Add(ref table, source[i]);
        }
    }

    /// <summary>Stored value → modality value: mask to Bits Stored, sign-extend, then C.11.1 rescale.</summary>
    private readonly struct SampleDecoder
    {
        private readonly int bits;
        private readonly bool signed;
        private readonly double slope;
        private readonly double intercept;

        public SampleDecoder(GrayRendering rendering, int bitDepth)
        {
            bits = Math.Min(rendering.BitsStored, bitDepth);
            signed = rendering.SignedSamples;
            slope = rendering.RescaleSlope;
            intercept = rendering.RescaleIntercept;
        }

        public int MinStored => signed ? 1 << (bits - 1) : 0;

        public int MaxStored => signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;

        public int Value(int stored)
        {
            var masked = stored & ((1 << bits) - 1);
            return signed && (masked & (1 << (bits - 1))) != 0 ? masked - (1 << bits) : masked;
        }

        // C.11.1.1.2: Output units = m * SV + b.
        public double Modality(int stored) => (slope * Value(stored)) + intercept;
    }

    /// <summary>One VOI LUT function with its parameters validated, mapping modality values onto [0, 255].</summary>
    private sealed class Voi
    {
        private readonly VoiFunction function;
        private readonly double c;
        private readonly double w;

        private Voi(VoiFunction function, double c, double w)
        {
            this.function = function;
            this.c = c;
            this.w = w;
        }

        public static Voi Create(WindowLevel window)
        {
            if (!double.IsFinite(window.Center) || !double.IsFinite(window.Width))
            {
                throw new ArgumentException("Window center and width must be finite.", nameof(window));
            }

            switch (window.Function)
            {
                case VoiFunction.Linear when window.Width < 1:
                    throw new ArgumentException($"A LINEAR window width must be at least 1 (C.11.2.1.2.1), got {window.Width}.", nameof(window));
                case VoiFunction.LinearExact or VoiFunction.Sigmoid when window.Width <= 0:
                    throw new ArgumentException($"A {window.Function} window width must be greater than 0, got {window.Width}.", nameof(window));
                case VoiFunction.Linear or VoiFunction.LinearExact or VoiFunction.Sigmoid:
                    return new Voi(window.Function, window.Center, window.Width);
                default:
                    throw new ArgumentException($"Unknown VOI function {window.Function}.", nameof(window));
            }
        }

        public double Apply(double x) => function switch
        {
            // C.11.2.1.2.1 (ymin = 0, ymax = 255). With w = 1 the middle branch is empty, so w - 1 is never 0 there.
            VoiFunction.Linear => x <= c - 0.5 - ((w - 1) / 2) ? 0
                : x > c - 0.5 + ((w - 1) / 2) ? OutputMax
                : (((x - (c - 0.5)) / (w - 1)) + 0.5) * OutputMax,

            // C.11.2.1.3.2.
            VoiFunction.LinearExact => x <= c - (w / 2) ? 0
                : x > c + (w / 2) ? OutputMax
                : (((x - c) / w) + 0.5) * OutputMax,

            // C.11.2.1.3.1, Eq. C.11-1, Output_range = 255.
            _ => OutputMax / (1 + Math.Exp(-4 * (x - c) / w)),
        };
    }
}
