namespace MedVision.Imaging.Tests;

public class ThumbnailTests
{
    [Fact]
    public void Thumbnail_WhenAlreadySmall_ShouldReturnEqualClone()
    {
        var source = new Raster(10, 4, ColorModel.Rgb, 8);
        new Random(1).NextBytes(source.Data);
        var thumb = HeatmapRenderer.Thumbnail(source, 10);
        Assert.NotSame(source, thumb);
        Assert.NotSame(source.Data, thumb.Data);
        Assert.Equal(source.Data, thumb.Data);
    }

    [Fact]
    public void Thumbnail_WhenHalving_ShouldAverageEachTwoByTwoBlock()
    {
        byte[] data =
        [
            0, 4, 10, 20,
            8, 4, 30, 40,
            100, 100, 1, 3,
            100, 104, 5, 7,
        ];
        var thumb = HeatmapRenderer.Thumbnail(new Raster(4, 4, ColorModel.Gray, 8, data), 2);
        Assert.Equal((2, 2), (thumb.Width, thumb.Height));
        Assert.Equal(new byte[] { 4, 25, 101, 4 }, thumb.Data);
    }

    [Fact]
    public void Thumbnail_WhenNonIntegerRatio_ShouldWeightPartialPixelsByArea()
    {
        // 3 -> 2: output 0 covers source [0, 1.5): (0 * 1 + 90 * 0.5) / 1.5 = 30.
        var thumb = HeatmapRenderer.Thumbnail(new Raster(3, 1, ColorModel.Gray, 8, [0, 90, 150]), 2);
        Assert.Equal(new byte[] { 30, 130 }, thumb.Data);
    }

    [Theory]
    [InlineData(100, 50, 10, 10, 5)]
    [InlineData(50, 100, 10, 5, 10)]
    [InlineData(1000, 3, 100, 100, 1)]
    [InlineData(7, 7, 3, 3, 3)]
    public void Thumbnail_WhenLarge_ShouldKeepAspectRatio(int width, int height, int maxSide, int expectedWidth, int expectedHeight)
    {
        var thumb = HeatmapRenderer.Thumbnail(new Raster(width, height, ColorModel.Gray, 16), maxSide);
        Assert.Equal((expectedWidth, expectedHeight), (thumb.Width, thumb.Height));
        Assert.Equal(ColorModel.Gray, thumb.Color);
        Assert.Equal(16, thumb.BitDepth);
    }

    [Fact]
    public void Thumbnail_WhenUniform16Bit_ShouldStayUniform()
    {
        var source = new Raster(37, 23, ColorModel.Rgb, 16);
        for (var i = 0; i < source.Samples16.Length; i++)
        {
            source.Samples16[i] = (ushort)(1000 + (i % 3));
        }

        var thumb = HeatmapRenderer.Thumbnail(source, 8);
        for (var i = 0; i < thumb.Samples16.Length; i++)
        {
            Assert.Equal(1000 + (i % 3), thumb.Samples16[i]);
        }
    }

    [Fact]
    public void Thumbnail_WhenAlphaPresent_ShouldNotBleedTransparentColour()
    {
        // Transparent red next to opaque blue: the average is half-transparent pure blue, not purple.
        var thumb = HeatmapRenderer.Thumbnail(new Raster(2, 1, ColorModel.Rgba, 8, [255, 0, 0, 0, 0, 0, 255, 255]), 1);
        Assert.Equal(new byte[] { 0, 0, 255, 128 }, thumb.Data);
    }

    [Fact]
    public void Thumbnail_WhenMaxSideNotPositive_ShouldThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HeatmapRenderer.Thumbnail(new Raster(2, 2, ColorModel.Gray, 8), 0));
    }

    [Fact]
    public void SideBySide_WhenHeightsDiffer_ShouldPadWithBlack()
    {
        var left = new Raster(2, 1, ColorModel.Gray, 8, [10, 20]);
        var right = new Raster(1, 2, ColorModel.Rgb, 8, [1, 2, 3, 4, 5, 6]);
        var combined = HeatmapRenderer.SideBySide(left, right);
        Assert.Equal((3, 2, ColorModel.Rgb, 8), (combined.Width, combined.Height, combined.Color, combined.BitDepth));
        Assert.Equal(new byte[] { 10, 10, 10, 20, 20, 20, 1, 2, 3, 0, 0, 0, 0, 0, 0, 4, 5, 6 }, combined.Data);
    }
}
