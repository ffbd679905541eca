using System.Text.Json;
using MedVision.Core.Images;
using MedVision.Core.Json;
using Fhir = MedVision.Fhir;
using MedVision.Core.Ports;
using MedVision.Core.Reports;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Spec component 7: FHIR Patient/ImagingStudy/Observation/DiagnosticReport into the FHIR store as one atomic
/// transaction Bundle, and the report JSON plus that Bundle (exportable) into the object store.
/// </summary>
public sealed class ReportStage(
    IObjectStore objects, ImageLoader loader, IFhirStore fhir, StageTracker tracker, IIdGenerator ids, IReportSigner? signer = null)
{
    public async Task<ReportResult> RunAsync(StageRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await tracker.BeginAsync(request.ImageId, PipelineStage.Report, ct);
        var classification = record.Classification
            ?? throw new NotFoundException("classification.missing", $"Image {request.ImageId} has not been classified.");
        var analysis = await AnalysisStore.LoadAsync(objects, request.ImageId, ct);
        var now = tracker.Time.GetUtcNow();

        // Reserved on the record before anything is written: if the run fails after the FHIR transaction committed
        // (object store, record update), the retry PUTs to these same ids instead of leaving a duplicate report.
        var reserved = await tracker.ReserveReportAsync(record, () => new ReportIds(ids.NewId(), ids.NewId()), ct);
        var reportId = reserved.ReportId;
        var observationIds = analysis.Abnormalities.Select(a => Fhir.FhirId.From(a.AbnormalityId)).ToList();

        var fhirLinks = new ReportFhirLinks { DiagnosticReportId = reserved.DiagnosticReportId, ImagingStudyId = reserved.ImagingStudyId, ObservationIds = observationIds };
        var reportKey = ObjectKeys.ReportJson(reportId);
        var bundleKey = ObjectKeys.FhirBundle(reportId);
        var report = ReportBuilder.Build(
            reportId, record, classification, analysis,
            loader.UrlFor(record),
            record.HeatmapKey is { } hk ? objects.UrlFor(hk) : null,
            objects.UrlFor(reportKey), objects.UrlFor(bundleKey), fhirLinks, now);

        // The PDF rendition and report.json side by side, with a detached signature over both when a signer is
        // configured. Written before the FHIR resources so presentedForm points at a PDF that exists.
        var pdfKey = ObjectKeys.ReportPdf(reportId);
        report = report with { ReportUrls = report.ReportUrls with { Pdf = objects.UrlFor(pdfKey) } };
        var reportJson = JsonSerializer.SerializeToUtf8Bytes(report, MedVisionJsonContext.Default.AnalysisReport);
        var pdf = ReportPdf.Render(
            report, await LoadRenditionAsync(record, ct), record.HeatmapKey is { } key ? await LoadHeatmapForPdfAsync(record.ImageId, key, ct) : null);
        await objects.PutAsync(pdfKey, pdf, "application/pdf", ct);
        await objects.PutAsync(reportKey, reportJson, "application/json", ct);
        if (signer is not null)
        {
            var signature = await ReportSignatures.SignAsync(signer, reportId, pdf, reportJson, now, ct);
            await objects.PutAsync(ObjectKeys.ReportSignature(reportId), ReportSignatures.Serialize(signature), "application/json", ct);
        }

        var (_, bundle) = FhirMapper.Compose(
            record, classification, analysis, report, reserved.ImagingStudyId, reserved.DiagnosticReportId, objects.UrlFor(pdfKey), now);
        // One FHIR transaction, not a write per resource: the store applies all of it or none, so a failure (retried by
        // the state machine) never leaves a DiagnosticReport without its Observations. The store resolves the entries'
        // urn:uuid references to Type/id; every entry is a PUT to an id the record keeps, so a retry makes new versions
        // of the same resources instead of duplicates. The exported Bundle keeps its urns (it is a portable document).
        await fhir.TransactionAsync(bundle, ct);

        await objects.PutAsync(bundleKey, Fhir.FhirJson.SerializeToUtf8Bytes(bundle), "application/fhir+json", ct);

        await tracker.CompleteAsync(
            request.ImageId, PipelineStage.Report,
            r => r with { ReportId = reportId },
            $"report {reportId}, {observationIds.Count} observation(s)", ct);
        return new ReportResult
        {
            ImageId = request.ImageId,
            ReportId = reportId,
            ReportKey = reportKey,
            FhirBundleKey = bundleKey,
            DiagnosticReportId = reserved.DiagnosticReportId,
        };
    }

    /// <summary>The rendition the models saw, for the PDF; if it cannot be had the PDF shows a note (never fails the report).</summary>
    private async Task<Imaging.Raster?> LoadRenditionAsync(ImageRecord record, CancellationToken ct)
    {
        try
        {
            return await loader.LoadRenditionAsync(record, ct);
        }
        catch (Exception ex) when (ex is InvalidImageException or UnsupportedImageException or NotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The overlay for the PDF, which shows it at 512 px at most: the right half of the side-by-side display copy (same
    /// size as its left half), so the full-resolution overlay is not decoded to be shrunk; the overlay itself when that
    /// copy is missing.
    /// </summary>
    private async Task<Imaging.Raster?> LoadHeatmapForPdfAsync(string imageId, string overlayKey, CancellationToken ct)
    {
        if (await LoadPngAsync(ObjectKeys.HeatmapSideBySide(imageId), ct) is { Width: > 1 } pair && pair.Width % 2 == 0)
        {
            return RightHalf(pair);
        }

        return await LoadPngAsync(overlayKey, ct);
    }

    private static Imaging.Raster RightHalf(Imaging.Raster pair)
    {
        var half = new Imaging.Raster(pair.Width / 2, pair.Height, pair.Color, pair.BitDepth);
        var rowBytes = half.Data.Length / half.Height;
        for (var y = 0; y < pair.Height; y++)
        {
            pair.Data.AsSpan((y * 2 * rowBytes) + rowBytes, rowBytes).CopyTo(half.Data.AsSpan(y * rowBytes));
        }

        return half;
    }

    /// <summary>An image for the PDF; missing or undecodable means the PDF shows a note instead (never fails the report).</summary>
    private async Task<Imaging.Raster?> LoadPngAsync(string key, CancellationToken ct)
    {
        if (await objects.GetAsync(key, ct) is not { } stored)
        {
            return null;
        }

        try
        {
            return Imaging.PngDecoder.Decode(stored.Content);
        }
        catch (Imaging.ImageDecodeException)
        {
            return null;
        }
    }
}
