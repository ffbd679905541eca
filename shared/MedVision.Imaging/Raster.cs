using System.Runtime.InteropServices;

namespace MedVision.Imaging;

/// <summary>Sample layout of a <see cref="Raster"/>; alpha, when present, is the last channel.</summary>
public enum ColorModel
{
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
}

/// <summary>
/// A decoded image: interleaved samples, row-major, no padding. 16-bit samples are stored as native-order
/// ushorts (little-endian on every platform .NET ships for) so <see cref="Samples16"/> is a zero-copy view.
/// </summary>
public sealed class Raster
{
    // BT.601 luma weights scaled by 1000 so gray conversion stays integer and deterministic.
    private const int LumaR = 299;
    private const int LumaG = 587;
    private const int LumaB = 114;
    private const int LumaScale = 1000;

    public Raster(int width, int height, ColorModel color, int bitDepth)
    {
        var length = Validate(width, height, color, bitDepth);
        Width = width;
        Height = height;
        Color = color;
        BitDepth = bitDepth;
        Data = new byte[length];
    }

    public Raster(int width, int height, ColorModel color, int bitDepth, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var length = Validate(width, height, color, bitDepth);
        if (data.Length != length)
        {
            throw new ArgumentException(
                $"A {width}x{height} {color} {bitDepth}-bit raster needs {length} bytes, got {data.Length}.",
                nameof(data));
        }

        Width = width;
        Height = height;
        Color = color;
        BitDepth = bitDepth;
        Data = data;
    }

    public int Width { get; }

    public int Height { get; }

    public ColorModel Color { get; }

    /// <summary>8 or 16.</summary>
    public int BitDepth { get; }

    public int Channels => ChannelCount(Color);

    public bool HasAlpha => Color is ColorModel.GrayAlpha or ColorModel.Rgba;

    /// <summary>Largest sample value: 255 or 65535.</summary>
    public int MaxValue => BitDepth == 8 ? byte.MaxValue : ushort.MaxValue;

    public byte[] Data { get; }

    /// <summary>The 16-bit samples as a view over <see cref="Data"/>.</summary>
    /// <exception cref="InvalidOperationException">The raster is 8-bit.</exception>
    public Span<ushort> Samples16 => BitDepth == 16
        ? MemoryMarshal.Cast<byte, ushort>(Data.AsSpan())
        : throw new InvalidOperationException("Samples16 is only available on 16-bit rasters; this one is 8-bit.");

