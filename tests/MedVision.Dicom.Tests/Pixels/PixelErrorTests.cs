using MedVision.Dicom.Imaging;
using MedVision.Testing;
using Xunit.Abstractions;
using static MedVision.Dicom.Tests.Pixels.PixelTestData;

namespace MedVision.Dicom.Tests.Pixels;

/// <summary>Bad or unsupported pixel data ends in <see cref="DicomFormatException"/> with the right code and tag, never a crash.</summary>
public class PixelErrorTests(ITestOutputHelper output)
{
    private static DicomFormatException Fails(Action action, string code)
    {
        var ex = Assert.Throws<DicomFormatException>(action);
        Assert.Equal(code, ex.Code);
        return ex;
    }

    private static void Decode(DicomFile file)
    {
        var pixels = DicomPixelData.FromFile(file);
        for (var f = 0; f < pixels.FrameCount; f++)
        {
            _ = pixels.GetFrame(f);
            _ = DicomRenderer.Render(pixels, f);
        }
    }

    [Fact]
    public void FromFile_WhenNativePixelDataIsTooShort_ShouldThrowBadPixelDataOnPixelData()
    {
        var file = Native(Gray(4, 4), new byte[30]);
        var ex = Fails(() => DicomPixelData.FromFile(file), DicomErrorCodes.BadPixelData);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
        Assert.Contains("32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFile_WhenNumberOfFramesExceedsTheData_ShouldThrowBadPixelData()
    {
        var file = Native(Gray(4, 4, frames: 3), new byte[2 * 32]);
        var ex = Fails(() => DicomPixelData.FromFile(file), DicomErrorCodes.BadPixelData);
        Assert.Contains("2 complete frames", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16, 17, "(0028,0101)")]
    [InlineData(12, 12, "(0028,0100)")]
    [InlineData(8, 0, "(0028,0101)")]
    public void FromFile_WhenBitsAreInconsistent_ShouldThrowBadPixelDataWithTheTag(int allocated, int stored, string tag)
    {
        var ds = Gray(2, 2, allocated: 16, stored: 16);
        ds.SetUInt16(BitsAllocated, (ushort)allocated);
        ds.SetUInt16(BitsStored, (ushort)stored);
        var ex = Fails(() => DicomPixelData.FromFile(Native(ds, new byte[64])), DicomErrorCodes.BadPixelData);
        Assert.Equal(DicomTag.Parse(tag), ex.Tag);
    }

    [Fact]
    public void FromFile_WhenHighBitIsImpossible_ShouldTolerateItWithAWarning()
    {
        var ds = Gray(2, 2, allocated: 16, stored: 12, highBit: 3);
        var pixels = DicomPixelData.FromFile(Native(ds, UInt16Bytes([0xF001, 2, 3, 0x0FFF])));
        Assert.Equal(11, pixels.Info.HighBit);
        Assert.Contains(pixels.Info.Warnings, w => w.Contains("High Bit", StringComparison.Ordinal));
        Assert.Equal(new[] { 1, 2, 3, 4095 }, pixels.GetFrame(0).ToInt32Array());
    }

    [Theory]
    [InlineData("rows")]
    [InlineData("columns")]
    [InlineData("samples")]
    [InlineData("photometric")]
    [InlineData("representation")]
    [InlineData("no-pixels")]
    public void FromFile_WhenTheImagePixelModuleIsBroken_ShouldThrowBadPixelData(string what)
    {
        var ds = Gray(2, 2);
        switch (what)
        {
            case "rows":
                ds.SetUInt16(Rows, 0);
                break;
            case "columns":
                ds.Remove(Columns);
                break;
            case "samples":
                ds.SetUInt16(SamplesPerPixel, 3);
                break;
            case "photometric":
                ds.SetString(Photometric, DicomVR.CS, "HSV");
                break;
            case "representation":
                ds.SetUInt16(PixelRepresentation, 2);
                break;
            default:
                break;
        }

        var file = what == "no-pixels" ? new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian) : Native(ds, new byte[8]);
        Fails(() => DicomPixelData.FromFile(file), DicomErrorCodes.BadPixelData);
    }

    [Fact]
    public void FromFile_WhenNativeSyntaxHasFragments_ShouldThrowBadPixelData()
    {
        var file = Encapsulated(Gray(2, 2), TransferSyntax.ExplicitVRLittleEndian, [new byte[8]]);
        Fails(() => DicomPixelData.FromFile(file), DicomErrorCodes.BadPixelData);
    }

    [Fact]
    public void FromFile_WhenFragmentsCannotBeMappedToFrames_ShouldThrowBadPixelData()
    {
        // 3 frames, 2 fragments, no offset table.
        var rle = RleFrame(Literal(new byte[4]));
        var file = Encapsulated(Gray(2, 2, allocated: 8, stored: 8, frames: 3), TransferSyntax.RleLossless, [rle, rle]);
        var ex = Fails(() => DicomPixelData.FromFile(file), DicomErrorCodes.BadPixelData);
        Assert.Contains("2 fragments cannot hold 3 frames", ex.Message, StringComparison.Ordinal);

        // 2 frames, 3 fragments, no table, not JPEG: ambiguous.
        file = Encapsulated(Gray(2, 2, allocated: 8, stored: 8, frames: 2), TransferSyntax.RleLossless, [rle, rle, rle]);
        Fails(() => DicomPixelData.FromFile(file), DicomErrorCodes.BadPixelData);
    }

    [Fact]
    public void FromFile_WhenTheBasicOffsetTableIsWrongAndNothingElseFits_ShouldNameTheTable()
    {
        var rle = RleFrame(Literal(new byte[4]));
        var file = Encapsulated(Gray(2, 2, allocated: 8, stored: 8, frames: 2), TransferSyntax.RleLossless, [rle, rle, rle], [0, 12]);
        var ex = Fails(() => DicomPixelData.FromFile(file), DicomErrorCodes.BadPixelData);
        Assert.Contains("Basic Offset Table", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[]> BadRleFrames()
    {
        var good = Literal([1, 2, 3, 4]);
        var data = new TheoryData<string, byte[]>
        {
            { "short header", new byte[40] },
            { "segment count", RleFrame(good, good) },
            { "zero segments", RleFrame() },
            { "run overruns segment", RleFrame([7, 1, 2, 3]) },
            { "segment ends early", RleFrame([1, 9, 9]) },
            { "replicate without value", RleFrame([0xFD]) },
        };
        var beyond = RleFrame(good);
        beyond[4] = 200;
        data.Add("offset beyond frame", beyond);
        var inHeader = RleFrame(good);
        inHeader[4] = 10;
        data.Add("offset inside header", inHeader);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadRleFrames))]
    public void GetFrame_WhenRleFrameIsBroken_ShouldThrowBadPixelData(string what, byte[] frame)
    {
        var file = Encapsulated(Gray(2, 2, allocated: 8, stored: 8), TransferSyntax.RleLossless, [frame]);
        var ex = Fails(() => DicomPixelData.FromFile(file).GetFrame(0), DicomErrorCodes.BadPixelData);
        output.WriteLine($"{what}: {ex.Message}");
    }

    [Fact]
    public void GetFrame_WhenRleSegmentOffsetsDecrease_ShouldThrowBadPixelData()
    {
        var frame = RleFrame(Literal([1, 2, 3, 4]), Literal([5, 6, 7, 8]));
        frame[8] = 64; // segment 2 starts where segment 1 does
        var file = Encapsulated(Gray(2, 2, allocated: 16, stored: 16), TransferSyntax.RleLossless, [frame]);
        Fails(() => DicomPixelData.FromFile(file).GetFrame(0), DicomErrorCodes.BadPixelData);
    }

    [Theory]
    [InlineData("mr-16u-jpegls.dcm")]
    [InlineData("mr-16u-j2k.dcm")]
    public void GetFrame_WhenCorpusFileIsJpegLsOrJpeg2000_ShouldThrowUnsupportedTransferSyntax(string name)
    {
        if (!ExternalTools.Require(output.WriteLine, TestCorpus.Tools))
        {
            return;
        }

        var file = DicomFile.Open(TestCorpus.Get(name).Path);
        var pixels = DicomPixelData.FromFile(file);
        Assert.False(pixels.IsDecodable);
        var ex = Fails(() => pixels.GetFrame(0), DicomErrorCodes.UnsupportedTransferSyntax);
        Assert.Contains("is archived but not supported for analysis", ex.Message, StringComparison.Ordinal);
        Assert.Contains(file.TransferSyntax.Uid, ex.Message, StringComparison.Ordinal);
        Fails(() => DicomRenderer.Render(file), DicomErrorCodes.UnsupportedTransferSyntax);
        Assert.False(pixels.GetFrameData(0).IsEmpty); // the bitstream is still reachable for archiving
    }

    [Fact]
    public void GetFrame_WhenJpegDataIsTruncatedOrDisagrees_ShouldThrowBadPixelData()
    {
        if (!ExternalTools.Require(output.WriteLine, TestCorpus.Tools))
        {
            return;
        }

        var source = DicomFile.Open(TestCorpus.Get("cr-8u-baseline.dcm").Path);
        var jpeg = DicomPixelData.FromFile(source).GetFrameData(0).ToArray();

        var truncated = Encapsulated(source.Dataset.Clone(), TransferSyntax.JpegBaseline8Bit, [jpeg[..(jpeg.Length / 3)]]);
        Fails(() => DicomPixelData.FromFile(truncated).GetFrame(0), DicomErrorCodes.BadPixelData);

        var wrongSize = source.Dataset.Clone();
        wrongSize.SetUInt16(Rows, 34);
        var mismatch = Encapsulated(wrongSize, TransferSyntax.JpegBaseline8Bit, [jpeg]);
        var ex = Fails(() => DicomPixelData.FromFile(mismatch).GetFrame(0), DicomErrorCodes.BadPixelData);
        Assert.Contains("47x33", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetFrame_WhenCompressedFramesAreCorruptedAtRandom_ShouldOnlyEverThrowDicomFormatException()
    {
        if (!ExternalTools.Require(output.WriteLine, TestCorpus.Tools))
        {
            return;
        }

        var random = new Random(1234);
        var names = TestCorpus.Files.Where(f => TransferSyntax.FromUid(f.TransferSyntaxUid) is { IsEncapsulated: true, IsDecodable: true }).ToList();
        var failures = 0;
        foreach (var corpusFile in names)
        {
            var source = DicomFile.Open(corpusFile.Path);
            var pixels = DicomPixelData.FromFile(source);
            var frame = pixels.GetFrameData(0).ToArray();
            for (var trial = 0; trial < 40; trial++)
            {
                var bad = (byte[])frame.Clone();
                var edits = 1 + random.Next(8);
                for (var e = 0; e < edits; e++)
                {
                    bad[random.Next(bad.Length)] = (byte)random.Next(256);
                }

                if (random.Next(4) == 0)
                {
                    bad = bad[..random.Next(bad.Length)];
                }

                var ds = source.Dataset.Clone();
                ds.SetString(NumberOfFrames, DicomVR.IS, "1");
                var file = Encapsulated(ds, source.TransferSyntax, [bad]);
                try
                {
                    Decode(file);
                }
                catch (DicomFormatException)
                {
                    failures++;
                }
            }
        }

        output.WriteLine($"{names.Count} files x 40 corruptions: {failures} rejected with DicomFormatException, the rest decoded");
    }
}
