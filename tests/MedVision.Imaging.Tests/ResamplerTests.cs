using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MedVision.Imaging.Tests;

public class ResamplerTests
{
    private static Raster Random8(int width, int height, ColorModel color, int seed)
    {
        var raster = new Raster(width, height, color, 8);
        new Random(seed).NextBytes(raster.Data);
        return raster;
    }

    private static int Sample(Raster raster, int index) => raster.BitDepth == 8 ? raster.Data[index] : raster.Samples16[index];

    private static void SetSample(Raster raster, int index, int value)
    {
        if (raster.BitDepth == 8)
        {
            raster.Data[index] = (byte)value;
        }
        else
        {
            raster.Samples16[index] = (ushort)value;
        }
    }

    [Theory]
    [InlineData(ColorModel.Gray, 8, 37, 23, 5, 4)]
    [InlineData(ColorModel.Rgb, 16, 100, 61, 33, 7)]
    [InlineData(ColorModel.GrayAlpha, 8, 17, 9, 16, 8)]
    [InlineData(ColorModel.Rgba, 16, 10, 10, 3, 7)]
    [InlineData(ColorModel.Gray, 16, 7, 5, 19, 13)]
    [InlineData(ColorModel.Rgb, 8, 9, 4, 4, 9)]
    public void AreaAverage_WhenConstantImage_ShouldStayExactlyConstant(ColorModel color, int depth, int width, int height, int toWidth, int toHeight)
    {
        var source = new Raster(width, height, color, depth);
        var channels = source.Channels;
        var value = new[] { 1, 200, 77, 255 }.Select(v => depth == 8 ? v : (v * 257) - 3).ToArray();
        for (var i = 0; i < width * height * channels; i++)
        {
            SetSample(source, i, value[i % channels]);
        }

        var output = Resampler.AreaAverage(source, toWidth, toHeight);
        Assert.Equal((toWidth, toHeight, color, depth), (output.Width, output.Height, output.Color, output.BitDepth));
        for (var i = 0; i < toWidth * toHeight * channels; i++)
        {
            Assert.Equal(value[i % channels], Sample(output, i));
        }
    }

    [Fact]
    public void AreaAverage_WhenTwoByTwoToOne_ShouldBeTheExactMean()
    {
        Assert.Equal(new byte[] { 25 }, Resampler.AreaAverage(new Raster(2, 2, ColorModel.Gray, 8, [10, 20, 30, 40]), 1, 1).Data);

        // 16-bit: (1 + 2 + 3 + 65534) / 4 = 16385 exactly, beyond 8-bit precision.
        var wide = new Raster(2, 2, ColorModel.Gray, 16);
        ushort[] samples = [1, 2, 3, 65534];
        samples.CopyTo(wide.Samples16);
        Assert.Equal(16385, Resampler.AreaAverage(wide, 1, 1).Samples16[0]);
    }

    [Fact]
    public void AreaAverage_WhenNonIntegerRatio_ShouldWeightPartialPixelsByArea()
    {
        // 3 -> 2: output 0 covers source [0, 1.5): (0 + 90 * 0.5) / 1.5 = 30; output 1: (90 * 0.5 + 150) / 1.5 = 130.
        Assert.Equal(new byte[] { 30, 130 }, Resampler.AreaAverage(new Raster(3, 1, ColorModel.Gray, 8, [0, 90, 150]), 2, 1).Data);
        Assert.Equal(new byte[] { 30, 130 }, Resampler.AreaAverage(new Raster(1, 3, ColorModel.Gray, 8, [0, 90, 150]), 1, 2).Data);
    }

    [Fact]
    public void AreaAverage_WhenUpsampling_ShouldInterpolateBilinearlyBetweenCentres()
    {
        // 2 -> 4: output centres at source x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        var output = Resampler.AreaAverage(new Raster(2, 1, ColorModel.Gray, 8, [0, 100]), 4, 1);
        Assert.Equal(new byte[] { 0, 25, 75, 100 }, output.Data);
    }

