using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Reports;
using MedVision.Fhir;

namespace MedVision.Core.Tests;

/// <summary>Spec Properties 19–21 and 23 over random analyses, through the report builder and the FHIR composition the report stage uses.</summary>
public sealed class FhirReportPropertyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 9, 30, 0, TimeSpan.Zero);

    private static readonly Gen<Abnormality> Finding =
        from type in Gen.Elements(Enum.GetValues<AbnormalityType>())
        from severity in Gen.Elements(Enum.GetValues<Severity>())
        from confidence in Gen.Choose(500, 1000).Select(c => c / 1000.0)
        from significance in Gen.Choose(0, 1000).Select(c => c / 1000.0)
        from x in Gen.Choose(0, 400)
        from y in Gen.Choose(0, 400)
        from w in Gen.Choose(1, 100)
        from h in Gen.Choose(1, 100)
        from n in Gen.Choose(0, int.MaxValue)
        select new Abnormality
        {
            AbnormalityId = $"ab-{n}",
            Type = type, Severity = severity, Confidence = confidence, ClinicalSignificanceScore = significance,
            BoundingBox = new BoundingBox(x, y, w, h),
            Description = $"{type} \"candidate\" <{n}> & more",
        };

    private sealed record Case(ImageRecord Record, ModalityClassification Classification, AnalysisResult Analysis);

    private static readonly Gen<Case> Cases =
        from modality in Gen.Elements(Enum.GetValues<Modality>())
        from findings in Gen.ListOf(Finding).Select(l => l.DistinctBy(f => f.AbnormalityId).Take(8).ToList())
        from patient in Gen.Elements<string?>(null, "anon-7", "p 1/x")
        from date in Gen.Elements<string?>(null, "2024-01-31", "2024-01-31T10:11:12")
        select new Case(
            new ImageRecord
            {
                ImageId = "img-1", UserId = "u1", UploadTimestamp = Now, FileFormat = FileFormat.Png, FileSizeBytes = 10,
                StorageType = StorageType.S3, StorageLocation = "raw/img-1.png", Status = ImageStatus.Processing, UpdatedAt = Now, CreatedAt = Now, PatientId = patient, AcquisitionDate = date,
            },
            new ModalityClassification
            {
                ImageId = "img-1", Modality = modality, Confidence = 0.9, RequiresManualReview = false, ClassificationTimestamp = Now, ModelVersion = "cls-1.2",
            },
            new AnalysisResult
            {
                ImageId = "img-1", Modality = modality.WireName(), OverallAssessment = findings.Count == 0 ? OverallAssessment.Normal : OverallAssessment.Abnormal,
                Abnormalities = findings, ProcessingTimeMs = 5, ModelVersion = "det-1.2", AnalysisTimestamp = Now, ImageWidth = 512, ImageHeight = 512,
            });

    private static (AnalysisReport Report, IReadOnlyList<Resource> Resources, Bundle Bundle) Build(Case c)
    {
        var links = new ReportFhirLinks
        {
            DiagnosticReportId = "rep-1", ImagingStudyId = "study-1", ObservationIds = c.Analysis.Abnormalities.Select(a => a.AbnormalityId).ToList(),
        };
        var report = ReportBuilder.Build("rep-1", c.Record, c.Classification, c.Analysis, "file:///o.png", null, "file:///r.json", "file:///b.json", links, Now);
        var (resources, bundle) = FhirMapper.Compose(c.Record, c.Classification, c.Analysis, report, "study-1", "rep-1", "file:///reports/rep-1/report.pdf", Now);
        return (report, resources, bundle);
    }

    private static Property ForAnyCase(Func<Case, bool> property) => Prop.ForAll(Cases.ToArbitrary(), property);

    // Feature: medvision-ai-platform, Property 19: every finding is reported, in FHIR and in the report JSON.
    [Property]
    public Property Compose_ForAnyAnalysis_ShouldReportEveryFindingAsALinkedObservation()
    {
        return ForAnyCase(c =>
        {
            var (report, resources, bundle) = Build(c);
            var dr = resources.OfType<DiagnosticReport>().Single();
            var observations = resources.OfType<Observation>().ToList();
            var urns = bundle.Entry!.Select(e => e.FullUrl).ToHashSet();
            var bundleDr = bundle.Entry!.Select(e => e.Resource).OfType<DiagnosticReport>().Single();
            return observations.Count == c.Analysis.Abnormalities.Count
                && report.DetailedFindings.Count == c.Analysis.Abnormalities.Count
                && (dr.Result ?? []).Select(r => r.ReferenceValue).SequenceEqual(observations.Select(o => o.RelativeReference()))
                && (bundleDr.Result ?? []).All(r => urns.Contains(r.ReferenceValue))
                && bundleDr.ImagingStudy!.All(r => urns.Contains(r.ReferenceValue))
                && observations.All(o => o.Component!.Any(k => k.Code!.Coding![0].Code == "confidence"))
                && FhirInvariants.Check(bundle).Count == 0;
        });
    }

    // Feature: medvision-ai-platform, Property 20: the report JSON has every section, the FHIR report every required element.
    [Property]
    public Property Build_ForAnyAnalysis_ShouldFillEverySectionAndTheRequiredFhirElements()
    {
        string[] sections = ["report_id", "image_id", "user_id", "imaging_modality", "analysis_date", "summary", "detailed_findings", "visualizations", "recommendations", "metadata", "disclaimer", "report_urls", "fhir"];
        return ForAnyCase(c =>
        {
            var (report, resources, _) = Build(c);
            var json = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(report, MedVisionJsonContext.Default.AnalysisReport))!.AsObject();
            var dr = resources.OfType<DiagnosticReport>().Single();
            return sections.All(json.ContainsKey)
                && report.Recommendations.Count > 0
                && dr.Status == "preliminary" && dr.Code!.Coding![0].Code == "18748-4" && dr.Category![0].Coding![0].Code == "RAD"
                && dr.Subject is not null && dr.Issued is not null && dr.ConclusionCode!.Count > 0
                && dr.PresentedForm![0].ContentType == "application/pdf";
        });
    }

    // Feature: medvision-ai-platform, Property 21: every report carries the disclaimer.
    [Property]
    public Property Build_ForAnyAnalysis_ShouldCarryTheDisclaimerInTheJsonAndTheFhirConclusion()
    {
        return ForAnyCase(c =>
        {
            var (report, resources, _) = Build(c);
            return report.DisclaimerText == AnalysisReport.Disclaimer
                && resources.OfType<DiagnosticReport>().Single().Conclusion!.Contains(AnalysisReport.Disclaimer, StringComparison.Ordinal);
        });
    }

    // Feature: medvision-ai-platform, Property 23: the report JSON and the FHIR Bundle round-trip.
    [Property]
    public Property Serialize_ForAnyReport_ShouldRoundTripTheReportJsonAndTheBundle()
    {
        return ForAnyCase(c =>
        {
            var (report, _, bundle) = Build(c);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(report, MedVisionJsonContext.Default.AnalysisReport);
            var again = JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize(bytes, MedVisionJsonContext.Default.AnalysisReport)!, MedVisionJsonContext.Default.AnalysisReport);
            var bundleJson = FhirJson.ToJsonObject(bundle);
            return bytes.AsSpan().SequenceEqual(again) && JsonNode.DeepEquals(bundleJson, FhirJson.ToJsonObject(FhirJson.Parse(bundleJson)));
        });
    }
}
