using System.Text.Json;
using MedVision.Asl;
using MedVision.Cli;
using MedVision.Core.Analysis;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Functions;
using MedVision.Hosting;
using MedVision.Imaging;
using MedVision.Local.Workflow;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>The real statemachines/analysis-pipeline.asl.json, run by the interpreter over the real stages and fakes.</summary>
public sealed class StateMachineFileTests : IDisposable
{
    private readonly string stateDir = Path.Combine(Path.GetTempPath(), "medvision-sm-" + Guid.NewGuid().ToString("N"));
    private readonly List<LocalWorkflow> workflows = [];
    private readonly InMemoryObjectStore objects = new();
    private readonly InMemoryRecordStore records = new();
    private readonly InMemoryFhirStore fhir = new();
    private readonly RecordingEvents events = new();
    private readonly FastForwardTimeProvider clock = new(TestClock.Start, fastForwardLimit: TimeSpan.FromMinutes(1));
    private readonly SequentialIds ids = new();

    public void Dispose()
    {
        foreach (var workflow in workflows)
        {
            workflow.Dispose();
        }

        if (Directory.Exists(stateDir))
        {
            Directory.Delete(stateDir, recursive: true);
        }
    }

    private static string? Validator() =>
        Environment.GetEnvironmentVariable("MEDVISION_ASL_VALIDATOR") is { Length: > 0 } v ? v
        : File.Exists(Path.Combine(RepoPaths.Root, "tests/tools/node_modules/.bin/asl-validator")) ? Path.Combine(RepoPaths.Root, "tests/tools/node_modules/.bin/asl-validator")
        : null;

    [Fact]
    public void AslValidator_WhenRunOnTheStateMachineFile_ShouldAcceptItRawAndWithArnsSubstituted()
    {
        var validator = Validator()
            ?? throw new InvalidOperationException("asl-validator is not installed: run scripts/test.sh (it runs npm ci in tests/tools).");
        var substituted = Path.GetTempFileName();
        try
        {
            var text = File.ReadAllText(RepoPaths.StateMachine);
            foreach (var (placeholder, handler) in HandlerNames.StateMachineFunctions)
            {
                text = text.Replace("${" + placeholder + "}", $"arn:aws:lambda:us-east-1:123456789012:function:medvision-{handler}", StringComparison.Ordinal);
            }

            File.WriteAllText(substituted, text);
            foreach (var path in new[] { RepoPaths.StateMachine, substituted })
            {
                var (code, output) = Run(validator, "--json-path", path);
                Assert.True(code == 0, $"asl-validator rejected {path}:\n{output}");
            }

            // The validator is a real oracle: it must reject a broken copy.
            File.WriteAllText(substituted, text.Replace("\"Next\": \"Heatmap\"", "\"Next\": \"Nowhere\"", StringComparison.Ordinal));
            Assert.NotEqual(0, Run(validator, "--json-path", substituted).Code);
        }
        finally
        {
            File.Delete(substituted);
        }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var (exit, stdout, stderr) = ExternalTools.Run(file, args, TimeSpan.FromSeconds(60));
        return (exit, System.Text.Encoding.UTF8.GetString(stdout) + stderr);
    }

    [Fact]
    public void LoadDefinition_WhenGivenTheRepositoryFile_ShouldLoadEveryStateAndResolveEveryResource()
    {
        var definition = PipelineHost.LoadDefinition();
        Assert.Equal("Classify", definition.StartAt);
        Assert.All(definition.TaskResources, r => Assert.StartsWith("arn:aws:lambda:local:", r, StringComparison.Ordinal));
        Assert.Equal(HandlerNames.StateMachineFunctions.Count, definition.TaskResources.Count);
    }

    /// <summary>The services of the last <see cref="Build"/>.</summary>
    private PipelineServices? services;

    private (LocalWorkflow Workflow, UploadService Uploads) Build(IInferenceEndpoint endpoint, IObjectStore? objectStore = null)
    {
        var store = objectStore ?? objects;
        LocalWorkflow? workflow = null;
        services = new TestPlatform { Objects = store, Fhir = fhir, Records = records, Inference = endpoint, Events = events, Time = clock, Ids = ids }
            .Build(resolve => workflow = PipelineHost.CreateWorkflow(() => HandlerCatalog.Create(resolve()), clock, Path.Combine(stateDir, "workflow.db"), () => 0.999));
        workflows.Add(workflow!);
        return (workflow!, services.Uploads);
    }

