namespace MedVision.Imaging.Tests;

public class ImageFormatDetectorTests
{
    [Fact]
    public void Detect_WhenPngSignature_ShouldReturnPng()
    {
        byte[] data = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        Assert.Equal(ImageFormat.Png, ImageFormatDetector.Detect(data));
    }

    [Fact]
    public void Detect_WhenEncoderOutput_ShouldReturnPng()
    {
        var png = PngEncoder.Encode(new Raster(2, 2, ColorModel.Gray, 8));
        Assert.Equal(ImageFormat.Png, ImageFormatDetector.Detect(png));
    }

    [Fact]
    public void Detect_WhenJpegSoi_ShouldReturnJpeg()
    {
        byte[] data = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F'];
        Assert.Equal(ImageFormat.Jpeg, ImageFormatDetector.Detect(data));
    }

    [Fact]
    public void Detect_WhenDicmAtOffset128_ShouldReturnDicom()
    {
        var data = new byte[200];
        "DICM"u8.CopyTo(data.AsSpan(128));
        Assert.Equal(ImageFormat.Dicom, ImageFormatDetector.Detect(data));
    }

    [Fact]
    public void Detect_WhenDicmAtWrongOffset_ShouldReturnUnknown()
    {
        var data = new byte[200];
        "DICM"u8.CopyTo(data.AsSpan(127));
        Assert.Equal(ImageFormat.Unknown, ImageFormatDetector.Detect(data));
    }

    [Theory]
    [InlineData(new byte[] { 0x02, 0x00, 0x10, 0x00, (byte)'U', (byte)'I', 0x14, 0x00 })] // (0002,0010) UI transfer syntax
    [InlineData(new byte[] { 0x02, 0x00, 0x00, 0x00, (byte)'U', (byte)'L', 0x04, 0x00 })] // (0002,0000) UL group length
    [InlineData(new byte[] { 0x08, 0x00, 0x05, 0x00, (byte)'C', (byte)'S', 0x0A, 0x00 })] // (0008,0005) CS charset
    public void Detect_WhenBareDicomElement_ShouldReturnDicom(byte[] data)
    {
        Assert.Equal(ImageFormat.Dicom, ImageFormatDetector.Detect(data));
    }

    [Theory]
    [InlineData(new byte[] { 0x02, 0x00, 0x10, 0x00, (byte)'u', (byte)'i', 0, 0 })] // lower-case VR
    [InlineData(new byte[] { 0x02, 0x00, 0x10, 0x00, (byte)'Q', (byte)'Q', 0, 0 })] // not a VR
    [InlineData(new byte[] { 0x10, 0x00, 0x10, 0x00, (byte)'P', (byte)'N', 0, 0 })] // group 0010 cannot come first
    [InlineData(new byte[] { 0x02, 0x00, 0x10, 0x00, (byte)'U' })] // too short for a VR
    public void Detect_WhenImplausibleDicomStart_ShouldReturnUnknown(byte[] data)
    {
        Assert.Equal(ImageFormat.Unknown, ImageFormatDetector.Detect(data));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E })] // PNG prefix only
    [InlineData(new byte[] { 0xFF, 0xD8 })] // JPEG prefix only
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a' })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0B })] // one bit off
    public void Detect_WhenJunkOrShort_ShouldReturnUnknown(byte[] data)
    {
        Assert.Equal(ImageFormat.Unknown, ImageFormatDetector.Detect(data));
    }

    [Theory]
    [InlineData(ImageFormat.Png, "image/png")]
    [InlineData(ImageFormat.Jpeg, "image/jpeg")]
    [InlineData(ImageFormat.Dicom, "application/dicom")]
    [InlineData(ImageFormat.Unknown, "application/octet-stream")]
    public void MediaType_WhenFormatGiven_ShouldReturnRegisteredType(ImageFormat format, string expected)
    {
        Assert.Equal(expected, ImageFormatDetector.MediaType(format));
    }
}
