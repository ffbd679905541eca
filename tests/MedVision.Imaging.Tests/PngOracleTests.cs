using System.Text;
using Xunit.Abstractions;

namespace MedVision.Imaging.Tests;

/// <summary>
/// Cross-checks against independent implementations (pngcheck, ImageMagick) when they are installed;
/// each test returns early with a note when its tool is missing so a bare machine still passes.
/// </summary>
public sealed class PngOracleTests : IDisposable
{
    private readonly ITestOutputHelper output;
    private readonly Oracle oracle;
    private readonly string directory;

    public PngOracleTests(ITestOutputHelper output)
    {
        this.output = output;
        oracle = new Oracle(output);
        directory = Path.Combine(Path.GetTempPath(), "medvision-png-oracle-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Encode_WhenCheckedByPngcheck_ShouldPass()
    {
        if (!oracle.Require("pngcheck"))
        {
            return;
        }

        foreach (var color in Enum.GetValues<ColorModel>())
        {
            foreach (var depth in new[] { 8, 16 })
            {
                foreach (var adaptive in new[] { true, false })
                {
                    var path = Path.Combine(directory, $"{color}-{depth}-{adaptive}.png");
                    File.WriteAllBytes(path, PngEncoder.Encode(Noise(37, 21, color, depth), new PngEncodeOptions(AdaptiveFilter: adaptive)));
                    var (exit, stdout, stderr) = Oracle.Run("pngcheck", "-q", path);
                    Assert.True(exit == 0, $"pngcheck rejected {color} {depth}-bit: {Encoding.UTF8.GetString(stdout)} {stderr}");
                }
            }
        }
    }

    [Theory]
    [InlineData(ColorModel.Rgb, 8, "rgb")]
    [InlineData(ColorModel.Rgba, 8, "rgba")]
    [InlineData(ColorModel.Gray, 8, "gray")]
    [InlineData(ColorModel.Rgb, 16, "rgb")]
    [InlineData(ColorModel.Rgba, 16, "rgba")]
    [InlineData(ColorModel.Gray, 16, "gray")]
    public void Encode_WhenReadBackByImageMagick_ShouldYieldSamePixels(ColorModel color, int depth, string rawFormat)
    {
        if (!oracle.Require("convert"))
        {
            return;
        }

        var raster = Noise(29, 13, color, depth);
        var path = Path.Combine(directory, "ours.png");
        File.WriteAllBytes(path, PngEncoder.Encode(raster));

        var (exit, stdout, stderr) = Oracle.Run("convert", path, "-depth", depth.ToString(System.Globalization.CultureInfo.InvariantCulture), "-endian", "MSB", $"{rawFormat}:-");

        Assert.True(exit == 0, stderr);
        Assert.Equal(BigEndianSamples(raster), stdout);
    }

    // Each case steers ImageMagick to a different IHDR (noted per line) so every decoder path meets a foreign encoder.
    public static TheoryData<string[], bool, string> ConvertCases => new()
    {
        { ["-depth", "8"], false, "" }, // RGB 8
        { ["-depth", "8", "-interlace", "PNG"], false, "" }, // RGB 8, Adam7
        { ["-depth", "16"], true, "" }, // RGB 16
        { ["-depth", "16", "-interlace", "PNG"], true, "" }, // RGB 16, Adam7
        { ["-colors", "16", "-type", "Palette"], false, "" }, // palette 8
        { ["-colors", "12", "-type", "Palette", "-depth", "8"], false, "" }, // palette 4 (12 colours need 4-bit indices)
        { ["-colors", "3", "-type", "Palette", "-depth", "2", "-interlace", "PNG"], false, "" }, // palette 2, Adam7
        { ["-alpha", "set", "-channel", "A", "-fx", "i>10", "+channel", "-colors", "8"], false, "PNG8:" }, // palette + tRNS
        { ["-alpha", "set", "-channel", "A", "-fx", "i/w", "+channel", "-depth", "8"], false, "" }, // RGBA 8
        { ["-alpha", "set", "-channel", "A", "-fx", "j/h", "+channel", "-depth", "16"], true, "" }, // RGBA 16
        { ["-monochrome"], false, "" }, // gray 1
        { ["-colorspace", "Gray", "-depth", "2"], false, "" }, // gray 2
        { ["-colorspace", "Gray", "-depth", "16", "-interlace", "PNG"], true, "" }, // gray 16, Adam7
        { ["-colorspace", "Gray", "-alpha", "set", "-channel", "A", "-fx", "i/w", "+channel", "-depth", "8"], false, "" }, // gray+alpha 8
    };

    [Theory]
    [MemberData(nameof(ConvertCases))]
    public void Decode_WhenPngMadeByImageMagick_ShouldMatchItsPixels(string[] options, bool sixteenBit, string targetPrefix)
    {
        if (!oracle.Require("convert"))
        {
            return;
        }

        // A 16-bit PPM source so 16-bit outputs carry real low bytes.
        var source = Path.Combine(directory, "source.ppm");
        var ppm = new Raster(23, 17, ColorModel.Rgb, 16);
        var random = new Random(42);
        for (var i = 0; i < ppm.Samples16.Length; i++)
        {
            ppm.Samples16[i] = (ushort)random.Next(65536);
        }

        File.WriteAllBytes(source, [.. Encoding.ASCII.GetBytes("P6\n23 17\n65535\n"), .. BigEndianSamples(ppm)]);
        var target = Path.Combine(directory, "theirs.png");
        var (exit, _, stderr) = Oracle.Run("convert", [source, .. options, targetPrefix + target]);
        Assert.True(exit == 0, stderr);

        var decoded = PngDecoder.Decode(File.ReadAllBytes(target));
        output.WriteLine($"{string.Join(' ', options)} -> {decoded.Color} {decoded.BitDepth}-bit (PNG IHDR depth {File.ReadAllBytes(target)[24]}, type {File.ReadAllBytes(target)[25]})");

        // ImageMagick's own rendering of its file is the reference, read back at the decoded depth.
        var depth = sixteenBit ? 16 : 8;
        var (readExit, expected, readErr) = Oracle.Run("convert", target, "-depth", depth.ToString(System.Globalization.CultureInfo.InvariantCulture), "-endian", "MSB", "rgba:-");
        Assert.True(readExit == 0, readErr);
        Assert.Equal(depth, decoded.BitDepth);
        Assert.Equal(expected, BigEndianSamples(ToRgba(decoded)));
    }

    private static Raster ToRgba(Raster raster)
    {
        var rgba = new Raster(raster.Width, raster.Height, ColorModel.Rgba, raster.BitDepth);
        for (var y = 0; y < raster.Height; y++)
        {
            for (var x = 0; x < raster.Width; x++)
            {
                var color = raster.Color is ColorModel.Rgb or ColorModel.Rgba;
                for (var c = 0; c < 3; c++)
                {
                    rgba.SetSample(x, y, c, raster.GetSample(x, y, color ? c : 0));
                }

                rgba.SetSample(x, y, 3, raster.HasAlpha ? raster.GetSample(x, y, raster.Channels - 1) : raster.MaxValue);
            }
        }

        return rgba;
    }

    private static Raster Noise(int width, int height, ColorModel color, int depth)
    {
        var raster = new Raster(width, height, color, depth);
        new Random((width * 7) + (int)color + depth).NextBytes(raster.Data);
        return raster;
    }

    private static byte[] BigEndianSamples(Raster raster)
    {
        if (raster.BitDepth == 8)
        {
            return raster.Data;
        }

        var bytes = new byte[raster.Data.Length];
        var samples = raster.Samples16;
        for (var i = 0; i < samples.Length; i++)
        {
            bytes[2 * i] = (byte)(samples[i] >> 8);
            bytes[(2 * i) + 1] = (byte)samples[i];
        }

        return bytes;
    }
}
