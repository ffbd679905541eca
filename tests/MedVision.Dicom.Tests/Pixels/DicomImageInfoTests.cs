using MedVision.Dicom.Imaging;
using MedVision.Imaging;
using MedVision.Testing;
using Xunit.Abstractions;
using static MedVision.Dicom.Tests.Pixels.PixelTestData;

namespace MedVision.Dicom.Tests.Pixels;

public class DicomImageInfoTests(ITestOutputHelper output)
{
    [Fact]
    public void FromDataset_WhenCtHasRescaleAndWindows_ShouldReadEveryAttribute()
    {
        var ds = Gray(64, 48, allocated: 16, stored: 12, signed: true);
        ds.SetString(RescaleSlope, DicomVR.DS, "1.5");
        ds.SetString(RescaleIntercept, DicomVR.DS, "-1024");
        ds.SetString(new DicomTag(0x0028, 0x1054), DicomVR.LO, "HU");
        ds.SetString(WindowCenter, DicomVR.DS, "40\\-600");
        ds.SetString(WindowWidth, DicomVR.DS, "400\\1500");
        ds.SetString(new DicomTag(0x0028, 0x1055), DicomVR.LO, "BRAIN\\LUNG");
        ds.SetString(new DicomTag(0x0028, 0x0030), DicomVR.DS, "0.5\\0.25");

        var info = DicomImageInfo.FromDataset(ds);

        Assert.Equal((64, 48, 1, 16, 12, 11, true), (info.Rows, info.Columns, info.SamplesPerPixel, info.BitsAllocated, info.BitsStored, info.HighBit, info.IsSigned));
        Assert.Equal(("MONOCHROME2", 1, 0), (info.PhotometricInterpretation, info.NumberOfFrames, info.PlanarConfiguration));
        Assert.Equal((1.5, -1024.0, "HU"), (info.RescaleSlope, info.RescaleIntercept, info.RescaleType));
        Assert.Equal(new[] { new WindowLevel(40, 400), new WindowLevel(-600, 1500) }, info.Windows);
        Assert.Equal(new[] { "BRAIN", "LUNG" }, info.WindowExplanations);
        Assert.Equal(new PixelSpacing(0.5, 0.25), info.PixelSpacing);
        Assert.Empty(info.Warnings);
    }

    [Fact]
    public void FromDataset_WhenWindowsAreInvalidOrUneven_ShouldKeepTheValidOnesAndWarn()
    {
        var ds = Gray(2, 2);
        ds.SetString(WindowCenter, DicomVR.DS, "100\\200\\300");
        ds.SetString(WindowWidth, DicomVR.DS, "0.5\\50");
        ds.SetString(VoiLutFunction, DicomVR.CS, "SIGMOID");

        var info = DicomImageInfo.FromDataset(ds);

        // SIGMOID allows width 0.5; the third centre has no width.
        Assert.Equal(new[] { new WindowLevel(100, 0.5, VoiFunction.Sigmoid), new WindowLevel(200, 50, VoiFunction.Sigmoid) }, info.Windows);
        Assert.Contains(info.Warnings, w => w.Contains("3 window centres but 2 widths", StringComparison.Ordinal));

        ds.SetString(VoiLutFunction, DicomVR.CS, "LINEAR");
        Assert.Equal(new[] { new WindowLevel(200, 50) }, DicomImageInfo.FromDataset(ds).Windows);
    }

    [Fact]
    public void FromDataset_WhenAcrNemaLacksPhotometricAndSamples_ShouldAssumeMonochrome2()
    {
        var ds = Gray(2, 2);
        ds.Remove(Photometric);
        ds.Remove(SamplesPerPixel);
        var info = DicomImageInfo.FromDataset(ds);
        Assert.Equal(("MONOCHROME2", 1), (info.PhotometricInterpretation, info.SamplesPerPixel));
        Assert.Equal(2, info.Warnings.Count);
    }

    [Fact]
    public void GetFrameTransform_WhenEnhancedObjectHasPerFrameGroups_ShouldUseEachFramesValues()
    {
        if (!ExternalTools.Require(output.WriteLine, PixelOracle.Tools))
        {
            return;
        }

        var info = DicomPixelData.FromFile(DicomFile.Open(PixelOracle.Case("enhanced-perframe.dcm").Path)).Info;
        Assert.Equal(3, info.NumberOfFrames);
        Assert.Equal(new PixelSpacing(0.7, 0.8), info.PixelSpacing);
        Assert.Empty(info.Windows);
        for (var f = 0; f < 3; f++)
        {
            var t = info.GetFrameTransform(f);
            Assert.Equal((f + 1.0, -100.0 * f, "US"), (t.RescaleSlope, t.RescaleIntercept, t.RescaleType));
            Assert.Equal(new[] { new WindowLevel(300 + (200 * f), 400 + (100 * f)) }, t.Windows);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => info.GetFrameTransform(3));
    }

    [Fact]
    public void FromDataset_WhenModalityAndVoiLutSequencesArePresent_ShouldReadTheTables()
    {
        if (!ExternalTools.Require(output.WriteLine, PixelOracle.Tools))
        {
            return;
        }

        var modality = DicomPixelData.FromFile(DicomFile.Open(PixelOracle.Case("modality-lut.dcm").Path)).Info.ModalityLut!;
        Assert.Equal((4096, 0, 12, "OD"), (modality.EntryCount, modality.FirstMapped, modality.BitsPerEntry, modality.Type));
        Assert.Equal(4095, modality.Lookup(-5)); // below the table: first entry
        Assert.Equal(4095 - 2047, modality.Lookup(10_000)); // past it: last entry

        var voi = DicomPixelData.FromFile(DicomFile.Open(PixelOracle.Case("voi-lut.dcm").Path)).Info.VoiLuts.Single();
        Assert.Equal((4096, 16, "GAMMA"), (voi.EntryCount, voi.BitsPerEntry, voi.Explanation));
        Assert.Equal(65535, voi.Lookup(4095));
    }

    [Fact]
    public void FromDataset_WhenModalityLutIsUnusable_ShouldThrowBadPixelData()
    {
        var ds = Gray(2, 2);
        var item = new DicomDataset();
        item.SetUInt16(new DicomTag(0x0028, 0x3002), 16, 0, 12);
        ds.SetSequence(new DicomTag(0x0028, 0x3000), [item]);
        var ex = Assert.Throws<DicomFormatException>(() => DicomImageInfo.FromDataset(ds));
        Assert.Equal(DicomErrorCodes.BadPixelData, ex.Code);
        Assert.Equal(new DicomTag(0x0028, 0x3000), ex.Tag);
    }
}
