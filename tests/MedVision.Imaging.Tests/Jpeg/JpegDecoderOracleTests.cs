using System.Diagnostics;
using Xunit.Abstractions;
using static MedVision.Imaging.Tests.Jpeg.JpegDecoderTestSupport;

namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// Builds a corpus with libjpeg-turbo's cjpeg/jpegtran (and ImageMagick for CMYK) at run time and compares every
/// decode with djpeg's. The decoder reproduces djpeg's ISLOW IDCT, fancy upsampling and colour conversion, so the
/// measured difference is 0 everywhere; the asserted bounds (max 1, none over 1) leave room only for rounding.
/// </summary>
public sealed class JpegDecoderOracleTests : IDisposable
{
    // Measured on libjpeg-turbo 2.1.5: every case below decodes bit-identically (max |diff| 0).
    private const int MaxAllowedDifference = 1;
    private const double MaxFractionOver1 = 0.001;

    private static readonly (int Width, int Height)[] Sizes = [(1, 1), (7, 5), (17, 33), (99, 61), (640, 480)];

    private static readonly Dictionary<string, (bool Color, string[] Cjpeg, string[]? Jpegtran)> Corpus = new()
    {
        ["q10"] = (true, ["-quality", "10"], null),
        ["q50"] = (true, ["-quality", "50"], null),
        ["q90"] = (true, ["-quality", "90"], null),
        ["q100"] = (true, ["-quality", "100"], null),
        ["gray-source"] = (false, ["-quality", "85"], null),
        ["grayscale-option"] = (true, ["-grayscale"], null),
        ["gray-h2v2-factors"] = (false, ["-sample", "2x2"], null),
        ["sample-1x1"] = (true, ["-sample", "1x1"], null),
        ["sample-2x1"] = (true, ["-sample", "2x1"], null),
        ["sample-2x2"] = (true, ["-sample", "2x2"], null),
        ["sample-1x2"] = (true, ["-sample", "1x2"], null),
        ["sample-4x1"] = (true, ["-sample", "4x1"], null),
        ["sample-4x2"] = (true, ["-sample", "4x2"], null),
        ["sample-2x1,1x2,1x1"] = (true, ["-sample", "2x1,1x2,1x1"], null),
        ["sample-1x1,2x2,1x1"] = (true, ["-sample", "1x1,2x2,1x1"], null),
        ["progressive"] = (true, ["-progressive"], null),
        ["progressive-gray"] = (false, ["-progressive", "-quality", "95"], null),
        ["progressive-4:4:4"] = (true, ["-progressive", "-sample", "1x1"], null),
        ["progressive-restart"] = (true, ["-progressive", "-restart", "1"], null),
        ["restart-1"] = (true, ["-restart", "1"], null),
        ["restart-3B"] = (true, ["-restart", "3B"], null),
        ["optimize"] = (true, ["-optimize"], null),
        ["baseline-q30"] = (true, ["-baseline", "-quality", "30"], null),
        ["dct-int"] = (true, ["-dct", "int"], null),
        ["dct-float"] = (true, ["-dct", "float"], null),
        ["rgb-adobe"] = (true, ["-rgb"], null),
        ["scans-script"] = (true, ["-scans", "SCRIPT"], null),
        ["jpegtran-progressive"] = (true, ["-quality", "80"], ["-progressive"]),
        ["jpegtran-restart"] = (true, ["-quality", "80"], ["-restart", "2"]),
        ["jpegtran-rotate90"] = (true, ["-quality", "80"], ["-rotate", "90"]),
        ["jpegtran-progressive-gray"] = (false, ["-quality", "70"], ["-progressive", "-optimize"]),
    };

    // Non-interleaved DC scans, spectral selection splits and successive approximation with refinement.
    private const string ScanScript = """
        0: 0 0 0 1;
        1: 0 0 0 0;
        2: 0 0 0 0;
        0: 0 0 1 0;
        0: 1 5 0 2;
        0: 6 63 0 2;
        0: 1 63 2 1;
        0: 1 63 1 0;
        1: 1 63 0 1;
        2: 1 63 0 0;
        1: 1 63 1 0;
        """;

    private readonly ITestOutputHelper output;
    private readonly Oracle oracle;
    private readonly string directory;

