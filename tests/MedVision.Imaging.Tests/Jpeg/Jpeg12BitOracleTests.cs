using Xunit.Abstractions;

namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// 12-bit DCT JPEG (extended sequential and progressive, gray and colour, all of DCMTK's subsamplings) against DCMTK:
/// dcmcjpeg compresses a native 12-bit DICOM, dcmdjpeg (IJG 6b built for 12 bits) decodes it, and the decoder must give
/// exactly dcmdjpeg's samples. A few 8-bit cases check <see cref="JpegDecodeOptions.ConvertColor"/> against dcmdjpeg's
/// "never convert" mode and that the 8-bit path agrees with IJG's 8-bit library too.
/// Measured: every case below decodes bit-identically (max |diff| 0), which is what the assertions require.
/// </summary>
public sealed class Jpeg12BitOracleTests(ITestOutputHelper output, Jpeg12BitOracleTests.Corpus corpus) : IClassFixture<Jpeg12BitOracleTests.Corpus>
{
    private static readonly DcmtkCase[] Cases =
    [
        new("ext-gray-q90-37x23", 37, 23, 12, 1, ["+ee"]),
        new("ext-gray-q100-1x1", 1, 1, 12, 1, ["+ee", "+q", "100"]),
        new("ext-gray-q100-9x7", 9, 7, 12, 1, ["+ee", "+q", "100"]),
        new("ext-gray-q25-130x67", 130, 67, 12, 1, ["+ee", "+q", "25"]),
        new("ext-gray-q5-64x64", 64, 64, 12, 1, ["+ee", "+q", "5"]),
        new("ext-gray-q75-333x211", 333, 211, 12, 1, ["+ee", "+q", "75"]),
        new("ext-gray-smooth-q95-41x39", 41, 39, 12, 1, ["+ee", "+q", "95", "+sm", "50"]),
        new("prog-gray-61x45", 61, 45, 12, 1, ["+ep"]),
        new("prog-gray-q100-17x200", 17, 200, 12, 1, ["+ep", "+q", "100"]),
        new("spectral-gray-61x45", 61, 45, 12, 1, ["+es"]),
        new("ext-rgb-422-45x31", 45, 31, 12, 3, ["+ee"]),
        new("ext-rgb-444-45x31", 45, 31, 12, 3, ["+ee", "+s4"]),
        new("ext-rgb-420-45x31", 45, 31, 12, 3, ["+ee", "+n1"]),
        new("ext-rgb-420-2x3", 2, 3, 12, 3, ["+ee", "+n1"]),
        new("ext-rgb-422full-45x31", 45, 31, 12, 3, ["+ee", "+n2"]),
        new("ext-rgb-422-q100-160x90", 160, 90, 12, 3, ["+ee", "+q", "100"]),
        new("ext-rgb-as-rgb-45x31", 45, 31, 12, 3, ["+ee", "+cr"]),
        new("prog-rgb-422-45x31", 45, 31, 12, 3, ["+ep"]),
        new("prog-rgb-420-77x50", 77, 50, 12, 3, ["+ep", "+n1"]),
        new("spectral-rgb-420-33x17", 33, 17, 12, 3, ["+es", "+n1"]),
        new("ext-rgb-from8bit-45x31", 45, 31, 8, 3, ["+ee", "+bt"]),
        new("ext-gray-from8bit-45x31", 45, 31, 8, 1, ["+ee", "+bt"]),

        // ConvertColor = false against dcmdjpeg +cn: components as coded, upsampled, not converted.
        new("raw-ext-rgb-422-45x31", 45, 31, 12, 3, ["+ee"], ["+cn"]),
        new("raw-ext-rgb-420-45x31", 45, 31, 12, 3, ["+ee", "+n1"], ["+cn"]),
        new("raw-prog-rgb-422-45x31", 45, 31, 12, 3, ["+ep"], ["+cn"]),
        new("raw-base-rgb-422-45x31", 45, 31, 8, 3, ["+eb"], ["+cn"]),
        new("raw-base-rgb-444-45x31", 45, 31, 8, 3, ["+eb", "+s4"], ["+cn"]),

        // 8-bit through IJG's 8-bit library: the libjpeg-turbo-exact path agrees with it for these subsamplings.
        new("base-gray-37x23", 37, 23, 8, 1, ["+eb"]),
        new("base-rgb-422-45x31", 45, 31, 8, 3, ["+eb"]),
        new("ext8-rgb-420-45x31", 45, 31, 8, 3, ["+ee", "+n1"]),
        new("prog8-rgb-422-45x31", 45, 31, 8, 3, ["+ep"]),

        // Hand-made coefficients far outside what an encoder emits, with large quantisers: the IDCT's 64-bit sums and
        // libjpeg's wrap-around range limiting (values masked to 14 bits before clamping), checked against dcmdjpeg.
        new("crafted-dc-only-extreme-64x64", 64, 64, 12, 1, [], Crafted: () => Extreme(1, acCount: 0, maxAc: 0, maxQuant: 4000), TransferSyntax: Extended),
        new("crafted-few-ac-extreme-64x64", 64, 64, 12, 1, [], Crafted: () => Extreme(2, acCount: 5, maxAc: 30000, maxQuant: 3000), TransferSyntax: Extended),
        new("crafted-all-ac-extreme-64x64", 64, 64, 12, 1, [], Crafted: () => Extreme(3, acCount: 63, maxAc: 32767, maxQuant: 65535), TransferSyntax: Extended),
        new("crafted-all-ac-moderate-64x64", 64, 64, 12, 1, [], Crafted: () => Extreme(4, acCount: 63, maxAc: 200, maxQuant: 40), TransferSyntax: Extended),
    ];

