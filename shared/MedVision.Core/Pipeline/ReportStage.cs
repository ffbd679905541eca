using System.Text.Json;
using MedVision.Core.Images;
using MedVision.Core.Json;
using Fhir = MedVision.Fhir;
using MedVision.Core.Ports;
using MedVision.Core.Reports;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Spec component 7: FHIR Patient/ImagingStudy/Observation/DiagnosticReport into the FHIR store, and the
/// report JSON plus an exportable FHIR Bundle into the object store.
/// </summary>
public sealed class ReportStage(IObjectStore objects, IFhirStore fhir, StageTracker tracker, IIdGenerator ids)
{
    public async Task<ReportResult> RunAsync(StageRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await tracker.BeginAsync(request.ImageId, PipelineStage.Report, ct);
        var classification = record.Classification
            ?? throw new NotFoundException("classification.missing", $"Image {request.ImageId} has not been classified.");
        var analysis = await AnalysisStore.LoadAsync(objects, request.ImageId, ct);
        var now = tracker.Time.GetUtcNow();

        // Re-running the stage (a retry) reuses the ids already recorded, so FHIR upserts stay idempotent.
        var reportId = record.ReportId ?? ids.NewId();
        var studyId = record.ImagingStudyId ?? ids.NewId();
        var diagnosticReportId = record.DiagnosticReportId ?? reportId;
        var observationIds = analysis.Abnormalities.Select(a => FhirMapper.SafeId(a.AbnormalityId)).ToList();

        var fhirLinks = new ReportFhirLinks { DiagnosticReportId = diagnosticReportId, ImagingStudyId = studyId, ObservationIds = observationIds };
        var reportKey = ObjectKeys.ReportJson(reportId);
        var bundleKey = ObjectKeys.FhirBundle(reportId);
        var report = ReportBuilder.Build(
            reportId, record, classification, analysis,
            objects.UrlFor(record.StorageType == StorageType.S3 ? record.StorageLocation : $"healthimaging/{record.StorageLocation}"),
            record.HeatmapKey is { } hk ? objects.UrlFor(hk) : null,
            objects.UrlFor(reportKey), objects.UrlFor(bundleKey), fhirLinks, now);

        var (resources, bundle) = FhirMapper.Compose(
            record, classification, analysis, report, studyId, diagnosticReportId, objects.UrlFor(FhirMapper.PdfKey(reportId)), now);
        foreach (var resource in resources)
        {
            await fhir.UpsertAsync(Fhir.FhirJson.ToJsonObject(resource), ct);
        }

        await objects.PutAsync(bundleKey, Fhir.FhirJson.SerializeToUtf8Bytes(bundle), "application/fhir+json", ct);
        await objects.PutAsync(reportKey, JsonSerializer.SerializeToUtf8Bytes(report, MedVisionJsonContext.Default.DiagnosticReport), "application/json", ct);

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
}