    [Fact]
    public void AreaAverage_WhenOneAxisShrinksAndTheOtherGrows_ShouldFilterEachAxisItsOwnWay()
    {
        // Width 4 -> 2 averages pairs; height 1 -> 3 replicates the single row.
        var output = Resampler.AreaAverage(new Raster(4, 1, ColorModel.Gray, 8, [0, 10, 100, 200]), 2, 3);
        Assert.Equal(new byte[] { 5, 150, 5, 150, 5, 150 }, output.Data);
    }

    [Fact]
    public void AreaAverage_WhenAlphaPresent_ShouldNotBleedTransparentColour()
    {
        var output = Resampler.AreaAverage(new Raster(2, 1, ColorModel.Rgba, 8, [255, 0, 0, 0, 0, 0, 255, 255]), 1, 1);
        Assert.Equal(new byte[] { 0, 0, 255, 128 }, output.Data);

        var grayAlpha = Resampler.AreaAverage(new Raster(2, 1, ColorModel.GrayAlpha, 8, [200, 0, 40, 255]), 1, 1);
        Assert.Equal(new byte[] { 40, 128 }, grayAlpha.Data);
    }

    [Fact]
    public void AreaAverage_WhenFullyTransparent_ShouldGiveTransparentBlack()
    {
        var output = Resampler.AreaAverage(new Raster(2, 2, ColorModel.Rgba, 16, new byte[32].Select((_, i) => i % 8 < 6 ? (byte)0x7F : (byte)0).ToArray()), 1, 1);
        Assert.All(output.Data, b => Assert.Equal(0, b));
    }

