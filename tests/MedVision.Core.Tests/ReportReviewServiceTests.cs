using System.Text.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Core.Reports;
using MedVision.Fhir;
using MedVision.Imaging;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests;

public sealed class ReportReviewServiceTests
{
    private readonly InMemoryObjectStore objects = new();
    private readonly InMemoryFhirStore fhir = new();
    private readonly InMemoryRecordStore records = new();
    private readonly FakeTimeProvider clock = new(TestClock.Start);
    private readonly SequentialIds ids = new();
    private readonly PipelineServices stages;
    private readonly UploadService uploads;
    private readonly ReportReviewService reviews;

    public ReportReviewServiceTests()
    {
        var endpoint = new ScriptedEndpoint((name, request) => name == "medvision-modality-classifier"
            ? ModelAnswers.Scores(request, 0.9)
            : ModelAnswers.Findings(request, name, ModelAnswers.Finding(AbnormalityType.Lesion, 0.91, Severity.High, 4, 4, 8, 8)));
        stages = new TestPlatform { Objects = objects, Fhir = fhir, Records = records, Inference = endpoint, Time = clock, Ids = ids }.Build();
        uploads = stages.Uploads;
        reviews = stages.ReportReviews;
    }

    private async Task<(string ImageId, ReportResult Report)> ReportedImageAsync()
    {
        var raster = new Raster(24, 20, ColorModel.Gray, 8);
        for (var i = 0; i < 24 * 20; i++)
        {
            raster.SetSample(i % 24, i / 24, 0, i * 7 % 256);
        }

        var id = (await uploads.UploadAsync(new UploadCommand { UserId = "u1", Content = PngEncoder.Encode(raster), FileName = "a.png" })).ImageId;
        var c = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        await stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = c.Modality });
        return (id, await stages.Report.RunAsync(new StageRequest { ImageId = id }));
    }

    private async Task<DiagnosticReport> StoredReportAsync(string id) =>
        (await fhir.ReadAsync<DiagnosticReport>(id))!;

    // Feature: medvision-ai-platform, Property 26: a report review leaves an audit entry.
    [Fact]
    public async Task ReviewAsync_WhenFirstReviewIsFinal_ShouldFlipReportAndObservationsRecordTheReviewerAndAudit()
    {
        var (imageId, report) = await ReportedImageAsync();
        Assert.Equal("preliminary", (await StoredReportAsync(report.DiagnosticReportId)).Status);
        clock.Advance(TimeSpan.FromHours(2));

        var result = await reviews.ReviewAsync(report.ReportId, ReportReviewStatus.Final, "dr-house");

        Assert.Equal(("preliminary", "final"), (result.PreviousStatus, result.Status));
        var dr = await StoredReportAsync(report.DiagnosticReportId);
        Assert.Equal("final", dr.Status);
        var interpreter = Assert.Single(dr.ResultsInterpreter!).ReferenceValue!;
        Assert.NotNull(await fhir.ReadAsync("Practitioner", interpreter.Split('/')[1]));
        foreach (var observation in dr.Result!)
        {
            Assert.Equal("final", (await fhir.ReadAsync<Observation>(observation.ReferenceValue!.Split('/')[1]))!.Status);
        }

        var json = JsonSerializer.Deserialize(objects.Objects[ObjectKeys.ReportJson(report.ReportId)].Content, MedVisionJsonContext.Default.AnalysisReport)!;
        Assert.Equal(("final", "dr-house", clock.GetUtcNow()), (json.Review!.Status, json.Review.ReviewerId, json.Review.ReviewedAt));
        var audit = Assert.Single(records.Audit, a => a.Action == "report.review.final");
        Assert.Equal(("dr-house", report.DiagnosticReportId), (audit.Actor, audit.ResourceId));
        Assert.DoesNotContain(imageId, audit.Detail!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewAsync_WhenAFinalReportIsAmendedByImageId_ShouldBecomeAmendedWithTheNewConclusion()
    {
        var (imageId, report) = await ReportedImageAsync();
        await reviews.ReviewAsync(report.ReportId, ReportReviewStatus.Final, "r1");

        var result = await reviews.ReviewAsync(imageId, ReportReviewStatus.Amended, "r2", "Benign cyst on review.");

        Assert.Equal(("final", "amended"), (result.PreviousStatus, result.Status));
        var dr = await StoredReportAsync(report.DiagnosticReportId);
        Assert.Equal("amended", dr.Status);
        Assert.StartsWith("Benign cyst on review.", dr.Conclusion, StringComparison.Ordinal);
        Assert.EndsWith(AnalysisReport.Disclaimer, dr.Conclusion, StringComparison.Ordinal);
        Assert.Equal("Practitioner/reviewer-r2", Assert.Single(dr.ResultsInterpreter!).ReferenceValue);
        Assert.Equal(2, records.Audit.Count(a => a.Action.StartsWith("report.review.", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(ReportReviewStatus.Amended, false, "only a final report can be amended")]
    [InlineData(ReportReviewStatus.Final, true, "use amended")]
    public async Task ReviewAsync_WhenTheTransitionIsNotAllowed_ShouldThrowConflictAndChangeNothing(ReportReviewStatus status, bool finalFirst, string message)
    {
        var (_, report) = await ReportedImageAsync();
        if (finalFirst)
        {
            await reviews.ReviewAsync(report.ReportId, ReportReviewStatus.Final, "r1");
        }

        var before = FhirJson.Serialize((await fhir.ReadAsync("DiagnosticReport", report.DiagnosticReportId))!);

        var error = await Assert.ThrowsAsync<ConflictException>(() => reviews.ReviewAsync(report.ReportId, status, "r2"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, FhirJson.Serialize((await fhir.ReadAsync("DiagnosticReport", report.DiagnosticReportId))!));
    }

    [Fact]
    public async Task ReviewAsync_WhenTheIdIsUnknownOrUnsafe_ShouldThrowNotFoundOrValidation()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => reviews.ReviewAsync("no-such-id", ReportReviewStatus.Final, "r"));
        await Assert.ThrowsAsync<ValidationException>(() => reviews.ReviewAsync("../etc", ReportReviewStatus.Final, "r"));
        await Assert.ThrowsAsync<ValidationException>(() => reviews.ReviewAsync("x", ReportReviewStatus.Final, " "));
    }
}