    public JpegDecoderOracleTests(ITestOutputHelper output)
    {
        this.output = output;
        oracle = new Oracle(output);
        directory = Path.Combine(Path.GetTempPath(), "medvision-jpegdec-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
    }

    public static TheoryData<string> CorpusNames => new(Corpus.Keys);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void Decode_WhenFileMadeByCjpeg_ShouldMatchDjpegWithinOne(string name)
    {
        if (!oracle.Require("cjpeg", "djpeg", "jpegtran"))
        {
            return;
        }

        var (color, cjpegArgs, jpegtranArgs) = Corpus[name];
        var worst = 0;
        long over = 0;
        long samples = 0;
        foreach (var (width, height) in Sizes)
        {
            var jpeg = Encode(Synthetic(width, height, color, (width * 31) + height), cjpegArgs, jpegtranArgs);
            var (max, over1, count) = CompareWithDjpeg(jpeg);
            worst = Math.Max(worst, max);
            over += over1;
            samples += count;
        }

        output.WriteLine($"{name}: max |diff| {worst}, {over} of {samples} samples differ by more than 1 ({100.0 * over / samples:F4}%)");
        Assert.True(worst <= MaxAllowedDifference, $"{name}: max |diff| {worst}");
        Assert.True(over <= samples * MaxFractionOver1, $"{name}: {over} samples differ by more than 1");
    }

    [Theory]
    [InlineData("-quality", "75")]
    [InlineData("-progressive")]
    [InlineData("-sample", "1x1")]
    public void ReadInfo_WhenFileMadeByCjpeg_ShouldMatchItsParameters(params string[] cjpegArgs)
    {
        if (!oracle.Require("cjpeg"))
        {
            return;
        }

        var jpeg = Encode(Synthetic(45, 30, true, 1), [.. cjpegArgs, "-restart", "3B"], null);
        var info = JpegDecoder.ReadInfo(jpeg);

        Assert.Equal((45, 30, 3, 8, 1, 3, "ycbcr"), (info.Width, info.Height, info.Components, info.Precision, info.Orientation, info.RestartInterval, info.ColorSpace));
        Assert.Equal(cjpegArgs[0] == "-progressive" ? JpegProcess.Progressive : JpegProcess.Baseline, info.Process);
        Assert.Equal(cjpegArgs[0] == "-sample" ? "4:4:4" : "4:2:0", info.Subsampling);
    }

    [Fact]
    public void ReadInfo_WhenSubsamplingVaries_ShouldNameIt()
    {
        if (!oracle.Require("cjpeg"))
        {
            return;
        }

        string Sub(bool color, params string[] args) => JpegDecoder.ReadInfo(Encode(Synthetic(20, 20, color, 2), args, null)).Subsampling;

        Assert.Equal("4:2:2", Sub(true, "-sample", "2x1"));
        Assert.Equal("4:4:0", Sub(true, "-sample", "1x2"));
        Assert.Equal("4:1:1", Sub(true, "-sample", "4x1"));
        Assert.Equal("4:0:0", Sub(false));
        Assert.Equal("h2v1,h1v2,h1v1", Sub(true, "-sample", "2x1,1x2,1x1"));
        Assert.Equal("rgb", JpegDecoder.ReadInfo(Encode(Synthetic(9, 9, true, 3), ["-rgb"], null)).ColorSpace);
    }

    [Fact]
    public void Decode_WhenArithmeticCoded_ShouldThrowUnsupported()
    {
        if (!oracle.Require("cjpeg", "jpegtran"))
        {
            return;
        }

        var jpeg = Encode(Synthetic(16, 16, true, 4), ["-quality", "80"], ["-arithmetic"]);
        var ex = Assert.Throws<ImageDecodeException>(() => JpegDecoder.Decode(jpeg));
        Assert.Equal(JpegErrorCodes.Unsupported, ex.Code);
        Assert.Contains("arithmetic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenCmykFromImageMagick_ShouldMatchImageMagickRgb()
    {
        if (!oracle.Require("convert"))
        {
            return;
        }

        var source = Path.Combine(directory, "cmyk-source.ppm");
        File.WriteAllBytes(source, ToPnm(Synthetic(61, 47, true, 5)));
        var target = Path.Combine(directory, "cmyk.jpg");
        Oracle.RunOk("convert", source, "-colorspace", "CMYK", "-quality", "92", target);
        var jpeg = File.ReadAllBytes(target);
        var info = JpegDecoder.ReadInfo(jpeg);
        Assert.Equal(4, info.Components);
        Assert.Contains(info.ColorSpace, new[] { "cmyk", "ycck" });

        var expected = FromPnm(Oracle.RunOk("convert", target, "-colorspace", "sRGB", "-depth", "8", "ppm:-"));
        var (max, over1, samples) = Compare(expected, JpegDecoder.Decode(jpeg));

        output.WriteLine($"CMYK ({info.ColorSpace}) vs ImageMagick: max |diff| {max}, {over1} of {samples} over 1");
        Assert.True(max <= 1, $"max |diff| {max}");
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(6, true)]
    [InlineData(8, false)]
    [InlineData(5, true)]
    public void Decode_WhenExifOrientationSet_ShouldMatchRotatedDecode(int orientation, bool littleEndian)
    {
        var jpeg = InsertAfterSoi(Baseline, ExifOrientationSegment(orientation, littleEndian));

        var upright = JpegDecoder.Decode(jpeg);
        var stored = JpegDecoder.Decode(jpeg, new JpegDecodeOptions(ApplyExifOrientation: false));

        Assert.Equal(orientation, JpegDecoder.ReadInfo(jpeg).Orientation);
        Assert.Equal(ReferenceOrient(stored, orientation).Data, upright.Data);
        Assert.Equal(orientation >= 5 ? (16, 24) : (24, 16), (upright.Width, upright.Height));
    }

    [Fact]
    public void Decode_WhenOrientation6_ShouldMatchJpegtranRotate90WithinOne()
    {
        if (!oracle.Require("cjpeg", "djpeg", "jpegtran"))
        {
            return;
        }

        // Whole MCUs and gray, so -perfect succeeds and no chroma is re-filtered: only IDCT rounding can differ.
        var plain = Encode(Synthetic(64, 48, false, 6), ["-quality", "90"], null);
        var rotated = Encode(Synthetic(64, 48, false, 6), ["-quality", "90"], ["-rotate", "90", "-perfect"]);
        var ours = JpegDecoder.Decode(InsertAfterSoi(plain, ExifOrientationSegment(6, false)));
        var theirs = Djpeg(rotated);

        var (max, over1, samples) = Compare(theirs, ours);
        output.WriteLine($"orientation 6 vs jpegtran -rotate 90: max |diff| {max}, {over1} of {samples} over 1");
        Assert.True(max <= 1, $"max |diff| {max}");
    }

    [Theory]
    [InlineData(0.8)]
    [InlineData(0.97)]
    public void Decode_WhenProgressiveTruncatedAfterFirstScan_ShouldMatchDjpeg(double keep)
    {
        if (!oracle.Require("cjpeg", "djpeg"))
        {
            return;
        }

        // djpeg warns "premature end" and renders the scans it has; so do we (lenient past the first scan).
        // Cuts are late enough that the low AC bands are complete: with them missing, libjpeg estimates them by
        // inter-block smoothing, which this decoder does not (a 55% cut measured max |diff| 20, 25% of samples > 1).
        var jpeg = Encode(Synthetic(99, 61, true, 8), ["-progressive", "-quality", "85"], null);
        var cut = jpeg[..(int)(jpeg.Length * keep)];
        var (max, over1, samples) = Compare(Djpeg(cut, allowWarnings: true), JpegDecoder.Decode(cut));

        output.WriteLine($"progressive cut at {keep:P0}: max |diff| {max}, {over1} of {samples} over 1");
        Assert.Equal(0, over1);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(5, 2)]
    [InlineData(10, 1)]
    public void Decode_WhenRestartIntervalsLost_ShouldResynchroniseLikeDjpeg(int firstLost, int lostCount)
    {
        if (!oracle.Require("cjpeg", "djpeg"))
        {
            return;
        }

        // Remove whole intervals (data plus their RST marker); libjpeg's resync zero-fills and carries on.
        var jpeg = Encode(Synthetic(96, 64, true, 9), ["-restart", "1B", "-quality", "85"], null);
        var markers = Enumerable.Range(0, jpeg.Length - 1).Where(i => jpeg[i] == 0xFF && jpeg[i + 1] is >= 0xD0 and <= 0xD7).ToList();
        var from = markers[firstLost - 1] + 2;
        var to = markers[firstLost - 1 + lostCount] + 2;
        byte[] damaged = [.. jpeg.AsSpan(0, from), .. jpeg.AsSpan(to)];

        var (max, over1, samples) = Compare(Djpeg(damaged, allowWarnings: true), JpegDecoder.Decode(damaged));

        output.WriteLine($"lost intervals {firstLost}+{lostCount}: max |diff| {max}, {over1} of {samples} over 1");
        Assert.Equal(0, over1);
    }

    private (int Max, long Over1, long Samples) CompareWithDjpeg(byte[] jpeg) => Compare(Djpeg(jpeg), JpegDecoder.Decode(jpeg));

    private Raster Djpeg(byte[] jpeg, bool allowWarnings = false)
    {
        var path = Path.Combine(directory, "oracle.jpg");
        File.WriteAllBytes(path, jpeg);
        if (!allowWarnings)
        {
            return FromPnm(Oracle.RunOk("djpeg", "-pnm", path));
        }

        // djpeg exits 2 when it only warned (corrupt or premature data) yet wrote the image.
        var (exit, stdout, stderr) = Oracle.Run("djpeg", "-pnm", path);
        Assert.True(exit is 0 or 2 && stdout.Length > 0, $"djpeg failed ({exit}): {stderr}");
        return FromPnm(stdout);
    }

    private byte[] Encode(Raster raster, string[] cjpegArgs, string[]? jpegtranArgs)
    {
        var source = Path.Combine(directory, raster.Color == ColorModel.Gray ? "source.pgm" : "source.ppm");
        File.WriteAllBytes(source, ToPnm(raster));
        if (cjpegArgs.Contains("SCRIPT"))
        {
            var script = Path.Combine(directory, "scans.txt");
            File.WriteAllText(script, ScanScript);
            cjpegArgs = [.. cjpegArgs.Select(a => a == "SCRIPT" ? script : a)];
        }

        var jpeg = Oracle.RunOk("cjpeg", [.. cjpegArgs, source]);
        if (jpegtranArgs is null)
        {
            return jpeg;
        }

        var input = Path.Combine(directory, "transcode.jpg");
        File.WriteAllBytes(input, jpeg);
        return Oracle.RunOk("jpegtran", [.. jpegtranArgs, input]);
    }
}
