namespace MedVision.Imaging;

/// <summary>Separable resizing that keeps the color model and bit depth of its input.</summary>
public static class Resampler
{
    /// <summary>
    /// Resizes to <paramref name="width"/>×<paramref name="height"/>, per axis: an exact area-weighted box filter when
    /// shrinking (partly covered source pixels count by the fraction covered), bilinear (pixel centres aligned) when
    /// enlarging. Colour is averaged premultiplied by alpha so transparent pixels do not bleed their hidden colour.
    /// Results are rounded half away from zero.
    /// </summary>
    public static Raster AreaAverage(Raster source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == source.Width && height == source.Height)
        {
            return source.Clone();
        }

        var output = new Raster(width, height, source.Color, source.BitDepth);
        var channels = source.Channels;
        var alpha = source.HasAlpha ? channels - 1 : -1;
        var max = (double)source.MaxValue;
        var columns = Footprints(source.Width, width);
        var rows = Footprints(source.Height, height);

        // Each source row is horizontally filtered once and kept in a ring: footprints only move forward, and no output
        // row needs more rows at once than the longest footprint, so slot (row % ring) is never needed twice at once.
        var ring = rows.Max(r => r.Weights.Length);
        var cache = new double[ring][];
        var cachedRow = new int[ring];
        for (var i = 0; i < ring; i++)
        {
            cache[i] = new double[width * channels];
            cachedRow[i] = -1;
        }

        var sourceLine = new double[source.Width * channels];
        var accumulator = new double[width * channels];
        for (var oy = 0; oy < height; oy++)
        {
            Array.Clear(accumulator);
            var (firstRow, rowWeights) = rows[oy];
            for (var k = 0; k < rowWeights.Length; k++)
            {
                var y = firstRow + k;
                var slot = y % ring;
                if (cachedRow[slot] != y)
                {
                    LoadPremultiplied(source, y, alpha, max, sourceLine);
                    FilterRow(sourceLine, channels, columns, cache[slot]);
                    cachedRow[slot] = y;
                }

                var line = cache[slot];
                var weight = rowWeights[k];
                for (var i = 0; i < accumulator.Length; i++)
                {
                    accumulator[i] += weight * line[i];
                }
            }

            Store(output, oy, accumulator, alpha, max);
        }

