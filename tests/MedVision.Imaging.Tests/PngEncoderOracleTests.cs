using System.IO.Compression;
using System.Text;
using Xunit.Abstractions;

namespace MedVision.Imaging.Tests;

/// <summary>
/// pngcheck and ImageMagick on images large enough to take the parallel band path (the older oracle tests use
/// small images, which are deflated as one band).
/// </summary>
public sealed class PngEncoderOracleTests : IDisposable
{
    private readonly Oracle oracle;
    private readonly string directory;

    public PngEncoderOracleTests(ITestOutputHelper output)
    {
        oracle = new Oracle(output);
        directory = Path.Combine(Path.GetTempPath(), "medvision-png-bands-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static Raster Make(int width, int height, ColorModel color, int depth)
    {
        var raster = new Raster(width, height, color, depth);
        var random = new Random(width + height);
        var max = raster.MaxValue;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < raster.Channels; c++)
                {
                    // Gradient top, noise bottom: bands choose LZ77 and Huffman-only respectively.
                    raster.SetSample(x, y, c, y < height / 2 ? (x + (2 * y) + (c * 50)) * (max / 255) % (max + 1) : random.Next(max + 1));
                }
            }
        }

        return raster;
    }

    [Theory]
    [InlineData(ColorModel.Rgb, 8, "rgb", false)]
    [InlineData(ColorModel.Rgb, 8, "rgb", true)]
    [InlineData(ColorModel.Rgba, 16, "rgba", false)]
    [InlineData(ColorModel.Gray, 8, "gray", false)]
    [InlineData(ColorModel.Gray, 16, "gray", true)]
    public void Encode_WhenLargeImageCheckedByPngcheckAndImageMagick_ShouldPassAndYieldSamePixels(ColorModel color, int depth, string rawFormat, bool fast)
    {
        if (!oracle.Require("pngcheck", "convert"))
        {
            return;
        }

        var raster = Make(997, 1201, color, depth);
        var path = Path.Combine(directory, "large.png");
        File.WriteAllBytes(path, PngEncoder.Encode(raster, fast ? new PngEncodeOptions(CompressionLevel.Fastest) : new PngEncodeOptions()));

        var (exit, stdout, stderr) = Oracle.Run("pngcheck", "-q", path);
        Assert.True(exit == 0, $"pngcheck rejected it: {Encoding.UTF8.GetString(stdout)} {stderr}");

        var pixels = Oracle.RunOk("convert", path, "-depth", depth.ToString(System.Globalization.CultureInfo.InvariantCulture), "-endian", "MSB", $"{rawFormat}:-");
        var expected = raster.Data.ToArray();
        if (depth == 16)
        {
            for (var i = 0; i < expected.Length; i += 2)
            {
                (expected[i], expected[i + 1]) = (expected[i + 1], expected[i]);
            }
        }

        Assert.True(expected.AsSpan().SequenceEqual(pixels), "ImageMagick read different samples");
    }
}
