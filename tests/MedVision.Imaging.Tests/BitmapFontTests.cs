namespace MedVision.Imaging.Tests;

public class BitmapFontTests
{
    private static string Render(string text, int scale = 1)
    {
        var raster = new Raster(Math.Max(1, BitmapFont.MeasureWidth(text, scale)), 7 * scale, ColorModel.Rgb, 8);
        BitmapFont.DrawText(raster, 0, 0, text, (255, 255, 255), scale);
        return Convert.ToHexString(raster.Data);
    }

    [Theory]
    [InlineData("", 1, 0)]
    [InlineData("A", 1, 5)]
    [InlineData("0.87", 1, 23)]
    [InlineData("AB", 3, 33)]
    public void MeasureWidth_WhenText_ShouldCountGlyphsAndGaps(string text, int scale, int expected)
    {
        Assert.Equal(expected, BitmapFont.MeasureWidth(text, scale));
    }

    [Fact]
    public void DrawText_WhenLowerCase_ShouldDrawAsUpperCase()
    {
        Assert.Equal(Render("HIGH conf"), Render("high CONF"));
    }

    [Fact]
    public void DrawText_WhenEachSupportedCharacter_ShouldHaveDistinctGlyph()
    {
        const string supported = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .:-/%()+_";
        var glyphs = supported.Select(c => Render(c.ToString())).ToList();
        Assert.Equal(supported.Length, glyphs.Distinct().Count());
        Assert.DoesNotContain(Render("~"), glyphs); // the unknown-character box is not mistaken for a real glyph
    }

    [Fact]
    public void DrawText_WhenUnknownCharacter_ShouldDrawSmallBox()
    {
        Assert.Equal(Render("~"), Render("é"));
        Assert.Contains("FF", Render("~"), StringComparison.Ordinal);
    }

    [Fact]
    public void DrawText_WhenDigitOne_ShouldMatchGlyphBitmap()
    {
        var raster = new Raster(5, 7, ColorModel.Gray, 8).ToRgb8();
        BitmapFont.DrawText(raster, 0, 0, "1", (9, 9, 9));
        string[] expected = ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."];
        for (var y = 0; y < 7; y++)
        {
            var row = string.Concat(Enumerable.Range(0, 5).Select(x => raster.GetSample(x, y, 0) == 9 ? '#' : '.'));
            Assert.Equal(expected[y], row);
        }
    }

    [Fact]
    public void DrawText_WhenScaled_ShouldReplicatePixels()
    {
        var small = new Raster(5, 7, ColorModel.Rgb, 8);
        var big = new Raster(10, 14, ColorModel.Rgb, 8);
        BitmapFont.DrawText(small, 0, 0, "R", (1, 2, 3));
        BitmapFont.DrawText(big, 0, 0, "R", (1, 2, 3), scale: 2);
        for (var y = 0; y < 14; y++)
        {
            for (var x = 0; x < 10; x++)
            {
                Assert.Equal(small.GetSample(x / 2, y / 2, 1), big.GetSample(x, y, 1));
            }
        }
    }

    [Theory]
    [InlineData(-100, -3)]
    [InlineData(3, 5)]
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(int.MinValue, int.MinValue)]
    public void DrawText_WhenPartlyOrFullyOffImage_ShouldClipWithoutThrowing(int x, int y)
    {
        var raster = new Raster(4, 6, ColorModel.Rgb, 8);
        BitmapFont.DrawText(raster, x, y, "HELLO 123", (255, 0, 0), scale: 3);
        Assert.Equal(72, raster.Data.Length);
    }

    [Fact]
    public void DrawText_WhenRasterNotRgb8_ShouldThrowArgumentException()
    {
        Assert.Throws<ArgumentException>(() => BitmapFont.DrawText(new Raster(8, 8, ColorModel.Gray, 8), 0, 0, "A", (1, 1, 1)));
        Assert.Throws<ArgumentException>(() => BitmapFont.DrawText(new Raster(8, 8, ColorModel.Rgb, 16), 0, 0, "A", (1, 1, 1)));
    }
}