    /// <summary>JPEG Extended (Process 2 and 4).</summary>
    private const string Extended = "1.2.840.10008.1.2.4.51";

    private readonly Oracle oracle = new(output);

    public static TheoryData<string> CaseNames => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Decode_WhenDcmcjpegMadeTheDctImage_ShouldEqualDcmdjpegExactly(string name)
    {
        if (corpus.Get(oracle, name) is not { } result)
        {
            return;
        }

        Assert.True(result.Error is null, result.Error);
        var c = result.Case;
        var convert = c.Decode is null || !c.Decode.Contains("+cn");
        var jpeg = result.Jpeg!;
        var expected = result.Expected!;

        var info = JpegDecoder.ReadInfo(jpeg);
        var precision = c.Bits > 8 || c.Encode.Contains("+bt") ? 12 : 8;
        Assert.True(info.Precision == precision, $"precision {info.Precision}, expected {precision}");
        Assert.Equal(
            c.Encode.Contains("+ep") || c.Encode.Contains("+es") ? JpegProcess.Progressive
            : c.Encode.Contains("+eb") ? JpegProcess.Baseline : JpegProcess.ExtendedSequential,
            info.Process);

        var raster = JpegDecoder.Decode(jpeg, new JpegDecodeOptions(ConvertColor: convert));
        Assert.Equal((c.Width, c.Height), (raster.Width, raster.Height));
        Assert.Equal(c.Samples == 1 ? ColorModel.Gray : ColorModel.Rgb, raster.Color);
        Assert.Equal(precision == 12 ? 16 : 8, raster.BitDepth);
        Assert.Equal((c.Width, c.Height, c.Samples, 0), (expected.Width, expected.Height, expected.Samples, expected.PlanarConfiguration));

        var actual = DicomJpegOracle.SamplesOf(raster);
        if (precision == 12)
        {
            Assert.All(actual, s => Assert.InRange(s, 0, 4095));
        }

        var (max, count) = DicomJpegOracle.Compare(actual, expected.Values);
        output.WriteLine($"{name}: {info.Subsampling} {info.ColorSpace}, dcmdjpeg wrote {expected.Photometric} {expected.BitsStored}/{expected.BitsAllocated}; " +
                         $"max |diff| {max}, {count} of {actual.Length} samples differ");
        Assert.Equal(0, max);
    }

    /// <summary>A 12-bit SOF1 image of 8x8 blocks with random DC values, <paramref name="acCount"/> random non-zero ACs and random quantisers.</summary>
    private static byte[] Extreme(int seed, int acCount, int maxAc, int maxQuant)
    {
        var random = new Random(seed);
        var quant = Enumerable.Range(0, 64).Select(_ => random.Next(1, maxQuant + 1)).ToArray();
        var blocks = new List<int[]>();
        for (var b = 0; b < 64; b++)
        {
            var block = new int[1 + acCount];
            block[0] = random.Next(-16000, 16001);
            for (var k = 1; k <= acCount; k++)
            {
                block[k] = random.Next(1, maxAc + 1) * (random.Next(2) == 0 ? -1 : 1);
            }

            blocks.Add(block);
        }

        return DctJpegTestEncoder.Encode(12, 64, 64, quant, blocks);
    }

    /// <summary>The 12-bit corpus, built once for the class.</summary>
    public sealed class Corpus : DcmtkCorpus
    {
        internal override IReadOnlyList<DcmtkCase> Cases => Jpeg12BitOracleTests.Cases;
    }
}
