using System.Text.Json.Serialization;
using MedVision.Core.Analysis;

namespace MedVision.Core.Reports;

/// <summary>
/// The structured report, report.json (the spec's "DiagnosticReport"; named AnalysisReport so it does not shadow the
/// FHIR resource of that name, which the report stage writes next to it). Properties are declared in the spec's
/// section order (header, summary, findings, visualizations, confidence, recommendations, disclaimer, footer) so
/// every report serializes with the same structure (Property 22).
/// </summary>
public sealed record AnalysisReport
{
    public const string Disclaimer =
        "AI-generated preliminary findings. Requires validation by licensed healthcare professional.";

    public required string ReportId { get; init; }
    public required string ImageId { get; init; }
    public required string UserId { get; init; }
    public string? PatientId { get; init; }
    public required string ImagingModality { get; init; }
    public string? AcquisitionDate { get; init; }
    public required DateTimeOffset AnalysisDate { get; init; }
    public required ReportSummary Summary { get; init; }
    public required IReadOnlyList<Abnormality> DetailedFindings { get; init; }
    public required ReportVisualizations Visualizations { get; init; }
    public required IReadOnlyList<string> Recommendations { get; init; }
    public required ReportMetadata Metadata { get; init; }
    [JsonPropertyName("disclaimer")] public required string DisclaimerText { get; init; }
    public required ReportUrls ReportUrls { get; init; }
    public required ReportFhirLinks Fhir { get; init; }

    /// <summary>The clinician's review; absent while the report is the AI's preliminary one.</summary>
    public ReportReview? Review { get; init; }
}

/// <summary>Who reviewed the report, when, and the FHIR status it now has (final, then amended on later changes).</summary>
public sealed record ReportReview
{
    public required string Status { get; init; }
    public required string ReviewerId { get; init; }
    public required DateTimeOffset ReviewedAt { get; init; }
    public string? Conclusion { get; init; }
}

public sealed record ReportSummary
{
    public required OverallAssessment OverallAssessment { get; init; }
    public required IReadOnlyList<string> KeyFindings { get; init; }
}

public sealed record ReportVisualizations
{
    public required string OriginalImageUrl { get; init; }
    public string? HeatmapImageUrl { get; init; }
}

public sealed record ReportMetadata
{
    public required ModelVersions ModelVersions { get; init; }
    public required ConfidenceMetrics ConfidenceMetrics { get; init; }
    public required DateTimeOffset ProcessingTimestamp { get; init; }
}

public sealed record ModelVersions
{
    public required string ModalityClassifier { get; init; }
    public required string SpecializedModel { get; init; }
}

public sealed record ConfidenceMetrics
{
    public required double ModalityConfidence { get; init; }
    public double? AverageConfidence { get; init; }
    public double? MinConfidence { get; init; }
    public double? MaxConfidence { get; init; }
}

public sealed record ReportUrls
{
    public string? Pdf { get; init; }
    public required string Json { get; init; }
    public required string FhirBundle { get; init; }
}

public sealed record ReportFhirLinks
{
    public required string DiagnosticReportId { get; init; }
    public required string ImagingStudyId { get; init; }
    public required IReadOnlyList<string> ObservationIds { get; init; }
}
