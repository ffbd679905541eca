using System.Text.Json.Nodes;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Reports;
using MedVision.Fhir;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Core.Tests;

/// <summary>
/// What the FHIR mapping writes for every modality, every finding type and severity, with and without findings,
/// patient and date, checked by both independent R4 validators (Firely and FHIR.js).
/// </summary>
public sealed class FhirOracleTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 9, 30, 0, TimeSpan.Zero);

    private static List<Abnormality> Findings(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new Abnormality
        {
            AbnormalityId = $"ab-{i}",
            Type = Enum.GetValues<AbnormalityType>()[i % 5],
            Severity = Enum.GetValues<Severity>()[i % 3],
            Confidence = 0.5 + (i * 0.05),
            ClinicalSignificanceScore = 1.0 - (i * 0.1),
            BoundingBox = new BoundingBox(10 * i, 5 * i, 20, 10),
            Description = $"Finding {i} \"quoted\" <tag> & more",
        })];

    /// <summary>The resources and the transaction Bundle of one analysed image, as JSON.</summary>
    private static List<JsonObject> Compose(Modality modality, int findings, string? patient, string? date)
    {
        var record = new ImageRecord
        {
            ImageId = "img-1", UserId = "u1", UploadTimestamp = Now, FileFormat = FileFormat.Png, FileSizeBytes = 10,
            StorageType = StorageType.S3, StorageLocation = "raw/img-1.png", Status = ImageStatus.Processing, UpdatedAt = Now, CreatedAt = Now,
            PatientId = patient, AcquisitionDate = date,
        };
        var classification = new ModalityClassification
        {
            ImageId = "img-1", Modality = modality, Confidence = 0.9, RequiresManualReview = false, ClassificationTimestamp = Now, ModelVersion = "cls-1.2",
        };
        var abnormalities = Findings(findings);
        var analysis = new AnalysisResult
        {
            ImageId = "img-1", Modality = modality.WireName(), OverallAssessment = findings == 0 ? OverallAssessment.Normal : OverallAssessment.Abnormal,
            Abnormalities = abnormalities, ProcessingTimeMs = 5, ModelVersion = "det-1.2", AnalysisTimestamp = Now, ImageWidth = 512, ImageHeight = 512,
        };
        var links = new ReportFhirLinks { DiagnosticReportId = "rep-1", ImagingStudyId = "study-1", ObservationIds = [.. abnormalities.Select(a => a.AbnormalityId)] };
        var report = ReportBuilder.Build("rep-1", record, classification, analysis, "file:///o.png", "file:///h.png", "file:///r.json", "file:///b.json", links, Now);
        var (resources, bundle) = FhirMapper.Compose(record, classification, analysis, report, "study-1", "rep-1", "file:///reports/rep-1/report.pdf", Now);
        return [.. resources.Select(r => FhirJson.ToJsonObject(r)), FhirJson.ToJsonObject(bundle)];
    }

    [Fact]
    public void Compose_WhenCheckedByFirelyAndFhirJs_ShouldWriteOnlyResourcesAndBundlesBothAccept()
    {
        var documents = new List<(string Name, JsonObject Json)>();
        foreach (var modality in Enum.GetValues<Modality>())
        {
            foreach (var (findings, patient, date) in new[] { (0, (string?)null, (string?)null), (6, "anon-7", "2024-01-31T10:11:12"), (1, "p 1/x", "2024-01-31") })
            {
                documents.AddRange(Compose(modality, findings, patient, date).Select(d => ($"{modality}/{findings} findings/{d["resourceType"]}", d)));
            }
        }

        var firely = FirelyValidator.Validate([.. documents.Select(d => d.Json)]);
        var fhirJs = FhirValidator.Require(output.WriteLine) ? FhirValidator.Validate([.. documents.Select(d => d.Json)]) : null;

        for (var i = 0; i < documents.Count; i++)
        {
            Assert.True(firely[i].Valid, $"Firely, {documents[i].Name}:\n{string.Join("\n", firely[i].Errors)}");
            Assert.True(fhirJs is null || fhirJs[i].Valid, $"FHIR.js, {documents[i].Name}:\n{string.Join("\n", fhirJs?[i].Errors ?? [])}");
        }

        Assert.Contains(documents, d => (string?)d.Json["resourceType"] == "Bundle");
        output.WriteLine($"{documents.Count} documents; Firely warnings: {string.Join("; ", firely.SelectMany(v => v.Warnings).Select(w => w[(w.IndexOf(": ", StringComparison.Ordinal) + 2)..]).Distinct())}");
    }

    [Fact]
    public void Validate_WhenAResourceIsBroken_ShouldFailWithBothValidators()
    {
        var composed = Compose(Modality.Ct, 1, "anon-7", "2024-01-31");
        var observation = (JsonObject)composed.First(d => (string?)d["resourceType"] == "Observation").DeepClone();
        observation.Remove("status");
        var bundle = (JsonObject)composed.Last().DeepClone();
        bundle["entry"]![0]!["request"]!.AsObject().Remove("method");
        var report = (JsonObject)composed.First(d => (string?)d["resourceType"] == "DiagnosticReport").DeepClone();
        report["status"] = "approved";
        List<JsonObject> broken = [observation, bundle, report];

        var firely = FirelyValidator.Validate(broken);

        Assert.Contains(firely[0].Errors, e => e.Contains("status", StringComparison.Ordinal));
        Assert.Contains(firely[1].Errors, e => e.Contains("method", StringComparison.Ordinal));
        Assert.Contains(firely[2].Errors, e => e.Contains("approved", StringComparison.Ordinal));
        if (FhirValidator.Require(output.WriteLine))
        {
            var fhirJs = FhirValidator.Validate(broken);
            Assert.Contains(fhirJs[0].Errors, e => e.Contains("Observation.status", StringComparison.Ordinal));
            Assert.Contains(fhirJs[1].Errors, e => e.Contains("request.method", StringComparison.Ordinal));
            Assert.Contains(fhirJs[2].Errors, e => e.Contains("DiagnosticReport.status", StringComparison.Ordinal));
        }

        // A fullUrl that is no URI at all: FHIR.js 4.12 lets it through, Firely does not.
        var badUrl = (JsonObject)composed.Last().DeepClone();
        badUrl["entry"]![0]!["fullUrl"] = "not a url";
        Assert.Contains(FirelyValidator.Validate([badUrl])[0].Errors, e => e.Contains("fullUrl", StringComparison.Ordinal));
    }
}
