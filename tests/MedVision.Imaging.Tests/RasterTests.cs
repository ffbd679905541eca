namespace MedVision.Imaging.Tests;

public class RasterTests
{
    [Theory]
    [InlineData(0, 1, 8)]
    [InlineData(1, 0, 8)]
    [InlineData(-3, 2, 8)]
    [InlineData(2, 2, 4)]
    [InlineData(2, 2, 12)]
    public void Constructor_WhenArgumentsInvalid_ShouldThrowArgumentException(int width, int height, int depth)
    {
        Assert.ThrowsAny<ArgumentException>(() => new Raster(width, height, ColorModel.Rgb, depth));
    }

    [Fact]
    public void Constructor_WhenDataLengthWrong_ShouldThrowArgumentException()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new Raster(3, 2, ColorModel.Rgb, 8, new byte[17]));
        Assert.Equal("data", ex.ParamName);
    }

    [Fact]
    public void Constructor_WhenTooLargeForOneArray_ShouldThrowArgumentException()
    {
        Assert.ThrowsAny<ArgumentException>(() => new Raster(65536, 65536, ColorModel.Rgba, 16));
    }

    [Theory]
    [InlineData(ColorModel.Gray, 8, 1, 6)]
    [InlineData(ColorModel.GrayAlpha, 8, 2, 12)]
    [InlineData(ColorModel.Rgb, 16, 3, 36)]
    [InlineData(ColorModel.Rgba, 16, 4, 48)]
    public void Constructor_WhenValid_ShouldAllocateZeroedInterleavedStorage(ColorModel color, int depth, int channels, int bytes)
    {
        var raster = new Raster(3, 2, color, depth);
        Assert.Equal(channels, raster.Channels);
        Assert.Equal(bytes, raster.Data.Length);
        Assert.All(raster.Data, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Samples16_WhenEightBit_ShouldThrowInvalidOperation()
    {
        var raster = new Raster(1, 1, ColorModel.Gray, 8);
        Assert.Throws<InvalidOperationException>(() => raster.Samples16.Length);
    }

    [Fact]
    public void SetSample_WhenSixteenBit_ShouldStoreLittleEndianVisibleThroughSamples16()
    {
        var raster = new Raster(2, 1, ColorModel.GrayAlpha, 16);
        raster.SetSample(1, 0, 1, 0x1234);
        Assert.Equal(0x1234, raster.Samples16[3]);
        Assert.Equal(0x34, raster.Data[6]);
        Assert.Equal(0x12, raster.Data[7]);
        Assert.Equal(0x1234, raster.GetSample(1, 0, 1));
    }

    [Theory]
    [InlineData(3, 0, 0)]
    [InlineData(0, 2, 0)]
    [InlineData(0, 0, 3)]
    [InlineData(-1, 0, 0)]
    public void GetSample_WhenOutOfRange_ShouldThrowArgumentOutOfRange(int x, int y, int channel)
    {
        var raster = new Raster(3, 2, ColorModel.Rgb, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => raster.GetSample(x, y, channel));
    }

    [Fact]
    public void SetSample_WhenValueExceedsDepth_ShouldThrowArgumentOutOfRange()
    {
        var raster = new Raster(1, 1, ColorModel.Gray, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => raster.SetSample(0, 0, 0, 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => raster.SetSample(0, 0, 0, -1));
    }

    [Theory]
    [InlineData(255, 0, 0, 76)] // 0.299 * 255 = 76.2
    [InlineData(0, 255, 0, 150)] // 0.587 * 255 = 149.7
    [InlineData(0, 0, 255, 29)] // 0.114 * 255 = 29.1
    [InlineData(255, 255, 255, 255)]
    [InlineData(10, 20, 30, 18)] // 2.99 + 11.74 + 3.42 = 18.15
    public void ToGray8_WhenRgb_ShouldUseBt601Luma(int r, int g, int b, int expected)
    {
        var raster = new Raster(1, 1, ColorModel.Rgba, 8, [(byte)r, (byte)g, (byte)b, 7]);
        var gray = raster.ToGray8();
        Assert.Equal(ColorModel.Gray, gray.Color);
        Assert.Equal(8, gray.BitDepth);
        Assert.Equal(expected, gray.Data[0]);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(65535, 255)]
    [InlineData(257 * 77, 77)]
    [InlineData(32896, 128)] // 128.0 exactly
    [InlineData(32767, 127)] // 127.498: rounds down
    [InlineData(32768, 128)] // 127.502: rounds up
    public void ToGray8_WhenSixteenBit_ShouldRoundToNearestEightBit(int value, int expected)
    {
        var raster = new Raster(1, 1, ColorModel.GrayAlpha, 16);
        raster.SetSample(0, 0, 0, value);
        raster.SetSample(0, 0, 1, 1234);
        Assert.Equal(expected, raster.ToGray8().Data[0]);
    }

    [Fact]
    public void ToRgb8_WhenGrayAlpha_ShouldReplicateGrayAndDropAlpha()
    {
        var raster = new Raster(2, 1, ColorModel.GrayAlpha, 8, [10, 0, 200, 255]);
        var rgb = raster.ToRgb8();
        Assert.Equal(ColorModel.Rgb, rgb.Color);
        Assert.Equal(new byte[] { 10, 10, 10, 200, 200, 200 }, rgb.Data);
    }

    [Fact]
    public void ToRgb8_WhenRgba16_ShouldScaleAndDropAlpha()
    {
        var raster = new Raster(1, 1, ColorModel.Rgba, 16);
        raster.SetSample(0, 0, 0, 65535);
        raster.SetSample(0, 0, 1, 257);
        raster.SetSample(0, 0, 2, 0);
        raster.SetSample(0, 0, 3, 65535);
        Assert.Equal(new byte[] { 255, 1, 0 }, raster.ToRgb8().Data);
    }

    [Fact]
    public void ToLuminance_WhenMixedPixels_ShouldNormaliseToUnitRange()
    {
        var raster = new Raster(3, 1, ColorModel.Rgb, 8, [0, 0, 0, 255, 255, 255, 0, 255, 0]);
        var luminance = raster.ToLuminance();
        Assert.Equal(3, luminance.Length);
        Assert.Equal(0f, luminance[0]);
        Assert.Equal(1f, luminance[1]);
        Assert.Equal(150f / 255f, luminance[2], 1e-6f);
    }

    [Fact]
    public void Clone_WhenModified_ShouldNotAffectOriginal()
    {
        var raster = new Raster(2, 2, ColorModel.Gray, 8, [1, 2, 3, 4]);
        var copy = raster.Clone();
        copy.SetSample(0, 0, 0, 99);
        Assert.Equal(1, raster.GetSample(0, 0, 0));
        Assert.Equal(99, copy.GetSample(0, 0, 0));
        Assert.NotSame(raster.Data, copy.Data);
    }
}
