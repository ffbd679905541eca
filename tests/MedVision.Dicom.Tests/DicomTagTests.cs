namespace MedVision.Dicom.Tests;

public class DicomTagTests
{
    [Theory]
    [InlineData("(0010,0010)", 0x00100010u)]
    [InlineData("7FE0,0010", 0x7FE00010u)]
    [InlineData("0008103e", 0x0008103Eu)]
    public void Parse_WhenGivenCommonForms_ShouldYieldTheTag(string text, uint value) =>
        Assert.Equal(value, DicomTag.Parse(text).Value);

    [Fact]
    public void IsPrivate_WhenGroupIsOddAndAbove7_ShouldBeTrue()
    {
        Assert.True(new DicomTag(0x0009, 0x1001).IsPrivate);
        Assert.True(new DicomTag(0x0029, 0x0010).IsPrivateCreator);
        Assert.False(new DicomTag(0x0003, 0x0010).IsPrivate);
        Assert.False(new DicomTag(0x0010, 0x0010).IsPrivate);
    }

    [Fact]
    public void VRCode_WhenRoundTripped_ShouldBeTheTwoLetters()
    {
        Assert.True(DicomVRInfo.TryParse("PN", out var vr));
        Assert.Equal(DicomVR.PN, vr);
        Assert.Equal("PN", vr.Code());
        Assert.False(DicomVRInfo.TryParse("ZZ", out _));
    }
}
