using System.Text;
using System.Globalization;
using Xunit.Abstractions;

namespace MedVision.Imaging.Tests;

/// <summary>
/// Cross-checks against libjpeg-turbo (djpeg, cjpeg, jpegtran) and ImageMagick's identify. A missing tool
/// skips with a note, except under MEDVISION_REQUIRE_ORACLES=1, where it fails (same rule as the PNG oracles).
/// </summary>
public sealed class JpegEncoderOracleTests : IDisposable
{
    private readonly ITestOutputHelper output;
    private readonly Oracle oracle;
    private readonly string directory;

    public JpegEncoderOracleTests(ITestOutputHelper output)
    {
        this.output = output;
        oracle = new Oracle(output);
        directory = Path.Combine(Path.GetTempPath(), "medvision-jpegenc-oracle-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
    }

    public static TheoryData<ColorModel, JpegSubsampling, int, int> DecodeCases()
    {
        var cases = new TheoryData<ColorModel, JpegSubsampling, int, int>();
        int[][] sizes = [[1, 1], [7, 5], [8, 8], [16, 16], [17, 33], [640, 480], [33, 1], [1, 31], [23, 19]];
        foreach (var (color, subsampling) in new[]
        {
            (ColorModel.Gray, JpegSubsampling.Yuv420),
            (ColorModel.Rgb, JpegSubsampling.Yuv444),
            (ColorModel.Rgb, JpegSubsampling.Yuv420),
        })
        {
            foreach (var size in sizes)
            {
                cases.Add(color, subsampling, size[0], size[1]);
            }
        }

        return cases;
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void Encode_WhenDecodedByDjpeg_ShouldDecodeCleanlyAtEveryQuality(ColorModel color, JpegSubsampling subsampling, int width, int height)
    {
        if (!oracle.Require("djpeg"))
        {
            return;
        }

        var image = JpegEncoderTestData.Smooth(width, height, color);
        foreach (var quality in new[] { 1, 50, 85, 100 })
        {
            var decoded = Djpeg(JpegEncoder.Encode(image, new JpegEncodeOptions(quality, subsampling)), $"q{quality}");

            Assert.Equal((width, height), (decoded.Width, decoded.Height));
            Assert.Equal(color == ColorModel.Gray ? ColorModel.Gray : ColorModel.Rgb, decoded.Color);
        }
    }

    [Theory]
    [InlineData(ColorModel.GrayAlpha, 8)]
    [InlineData(ColorModel.Gray, 16)]
    [InlineData(ColorModel.GrayAlpha, 16)]
    [InlineData(ColorModel.Rgba, 8)]
    [InlineData(ColorModel.Rgb, 16)]
    [InlineData(ColorModel.Rgba, 16)]
    public void Encode_WhenOtherSampleLayouts_ShouldDecodeCleanly(ColorModel color, int depth)
    {
        if (!oracle.Require("djpeg"))
        {
            return;
        }

        var image = new Raster(29, 18, color, depth);
        new Random(3).NextBytes(image.Data);

        var decoded = Djpeg(JpegEncoder.Encode(image), "layout");

        Assert.Equal((29, 18), (decoded.Width, decoded.Height));
    }

    [Theory]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv420, 40.0)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, 35.0)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv444, 35.0)]
    public void Encode_WhenDecodedAtQuality95_ShouldStayCloseToInput(ColorModel color, JpegSubsampling subsampling, double minimumPsnr)
    {
        if (!oracle.Require("djpeg"))
        {
            return;
        }

        var image = JpegEncoderTestData.Smooth(320, 240, color);

        var psnr = Psnr(image, Djpeg(JpegEncoder.Encode(image, new JpegEncodeOptions(95, subsampling)), "q95"));

        output.WriteLine($"{color} {subsampling} q95: PSNR {psnr:F2} dB");
        Assert.True(psnr >= minimumPsnr, $"PSNR {psnr:F2} dB < {minimumPsnr} dB");
    }

    [Theory]
    [InlineData(ColorModel.Gray)]
    [InlineData(ColorModel.Rgb)]
    public void Encode_WhenQualityRises_ShouldNotLosePsnrAndShouldGrowFile(ColorModel color)
    {
        if (!oracle.Require("djpeg"))
        {
            return;
        }

        var image = JpegEncoderTestData.Smooth(256, 192, color);
        var results = new[] { 20, 50, 80, 95 }.Select(q =>
        {
            var jpeg = JpegEncoder.Encode(image, new JpegEncodeOptions(q));
            return (Quality: q, jpeg.Length, Psnr: Psnr(image, Djpeg(jpeg, $"q{q}")));
        }).ToArray();

        output.WriteLine(string.Join("; ", results.Select(r => $"q{r.Quality}: {r.Length} B, {r.Psnr:F2} dB")));
        for (var i = 1; i < results.Length; i++)
        {
            Assert.True(results[i].Psnr >= results[i - 1].Psnr, $"PSNR fell from q{results[i - 1].Quality} to q{results[i].Quality}");
            Assert.True(results[i].Length > results[i - 1].Length, $"File did not grow from q{results[i - 1].Quality} to q{results[i].Quality}");
        }
    }

    [Theory]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv420, 50)]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv420, 85)]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv420, 95)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, 50)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, 85)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, 95)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv444, 85)]
    public void Encode_WhenComparedWithCjpeg_ShouldMatchItsSizeAndPsnr(ColorModel color, JpegSubsampling subsampling, int quality)
    {
        if (!oracle.Require("cjpeg", "djpeg"))
        {
            return;
        }

        var image = JpegEncoderTestData.Smooth(320, 240, color, seed: 7);
        var ours = JpegEncoder.Encode(image, new JpegEncodeOptions(quality, subsampling));
        var theirs = Cjpeg(image, quality, subsampling);

        var ourPsnr = Psnr(image, Djpeg(ours, "ours"));
        var theirPsnr = Psnr(image, Djpeg(theirs, "theirs"));
        var sizeRatio = (double)ours.Length / theirs.Length;

        output.WriteLine(
            $"{color} {subsampling} q{quality}: ours {ours.Length} B {ourPsnr:F2} dB, cjpeg {theirs.Length} B {theirPsnr:F2} dB, size ratio {sizeRatio:F3}");
        Assert.InRange(sizeRatio, 0.85, 1.15);
        Assert.InRange(ourPsnr - theirPsnr, -1.0, 1.0);
    }

    [Theory]
    [InlineData(ColorModel.Gray, 1)]
    [InlineData(ColorModel.Gray, 85)]
    [InlineData(ColorModel.Rgb, 30)]
    [InlineData(ColorModel.Rgb, 100)]
    public void Encode_WhenComparedWithCjpeg_ShouldWriteIdenticalTables(ColorModel color, int quality)
    {
        if (!oracle.Require("cjpeg"))
        {
            return;
        }

        var image = JpegEncoderTestData.Smooth(24, 16, color);
        var ours = JpegEncoderTestData.Segments(JpegEncoder.Encode(image, new JpegEncodeOptions(quality)));
        var theirs = JpegEncoderTestData.Segments(Cjpeg(image, quality, JpegSubsampling.Yuv420));

        foreach (var marker in new byte[] { 0xE0, 0xDB, 0xC0, 0xC4, 0xDA })
        {
            var ourPayloads = ours.Where(s => s.Marker == marker).Select(s => Convert.ToHexString(s.Payload));
            var theirPayloads = theirs.Where(s => s.Marker == marker).Select(s => Convert.ToHexString(s.Payload));
            Assert.Equal(theirPayloads, ourPayloads);
        }
    }

    [Theory]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv420, 17, 33, "Gray", "1x1")]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, 17, 33, "sRGB", "2x2,1x1,1x1")]
    [InlineData(ColorModel.Rgba, JpegSubsampling.Yuv444, 640, 480, "sRGB", "1x1,1x1,1x1")]
    public void Encode_WhenInspectedByIdentify_ShouldReportGeometryAndSampling(
        ColorModel color, JpegSubsampling subsampling, int width, int height, string colorspace, string sampling)
    {
        if (!oracle.Require("identify"))
        {
            return;
        }

        var path = Write(JpegEncoder.Encode(JpegEncoderTestData.Smooth(width, height, color), new JpegEncodeOptions(80, subsampling)), "identify");

        var (exit, stdout, stderr) = Oracle.Run("identify", "-verbose", path);

        var report = Encoding.UTF8.GetString(stdout);
        Assert.True(exit == 0 && stderr.Length == 0, stderr);
        Assert.Contains($"Geometry: {width}x{height}+0+0", report, StringComparison.Ordinal);
        Assert.Contains($"Colorspace: {colorspace}", report, StringComparison.Ordinal);
        Assert.Contains($"jpeg:sampling-factor: {sampling}", report, StringComparison.Ordinal);
        Assert.Contains("Compression: JPEG", report, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv420)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv444)]
    public void Encode_WhenTranscodedByJpegtran_ShouldKeepCoefficients(ColorModel color, JpegSubsampling subsampling)
    {
        if (!oracle.Require("jpegtran", "djpeg"))
        {
            return;
        }

        // jpegtran re-codes the coefficients losslessly, so both files must decode to identical pixels.
        var jpeg = JpegEncoder.Encode(JpegEncoderTestData.Smooth(37, 29, color), new JpegEncodeOptions(75, subsampling));
        var (exit, copy, stderr) = Oracle.Run("jpegtran", "-copy", "none", "-optimize", Write(jpeg, "jpegtran"));

        Assert.True(exit == 0 && stderr.Length == 0, $"jpegtran: exit {exit}, {stderr}");
        Assert.Equal(Djpeg(jpeg, "original").Data, Djpeg(copy, "copy").Data);
    }

    private Raster Djpeg(byte[] jpeg, string name)
    {
        var (exit, stdout, stderr) = Oracle.Run("djpeg", Write(jpeg, name));
        Assert.True(exit == 0, $"djpeg exit {exit}: {stderr}");
        Assert.True(stderr.Length == 0, $"djpeg warned: {stderr}");
        return JpegEncoderPnm.Read(stdout);
    }

    private byte[] Cjpeg(Raster image, int quality, JpegSubsampling subsampling)
    {
        // Baseline, standard (non-optimized) Huffman tables, accurate integer DCT: cjpeg's defaults. No -sample
        // for gray: cjpeg would then label its single component 2x2, which codes the same but reads oddly.
        var source = Path.Combine(directory, "source.pnm");
        File.WriteAllBytes(source, JpegEncoderPnm.Write(image));
        string[] sampling = image.Color == ColorModel.Gray ? [] : ["-sample", subsampling == JpegSubsampling.Yuv420 ? "2x2" : "1x1"];
        var (exit, stdout, stderr) = Oracle.Run(
            "cjpeg", ["-quality", quality.ToString(CultureInfo.InvariantCulture), .. sampling, "-baseline", source]);
        Assert.True(exit == 0, $"cjpeg exit {exit}: {stderr}");
        return stdout;
    }

    private string Write(byte[] jpeg, string name)
    {
        var path = Path.Combine(directory, name + ".jpg");
        File.WriteAllBytes(path, jpeg);
        return path;
    }

    /// <summary>PSNR of a decoded 8-bit Gray/Rgb raster against the (opaque, 8-bit) source.</summary>
    private static double Psnr(Raster expected, Raster actual)
    {
        Assert.Equal(expected.Data.Length, actual.Data.Length);
        double squared = 0;
        for (var i = 0; i < expected.Data.Length; i++)
        {
            double d = expected.Data[i] - actual.Data[i];
            squared += d * d;
        }

        var mse = squared / expected.Data.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }
}

