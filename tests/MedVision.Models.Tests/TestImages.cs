using MedVision.Imaging;

namespace MedVision.Models.Tests;

/// <summary>Images that match no modality: flat, noisy and smooth fields.</summary>
internal static class TestImages
{
    public static Raster Uniform(int width, int height, byte value)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        Array.Fill(raster.Data, value);
        return raster;
    }

    public static Raster Noise(int seed, int width, int height)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        new Random(seed).NextBytes(raster.Data);
        return raster;
    }

    /// <summary>Smooth fields: linear ramps in several directions and a radial (non-linear) falloff.</summary>
    public static Raster Gradient(string kind, int width, int height)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var u = (double)x / (width - 1);
                var v = (double)y / (height - 1);
                var t = kind switch
                {
                    "horizontal" => u,
                    "vertical" => 1 - v,
                    "diagonal" => (u + v) / 2,
                    "radial" => Math.Min(1, (Math.Pow(u - 0.5, 2) + Math.Pow(v - 0.5, 2)) * 2),
                    "cone" => Math.Min(1, Math.Sqrt(Math.Pow(u - 0.5, 2) + Math.Pow(v - 0.5, 2)) * 1.4),
                    _ => throw new ArgumentOutOfRangeException(nameof(kind)),
                };
                raster.Data[(y * width) + x] = (byte)Math.Round(20 + (215 * t));
            }
        }

        return raster;
    }
}

internal static class ModelBoxExtensions
{
    /// <summary>The reference detector emits whole-pixel boxes; this views one as a pixel box for IoU checks.</summary>
    public static Core.Analysis.BoundingBox Px(this Core.Inference.ModelBox box) =>
        new((int)box.X, (int)box.Y, (int)box.Width, (int)box.Height);
}
