using System.Globalization;
using MedVision.Core.Analysis;
using MedVision.Imaging;
using MedVision.Pdf;

namespace MedVision.Core.Reports;

/// <summary>
/// The human-readable report: the spec's eight sections, always in the same order and always present, whatever the
/// modality or the number of findings (Property 22). Images are optional: a missing heatmap (the state machine lets
/// that stage degrade) or original gets a note in its place instead of failing the report.
/// </summary>
public static class ReportPdf
{
    /// <summary>Section headings in print order; tests look for exactly these.</summary>
    public static readonly IReadOnlyList<string> SectionHeadings =
    [
        "1. Report Header",
        "2. Summary",
        "3. Findings",
        "4. Heatmap and Original Image",
        "5. Confidence Metrics",
        "6. Recommendations",
        "7. Disclaimer",
        "8. Report Footer",
    ];

    public const string NoFindings = "No abnormalities detected";

    public const string HeatmapMissing = "Heatmap not available: the visualization stage did not produce one for this image.";

    public const string OriginalMissing = "Original image rendition not available.";

    // Embedded images are scaled down to this many pixels on the long side: enough for print at the drawn size.
    private const int MaxImageSide = 512;
    private const double Margin = 50;
    private const double BodySize = 10;
    private const double HeadingSize = 13;
    private const double Leading = 13.5;
    private const double FooterReserve = 40;

    public static byte[] Render(AnalysisReport report, Raster? original, Raster? heatmap)
    {
        ArgumentNullException.ThrowIfNull(report);
        var doc = new PdfDocument($"MedVision report {report.ReportId}", report.Metadata.ProcessingTimestamp);
        var flow = new Flow(doc);
        var inv = CultureInfo.InvariantCulture;

        flow.Title("MedVision AI Imaging Report");
        flow.Heading(SectionHeadings[0]);
        flow.Field("Report ID", report.ReportId);
        flow.Field("Image ID", report.ImageId);
        flow.Field("Patient ID", report.PatientId ?? "not recorded");
        flow.Field("Modality", report.ImagingModality);
        flow.Field("Acquisition date", report.AcquisitionDate ?? "not recorded");
        flow.Field("Analysis date", Stamp(report.AnalysisDate));

        flow.Heading(SectionHeadings[1]);
        flow.Field("Overall assessment", report.Summary.OverallAssessment == OverallAssessment.Abnormal ? "Abnormal" : "Normal");
        flow.Paragraph("Key findings:", PdfFont.HelveticaBold);
        foreach (var key in report.Summary.KeyFindings)
        {
            flow.Bullet(key);
        }

        flow.Heading(SectionHeadings[2]);
        if (report.DetailedFindings.Count == 0)
        {
            flow.Paragraph(NoFindings + ".");
        }

        for (var i = 0; i < report.DetailedFindings.Count; i++)
        {
            var f = report.DetailedFindings[i];
            var b = f.BoundingBox;
            flow.Paragraph(string.Create(inv, $"Finding {i + 1}: {f.Type.WireName()}, severity {f.Severity.WireName()}, confidence {Percent(f.Confidence)}"), PdfFont.HelveticaBold);
            flow.Paragraph(string.Create(inv, $"Bounding box: x {b.X}, y {b.Y}, width {b.Width}, height {b.Height} (pixels)"));
            flow.Paragraph(f.Description);
            flow.Gap(4);
        }

        flow.Heading(SectionHeadings[3]);
        flow.Images(
            [("Heatmap overlay", heatmap, HeatmapMissing), ("Original image", original, OriginalMissing)]);

        flow.Heading(SectionHeadings[4]);
        var cm = report.Metadata.ConfidenceMetrics;
        flow.Field("Modality classification confidence", Percent(cm.ModalityConfidence));
        flow.Field("Average finding confidence", cm.AverageConfidence is { } avg ? Percent(avg) : "n/a (no findings)");
        flow.Field("Lowest finding confidence", cm.MinConfidence is { } min ? Percent(min) : "n/a (no findings)");
        flow.Field("Highest finding confidence", cm.MaxConfidence is { } max ? Percent(max) : "n/a (no findings)");

        flow.Heading(SectionHeadings[5]);
        foreach (var recommendation in report.Recommendations)
        {
            flow.Bullet(recommendation);
        }

        flow.Heading(SectionHeadings[6]);
        flow.Paragraph(report.DisclaimerText, PdfFont.HelveticaBold);

        flow.Heading(SectionHeadings[7]);
        flow.Field("Modality classifier", report.Metadata.ModelVersions.ModalityClassifier);
        flow.Field("Specialized model", report.Metadata.ModelVersions.SpecializedModel);
        flow.Field("Processing timestamp", Stamp(report.Metadata.ProcessingTimestamp));
        flow.Field("Report ID", report.ReportId);

        // Running footer on every page, added last so it knows the page count.
        for (var i = 0; i < doc.Pages.Count; i++)
        {
            var page = doc.Pages[i];
            page.DrawLine(Margin, 34, page.Width - Margin, 34);
            page.DrawText(Margin, 22, PdfFont.Helvetica, 8, string.Create(inv, $"MedVision report {report.ReportId} - page {i + 1} of {doc.Pages.Count}"), 0.35);
        }

        return doc.Save();
    }

