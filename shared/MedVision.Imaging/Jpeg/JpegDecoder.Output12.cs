using System.Runtime.CompilerServices;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    // 12-bit output follows IJG libjpeg 6b built with BITS_IN_JSAMPLE 12 (DCMTK's libijg12): jdcolor.c's fixed-point
    // YCbCr->RGB tables over 0..MAXJSAMPLE 4095 centred on CENTERJSAMPLE 2048 (same 16 fraction bits and constants as
    // the 8-bit tables), and jdsample.c's choices with fancy upsampling on: triangle filters for h2v1 and h2v2 when the
    // component is wider than 2 samples, plain replication for every other integral ratio (6b has no h1v2 triangle
    // filter, unlike libjpeg-turbo's 8-bit path above).
    private const int MaxSample12 = 4095;
    private const int CenterSample12 = 2048;
    private static readonly Lazy<int[][]> ColorTables12 = new(BuildColorTables12);

    private static int[][] BuildColorTables12()
    {
        int Fix(double factor) => (int)((factor * (1 << ColorScaleBits)) + 0.5);
        const int half = 1 << (ColorScaleBits - 1);
        var crToR = new int[MaxSample12 + 1];
        var cbToB = new int[MaxSample12 + 1];
        var crToG = new int[MaxSample12 + 1];
        var cbToG = new int[MaxSample12 + 1];
        for (var i = 0; i <= MaxSample12; i++)
        {
            var x = i - CenterSample12;
            crToR[i] = ((Fix(1.40200) * x) + half) >> ColorScaleBits;
            cbToB[i] = ((Fix(1.77200) * x) + half) >> ColorScaleBits;
            crToG[i] = -Fix(0.71414) * x;
            cbToG[i] = (-Fix(0.34414) * x) + half;
        }

        return [crToR, cbToB, crToG, cbToG];
    }

    private static ushort Clamp12(int v) => (ushort)(v < 0 ? 0 : v > MaxSample12 ? MaxSample12 : v);

    private static Raster ToGray12(Frame f)
    {
        var c = f.Components[0];
        var plane = c.Plane16!;
        var raster = new Raster(f.Width, f.Height, ColorModel.Gray, 16, GC.AllocateUninitializedArray<byte>(f.Width * f.Height * 2)); // every row is copied in
        var samples = raster.Samples16;
        for (var y = 0; y < f.Height; y++)
        {
            plane.AsSpan(y * c.Stride, f.Width).CopyTo(samples.Slice(y * f.Width, f.Width));
        }

        return raster;
    }

    /// <summary>3 or 4 components to a 16-bit RGB raster (or, unconverted 4-component data, a 4-channel one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Raster ToColor12(Frame f, string colorSpace)
    {
        var width = f.Width;
        var n = f.Components.Length;
        var channels = colorSpace == "raw" && n == 4 ? 4 : 3;
        var raster = new Raster(width, f.Height, channels == 4 ? ColorModel.Rgba : ColorModel.Rgb, 16,
            GC.AllocateUninitializedArray<byte>(width * f.Height * channels * 2)); // fully written below
        var output = raster.Samples16;
        var tables = ColorTables12.Value;
        var (crToR, cbToB, crToG, cbToG) = (tables[0], tables[1], tables[2], tables[3]);
        var buffers = new ushort[n][];
        var rows = new ushort[n][];
        var offsets = new int[n];
        for (var i = 0; i < n; i++)
        {
            buffers[i] = new ushort[width + (2 * f.MaxH) + 8];
        }

        for (var y = 0; y < f.Height; y++)
        {
            for (var i = 0; i < n; i++)
            {
                rows[i] = ComponentRow12(f, f.Components[i], y, buffers[i], out offsets[i]);
            }

            var row0 = rows[0].AsSpan(offsets[0], width);
            var row1 = rows[1].AsSpan(offsets[1], width);
            var row2 = rows[2].AsSpan(offsets[2], width);
            var row3 = n == 4 ? rows[3].AsSpan(offsets[3], width) : default;
            var dst = output.Slice(y * width * channels, width * channels);
            for (var x = 0; x < width; x++)
            {
                int a = row0[x];
                int b = row1[x];
                int c = row2[x];
                var at = x * channels;
                switch (colorSpace)
                {
                    case "ycbcr":
                        dst[at] = Clamp12(a + crToR[c]);
                        dst[at + 1] = Clamp12(a + ((cbToG[b] + crToG[c]) >> ColorScaleBits));
                        dst[at + 2] = Clamp12(a + cbToB[b]);
                        break;
                    case "cmyk" or "ycck":
                        int k = row3[x];
                        if (colorSpace == "ycck")
                        {
                            (a, b, c) = (MaxSample12 - Clamp12(a + crToR[c]),
                                MaxSample12 - Clamp12(a + ((cbToG[b] + crToG[c]) >> ColorScaleBits)),
                                MaxSample12 - Clamp12(a + cbToB[b]));
                        }

                        // Adobe-style inverted inks, as the 8-bit path: R = C' * K' / MAXJSAMPLE, rounded.
                        dst[at] = (ushort)(((a * k) + (MaxSample12 / 2)) / MaxSample12);
                        dst[at + 1] = (ushort)(((b * k) + (MaxSample12 / 2)) / MaxSample12);
                        dst[at + 2] = (ushort)(((c * k) + (MaxSample12 / 2)) / MaxSample12);
                        break;
                    default: // "rgb" and "raw"
                        dst[at] = (ushort)a;
                        dst[at + 1] = (ushort)b;
                        dst[at + 2] = (ushort)c;
                        if (channels == 4)
                        {
                            dst[at + 3] = row3[x];
                        }

                        break;
                }
            }
        }

        return raster;
    }

    /// <summary>A full-resolution row of a 12-bit component: the plane row itself, or upsampled into <paramref name="buffer"/>.</summary>
    private static ushort[] ComponentRow12(Frame f, Component c, int y, ushort[] buffer, out int offset)
    {
        var plane = c.Plane16!;
        var stride = c.Stride;
        offset = 0;
        if (f.MaxH == c.H && f.MaxV == c.V)
        {
            offset = y * stride;
            return plane;
        }

        var width = f.Width;
        var sampleWidth = c.SampleWidth;
        if (f.MaxH % c.H != 0 || f.MaxV % c.V != 0)
        {
            // libjpeg refuses non-integral ratios; nearest neighbour, as the 8-bit path.
            var sy = Math.Min((int)((long)y * c.V / f.MaxV), c.SampleHeight - 1);
            for (var x = 0; x < width; x++)
            {
                buffer[x] = plane[(sy * stride) + Math.Min((int)((long)x * c.H / f.MaxH), sampleWidth - 1)];
            }

            return buffer;
        }

        var rh = f.MaxH / c.H;
        var rv = f.MaxV / c.V;
        if (rh == 2 && rv == 2 && sampleWidth > 2)
        {
            var near = y >> 1;
            var far = (y & 1) == 0 ? Math.Max(near - 1, 0) : Math.Min(near + 1, c.SampleHeight - 1);
            H2V2Fancy12(plane.AsSpan(near * stride, sampleWidth), plane.AsSpan(far * stride, sampleWidth), buffer, sampleWidth);
            return buffer;
        }

        var source = plane.AsSpan((y / rv) * stride, sampleWidth);
        if (rh == 2 && rv == 1 && sampleWidth > 2)
        {
            H2V1Fancy12(source, buffer, sampleWidth);
        }
        else
        {
            for (var x = 0; x < width; x++)
            {
                buffer[x] = source[x / rh];
            }
        }

        return buffer;
    }

    private static void H2V1Fancy12(ReadOnlySpan<ushort> input, Span<ushort> output, int n)
    {
        _ = output[(2 * n) - 1];
        int first = input[0];
        output[0] = (ushort)first;
        output[1] = (ushort)(((first * 3) + input[1] + 2) >> 2);
        for (var i = 1; i < n - 1; i++)
        {
            var value = input[i] * 3;
            output[2 * i] = (ushort)((value + input[i - 1] + 1) >> 2);
            output[(2 * i) + 1] = (ushort)((value + input[i + 1] + 2) >> 2);
        }

        int last = input[n - 1];
        output[(2 * n) - 2] = (ushort)(((last * 3) + input[n - 2] + 1) >> 2);
        output[(2 * n) - 1] = (ushort)last;
    }

    private static void H2V2Fancy12(ReadOnlySpan<ushort> near, ReadOnlySpan<ushort> far, Span<ushort> output, int n)
    {
        _ = output[(2 * n) - 1];
        _ = far[n - 1];
        var thisSum = (near[0] * 3) + far[0];
        var nextSum = (near[1] * 3) + far[1];
        output[0] = (ushort)(((thisSum * 4) + 8) >> 4);
        output[1] = (ushort)(((thisSum * 3) + nextSum + 7) >> 4);
        var lastSum = thisSum;
        thisSum = nextSum;
        for (var i = 1; i < n - 1; i++)
        {
            nextSum = (near[i + 1] * 3) + far[i + 1];
            output[2 * i] = (ushort)(((thisSum * 3) + lastSum + 8) >> 4);
            output[(2 * i) + 1] = (ushort)(((thisSum * 3) + nextSum + 7) >> 4);
            lastSum = thisSum;
            thisSum = nextSum;
        }

        output[(2 * n) - 2] = (ushort)(((thisSum * 3) + lastSum + 8) >> 4);
        output[(2 * n) - 1] = (ushort)(((thisSum * 4) + 7) >> 4);
    }
}
