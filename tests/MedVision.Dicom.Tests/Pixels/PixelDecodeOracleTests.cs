using MedVision.Dicom.Imaging;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests.Pixels;

/// <summary>
/// Decoded stored values against independent decoders, for every file of the shared corpus and of the pixel corpus:
/// lossless files must equal the base file's native values (extracted by numpy), every compressed file must equal
/// DCMTK's decode (dcmdjpeg/dcmdrle), and GDCM's (gdcmconv --raw) where it agrees with DCMTK.
/// </summary>
public class PixelDecodeOracleTests(ITestOutputHelper output)
{
    private bool Ready() => ExternalTools.Require(output.WriteLine, [.. TestCorpus.Tools, .. PixelOracle.Tools]);

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void GetFrame_WhenCorpusFileIsLosslessAndDecodable_ShouldEqualTheBaseFilesStoredValues(string name)
    {
        if (!Ready())
        {
            return;
        }

        var file = TestCorpus.Get(name);
        var syntax = TransferSyntax.FromUid(file.TransferSyntaxUid);
        if (!syntax.IsDecodable || !file.Lossless)
        {
            output.WriteLine($"{name}: {(syntax.IsDecodable ? "lossy, see the DCMTK test" : "not decodable, see the error tests")}");
            return;
        }

        var expected = PixelOracle.NativeStoredValues(file.BasePath);
        var actual = PixelOracle.OurStoredValues(file.Path);
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name}: first difference at sample {FirstDifference(expected, actual)}");
    }

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void GetFrame_WhenCorpusFileIsCompressed_ShouldEqualDcmtksDecode(string name)
    {
        if (!Ready())
        {
            return;
        }

        var file = TestCorpus.Get(name);
        var syntax = TransferSyntax.FromUid(file.TransferSyntaxUid);
        if (!syntax.IsDecodable || !syntax.IsEncapsulated)
        {
            return;
        }

        // 12-bit extended JPEG included: the decoder reproduces IJG 6b's 12-bit build, which dcmdjpeg links, bit for bit.
        var reference = PixelOracle.NativeStoredValues(PixelOracle.DcmtkDecode(file.Path, syntax));
        var actual = PixelOracle.OurStoredValues(file.Path);
        Assert.Equal(reference.Length, actual.Length);
        Assert.True(reference.AsSpan().SequenceEqual(actual), $"{name}: first difference from DCMTK at sample {FirstDifference(reference, actual)}");
    }

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void GetFrame_WhenCorpusFileIsCompressed_ShouldEqualGdcmsDecode(string name)
    {
        if (!Ready())
        {
            return;
        }

        var file = TestCorpus.Get(name);
        var syntax = TransferSyntax.FromUid(file.TransferSyntaxUid);
        if (!syntax.IsDecodable || !syntax.IsEncapsulated)
        {
            return;
        }

        var gdcmFile = PixelOracle.GdcmDecode(file.Path);
        var reference = PixelOracle.NativeStoredValues(gdcmFile);
        var actual = PixelOracle.OurStoredValues(file.Path);
        Assert.Equal(reference.Length, actual.Length);
        var gdcmPhotometric = DicomImageInfo.FromDataset(DicomFile.Open(gdcmFile).Dataset).PhotometricInterpretation;
        if (gdcmPhotometric == "YBR_FULL" && DicomPixelData.FromFile(DicomFile.Open(file.Path)).GetFrame(0).PhotometricInterpretation == "RGB")
        {
            // gdcmconv --raw leaves a YBR JPEG's components unconverted (YBR_FULL); dcmdjpeg's default and ours convert
            // them. Converting GDCM's output with libjpeg's fixed-point formula must then give our values exactly.
            reference = LibjpegYcbcrToRgb(reference);
        }
        var maxDiff = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - reference[i]));
        }

        output.WriteLine($"{name}: max |ours - gdcmconv --raw| = {maxDiff}");
        Assert.Equal(0, maxDiff);
    }

    [Theory]
    [MemberData(nameof(PixelOracle.CaseNames), MemberType = typeof(PixelOracle))]
    public void GetFrame_WhenPixelCorpusCaseHasReference_ShouldEqualIt(string name)
    {
        if (!Ready())
        {
            return;
        }

        var pixelCase = PixelOracle.Case(name);
        if (pixelCase.ReferencePath is null)
        {
            return;
        }

        var expected = PixelOracle.ReadInt32File(pixelCase.ReferencePath);
        var actual = PixelOracle.OurStoredValues(pixelCase.Path);
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name}: first difference at sample {FirstDifference(expected, actual)}");
    }

    [Theory]
    [MemberData(nameof(PixelOracle.CaseNames), MemberType = typeof(PixelOracle))]
    public void GetFrame_WhenPixelCorpusCaseIsNative_ShouldEqualNumpyExtraction(string name)
    {
        if (!Ready())
        {
            return;
        }

        // A second, independent extraction of the same files: numpy from the raw bytes, not the values they were made from.
        var pixelCase = PixelOracle.Case(name);
        var file = DicomFile.Open(pixelCase.Path);
        if (file.TransferSyntax.IsEncapsulated)
        {
            return;
        }

        var expected = PixelOracle.NativeStoredValues(pixelCase.Path);
        var actual = PixelOracle.OurStoredValues(pixelCase.Path);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name}: first difference at sample {FirstDifference(expected, actual)}");
    }

    /// <summary>libjpeg's jdcolor.c: 16-bit fixed point, FIX(x) = (int)(x * 65536 + 0.5), one rounding per channel.</summary>
    private static int[] LibjpegYcbcrToRgb(int[] ycc)
    {
        static int Fix(double x) => (int)((x * 65536) + 0.5);
        var rgb = new int[ycc.Length];
        for (var i = 0; i < ycc.Length; i += 3)
        {
            int y = ycc[i], cb = ycc[i + 1] - 128, cr = ycc[i + 2] - 128;
            rgb[i] = Math.Clamp(y + (((Fix(1.402) * cr) + 32768) >> 16), 0, 255);
            rgb[i + 1] = Math.Clamp(y + (((-Fix(0.34414) * cb) - (Fix(0.71414) * cr) + 32768) >> 16), 0, 255);
            rgb[i + 2] = Math.Clamp(y + (((Fix(1.772) * cb) + 32768) >> 16), 0, 255);
        }

        return rgb;
    }

    private static int FirstDifference(int[] expected, int[] actual)
    {
        for (var i = 0; i < Math.Min(expected.Length, actual.Length); i++)
        {
            if (expected[i] != actual[i])
            {
                return i;
            }
        }

        return Math.Min(expected.Length, actual.Length);
    }
}
