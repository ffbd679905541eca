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
    IObjectStore objects, IFhirStore fhir, StageTracker tracker, IIdGenerator ids, IReportSigner? signer = null)
{
    public async Task<ReportResult> RunAsync(StageRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await tracker.BeginAsync(request.ImageId, PipelineStage.Report, ct);
        var classification = record.Classification
            ?? throw new NotFoundException("classification.missing", $"Image {request.ImageId} has not been classified.");
        var analysis = await AnalysisStore.LoadAsync(objects, request.ImageId, ct);
        var now = tracker.Time.GetUtcNow();

        // Re-running the stage (a retry) reuses the ids already recorded, so the FHIR transaction's PUTs stay idempotent.
        var reportId = record.ReportId ?? record.DiagnosticReportId ?? ids.NewId();
        var studyId = record.ImagingStudyId ?? ids.NewId();
        var diagnosticReportId = record.DiagnosticReportId ?? reportId;
        if (record.ImagingStudyId is null || record.DiagnosticReportId is null)
        {
            // Reserved on the record before anything is written: if the run fails after the FHIR transaction committed
            // (object store, record update), the retry PUTs to these same ids instead of leaving a duplicate report.
            await tracker.RecordAsync(
                request.ImageId, r => r with { ImagingStudyId = r.ImagingStudyId ?? studyId, DiagnosticReportId = r.DiagnosticReportId ?? diagnosticReportId }, ct);
        }
        var observationIds = analysis.Abnormalities.Select(a => Fhir.FhirId.From(a.AbnormalityId)).ToList();

        var fhirLinks = new ReportFhirLinks { DiagnosticReportId = diagnosticReportId, ImagingStudyId = studyId, ObservationIds = observationIds };
        var reportKey = ObjectKeys.ReportJson(reportId);
        var bundleKey = ObjectKeys.FhirBundle(reportId);
        var report = ReportBuilder.Build(
            reportId, record, classification, analysis,
            objects.UrlFor(record.StorageType == StorageType.S3 ? record.StorageLocation : $"healthimaging/{record.StorageLocation}"),
            record.HeatmapKey is { } hk ? objects.UrlFor(hk) : null,
            objects.UrlFor(reportKey), objects.UrlFor(bundleKey), fhirLinks, now);

        // The PDF rendition and report.json side by side, with a detached signature over both when a signer is
        // configured. Written before the FHIR resources so presentedForm points at a PDF that exists.
        var pdfKey = ObjectKeys.ReportPdf(reportId);
        report = report with { ReportUrls = report.ReportUrls with { Pdf = objects.UrlFor(pdfKey) } };
        var reportJson = JsonSerializer.SerializeToUtf8Bytes(report, MedVisionJsonContext.Default.AnalysisReport);
        var pdf = ReportPdf.Render(
            report, await LoadPngAsync(ObjectKeys.Preprocessed(record.ImageId), ct), record.HeatmapKey is { } key ? await LoadPngAsync(key, ct) : null);
        await objects.PutAsync(pdfKey, pdf, "application/pdf", ct);
        await objects.PutAsync(reportKey, reportJson, "application/json", ct);
        if (signer is not null)
        {
            var signature = await ReportSignatures.SignAsync(signer, reportId, pdf, reportJson, now, ct);
            await objects.PutAsync(ObjectKeys.ReportSignature(reportId), ReportSignatures.Serialize(signature), "application/json", ct);
        }

        var (_, bundle) = FhirMapper.Compose(
            record, classification, analysis, report, studyId, diagnosticReportId, objects.UrlFor(pdfKey), now);
        // One FHIR transaction, not a write per resource: the store applies all of it or none, so a failure (retried by
        // the state machine) never leaves a DiagnosticReport without its Observations. The store resolves the entries'
        // urn:uuid references to Type/id; every entry is a PUT to an id the record keeps, so a retry makes new versions
        // of the same resources instead of duplicates. The exported Bundle keeps its urns (it is a portable document).
        await fhir.TransactionAsync(bundle, ct);

        await objects.PutAsync(bundleKey, Fhir.FhirJson.SerializeToUtf8Bytes(bundle), "application/fhir+json", ct);

        await tracker.CompleteAsync(
            request.ImageId, PipelineStage.Report,
            r => r with { ReportId = reportId, ImagingStudyId = studyId, DiagnosticReportId = diagnosticReportId },
            $"report {reportId}, {observationIds.Count} observation(s)", ct);
        return new ReportResult
        {
            ImageId = request.ImageId,
            ReportId = reportId,
            ReportKey = reportKey,
            FhirBundleKey = bundleKey,
            DiagnosticReportId = diagnosticReportId,
        };
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
