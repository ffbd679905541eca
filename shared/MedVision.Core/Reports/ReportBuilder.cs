using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;

namespace MedVision.Core.Reports;

/// <summary>Composes the structured report from the image record, classification and analysis.</summary>
public static class ReportBuilder
{
    public static AnalysisReport Build(
        string reportId, ImageRecord record, ModalityClassification classification, AnalysisResult analysis,
        string originalUrl, string? heatmapUrl, string jsonUrl, string bundleUrl, ReportFhirLinks fhir, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(classification);
        ArgumentNullException.ThrowIfNull(analysis);
        var findings = analysis.Abnormalities;
        var confidences = findings.Select(f => f.Confidence).ToList();
        return new AnalysisReport
        {
            ReportId = reportId,
            ImageId = record.ImageId,
            UserId = record.UserId,
            PatientId = record.PatientId,
            ImagingModality = classification.Modality.WireName(),
            AcquisitionDate = record.AcquisitionDate,
            AnalysisDate = analysis.AnalysisTimestamp,
            Summary = new ReportSummary
            {
                OverallAssessment = analysis.OverallAssessment,
                KeyFindings = findings.Count == 0
                    ? ["No abnormalities detected above the reporting threshold."]
                    : findings.Select(f => f.Description).ToList(),
            },
            DetailedFindings = findings,
            Visualizations = new ReportVisualizations { OriginalImageUrl = originalUrl, HeatmapImageUrl = heatmapUrl },
            Recommendations = Recommend(classification.Modality, findings),
            Metadata = new ReportMetadata
            {
                ModelVersions = new ModelVersions { ModalityClassifier = classification.ModelVersion, SpecializedModel = analysis.ModelVersion },
                ConfidenceMetrics = new ConfidenceMetrics
                {
                    ModalityConfidence = classification.Confidence,
                    AverageConfidence = confidences.Count == 0 ? null : Math.Round(confidences.Average(), 4),
                    MinConfidence = confidences.Count == 0 ? null : confidences.Min(),
                    MaxConfidence = confidences.Count == 0 ? null : confidences.Max(),
                },
                ProcessingTimestamp = now,
            },
            DisclaimerText = AnalysisReport.Disclaimer,
            ReportUrls = new ReportUrls { Json = jsonUrl, FhirBundle = bundleUrl, Pdf = null },
            Fhir = fhir,
        };
    }

    /// <summary>Follow-up suggestions driven by the worst finding; always ends with clinical validation.</summary>
    public static IReadOnlyList<string> Recommend(Modality modality, IReadOnlyList<Abnormality> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var list = new List<string>();
        if (findings.Count == 0)
        {
            list.Add($"No AI-detected abnormalities on this {modality.DisplayName()} image; routine reporting by a radiologist.");
        }
        else
        {
            var worst = findings.Max(f => f.Severity);
            list.Add(worst switch
            {
                Severity.High => "Priority review by a radiologist: at least one high-severity finding.",
                Severity.Medium => "Radiologist review of the highlighted regions within routine turnaround.",
                _ => "Low-severity findings only: review at the next routine read.",
            });
            foreach (var type in findings.Select(f => f.Type).Distinct())
            {
                list.Add(type switch
                {
                    AbnormalityType.Tumor => "Consider correlation with prior imaging and further characterisation of the suspected mass.",
                    AbnormalityType.Lesion => "Correlate the lesion candidate(s) with clinical history; consider follow-up imaging.",
                    AbnormalityType.Infection => "Correlate with clinical and laboratory signs of infection.",
                    AbnormalityType.Fracture => "Correlate with the site of pain; consider a dedicated view.",
                    _ => "Review the highlighted region(s) for clinical relevance.",
                });
            }
        }

        list.Add("Validate all AI findings before any clinical decision.");
        return list;
    }
}
