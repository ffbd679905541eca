namespace MedVision.Imaging;

/// <summary>
/// A built-in 5x7 bitmap font so annotations need no font files or native rendering (the Lambda is trimmed
/// and has no fonts). Lower case draws as upper case; characters without a glyph draw as a small box.
/// </summary>
public static class BitmapFont
{
    public const int GlyphWidth = 5;
    public const int GlyphHeight = 7;

    /// <summary>Horizontal distance between glyph origins at scale 1 (glyph plus one column of spacing).</summary>
    public const int Advance = GlyphWidth + 1;

    private const int FirstChar = 32;
    private const int LastChar = 95;

    // Rows top to bottom; bit 4 is the leftmost column.
    private static readonly byte[] UnknownGlyph = [0b00000, 0b00000, 0b01110, 0b01010, 0b01110, 0b00000, 0b00000];

    private static readonly byte[][] Glyphs = BuildGlyphs();

    public static int MeasureWidth(string text, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        return text.Length == 0 ? 0 : ((text.Length * Advance) - 1) * scale;
    }

    public static int MeasureHeight(int scale = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        return GlyphHeight * scale;
    }

    /// <summary>Draws text with its top-left corner at (x, y); pixels outside the image are clipped, never an error.</summary>
    public static void DrawText(Raster rgb8, int x, int y, string text, (byte R, byte G, byte B) color, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(rgb8);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        if (rgb8.Color != ColorModel.Rgb || rgb8.BitDepth != 8)
        {
            throw new ArgumentException("Text is drawn on 8-bit RGB rasters only.", nameof(rgb8));
        }

        for (var i = 0; i < text.Length; i++)
        {
            var glyph = GlyphFor(text[i]);
            var originX = (long)x + ((long)i * Advance * scale);
            if (originX >= rgb8.Width)
            {
                break;
            }

            for (var row = 0; row < GlyphHeight; row++)
            {
                for (var col = 0; col < GlyphWidth; col++)
                {
                    if ((glyph[row] & (0b10000 >> col)) != 0)
                    {
                        FillBlock(rgb8, originX + (col * scale), (long)y + (row * scale), scale, color);
                    }
                }
            }
        }
    }

    private static void FillBlock(Raster rgb8, long x, long y, int scale, (byte R, byte G, byte B) color)
    {
        var x0 = Math.Max(0, x);
        var y0 = Math.Max(0, y);
        var x1 = Math.Min(rgb8.Width, x + scale);
        var y1 = Math.Min(rgb8.Height, y + scale);
        var data = rgb8.Data;
        for (var py = y0; py < y1; py++)
        {
            for (var px = x0; px < x1; px++)
            {
                var i = (int)(((py * rgb8.Width) + px) * 3);
                data[i] = color.R;
                data[i + 1] = color.G;
                data[i + 2] = color.B;
            }
        }
    }

    private static byte[] GlyphFor(char c)
    {
        c = char.ToUpperInvariant(c);
        return c is >= (char)FirstChar and <= (char)LastChar ? Glyphs[c - FirstChar] ?? UnknownGlyph : UnknownGlyph;
    }

    private static byte[][] BuildGlyphs()
    {
        var glyphs = new byte[LastChar - FirstChar + 1][];
        void Add(char c, params byte[] rows) => glyphs[c - FirstChar] = rows;

        Add(' ', 0, 0, 0, 0, 0, 0, 0);
        Add('.', 0, 0, 0, 0, 0, 0b01100, 0b01100);
        Add(':', 0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0);
        Add('-', 0, 0, 0, 0b11111, 0, 0, 0);
        Add('/', 0, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0);
        Add('%', 0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011);
        Add('(', 0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010);
        Add(')', 0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000);
        Add('+', 0, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0);
        Add('_', 0, 0, 0, 0, 0, 0, 0b11111);

        Add('0', 0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110);
        Add('1', 0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110);
        Add('2', 0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111);
        Add('3', 0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110);
        Add('4', 0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010);
        Add('5', 0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110);
        Add('6', 0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110);
        Add('7', 0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000);
        Add('8', 0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110);
        Add('9', 0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100);

        Add('A', 0b01110, 0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001);
        Add('B', 0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110);
        Add('C', 0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110);
        Add('D', 0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100);
        Add('E', 0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111);
        Add('F', 0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000);
        Add('G', 0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111);
        Add('H', 0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001);
        Add('I', 0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110);
        Add('J', 0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100);
        Add('K', 0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001);
        Add('L', 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111);
        Add('M', 0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001);
        Add('N', 0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001);
        Add('O', 0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110);
        Add('P', 0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000);
        Add('Q', 0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101);
        Add('R', 0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001);
        Add('S', 0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110);
        Add('T', 0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100);
        Add('U', 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110);
        Add('V', 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100);
        Add('W', 0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010);
        Add('X', 0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001);
        Add('Y', 0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100);
        Add('Z', 0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111);
        return glyphs;
    }
}
