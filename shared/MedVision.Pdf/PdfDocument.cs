using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace MedVision.Pdf;

/// <summary>An image XObject added to a document; draw it on any page with <see cref="PdfPage.DrawImage"/>.</summary>
public sealed record PdfImage(string Name, int Width, int Height);

/// <summary>
/// A minimal PDF 1.4 writer: A4 pages with text in the standard Helvetica fonts, lines, filled rectangles and
/// Flate-compressed 8-bit gray or RGB images. Output is deterministic (no clock, no random ids), so identical
/// reports give identical bytes and signatures can be reproduced.
/// </summary>
public sealed class PdfDocument
{
    public const double A4Width = 595.28;
    public const double A4Height = 841.89;

    private readonly List<byte[]> objects = [];
    private readonly List<PdfPage> pages = [];
    private readonly List<PdfImage> images = [];

    public PdfDocument(string title, DateTimeOffset created)
    {
        Title = title;
        Created = created;
    }

    public string Title { get; }

    public DateTimeOffset Created { get; }

    public IReadOnlyList<PdfPage> Pages => pages;

    public PdfPage AddPage()
    {
        var page = new PdfPage(A4Width, A4Height);
        pages.Add(page);
        return page;
    }

    /// <summary>Adds an 8-bit image: <paramref name="channels"/> is 1 (gray) or 3 (RGB), rows top to bottom.</summary>
    public PdfImage AddImage(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images are gray (1) or RGB (3).");
        }

        if (pixels.Length != (long)width * height * channels)
        {
            throw new ArgumentException($"A {width}x{height}x{channels} image needs {(long)width * height * channels} bytes, got {pixels.Length}.", nameof(pixels));
        }

        var image = new PdfImage($"Im{images.Count + 1}", width, height);
        images.Add(image);
        pendingImages.Add((image, channels, pixels));
        return image;
    }

    private readonly List<(PdfImage Image, int Channels, byte[] Pixels)> pendingImages = [];

    /// <summary>Serializes the document. Object layout: catalog, pages, fonts, info, images, then page/content pairs.</summary>
    public byte[] Save()
    {
        objects.Clear();
        const int catalog = 1, pagesTree = 2, fontRegular = 3, fontBold = 4, info = 5;
        var firstImage = 6;
        var firstPage = firstImage + pendingImages.Count;
        var pageObjects = Enumerable.Range(0, pages.Count).Select(i => firstPage + (2 * i)).ToList();

        Add(catalog, $"<< /Type /Catalog /Pages {pagesTree} 0 R >>");
        Add(pagesTree, $"<< /Type /Pages /Kids [{string.Join(' ', pageObjects.Select(p => $"{p} 0 R"))}] /Count {pages.Count} >>");
        Add(fontRegular, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
        Add(fontBold, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
        var date = Created.ToUniversalTime().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        AddRaw(info, Concat(
            Ascii("<< /Title "), LiteralString(Title), Ascii($" /Producer (MedVision) /CreationDate (D:{date}Z) >>")));

        var xobjects = new StringBuilder();
        for (var i = 0; i < pendingImages.Count; i++)
        {
            var (image, channels, pixels) = pendingImages[i];
            var compressed = Deflate(pixels);
            var header = $"<< /Type /XObject /Subtype /Image /Width {image.Width} /Height {image.Height} " +
                $"/ColorSpace /{(channels == 1 ? "DeviceGray" : "DeviceRGB")} /BitsPerComponent 8 /Filter /FlateDecode /Length {compressed.Length} >>";
            AddStream(firstImage + i, header, compressed);
            xobjects.Append(CultureInfo.InvariantCulture, $" /{image.Name} {firstImage + i} 0 R");
        }

        var resources = $"<< /Font << /F1 {fontRegular} 0 R /F2 {fontBold} 0 R >>" +
            (pendingImages.Count == 0 ? string.Empty : $" /XObject <<{xobjects} >>") + " >>";
        for (var i = 0; i < pages.Count; i++)
        {
            var content = Deflate(pages[i].Content.ToArray());
            Add(pageObjects[i], string.Create(
                CultureInfo.InvariantCulture,
                $"<< /Type /Page /Parent {pagesTree} 0 R /MediaBox [0 0 {A4Width:0.##} {A4Height:0.##}] /Resources {resources} /Contents {pageObjects[i] + 1} 0 R >>"));
            AddStream(pageObjects[i] + 1, $"<< /Filter /FlateDecode /Length {content.Length} >>", content);
        }

        using var output = new MemoryStream();
        // The binary comment marks the file as binary for transfer tools (PDF 1.4, 7.5.2).
        output.Write(Ascii("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n"));
        var offsets = new long[objects.Count];
        for (var i = 0; i < objects.Count; i++)
        {
            offsets[i] = output.Position;
            output.Write(Ascii($"{i + 1} 0 obj\n"));
            output.Write(objects[i]);
            output.Write(Ascii("\nendobj\n"));
        }

        var xref = output.Position;
        var table = new StringBuilder();
        table.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            table.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        table.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Count + 1} /Root {catalog} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        output.Write(Ascii(table.ToString()));
        return output.ToArray();
    }

    private void Add(int number, string body) => AddRaw(number, Ascii(body));

    private void AddRaw(int number, byte[] body)
    {
        if (number != objects.Count + 1)
        {
            throw new InvalidOperationException($"PDF objects must be added in order: expected {objects.Count + 1}, got {number}.");
        }

        objects.Add(body);
    }

    private void AddStream(int number, string dictionary, byte[] data) =>
        AddRaw(number, Concat(Ascii(dictionary + "\nstream\n"), data, Ascii("\nendstream")));

    internal static byte[] Ascii(string s) => Encoding.Latin1.GetBytes(s);

    internal static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>A PDF literal string: ( ) and \ escaped, text in WinAnsi.</summary>
    internal static byte[] LiteralString(string text)
    {
        var list = new List<byte>(text.Length + 2) { (byte)'(' };
        foreach (var b in PdfText.Encode(text))
        {
            if (b is (byte)'(' or (byte)')' or (byte)'\\')
            {
                list.Add((byte)'\\');
            }

            list.Add(b);
        }

        list.Add((byte)')');
        return [.. list];
    }

    private static byte[] Deflate(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var z = new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(data);
        }

        return buffer.ToArray();
    }
}

