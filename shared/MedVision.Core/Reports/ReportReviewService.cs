using System.Text.Json;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Fhir;

namespace MedVision.Core.Reports;

/// <summary>The status a clinician's review gives the report: final on the first review, amended on any later one.</summary>
public enum ReportReviewStatus
{
    Final,
    Amended,
}

public sealed record ReportReviewResult(
    string ReportId, string ImageId, string DiagnosticReportId, string PreviousStatus, string Status, string ReviewerId, DateTimeOffset ReviewedAt);

/// <summary>
/// A clinician's review of the AI report: flips the FHIR DiagnosticReport (and its Observations) from preliminary to
/// final, or from final to amended; names the reviewer as resultsInterpreter (a Practitioner it upserts); records
/// the review in the report JSON and appends an audit entry. The HTTP API will call this; `medvision review report`
/// drives it locally.
/// </summary>
public sealed class ReportReviewService(IFhirStore fhir, IRecordStore records, IObjectStore objects, TimeProvider time, AuditTrail audit)
{
    public const string ReviewerIdSystem = "urn:medvision:reviewer-id";

    /// <summary>Review by report id or image id. Throws NotFound (unknown id, no report yet), Conflict (wrong transition) or Validation.</summary>
    public async Task<ReportReviewResult> ReviewAsync(
        string reportOrImageId, ReportReviewStatus status, string reviewerId, string? conclusion = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reportOrImageId);
        if (!FhirId.IsValid(reportOrImageId))
        {
            // Ids become object keys: nothing but the id alphabet gets near a path.
            throw new ValidationException("review.bad_id", "A report or image id has only letters, digits, '-' and '.' (at most 64).");
        }

        if (string.IsNullOrWhiteSpace(reviewerId))
        {
            throw new ValidationException("review.reviewer_missing", "A review needs the reviewer's id.");
        }

        if (conclusion is not null && string.IsNullOrWhiteSpace(conclusion))
        {
            throw new ValidationException("review.conclusion_empty", "An amended conclusion cannot be empty.");
        }

        var (record, report) = await ResolveAsync(reportOrImageId, ct);
        var drId = record.DiagnosticReportId ?? report.Fhir.DiagnosticReportId;
        var resource = await fhir.ReadAsync<DiagnosticReport>(drId, ct)
            ?? throw new NotFoundException("report.fhir_missing", $"DiagnosticReport {drId} is not in the FHIR store.");
        var previous = resource.Status ?? "unknown";
        var next = status == ReportReviewStatus.Final ? "final" : "amended";

        // R4 report-status workflow: preliminary → final on sign-off; a change after that is an amendment.
        var allowed = status == ReportReviewStatus.Final ? previous is "preliminary" or "partial" : previous is "final" or "amended" or "corrected";
        if (!allowed)
        {
            throw new ConflictException(
                "review.invalid_transition",
                status == ReportReviewStatus.Final
                    ? $"Report {report.ReportId} is {previous}; a first review makes a preliminary report final (use amended for a later change)."
                    : $"Report {report.ReportId} is {previous}; only a final report can be amended (review it as final first).");
        }

        var now = time.GetUtcNow();
        var practitioner = new Practitioner
        {
            Id = FhirId.From("reviewer-" + reviewerId),
            Identifier = [new Identifier(ReviewerIdSystem, reviewerId)],
            Active = true,
        };
        await fhir.UpsertAsync(practitioner, ct);

        resource.Meta = null; // the store assigns version and lastUpdated
        resource.Status = next;
        resource.ResultsInterpreter = [Reference.To("Practitioner", practitioner.Id)];
        if (conclusion is not null)
        {
            resource.Conclusion = $"{conclusion} {AnalysisReport.Disclaimer}";
        }

        await fhir.UpsertAsync(resource, ct);

        // The findings are signed off with the report.
        foreach (var reference in resource.Result ?? [])
        {
            var observationId = reference.ReferenceValue?.Split('/') is ["Observation", var id] ? id : null;
            if (observationId is not null && await fhir.ReadAsync<Observation>(observationId, ct) is { } observation)
            {
                observation.Meta = null;
                observation.Status = next;
                await fhir.UpsertAsync(observation, ct);
            }
        }

        var reviewed = report with
        {
            Review = new ReportReview { Status = next, ReviewerId = reviewerId, ReviewedAt = now, Conclusion = conclusion ?? report.Review?.Conclusion },
        };
        await objects.PutAsync(
            ObjectKeys.ReportJson(report.ReportId), JsonSerializer.SerializeToUtf8Bytes(reviewed, MedVisionJsonContext.Default.AnalysisReport), "application/json", ct);
        await audit.WriteAsync(
            reviewerId, $"report.review.{next}", "DiagnosticReport", drId,
            $"report {report.ReportId}: {previous} -> {next}{(conclusion is null ? "" : ", conclusion changed")}", ct);
        return new ReportReviewResult(report.ReportId, record.ImageId, drId, previous, next, reviewerId, now);
    }

    private async Task<(ImageRecord Record, AnalysisReport Report)> ResolveAsync(string id, CancellationToken ct)
    {
        if (await LoadReportAsync(id, ct) is { } byReportId)
        {
            var owner = await records.GetAsync(byReportId.ImageId, ct)
                ?? throw new NotFoundException("image.not_found", $"Image {byReportId.ImageId} of report {id} does not exist.");
            return (owner, byReportId);
        }

        var record = await records.GetAsync(id, ct)
            ?? throw new NotFoundException("report.not_found", $"No report or image with id {id}.");
        var reportId = record.ReportId
            ?? throw new NotFoundException("report.not_ready", $"Image {id} has no report yet (status {record.Status.WireName()}).");
        var report = await LoadReportAsync(reportId, ct)
            ?? throw new NotFoundException("report.not_found", $"The report JSON of image {id} ({reportId}) is missing.");
        return (record, report);
    }

    private async Task<AnalysisReport?> LoadReportAsync(string reportId, CancellationToken ct) =>
        await objects.GetAsync(ObjectKeys.ReportJson(reportId), ct) is { } stored
            ? JsonSerializer.Deserialize(stored.Content, MedVisionJsonContext.Default.AnalysisReport)
            : null;
}