    [Fact]
    public void AreaAverage_WhenSameSize_ShouldReturnEqualCopy()
    {
        var source = Random8(5, 3, ColorModel.Rgba, 3);
        var output = Resampler.AreaAverage(source, 5, 3);
        Assert.NotSame(source.Data, output.Data);
        Assert.Equal(source.Data, output.Data);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    [InlineData(1, 7)]
    [InlineData(3, 3)]
    public void AreaAverage_WhenSourceIsOnePixel_ShouldReplicateIt(int width, int height)
    {
        var output = Resampler.AreaAverage(new Raster(1, 1, ColorModel.Rgb, 8, [9, 99, 199]), width, height);
        Assert.Equal(Enumerable.Repeat(new byte[] { 9, 99, 199 }, width * height).SelectMany(p => p).ToArray(), output.Data);
    }

    [Fact]
    public void AreaAverage_WhenShrinkingToOnePixel_ShouldAverageEverything()
    {
        var source = Random8(13, 7, ColorModel.Gray, 5);
        var expected = Math.Round(source.Data.Average(b => (double)b), MidpointRounding.AwayFromZero);
        Assert.Equal(expected, Resampler.AreaAverage(source, 1, 1).Data[0]);
    }

    // Property: an exact area filter with equal-area cells preserves the mean; each output only adds ≤ 0.5 of rounding.
    [Property(MaxTest = 200)]
    public Property AreaAverage_WhenRandomImageShrunkByAnyFactor_ShouldPreserveMeanBrightness()
    {
        var cases =
            from width in Gen.Choose(1, 60)
            from height in Gen.Choose(1, 60)
            from toWidth in Gen.Choose(1, width)
            from toHeight in Gen.Choose(1, height)
            from depth in Gen.Elements(8, 16)
            from seed in Gen.Choose(0, int.MaxValue)
            select (width, height, toWidth, toHeight, depth, seed);

        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var source = new Raster(c.width, c.height, ColorModel.Gray, c.depth);
            new Random(c.seed).NextBytes(source.Data);
            var output = Resampler.AreaAverage(source, c.toWidth, c.toHeight);
            var before = Enumerable.Range(0, c.width * c.height).Average(i => (double)Sample(source, i));
            var after = Enumerable.Range(0, c.toWidth * c.toHeight).Average(i => (double)Sample(output, i));
            return Math.Abs(before - after) <= 0.5 + 1e-9;
        });
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-1, 5)]
    [InlineData(5, -3)]
    public void AreaAverage_WhenSizeNotPositive_ShouldThrowArgumentOutOfRange(int width, int height)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.AreaAverage(new Raster(4, 4, ColorModel.Gray, 8), width, height));
    }

    [Theory]
    [InlineData(100, 50, 10, 10, 5)]
    [InlineData(50, 100, 10, 5, 10)]
    [InlineData(1000, 3, 100, 100, 1)]
    [InlineData(7, 7, 3, 3, 3)]
    [InlineData(2800, 2100, 512, 512, 384)]
    public void FitWithin_WhenLarger_ShouldKeepAspectRatio(int width, int height, int maxSide, int expectedWidth, int expectedHeight)
    {
        var output = Resampler.FitWithin(new Raster(width, height, ColorModel.Gray, 16), maxSide);
        Assert.Equal((expectedWidth, expectedHeight, ColorModel.Gray, 16), (output.Width, output.Height, output.Color, output.BitDepth));
    }

    [Fact]
    public void FitWithin_WhenAlreadyWithin_ShouldReturnEqualClone()
    {
        var source = Random8(10, 4, ColorModel.Rgb, 1);
        var output = Resampler.FitWithin(source, 10);
        Assert.NotSame(source, output);
        Assert.NotSame(source.Data, output.Data);
        Assert.Equal(source.Data, output.Data);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void FitWithin_WhenMaxSideNotPositive_ShouldThrowArgumentOutOfRange(int maxSide)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.FitWithin(new Raster(2, 2, ColorModel.Gray, 8), maxSide));
    }

    [Fact]
    public void FitWithin_WhenSixteenBit_ShouldKeepFullPrecision()
    {
        var source = new Raster(4, 2, ColorModel.Gray, 16);
        ushort[] samples = [1000, 1001, 40000, 40002, 1000, 1001, 40000, 40002];
        samples.CopyTo(source.Samples16);
        var output = Resampler.FitWithin(source, 2);
        Assert.Equal(16, output.BitDepth);
        Assert.Equal(new ushort[] { 1001, 40001 }, output.Samples16.ToArray()); // 1000.5 rounds away from zero
    }

    [Fact]
    public void ToModelInput_WhenLandscape_ShouldLetterboxTopAndBottom()
    {
        var source = new Raster(8, 4, ColorModel.Gray, 8);
        source.Data.AsSpan().Fill(200);
        var output = Resampler.ToModelInput(source, 4);
        Assert.Equal((4, 4, ColorModel.Gray, 8), (output.Width, output.Height, output.Color, output.BitDepth));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 200, 200, 200, 200, 200, 200, 200, 200, 0, 0, 0, 0 }, output.Data);
    }

    [Fact]
    public void ToModelInput_WhenPortraitWithOddPadding_ShouldCentreWithExtraColumnOnTheRight()
    {
        var source = new Raster(2, 5, ColorModel.Gray, 8);
        source.Data.AsSpan().Fill(9);
        var output = Resampler.ToModelInput(source, 5);

        // 2 columns of image in 5: 1 column of padding left, 2 right.
        for (var y = 0; y < 5; y++)
        {
            Assert.Equal(new byte[] { 0, 9, 9, 0, 0 }, output.Data.AsSpan(y * 5, 5).ToArray());
        }
    }

    [Fact]
    public void ToModelInput_WhenColourAndSmall_ShouldConvertToGrayAndUpscaleTheLongSide()
    {
        // Pure white RGB 16-bit, 2x1, scaled up to fill an 8-wide square: rows 2..5 (of 8) hold the image.
        var source = new Raster(2, 1, ColorModel.Rgb, 16);
        source.Samples16.Fill(ushort.MaxValue);
        var output = Resampler.ToModelInput(source, 8);
        Assert.Equal((8, 8, ColorModel.Gray, 8), (output.Width, output.Height, output.Color, output.BitDepth));
        for (var y = 0; y < 8; y++)
        {
            var expected = y is >= 2 and < 6 ? 255 : 0;
            Assert.All(output.Data.AsSpan(y * 8, 8).ToArray(), v => Assert.Equal(expected, v));
        }
    }

    [Fact]
    public void ToModelInput_WhenSquare_ShouldFillWithoutPadding()
    {
        var source = Random8(64, 64, ColorModel.Gray, 11);
        var output = Resampler.ToModelInput(source, 32);
        Assert.Equal(Resampler.AreaAverage(source, 32, 32).Data, output.Data);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-8)]
    public void ToModelInput_WhenSizeNotPositive_ShouldThrowArgumentOutOfRange(int size)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.ToModelInput(new Raster(2, 2, ColorModel.Gray, 8), size));
    }
}