    public static int ChannelCount(ColorModel color) => color switch
    {
        ColorModel.Gray => 1,
        ColorModel.GrayAlpha => 2,
        ColorModel.Rgb => 3,
        ColorModel.Rgba => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, "Unknown color model."),
    };

    public int GetSample(int x, int y, int channel)
    {
        var index = SampleIndex(x, y, channel);
        return BitDepth == 8 ? Data[index] : MemoryMarshal.Cast<byte, ushort>(Data.AsSpan())[index];
    }

    public void SetSample(int x, int y, int channel, int value)
    {
        var index = SampleIndex(x, y, channel);
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxValue);
        if (BitDepth == 8)
        {
            Data[index] = (byte)value;
        }
        else
        {
            MemoryMarshal.Cast<byte, ushort>(Data.AsSpan())[index] = (ushort)value;
        }
    }

    public Raster Clone() => new(Width, Height, Color, BitDepth, (byte[])Data.Clone());

    /// <summary>8-bit gray: BT.601 luma for colour, alpha dropped, 16-bit rounded to 8-bit.</summary>
    public Raster ToGray8()
    {
        if (Color == ColorModel.Gray && BitDepth == 8)
        {
            return Clone();
        }

        var result = new Raster(Width, Height, ColorModel.Gray, 8);
        var pixels = Width * Height;
        if (Color == ColorModel.Gray)
        {
            // 16-bit gray (DX/CR PNGs): a straight pass, no per-sample dispatch.
            var samples = MemoryMarshal.Cast<byte, ushort>(Data.AsSpan())[..pixels];
            var gray = result.Data.AsSpan(0, pixels);
            for (var i = 0; i < samples.Length; i++)
            {
                gray[i] = To8(samples[i]);
            }

            return result;
        }

        for (var i = 0; i < pixels; i++)
        {
            result.Data[i] = BitDepth == 8 ? (byte)LumaAt(i) : To8(LumaAt(i));
        }

        return result;
    }

    /// <summary>8-bit RGB: gray replicated, alpha dropped, 16-bit rounded to 8-bit.</summary>
    public Raster ToRgb8()
    {
        if (Color == ColorModel.Rgb && BitDepth == 8)
        {
            return Clone();
        }

        var result = new Raster(Width, Height, ColorModel.Rgb, 8);
        var pixels = Width * Height;
        if (Color == ColorModel.Gray && BitDepth == 8)
        {
            // The common case (radiographs): one load, three stores, no per-sample dispatch.
            var src = Data.AsSpan(0, pixels);
            var rgb = result.Data.AsSpan(0, pixels * 3);
            for (var i = 0; i < src.Length; i++)
            {
                var v = src[i];
                rgb[(i * 3) + 2] = v;
                rgb[(i * 3) + 1] = v;
                rgb[i * 3] = v;
            }

            return result;
        }

        var channels = Channels;
        var isColor = Color is ColorModel.Rgb or ColorModel.Rgba;
        var dst = result.Data;
        for (var i = 0; i < pixels; i++)
        {
            var s = i * channels;
            for (var c = 0; c < 3; c++)
            {
                var v = SampleAt(isColor ? s + c : s);
                dst[(i * 3) + c] = BitDepth == 8 ? (byte)v : To8(v);
            }
        }

        return result;
    }

    /// <summary>Row-major BT.601 luma normalised to [0, 1], at the raster's full precision.</summary>
    public float[] ToLuminance()
    {
        var pixels = Width * Height;
        var result = new float[pixels];
        var max = (float)MaxValue;
        for (var i = 0; i < pixels; i++)
        {
            result[i] = LumaAt(i) / max;
        }

        return result;
    }

    /// <summary>Rounds a 16-bit sample to 8 bits (v * 255 / 65535, nearest).</summary>
    internal static byte To8(int value16) => (byte)(((value16 * 255) + 32767) / 65535);

    internal int SampleAt(int sampleIndex) => BitDepth == 8
        ? Data[sampleIndex]
        : MemoryMarshal.Cast<byte, ushort>(Data.AsSpan())[sampleIndex];

    internal void SetSampleUnchecked(int sampleIndex, int value)
    {
        if (BitDepth == 8)
        {
            Data[sampleIndex] = (byte)value;
        }
        else
        {
            MemoryMarshal.Cast<byte, ushort>(Data.AsSpan())[sampleIndex] = (ushort)value;
        }
    }

    private int LumaAt(int pixelIndex)
    {
        var s = pixelIndex * Channels;
        if (Color is ColorModel.Gray or ColorModel.GrayAlpha)
        {
            return SampleAt(s);
        }

        long weighted = (LumaR * (long)SampleAt(s)) + (LumaG * (long)SampleAt(s + 1)) + (LumaB * (long)SampleAt(s + 2));
        return (int)((weighted + (LumaScale / 2)) / LumaScale);
    }

    private int SampleIndex(int x, int y, int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, Channels);
        return (((y * Width) + x) * Channels) + channel;
    }

    private static int Validate(int width, int height, ColorModel color, int bitDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (!Enum.IsDefined(color))
        {
            throw new ArgumentOutOfRangeException(nameof(color), color, "Unknown color model.");
        }

        if (bitDepth is not (8 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "Bit depth must be 8 or 16.");
        }

        // Sample indices are ints, so the whole buffer must fit one array; bigger images are refused here
        // rather than overflowing later. Decoders apply the (smaller) ImageLimits before ever getting here.
        var length = (long)width * height * ChannelCount(color) * (bitDepth / 8);
        if (length > Array.MaxLength)
        {
            throw new ArgumentException(
                $"A {width}x{height} {color} {bitDepth}-bit raster needs {length} bytes, more than one array can hold.",
                nameof(width));
        }

        return (int)length;
    }
}
