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

    [JsonPropertyName("report_id")] public required string ReportId { get; init; }
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("user_id")] public required string UserId { get; init; }
    [JsonPropertyName("patient_id")] public string? PatientId { get; init; }
    [JsonPropertyName("imaging_modality")] public required string ImagingModality { get; init; }
    [JsonPropertyName("acquisition_date")] public string? AcquisitionDate { get; init; }
    [JsonPropertyName("analysis_date")] public required DateTimeOffset AnalysisDate { get; init; }
    [JsonPropertyName("summary")] public required ReportSummary Summary { get; init; }
    [JsonPropertyName("detailed_findings")] public required IReadOnlyList<Abnormality> DetailedFindings { get; init; }
    [JsonPropertyName("visualizations")] public required ReportVisualizations Visualizations { get; init; }
    [JsonPropertyName("recommendations")] public required IReadOnlyList<string> Recommendations { get; init; }
    [JsonPropertyName("metadata")] public required ReportMetadata Metadata { get; init; }
    [JsonPropertyName("disclaimer")] public required string DisclaimerText { get; init; }
    [JsonPropertyName("report_urls")] public required ReportUrls ReportUrls { get; init; }
    [JsonPropertyName("fhir")] public required ReportFhirLinks Fhir { get; init; }

    /// <summary>The clinician's review; absent while the report is the AI's preliminary one.</summary>
    [JsonPropertyName("review")] public ReportReview? Review { get; init; }
}

/// <summary>Who reviewed the report, when, and the FHIR status it now has (final, then amended on later changes).</summary>
public sealed record ReportReview
{
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("reviewer_id")] public required string ReviewerId { get; init; }
    [JsonPropertyName("reviewed_at")] public required DateTimeOffset ReviewedAt { get; init; }
    [JsonPropertyName("conclusion")] public string? Conclusion { get; init; }
}

public sealed record ReportSummary
{
    [JsonPropertyName("overall_assessment")] public required OverallAssessment OverallAssessment { get; init; }
    [JsonPropertyName("key_findings")] public required IReadOnlyList<string> KeyFindings { get; init; }
}

public sealed record ReportVisualizations
{
    [JsonPropertyName("original_image_url")] public required string OriginalImageUrl { get; init; }
    [JsonPropertyName("heatmap_image_url")] public string? HeatmapImageUrl { get; init; }
}

public sealed record ReportMetadata
{
    [JsonPropertyName("model_versions")] public required ModelVersions ModelVersions { get; init; }
    [JsonPropertyName("confidence_metrics")] public required ConfidenceMetrics ConfidenceMetrics { get; init; }
    [JsonPropertyName("processing_timestamp")] public required DateTimeOffset ProcessingTimestamp { get; init; }
}

public sealed record ModelVersions
{
    [JsonPropertyName("modality_classifier")] public required string ModalityClassifier { get; init; }
    [JsonPropertyName("specialized_model")] public required string SpecializedModel { get; init; }
}

public sealed record ConfidenceMetrics
{
    [JsonPropertyName("modality_confidence")] public required double ModalityConfidence { get; init; }
    [JsonPropertyName("average_confidence")] public double? AverageConfidence { get; init; }
    [JsonPropertyName("min_confidence")] public double? MinConfidence { get; init; }
    [JsonPropertyName("max_confidence")] public double? MaxConfidence { get; init; }
}

public sealed record ReportUrls
{
    [JsonPropertyName("pdf")] public string? Pdf { get; init; }
    [JsonPropertyName("json")] public required string Json { get; init; }
    [JsonPropertyName("fhir_bundle")] public required string FhirBundle { get; init; }
}

public sealed record ReportFhirLinks
{
    [JsonPropertyName("diagnostic_report_id")] public required string DiagnosticReportId { get; init; }
    [JsonPropertyName("imaging_study_id")] public required string ImagingStudyId { get; init; }
    [JsonPropertyName("observation_ids")] public required IReadOnlyList<string> ObservationIds { get; init; }
}
