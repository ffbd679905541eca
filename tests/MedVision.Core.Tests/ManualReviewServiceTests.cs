using System.Text.Json.Nodes;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests;

public class ManualReviewServiceTests
{
    private readonly InMemoryRecordStore records = new();
    private readonly RecordingWorkflow workflow = new();
    private readonly RecordingEvents events = new();
    private readonly FakeTimeProvider clock = new(TestClock.Start);
    private readonly ManualReviewService reviews;

    public ManualReviewServiceTests() =>
        reviews = new TestPlatform { Records = records, Workflow = workflow, Events = events, Time = clock, Ids = new SequentialIds("audit") }.Build().Reviews;

    private async Task<ImageRecord> SeedAsync(ImageStatus status, string? token)
    {
        var now = clock.GetUtcNow();
        var record = new ImageRecord
        {
            ImageId = "img-1", UserId = "u-1", UploadTimestamp = now, FileFormat = FileFormat.Png, FileSizeBytes = 10,
            StorageType = StorageType.S3, StorageLocation = "raw/img-1.png", Status = status, ReviewTaskToken = token,
            Modality = Modality.XRay, CreatedAt = now, UpdatedAt = now,
            Classification = new ModalityClassification
            {
                ImageId = "img-1", Modality = Modality.XRay, Confidence = 0.6, RequiresManualReview = true,
                ClassificationTimestamp = now, ModelVersion = "cls-1",
            },
        };
        await records.CreateAsync(record);
        return record;
    }

    // Feature: medvision-ai-platform, Property 26: a modality review leaves an audit entry.
    [Fact]
    public async Task SetModalityAsync_WhenTheImageAwaitsReview_ShouldRecordTheReviewAuditItAndAnswerTheToken()
    {
        await SeedAsync(ImageStatus.ManualReview, "tok-1");
        clock.Advance(TimeSpan.FromHours(3));

        await reviews.SetModalityAsync("img-1", Modality.Mri, "dr-b");

        var record = (await records.GetAsync("img-1"))!;
        Assert.Null(record.ReviewTaskToken);
        Assert.Equal(Modality.Mri, record.Modality);
        Assert.Equal((Modality.Mri, 1.0, "manual-review", "dr-b", clock.GetUtcNow()),
            (record.Classification!.Modality, record.Classification.Confidence, record.Classification.Source, record.Classification.ReviewedBy, record.Classification.ClassificationTimestamp));
        var (token, output) = Assert.Single(workflow.TaskSuccesses);
        Assert.Equal("tok-1", token);
        // Exactly the fields the ASL ResultSelector of RequestManualReview reads.
        var answer = JsonNode.Parse(output)!;
        Assert.Equal(("mri", 1.0, false, "manual-review", "manual-review"),
            ((string)answer["modality"]!, (double)answer["confidence"]!, (bool)answer["requires_manual_review"]!, (string)answer["model_version"]!, (string)answer["source"]!));
        var audit = Assert.Single(await records.ReadAuditAsync("img-1"));
        Assert.Equal(("dr-b", "image.modality_reviewed", "modality=mri"), (audit.Actor, audit.Action, audit.Detail));
        Assert.Contains(events.Events, e => e.Type == PipelineEventType.StageCompleted && e.Stage == PipelineStage.ManualReview);
    }

    [Theory]
    [InlineData(ImageStatus.Completed, null)]
    [InlineData(ImageStatus.Processing, null)]
    [InlineData(ImageStatus.ManualReview, null)]
    public async Task SetModalityAsync_WhenTheImageIsNotWaitingForReview_ShouldThrowReviewNotPending(ImageStatus status, string? token)
    {
        await SeedAsync(status, token);

        var ex = await Assert.ThrowsAsync<ConflictException>(() => reviews.SetModalityAsync("img-1", Modality.Ct, "dr-b"));

        Assert.Equal("review.not_pending", ex.Code);
        Assert.Empty(workflow.TaskSuccesses);
        Assert.Empty(await records.ReadAuditAsync("img-1"));
    }

    [Fact]
    public async Task SetModalityAsync_WhenTheImageIsUnknown_ShouldThrowNotFound() =>
        Assert.Equal("image.not_found", (await Assert.ThrowsAsync<NotFoundException>(() => reviews.SetModalityAsync("nope", Modality.Ct, "dr-b"))).Code);

    [Fact]
    public async Task SetModalityAsync_WhenTheWorkflowNoLongerWaitsOnTheToken_ShouldLeaveTheRecordAsItWas()
    {
        var seeded = await SeedAsync(ImageStatus.ManualReview, "tok-dead");
        workflow.ClosedTokens["tok-dead"] = true;

        await Assert.ThrowsAsync<ConflictException>(() => reviews.SetModalityAsync("img-1", Modality.Ct, "dr-b"));

        var record = (await records.GetAsync("img-1"))!;
        Assert.Equal(("tok-dead", Modality.XRay, "model"), (record.ReviewTaskToken, record.Modality, record.Classification!.Source));
        Assert.Empty(await records.ReadAuditAsync("img-1"));
        Assert.Equal(seeded.Status, record.Status);
    }
}
