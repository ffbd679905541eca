using MedVision.Imaging;

namespace MedVision.Models;

/// <summary>A single-channel float image in [0, 1], row-major; the working format of the reference analyzers.</summary>
internal sealed class GrayImage
{
    public GrayImage(int width, int height, float[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public float[] Pixels { get; }

    public float this[int x, int y] => Pixels[(y * Width) + x];

    /// <summary>
    /// Luminance of <paramref name="image"/> reduced by an integer factor so the long side is at most
    /// <paramref name="maxSide"/>. Integer blocks keep area averaging exact and boxes easy to scale back.
    /// </summary>
    public static GrayImage FromRaster(Raster image, int maxSide, out int factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        var full = new GrayImage(image.Width, image.Height, image.ToLuminance());
        factor = Math.Max(1, (Math.Max(image.Width, image.Height) + maxSide - 1) / maxSide);
        return factor == 1 ? full : full.Downsample(factor);
    }

    /// <summary>Area-averaging reduction; edge blocks average only the pixels that exist.</summary>
    public GrayImage Downsample(int factor)
    {
        var w = (Width + factor - 1) / factor;
        var h = (Height + factor - 1) / factor;
        var sums = new double[w * h];
        var counts = new int[w * h];
        for (var y = 0; y < Height; y++)
        {
            var row = (y / factor) * w;
            for (var x = 0; x < Width; x++)
            {
                var i = row + (x / factor);
                sums[i] += Pixels[(y * Width) + x];
                counts[i]++;
            }
        }

        var result = new float[w * h];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)(sums[i] / counts[i]);
        }

        return new GrayImage(w, h, result);
    }

    /// <summary>Mean over a (2r+1)² window, clipped at the image edges.</summary>
    public GrayImage BoxBlur(int radius)
    {
        var integral = new IntegralImage(Width, Height, Pixels);
        var result = new float[Pixels.Length];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var x0 = Math.Max(0, x - radius);
                var y0 = Math.Max(0, y - radius);
                var x1 = Math.Min(Width - 1, x + radius);
                var y1 = Math.Min(Height - 1, y + radius);
                var n = (x1 - x0 + 1) * (y1 - y0 + 1);
                result[(y * Width) + x] = (float)(integral.Sum(x0, y0, x1, y1) / n);
            }
        }

        return new GrayImage(Width, Height, result);
    }

    /// <summary>
    /// Near-black pixels connected to the image border: the air/background around a body or the black
    /// surround of an ultrasound fan. Enclosed dark regions (lungs, cysts, ventricles) stay foreground.
    /// </summary>
    public bool[] BorderBackground(float threshold)
    {
        var smooth = BoxBlur(1);
        var background = new bool[Pixels.Length];
        var queue = new Queue<int>();
        void Seed(int x, int y)
        {
            var i = (y * Width) + x;
            if (!background[i] && smooth.Pixels[i] < threshold)
            {
                background[i] = true;
                queue.Enqueue(i);
            }
        }

        for (var x = 0; x < Width; x++)
        {
            Seed(x, 0);
            Seed(x, Height - 1);
        }

        for (var y = 0; y < Height; y++)
        {
            Seed(0, y);
            Seed(Width - 1, y);
        }

        while (queue.Count > 0)
        {
            var i = queue.Dequeue();
            var x = i % Width;
            var y = i / Width;
            if (x > 0) Seed(x - 1, y);
            if (x < Width - 1) Seed(x + 1, y);
            if (y > 0) Seed(x, y - 1);
            if (y < Height - 1) Seed(x, y + 1);
        }

        return background;
    }

    /// <summary>
    /// Chamfer (3-4) distance in pixels from each foreground pixel to the nearest background pixel.
    /// Without any background the distance is effectively infinite (float.MaxValue / 2).
    /// </summary>
    public static float[] DistanceToBackground(bool[] background, int width, int height)
    {
        const float Far = float.MaxValue / 2;
        var d = new float[background.Length];
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = background[i] ? 0 : Far;
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var v = d[i];
                if (x > 0) v = Math.Min(v, d[i - 1] + 1f);
                if (y > 0)
                {
                    v = Math.Min(v, d[i - width] + 1f);
                    if (x > 0) v = Math.Min(v, d[i - width - 1] + 1.4142f);
                    if (x < width - 1) v = Math.Min(v, d[i - width + 1] + 1.4142f);
                }

                d[i] = v;
            }
        }

        for (var y = height - 1; y >= 0; y--)
        {
            for (var x = width - 1; x >= 0; x--)
            {
                var i = (y * width) + x;
                var v = d[i];
                if (x < width - 1) v = Math.Min(v, d[i + 1] + 1f);
                if (y < height - 1)
                {
                    v = Math.Min(v, d[i + width] + 1f);
                    if (x < width - 1) v = Math.Min(v, d[i + width + 1] + 1.4142f);
                    if (x > 0) v = Math.Min(v, d[i + width - 1] + 1.4142f);
                }

                d[i] = v;
            }
        }

        return d;
    }
}

/// <summary>Summed-area table (doubles, so sums of ~65k values stay exact enough and deterministic).</summary>
internal sealed class IntegralImage
{
    private readonly double[] _sums;
    private readonly int _stride;

    public IntegralImage(int width, int height, float[] values)
    {
        _stride = width + 1;
        _sums = new double[(width + 1) * (height + 1)];
        for (var y = 0; y < height; y++)
        {
            double row = 0;
            for (var x = 0; x < width; x++)
            {
                row += values[(y * width) + x];
                _sums[((y + 1) * _stride) + x + 1] = _sums[(y * _stride) + x + 1] + row;
            }
        }
    }

    public static IntegralImage OfSquares(int width, int height, float[] values)
    {
        var squares = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            squares[i] = values[i] * values[i];
        }

        return new IntegralImage(width, height, squares);
    }

    public static IntegralImage OfMask(int width, int height, bool[] mask)
    {
        var ones = new float[mask.Length];
        for (var i = 0; i < mask.Length; i++)
        {
            ones[i] = mask[i] ? 1f : 0f;
        }

        return new IntegralImage(width, height, ones);
    }

    /// <summary>Sum over the inclusive rectangle [x0, x1] × [y0, y1]; the caller keeps it inside the image.</summary>
    public double Sum(int x0, int y0, int x1, int y1) =>
        _sums[((y1 + 1) * _stride) + x1 + 1] - _sums[(y0 * _stride) + x1 + 1]
        - _sums[((y1 + 1) * _stride) + x0] + _sums[(y0 * _stride) + x0];
}

internal static class Fuzzy
{
    /// <summary>0 at <paramref name="edge0"/>, 1 at <paramref name="edge1"/>, smooth between; works for either order.</summary>
    public static double Step(double edge0, double edge1, double x)
    {
        var t = Math.Clamp((x - edge0) / (edge1 - edge0), 0, 1);
        return t * t * (3 - (2 * t));
    }

    public static double Logistic(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>The q-quantile (0..1) of the values; sorts a copy.</summary>
    public static double Quantile(List<float> values, double q)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        var index = (int)Math.Clamp(Math.Round(q * (sorted.Length - 1)), 0, sorted.Length - 1);
        return sorted[index];
    }
}
