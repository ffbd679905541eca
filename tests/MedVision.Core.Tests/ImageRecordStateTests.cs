using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Imaging;
using MedVision.Testing;

namespace MedVision.Core.Tests;

/// <summary>The record's state changes, refused in one place whatever path asks for them, and their wire names.</summary>
public class ImageRecordStateTests
{
    private readonly InMemoryRecordStore records = new();
    private readonly RecordingEvents events = new();
    private readonly CountingObjectStore objects = new();
    private readonly PipelineServices services;

    public ImageRecordStateTests() =>
        services = new TestPlatform
        {
            Objects = objects, Records = records, Events = events,
            Inference = new ScriptedEndpoint((name, request) => request.Task == InferenceTask.Classify
                ? ModelAnswers.Scores(request, 0.9)
                : ModelAnswers.Findings(request, name, ModelAnswers.Finding(AbnormalityType.Lesion, 0.9, Severity.High, 2, 2, 6, 6))),
        }.Build();

    private async Task<string> UploadAsync()
    {
        var raster = new Raster(16, 12, ColorModel.Gray, 8);
        return (await services.Uploads.UploadAsync(new UploadCommand { UserId = "u1", Content = PngEncoder.Encode(raster), FileName = "a.png" })).ImageId;
    }

    private async Task<string> CompletedAsync()
    {
        var id = await UploadAsync();
        var c = await services.Classify.RunAsync(new StageRequest { ImageId = id });
        await services.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = c.Modality });
        await services.Heatmap.RunAsync(new StageRequest { ImageId = id });
        await services.Report.RunAsync(new StageRequest { ImageId = id });
        await services.Finish.FinalizeAsync(new StageRequest { ImageId = id });
        return id;
    }

    private static FailureRequest Failure(string id, PipelineStage? stage = null) =>
        new() { ImageId = id, Stage = stage, Error = new StateError { Error = "ModelUnavailableException", Cause = "down" } };

    [Fact]
    public async Task MarkFailedAsync_WhenTheImageCompleted_ShouldRefuseTheTransitionAndLeaveTheRecord()
    {
        var id = await CompletedAsync();
        var before = await records.GetAsync(id);

        var ex = await Assert.ThrowsAsync<ConflictException>(() => services.Finish.MarkFailedAsync(Failure(id)));

        Assert.Equal("image.bad_state", ex.Code);
        Assert.Equal(before, await records.GetAsync(id));
        Assert.DoesNotContain(events.Events, e => e.Type == PipelineEventType.ImageFailed);
    }

    [Fact]
    public async Task RecordDegradedAsync_WhenTheImageCompleted_ShouldRefuseTheTransition()
    {
        var id = await CompletedAsync();

        var ex = await Assert.ThrowsAsync<ConflictException>(() => services.Finish.RecordDegradedAsync(Failure(id, PipelineStage.Heatmap)));

        Assert.Equal("image.bad_state", ex.Code);
        Assert.Equal(StageOutcome.Succeeded, (await records.GetAsync(id))!.StageTimings[PipelineStage.Heatmap].Outcome);
    }

    [Fact]
    public async Task BeginAsync_WhenTheImageCompleted_ShouldRefuseToRunAStageAgain()
    {
        var id = await CompletedAsync();

        var ex = await Assert.ThrowsAsync<ConflictException>(() => services.Classify.RunAsync(new StageRequest { ImageId = id }));

        Assert.Equal("image.bad_state", ex.Code);
        Assert.Contains("is completed and cannot enter stage classify", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MarkFailedAsync_WhenRetriedOnAFailedImage_ShouldKeepItFailedWithTheLatestReason()
    {
        var id = await UploadAsync();
        await services.Finish.MarkFailedAsync(Failure(id));
        await services.Finish.MarkFailedAsync(Failure(id) with { Error = new StateError { Error = "States.Timeout" } });

        var record = (await records.GetAsync(id))!;
        Assert.Equal(ImageStatus.Failed, record.Status);
        Assert.Equal("States.Timeout", record.ErrorCode);
    }

    [Fact]
    public async Task MarkFailedAsync_WhenAStageIsOpen_ShouldCloseItAsFailed()
    {
        var id = await UploadAsync();
        await services.Classify.RunAsync(new StageRequest { ImageId = id });
        await Assert.ThrowsAsync<NotFoundException>(() => services.Report.RunAsync(new StageRequest { ImageId = id })); // no analysis yet

        await services.Finish.MarkFailedAsync(Failure(id));

        var timing = (await records.GetAsync(id))!.StageTimings[PipelineStage.Report];
        Assert.Equal(StageOutcome.Failed, timing.Outcome);
        Assert.NotNull(timing.CompletedAt);
    }

    [Fact]
    public async Task Serialize_WhenARecordHasStageTimings_ShouldUseTheWireNamesForKeysAndOutcomes()
    {
        var id = await UploadAsync();
        await services.Classify.RunAsync(new StageRequest { ImageId = id });
        await services.Finish.RecordDegradedAsync(Failure(id, PipelineStage.Classify));

        var json = JsonSerializer.Serialize((await records.GetAsync(id))!, MedVisionJsonContext.Default.ImageRecord);

        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        var timings = node["stage_timings"]!.AsObject();
        Assert.Equal(["upload", "classify"], timings.Select(t => t.Key));
        Assert.Equal("succeeded", (string?)timings["upload"]!["outcome"]);
        Assert.Equal("degraded", (string?)timings["classify"]!["outcome"]);
        Assert.Equal("processing", (string?)node["status"]);
        var back = JsonSerializer.Deserialize(json, MedVisionJsonContext.Default.ImageRecord)!;
        Assert.Equal(StageOutcome.Degraded, back.StageTimings[PipelineStage.Classify].Outcome);
    }

    [Fact]
    public void Deserialize_WhenAnEnumValueIsNotAWireName_ShouldRefuseIt()
    {
        var ex = Assert.Throws<JsonException>(() =>
            JsonSerializer.Deserialize("{\"type\":\"stage.done\",\"image_id\":\"i\",\"user_id\":\"u\",\"status\":\"processing\",\"timestamp\":0}", MedVisionJsonContext.Default.PipelineEvent));
        Assert.Contains("'stage.done' is not a PipelineEventType", ex.Message, StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("\"Processing\"", MedVisionJsonContext.Default.ImageStatus));
    }

    [Fact]
    public void WireNames_WhenEveryMemberIsWritten_ShouldRoundTripThroughJsonAndParse()
    {
        foreach (var status in Enum.GetValues<ImageStatus>())
        {
            Assert.Equal($"\"{status.WireName()}\"", JsonSerializer.Serialize(status, MedVisionJsonContext.Default.ImageStatus));
            Assert.True(ImageWireNames.Statuses.TryParse(status.WireName(), out var parsed) && parsed == status);
        }

        Assert.Equal(["upload", "classify", "manual_review", "analyze", "heatmap", "report", "finalize"], Enum.GetValues<PipelineStage>().Select(s => s.WireName()));
        Assert.Equal(["succeeded", "parked", "degraded", "failed"], Enum.GetValues<StageOutcome>().Select(s => s.WireName()));
    }

    [Fact]
    public void WireEnum_WhenAMemberHasNoName_ShouldFailAtConstruction()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new WireEnum<StageOutcome>((StageOutcome.Succeeded, "succeeded")));
        Assert.Contains("Parked", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new WireEnum<FileFormat>((FileFormat.Dicom, "x"), (FileFormat.Png, "x"), (FileFormat.Jpeg, "y")));
    }

    [Fact]
    public async Task Stages_WhenAPngRunsThroughEveryStage_ShouldNeverReadTheOriginalAgain()
    {
        // The upload check decodes the whole image; its 8-bit working copy is kept, so no stage reads the original
        // upload again: not the models' stages, and not the heatmap, which draws on the working copy's pixels.
        var id = await UploadAsync();
        var raw = (await records.GetAsync(id))!.StorageLocation;
        var c = await services.Classify.RunAsync(new StageRequest { ImageId = id });
        await services.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = c.Modality });
        await services.Heatmap.RunAsync(new StageRequest { ImageId = id });
        await services.Report.RunAsync(new StageRequest { ImageId = id });
        Assert.Equal(0, objects.Reads(raw));
    }

    [Fact]
    public async Task UploadAsync_WhenAPngHasColour_ShouldKeepAnRgbWorkingCopyWithTheSamePixels()
    {
        var raster = new Raster(16, 12, ColorModel.Rgb, 8);
        for (var i = 0; i < raster.Data.Length; i++)
        {
            raster.Data[i] = (byte)(i * 7);
        }

        var id = (await services.Uploads.UploadAsync(new UploadCommand { UserId = "u1", Content = PngEncoder.Encode(raster), FileName = "c.png" })).ImageId;

        var copy = PngDecoder.Decode((await objects.GetAsync(ObjectKeys.Preprocessed(id)))!.Content);
        Assert.Equal((16, 12, ColorModel.Rgb), (copy.Width, copy.Height, copy.Color));
        Assert.Equal(raster.Data, copy.Data);
    }

    [Fact]
    public async Task UploadAsync_WhenAPngIsAccepted_ShouldKeepTheRenditionItDecoded()
    {
        var id = await UploadAsync();

        var stored = await objects.GetAsync(ObjectKeys.Preprocessed(id));

        Assert.NotNull(stored);
        var rendition = PngDecoder.Decode(stored.Content);
        Assert.Equal((16, 12, ColorModel.Gray), (rendition.Width, rendition.Height, rendition.Color));
    }

    /// <summary>An in-memory store that counts reads per key.</summary>
    private sealed class CountingObjectStore : IObjectStore
    {
        private readonly InMemoryObjectStore inner = new();
        private readonly ConcurrentDictionary<string, int> reads = new(StringComparer.Ordinal);

        public int Reads(string key) => reads.TryGetValue(key, out var n) ? n : 0;

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default) =>
            inner.PutAsync(key, content, contentType, cancellationToken);

        public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            reads.AddOrUpdate(key, 1, (_, n) => n + 1);
            return inner.GetAsync(key, cancellationToken);
        }

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public string UrlFor(string key) => inner.UrlFor(key);

        public string S3UriFor(string key) => inner.S3UriFor(key);
    }
}