        return output;
    }

    /// <summary>
    /// Shrinks so the longer side is at most <paramref name="maxSide"/>, keeping the aspect ratio (sides rounded, at
    /// least 1); a copy when it already fits.
    /// </summary>
    public static Raster FitWithin(Raster source, int maxSide)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSide);
        if (Math.Max(source.Width, source.Height) <= maxSide)
        {
            return source.Clone();
        }

        var (width, height) = ScaleLongSide(source.Width, source.Height, maxSide);
        return AreaAverage(source, width, height);
    }

    /// <summary>
    /// Square <paramref name="size"/>×<paramref name="size"/> Gray 8-bit classifier input: gray conversion, the long
    /// side scaled (up or down) to <paramref name="size"/> keeping the aspect ratio, then centred on black (letterbox);
    /// when the padding is odd the extra row or column goes to the bottom or right.
    /// </summary>
    public static Raster ToModelInput(Raster source, int size)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);

        // Gray first: a third (or quarter) of the samples to filter, and the output is 8-bit gray anyway.
        var gray = source.ToGray8();
        var (width, height) = ScaleLongSide(source.Width, source.Height, size);
        var scaled = AreaAverage(gray, width, height);
        var output = new Raster(size, size, ColorModel.Gray, 8);
        var left = (size - width) / 2;
        var top = (size - height) / 2;
        for (var y = 0; y < height; y++)
        {
            scaled.Data.AsSpan(y * width, width).CopyTo(output.Data.AsSpan(((top + y) * size) + left));
        }

        return output;
    }

    private static (int Width, int Height) ScaleLongSide(int width, int height, int longSide)
    {
        var factor = (double)longSide / Math.Max(width, height);
        return (
            Math.Clamp((int)Math.Round(width * factor, MidpointRounding.AwayFromZero), 1, longSide),
            Math.Clamp((int)Math.Round(height * factor, MidpointRounding.AwayFromZero), 1, longSide));
    }

    private static void LoadPremultiplied(Raster source, int y, int alpha, double max, double[] line)
    {
        var channels = source.Channels;
        var start = y * source.Width * channels;
        if (source.BitDepth == 8)
        {
            var samples = source.Data.AsSpan(start, line.Length);
            for (var i = 0; i < line.Length; i++)
            {
                line[i] = samples[i];
            }
        }
        else
        {
            var samples = source.Samples16.Slice(start, line.Length);
            for (var i = 0; i < line.Length; i++)
            {
                line[i] = samples[i];
            }
        }

        if (alpha < 0)
        {
            return;
        }

        for (var p = 0; p < line.Length; p += channels)
        {
            var a = line[p + alpha] / max;
            for (var c = 0; c < alpha; c++)
            {
                line[p + c] *= a;
            }
        }
    }

    private static void FilterRow(double[] sourceLine, int channels, (int First, double[] Weights)[] columns, double[] line)
    {
        Array.Clear(line);
        for (var ox = 0; ox < columns.Length; ox++)
        {
            var (first, weights) = columns[ox];
            var o = ox * channels;
            for (var k = 0; k < weights.Length; k++)
            {
                var s = (first + k) * channels;
                var weight = weights[k];
                for (var c = 0; c < channels; c++)
                {
                    line[o + c] += weight * sourceLine[s + c];
                }
            }
        }
    }

    private static void Store(Raster output, int y, double[] accumulator, int alpha, double max)
    {
        var channels = output.Channels;
        var start = y * output.Width * channels;
        for (var p = 0; p < accumulator.Length; p += channels)
        {
            // Undo the premultiplication; fully transparent cells have no colour to recover.
            var coverage = alpha >= 0 ? accumulator[p + alpha] / max : 1;
            for (var c = 0; c < channels; c++)
            {
                var v = c == alpha ? accumulator[p + c] : coverage > 0 ? accumulator[p + c] / coverage : 0;
                output.SetSampleUnchecked(start + p + c, (int)Math.Clamp(Math.Round(v, MidpointRounding.AwayFromZero), 0, max));
            }
        }
    }

    /// <summary>For each output cell along one axis, the first source index it reads and the weights (summing to 1).</summary>
    private static (int First, double[] Weights)[] Footprints(int sourceSize, int targetSize)
    {
        var result = new (int, double[])[targetSize];
        var step = (double)sourceSize / targetSize;
        for (var o = 0; o < targetSize; o++)
        {
            result[o] = targetSize < sourceSize ? BoxFootprint(o, step, sourceSize)
                : targetSize > sourceSize ? BilinearFootprint(o, step, sourceSize)
                : (o, [1.0]);
        }

        return result;
    }

    // Output cell o covers source [o * step, (o + 1) * step); each source pixel weighs by the length it overlaps.
    private static (int, double[]) BoxFootprint(int o, double step, int sourceSize)
    {
        var lo = o * step;
        var hi = Math.Min(sourceSize, (o + 1) * step);
        var first = (int)Math.Floor(lo);
        var last = Math.Min(sourceSize - 1, (int)Math.Ceiling(hi) - 1);
        var weights = new double[last - first + 1];
        for (var i = first; i <= last; i++)
        {
            weights[i - first] = (Math.Min(hi, i + 1) - Math.Max(lo, i)) / (hi - lo);
        }

        return (first, weights);
    }

    // Centre of output pixel o maps to source coordinate (o + 0.5) * step - 0.5; the edges clamp to the border pixels.
    private static (int, double[]) BilinearFootprint(int o, double step, int sourceSize)
    {
        var x = Math.Clamp(((o + 0.5) * step) - 0.5, 0, sourceSize - 1);
        var first = (int)Math.Floor(x);
        var fraction = x - first;
        return first >= sourceSize - 1 || fraction == 0 ? (first, [1.0]) : (first, [1 - fraction, fraction]);
    }
}
