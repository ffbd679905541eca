using Xunit.Abstractions;

namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// Lossless JPEG (SOF3) against its two oracles: the original samples (lossless means equal, after the point transform
/// drops its low bits) and DCMTK's dcmdjpeg. The streams come from dcmcjpeg (its true-lossless codec codes 9..16-bit
/// data at precision 16, its pseudo-lossless one at 12) and, for what dcmcjpeg cannot make (every precision 2..16,
/// restart intervals, non-interleaved scans, category-16 differences), from <see cref="LosslessJpegTestEncoder"/>,
/// wrapped into DICOM for dcmdjpeg. Measured: every case matches both oracles exactly.
/// </summary>
public sealed class JpegLosslessOracleTests(ITestOutputHelper output, JpegLosslessOracleTests.Corpus corpus) : IClassFixture<JpegLosslessOracleTests.Corpus>
{
    private static readonly DcmtkCase[] Cases =
    [
        // dcmcjpeg's encoders.
        new("sv1-gray8-37x23", 37, 23, 8, 1, ["+e1"]),
        new("sv1-gray8-1x1", 1, 1, 8, 1, ["+e1"]),
        new("sv1-rgb8-37x23", 37, 23, 8, 3, ["+e1"]),
        new("sv1-gray16-61x45", 61, 45, 16, 1, ["+e1"]),
        new("sv1-gray12stored-61x45", 61, 45, 12, 1, ["+e1"]),
        new("sv1-rgb16-23x19", 23, 19, 16, 3, ["+e1"]),
        new("sv1-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "1"]),
        new("sv2-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "2"]),
        new("sv3-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "3"]),
        new("sv4-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "4"]),
        new("sv5-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "5"]),
        new("sv6-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "6"]),
        new("sv7-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "7"]),
        new("sv2-rgb8-33x21", 33, 21, 8, 3, ["+el", "+sv", "2"]),
        new("sv4-rgb8-33x21", 33, 21, 8, 3, ["+el", "+sv", "4"]),
        new("sv6-rgb8-33x21", 33, 21, 8, 3, ["+el", "+sv", "6"]),
        new("sv7-rgb16-20x13", 20, 13, 16, 3, ["+el", "+sv", "7"]),
        new("sv5-gray8-255x3", 255, 3, 8, 1, ["+el", "+sv", "5"]),
        new("sv7-gray16-1x17", 1, 17, 16, 1, ["+el", "+sv", "7"]),
        new("sv3-gray16-17x1", 17, 1, 16, 1, ["+el", "+sv", "3"]),
        new("sv6-pt2-gray16-45x33", 45, 33, 16, 1, ["+el", "+sv", "6", "+pt", "2"]),
        new("sv1-pt3-gray8-45x33", 45, 33, 8, 1, ["+e1", "+pt", "3"]),
        new("sv4-pt1-rgb8-33x21", 33, 21, 8, 3, ["+el", "+sv", "4", "+pt", "1"]),
        new("pseudo-sv3-gray12-45x33", 45, 33, 12, 1, ["+pl", "+el", "+sv", "3"]),
        new("sv1-gray16-512x384", 512, 384, 16, 1, ["+e1"]),

        // Streams written from T.81 by the test encoder: every precision, restart intervals of whole lines (libjpeg
        // accepts no other), non-interleaved scans, point transforms, category 16.
        .. new[] { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }.Select(p =>
            new DcmtkCase($"t81-p{p}-sv{(p % 7) + 1}-29x18", 29, 18, p, 1, [], Lossless: new(p, (p % 7) + 1))),
        new("t81-p16-sv7-restart1line-40x25", 40, 25, 16, 1, [], Lossless: new(16, 7, RestartInterval: 40)),
        new("t81-p12-sv4-restart3lines-31x20", 31, 20, 12, 1, [], Lossless: new(12, 4, RestartInterval: 93)),
        new("t81-p8-sv5-restart1line-16x9", 16, 9, 8, 1, [], Lossless: new(8, 5, RestartInterval: 16)),
        new("t81-p8-rgb-sv6-restart2lines-27x14", 27, 14, 8, 3, [], Lossless: new(8, 6, RestartInterval: 54)),
        new("t81-p10-rgb-sv5-noninterleaved-27x14", 27, 14, 10, 3, [], Lossless: new(10, 5, Interleaved: false)),
        new("t81-p16-rgb-sv1-noninterleaved-restart-27x14", 27, 14, 16, 3, [], Lossless: new(16, 1, RestartInterval: 27, Interleaved: false)),
        new("t81-p16-rgb-sv3-27x14", 27, 14, 16, 3, [], Lossless: new(16, 3)),
        new("t81-p12-sv2-pt4-29x18", 29, 18, 12, 1, [], Lossless: new(12, 2, PointTransform: 4)),
        new("t81-p16-sv6-pt15-29x18", 29, 18, 16, 1, [], Lossless: new(16, 6, PointTransform: 15)),
        new("t81-p2-sv7-pt1-29x18", 29, 18, 2, 1, [], Lossless: new(2, 7, PointTransform: 1)),
        new("t81-p16-sv1-category16-33x20", 33, 20, 16, 1, [], Lossless: new(16, 1), Extremes: true),
        new("t81-p16-sv4-category16-restart-33x20", 33, 20, 16, 1, [], Lossless: new(16, 4, RestartInterval: 66), Extremes: true),
        new("t81-p16-rgb-sv7-category16-15x10", 15, 10, 16, 3, [], Lossless: new(16, 7), Extremes: true),
    ];

    private readonly Oracle oracle = new(output);

    public static TheoryData<string> CaseNames => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Decode_WhenLosslessImage_ShouldEqualOriginalAndDcmdjpegExactly(string name)
    {
        if (corpus.Get(oracle, name) is not { } result)
        {
            return;
        }

        Assert.True(result.Error is null, result.Error);
        var c = result.Case;
        var jpeg = result.Jpeg!;
        var expected = result.Expected!;
        var pointTransform = c.Lossless?.PointTransform ?? (Array.IndexOf(c.Encode, "+pt") is var at and >= 0 ? int.Parse(c.Encode[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 0);

        var info = JpegDecoder.ReadInfo(jpeg);
        Assert.Equal(JpegProcess.Lossless, info.Process);
        if (c.Lossless is { } parameters)
        {
            Assert.Equal(parameters.Precision, info.Precision);
        }

        var raster = JpegDecoder.Decode(jpeg);
        Assert.Equal((c.Width, c.Height), (raster.Width, raster.Height));
        Assert.Equal(c.Samples == 1 ? ColorModel.Gray : ColorModel.Rgb, raster.Color);
        Assert.Equal(info.Precision <= 8 ? 8 : 16, raster.BitDepth);
        Assert.Equal((c.Width, c.Height, c.Samples, 0), (expected.Width, expected.Height, expected.Samples, expected.PlanarConfiguration));

        var actual = DicomJpegOracle.SamplesOf(raster);
        var original = result.Original.Select(s => (ushort)((s >> pointTransform) << pointTransform)).ToArray();
        var versusOriginal = DicomJpegOracle.Compare(actual, original);
        var versusDcmdjpeg = DicomJpegOracle.Compare(actual, expected.Values);
        output.WriteLine($"{name}: precision {info.Precision}, Pt {pointTransform}, restart {info.RestartInterval}, {info.ColorSpace}; " +
                         $"vs original max |diff| {versusOriginal.Max} ({versusOriginal.Count} differ), " +
                         $"vs dcmdjpeg ({expected.Photometric} {expected.BitsStored}/{expected.BitsAllocated}) max |diff| {versusDcmdjpeg.Max} ({versusDcmdjpeg.Count} differ)");
        Assert.Equal((0, 0), versusOriginal);
        Assert.Equal((0, 0), versusDcmdjpeg);
    }

    /// <summary>The lossless corpus, built once for the class.</summary>
    public sealed class Corpus : DcmtkCorpus
    {
        internal override IReadOnlyList<DcmtkCase> Cases => JpegLosslessOracleTests.Cases;
    }
}