    private static byte[] Png(int w = 32, int h = 32)
    {
        var r = new Raster(w, h, ColorModel.Gray, 8);
        for (var i = 0; i < r.Data.Length; i++)
        {
            r.Data[i] = (byte)(i * 7 % 200);
        }

        return PngEncoder.Encode(r);
    }

    private static EndpointResponse Classifier(ModelRequest request, double xray) => ModelAnswers.Scores(request, xray);

    private static EndpointResponse Detector(ModelRequest request, string name) =>
        ModelAnswers.Findings(request, name, ModelAnswers.Finding(AbnormalityType.Tumor, 0.88, Severity.High, 2, 2, 10, 10));

    private async Task<(ExecutionResult Result, ImageRecord Record)> RunAsync(LocalWorkflow workflow, UploadService uploads)
    {
        var upload = await uploads.UploadAsync(new UploadCommand { UserId = "u", Content = Png() });
        var result = await workflow.WaitAsync(upload.ImageId);
        return (result, (await records.GetAsync(upload.ImageId))!);
    }

    [Fact]
    public async Task Pipeline_WhenEveryStageSucceeds_ShouldVisitStagesInOrderAndComplete()
    {
        var (workflow, uploads) = Build(new ScriptedEndpoint((name, r) => name.Contains("classifier", StringComparison.Ordinal) ? Classifier(r, 0.95) : Detector(r, name)));
        var (result, record) = await RunAsync(workflow, uploads);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal(ImageStatus.Completed, record.Status);
        var entered = result.History.Where(e => e.Type == "StateEntered").Select(e => e.StateName).ToList();
        Assert.Equal(["Classify", "ReviewChoice", "Analyze", "Heatmap", "Report", "Finalize"], entered);
    }

    // Feature: medvision-ai-platform, Property 42: retries with exponentially increasing delays.
    // Feature: medvision-ai-platform, Property 43: the failed image's original upload is still stored.
    [Fact]
    public async Task Pipeline_WhenTheDetectorStaysDown_ShouldRetryThreeTimesWithGrowingDelaysThenMarkFailedKeepingTheOriginal()
    {
        var endpoint = new ScriptedEndpoint((name, r) => name.Contains("classifier", StringComparison.Ordinal)
            ? Classifier(r, 0.95)
            : throw new Core.ModelUnavailableException($"{name} is not answering"));
        var (workflow, uploads) = Build(endpoint);
        var (result, record) = await RunAsync(workflow, uploads);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("MedVision.AnalysisFailed", result.Error);
        Assert.Equal(4, endpoint.Calls.Count(c => c == "medvision-xray-detector")); // 1 try + 3 retries
        // FULL jitter with random 0.999 gives just under 1 s, 2 s, 4 s: each delay grows.
        var delays = clock.Delays.Where(d => d <= clock.FastForwardLimit).ToList(); // not the tasks' timeouts
        Assert.Equal(3, delays.Count);
        Assert.InRange(delays[0].TotalSeconds, 0.99, 1.0);
        Assert.InRange(delays[1].TotalSeconds, 1.99, 2.0);
        Assert.InRange(delays[2].TotalSeconds, 3.99, 4.0);
        Assert.Equal(ImageStatus.Failed, record.Status);
        Assert.Equal("ModelUnavailableException", record.ErrorCode);
        Assert.Contains("not answering", record.ErrorMessage, StringComparison.Ordinal);
        Assert.True(objects.Objects.ContainsKey(record.StorageLocation)); // Property 43
    }