/// <summary>Binary PGM/PPM (P5/P6, maxval 255), the formats cjpeg reads and djpeg writes.</summary>
internal static class JpegEncoderPnm
{
    public static byte[] Write(Raster image)
    {
        Assert.True(image.BitDepth == 8 && image.Color is ColorModel.Gray or ColorModel.Rgb, "PNM helper takes 8-bit Gray or Rgb.");
        var header = Encoding.ASCII.GetBytes($"{(image.Color == ColorModel.Gray ? "P5" : "P6")}\n{image.Width} {image.Height}\n255\n");
        return [.. header, .. image.Data];
    }

    public static Raster Read(byte[] pnm)
    {
        var position = 0;
        var magic = Token(pnm, ref position);
        var width = int.Parse(Token(pnm, ref position), CultureInfo.InvariantCulture);
        var height = int.Parse(Token(pnm, ref position), CultureInfo.InvariantCulture);
        var max = Token(pnm, ref position);
        Assert.Equal("255", max);
        position++; // the single whitespace byte before the samples
        var color = magic switch
        {
            "P5" => ColorModel.Gray,
            "P6" => ColorModel.Rgb,
            _ => throw new InvalidDataException($"Unexpected PNM magic '{magic}'."),
        };
        return new Raster(width, height, color, 8, pnm[position..]);
    }

    private static string Token(byte[] data, ref int position)
    {
        while (char.IsWhiteSpace((char)data[position]))
        {
            position++;
        }

        var start = position;
        while (!char.IsWhiteSpace((char)data[position]))
        {
            position++;
        }

        return Encoding.ASCII.GetString(data, start, position - start);
    }
}