    private static string Percent(double value) => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Stamp(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Top-to-bottom layout with page breaks.</summary>
    private sealed class Flow(PdfDocument doc)
    {
        private PdfPage? page;
        private double y;

        private const double Width = PdfDocument.A4Width - (2 * Margin);

        public void Title(string text)
        {
            Ensure(30);
            page!.DrawText(Margin, y - 18, PdfFont.HelveticaBold, 18, text);
            y -= 30;
        }

        public void Heading(string text)
        {
            // Keep a heading with at least two lines of its body.
            Ensure(HeadingSize + 10 + (2 * Leading));
            y -= 8;
            page!.FillRectangle(Margin, y - HeadingSize - 3, Width, HeadingSize + 6, 0.92);
            page.DrawText(Margin + 4, y - HeadingSize + 1, PdfFont.HelveticaBold, HeadingSize, text);
            y -= HeadingSize + 10;
        }

        public void Field(string label, string value) => Paragraph($"{label}: {value}");

        public void Bullet(string text) => Paragraph("- " + text);

        public void Gap(double points) => y -= points;

        public void Paragraph(string text, PdfFont font = PdfFont.Helvetica)
        {
            foreach (var line in PdfFontMetrics.Wrap(font, BodySize, text, Width))
            {
                Ensure(Leading);
                page!.DrawText(Margin, y - BodySize, font, BodySize, line);
                y -= Leading;
            }
        }

        public void Images(IReadOnlyList<(string Caption, Raster? Image, string Missing)> items)
        {
            const double gap = 15;
            var cell = (Width - gap) / 2;
            var tallest = 0.0;
            var placed = new List<(string Caption, PdfImage? Image, string Missing, double W, double H)>();
            foreach (var (caption, raster, missing) in items)
            {
                if (raster is null)
                {
                    placed.Add((caption, null, missing, 0, 0));
                    continue;
                }

                var fitted = Resampler.FitWithin(raster.Color is ColorModel.Gray or ColorModel.GrayAlpha ? raster.ToGray8() : raster.ToRgb8(), MaxImageSide);
                var channels = fitted.Color is ColorModel.Gray ? 1 : 3;
                var image = doc.AddImage(fitted.Width, fitted.Height, channels, fitted.Data);
                var scale = cell / Math.Max(fitted.Width, fitted.Height);
                var (w, h) = (fitted.Width * scale, fitted.Height * scale);
                tallest = Math.Max(tallest, h);
                placed.Add((caption, image, missing, w, h));
            }

            Ensure(Math.Max(tallest, 3 * Leading) + Leading + 6);
            var x = Margin;
            foreach (var (caption, image, missing, w, h) in placed)
            {
                page!.DrawText(x, y - BodySize, PdfFont.HelveticaBold, BodySize, caption);
                if (image is null)
                {
                    var lineY = y - BodySize - Leading;
                    foreach (var line in PdfFontMetrics.Wrap(PdfFont.Helvetica, BodySize, missing, cell))
                    {
                        page.DrawText(x, lineY, PdfFont.Helvetica, BodySize, line, 0.3);
                        lineY -= Leading;
                    }
                }
                else
                {
                    page.DrawImage(image, x, y - Leading - 4 - h, w, h);
                }

                x += cell + gap;
            }

            y -= Math.Max(tallest, 3 * Leading) + Leading + 10;
        }

        private void Ensure(double height)
        {
            if (page is null || y - height < Margin + FooterReserve - 20)
            {
                page = doc.AddPage();
                y = PdfDocument.A4Height - Margin;
            }
        }
    }
}
