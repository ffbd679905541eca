namespace MedVision.Pdf;

/// <summary>
/// The two standard Type 1 fonts the report uses. Standard fonts need no embedding (every PDF reader carries them),
/// so the writer works offline and in Lambda without a font file. Text is WinAnsi (Latin-1 subset).
/// </summary>
public enum PdfFont
{
    Helvetica,
    HelveticaBold,
}

/// <summary>Glyph widths (1/1000 em) of Helvetica and Helvetica-Bold for ASCII 32..126, from the metric-compatible URW Nimbus Sans AFM files.</summary>
public static class PdfFontMetrics
{
    // Non-ASCII Latin-1 letters get a wide default so wrapping errs on the short side.
    private const int NonAsciiWidth = 667;

    private static readonly short[] Regular =
    [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
        556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
        556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    ];

    private static readonly short[] Bold =
    [
        278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
        556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611,
        611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    ];

    /// <summary>Width in points of <paramref name="text"/> as the writer will encode it.</summary>
    public static double Measure(PdfFont font, double size, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var table = font == PdfFont.HelveticaBold ? Bold : Regular;
        long total = 0;
        foreach (var b in PdfText.Encode(text))
        {
            total += b is >= 32 and <= 126 ? table[b - 32] : NonAsciiWidth;
        }

        return total * size / 1000.0;
    }

    /// <summary>Greedy word wrap to <paramref name="maxWidth"/> points; words longer than a line are split.</summary>
    public static IReadOnlyList<string> Wrap(PdfFont font, double size, string text, double maxWidth)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n'))
        {
            var line = string.Empty;
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (Measure(font, size, candidate) <= maxWidth)
                {
                    line = candidate;
                    continue;
                }

                if (line.Length > 0)
                {
                    lines.Add(line);
                }

                line = word;
                while (Measure(font, size, line) > maxWidth && line.Length > 1)
                {
                    var cut = line.Length - 1;
                    while (cut > 1 && Measure(font, size, line[..cut]) > maxWidth)
                    {
                        cut--;
                    }

                    lines.Add(line[..cut]);
                    line = line[cut..];
                }
            }

            lines.Add(line);
        }

        return lines;
    }
}

/// <summary>String encoding for the standard fonts: WinAnsi agrees with Latin-1 on ASCII and 0xA0..0xFF.</summary>
public static class PdfText
{
    /// <summary>Characters outside that range become '?' (the standard fonts have no glyphs for them).</summary>
    public static byte[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = new List<byte>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            bytes.Add(v switch
            {
                '\t' => (byte)' ',
                >= 32 and <= 126 => (byte)v,
                >= 0xA0 and <= 0xFF => (byte)v,
                _ => (byte)'?',
            });
        }

        return [.. bytes];
    }
}