    // Feature: medvision-ai-platform, Property 8: below 0.85 the run waits for a reviewer, then analyzes with the reviewed modality's detector.
    [Fact]
    public async Task Pipeline_WhenClassifierConfidenceIsBelowThreshold_ShouldWaitOnTheTaskTokenThenAnalyzeWithTheReviewedModality()
    {
        var endpoint = new ScriptedEndpoint((name, r) => name.Contains("classifier", StringComparison.Ordinal) ? Classifier(r, 0.6) : Detector(r, name));
        var (workflow, uploads) = Build(endpoint);
        var (parked, record) = await RunAsync(workflow, uploads);

        Assert.Equal(ExecutionStatus.WaitingForCallback, parked.Status);
        Assert.Equal(ImageStatus.ManualReview, record.Status);
        Assert.NotNull(record.ReviewTaskToken);
        Assert.DoesNotContain(endpoint.Calls, c => c.Contains("detector", StringComparison.Ordinal));
        Assert.Contains(events.Events, e => e.Type == PipelineEventType.ImageManualReview);

        await services!.Reviews.SetModalityAsync(record.ImageId, Core.Classification.Modality.Mri, "dr-c");
        var result = await workflow.WaitAsync(record.ImageId);
        record = (await records.GetAsync(record.ImageId))!;

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal(ImageStatus.Completed, record.Status);
        Assert.Equal(["medvision-mri-detector"], endpoint.Calls.Where(c => c.Contains("detector", StringComparison.Ordinal)));
        Assert.Equal(("manual-review", "dr-c"), (record.Classification!.Source, record.Classification.ReviewedBy));
        var entered = result.History.Where(e => e.Type == "StateEntered").Select(e => e.StateName).ToList();
        Assert.Equal(["Classify", "ReviewChoice", "RequestManualReview", "Analyze", "Heatmap", "Report", "Finalize"], entered);
    }

    [Fact]
    public async Task Pipeline_WhenTheHeatmapCannotBeStored_ShouldRecordWhyAndStillReportAndComplete()
    {
        var failingStore = new HeatmapRefusingStore(objects);
        var (workflow, uploads) = Build(
            new ScriptedEndpoint((name, r) => name.Contains("classifier", StringComparison.Ordinal) ? Classifier(r, 0.95) : Detector(r, name)), failingStore);
        var (result, record) = await RunAsync(workflow, uploads);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal(ImageStatus.Completed, record.Status);
        Assert.Contains(result.History, e => e.Type == "CatchTaken" && e.StateName == "Heatmap");
        Assert.Contains(result.History, e => e.Type == "StateEntered" && e.StateName == "RecordHeatmapDegraded");
        Assert.NotNull(record.ReportId);
        Assert.Null(record.HeatmapKey);

        // The record says why there is no heatmap, and the stage is closed rather than left running.
        var heatmap = record.StageTimings[PipelineStage.Heatmap];
        Assert.Equal(StageOutcome.Degraded, heatmap.Outcome);
        Assert.NotNull(heatmap.CompletedAt);
        Assert.Contains("No space left on device", heatmap.Error, StringComparison.Ordinal);
        Assert.Contains(events.Events, e => e.Type == PipelineEventType.StageDegraded && e.Stage == PipelineStage.Heatmap);
    }

    [Fact]
    public async Task StartAsync_WhenTheSameImageIsStartedTwiceWithTheSameInput_ShouldReturnTheSameExecution()
    {
        var (workflow, _) = Build(new ScriptedEndpoint((_, r) => Classifier(r, 0.6)));
        var first = await workflow.StartAsync("img-1", "{\"image_id\":\"img-1\"}");
        var second = await workflow.StartAsync("img-1", "{\"image_id\":\"img-1\"}");
        Assert.Equal(first, second);
        await Assert.ThrowsAsync<Core.ConflictException>(() => workflow.StartAsync("img-1", "{\"image_id\":\"other\"}"));
    }

    /// <summary>An object store that fails writes under heatmaps/, as a full or denied bucket prefix would.</summary>
    private sealed class HeatmapRefusingStore(InMemoryObjectStore inner) : IObjectStore
    {
        public Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default) =>
            key.StartsWith("heatmaps/", StringComparison.Ordinal)
                ? throw new IOException("No space left on device")
                : inner.PutAsync(key, content, contentType, cancellationToken);

        public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public string UrlFor(string key) => inner.UrlFor(key);

        public string S3UriFor(string key) => inner.S3UriFor(key);
    }
}