/// <summary>One page's content stream. Coordinates are PDF points with the origin at the bottom-left.</summary>
public sealed class PdfPage
{
    internal PdfPage(double width, double height)
    {
        Width = width;
        Height = height;
    }

    public double Width { get; }

    public double Height { get; }

    internal MemoryStream Content { get; } = new();

    public void DrawText(double x, double y, PdfFont font, double size, string text, double gray = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(string.Create(CultureInfo.InvariantCulture, $"BT {gray:0.###} g /{(font == PdfFont.HelveticaBold ? "F2" : "F1")} {size:0.##} Tf {x:0.##} {y:0.##} Td "));
        Content.Write(PdfDocument.LiteralString(text));
        Write(" Tj ET\n");
    }

    public void DrawLine(double x1, double y1, double x2, double y2, double width = 0.5, double gray = 0.6) =>
        Write(string.Create(CultureInfo.InvariantCulture, $"{gray:0.###} G {width:0.##} w {x1:0.##} {y1:0.##} m {x2:0.##} {y2:0.##} l S\n"));

    public void FillRectangle(double x, double y, double width, double height, double gray) =>
        Write(string.Create(CultureInfo.InvariantCulture, $"{gray:0.###} g {x:0.##} {y:0.##} {width:0.##} {height:0.##} re f\n"));

    /// <summary>Draws <paramref name="image"/> with its lower-left corner at (x, y), scaled to width x height points.</summary>
    public void DrawImage(PdfImage image, double x, double y, double width, double height)
    {
        ArgumentNullException.ThrowIfNull(image);
        Write(string.Create(CultureInfo.InvariantCulture, $"q {width:0.##} 0 0 {height:0.##} {x:0.##} {y:0.##} cm /{image.Name} Do Q\n"));
    }

    private void Write(string s) => Content.Write(PdfDocument.Ascii(s));
}
