using System.Net;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Asl;
using MedVision.Cli;
using MedVision.Core;
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

/// <summary>
/// Model endpoint faults through the real state machine file and stages: the state machine retries 1 s / 2 s / 4 s
/// with jitter (through an injected clock), the router falls back and trips its circuit breaker, and an image whose
/// retries run out ends failed with a reason while its original stays stored (Properties 42, 43).
/// </summary>
public sealed class FaultTests : IDisposable
{
    private readonly string stateDir = Path.Combine(Path.GetTempPath(), "medvision-faults-" + Guid.NewGuid().ToString("N"));
    private readonly List<LocalWorkflow> workflows = [];

    public void Dispose()
    {
        foreach (var w in workflows)
        {
            w.Dispose();
        }

        if (Directory.Exists(stateDir))
        {
            Directory.Delete(stateDir, recursive: true);
        }
    }

    private sealed record Harness(
        LocalWorkflow Workflow, UploadService Uploads, InMemoryObjectStore Objects, InMemoryRecordStore Records, FastForwardTimeProvider Clock,
        PipelineServices Stages);

    private Harness Build(IInferenceEndpoint endpoint, double jitter = 0.999, ModelRoutingOptions? routes = null)
    {
        var objects = new InMemoryObjectStore();
        var records = new InMemoryRecordStore();
        var clock = new FastForwardTimeProvider(TestClock.Start, fastForwardLimit: TimeSpan.FromMinutes(1));
        var ids = new SequentialIds();
        Directory.CreateDirectory(stateDir);
        LocalWorkflow? workflow = null;
        var stages = new TestPlatform
        {
            Objects = objects, Records = records, Inference = endpoint, Time = clock, Ids = ids,
            Options = new PipelineOptions { Routes = routes ?? new ModelRoutingOptions() },
        }.Build(resolve => workflow = PipelineHost.CreateWorkflow(() => HandlerCatalog.Create(resolve()), clock, Path.Combine(stateDir, $"workflow-{workflows.Count}.db"), () => jitter));
        workflows.Add(workflow!);
        return new Harness(workflow!, stages.Uploads, objects, records, clock, stages);
    }

    private static byte[] Png()
    {
        var r = new Raster(48, 40, ColorModel.Gray, 8);
        for (var i = 0; i < r.Data.Length; i++)
        {
            r.Data[i] = (byte)(i * 13 % 211);
        }

        return PngEncoder.Encode(r);
    }

    private static async Task<(ExecutionResult Result, ImageRecord Record)> RunAsync(Harness h)
    {
        var upload = await h.Uploads.UploadAsync(new UploadCommand { UserId = "u", Content = Png(), FileName = "scan.png" });
        var result = await h.Workflow.WaitAsync(upload.ImageId);
        return (result, (await h.Records.GetAsync(upload.ImageId))!);
    }

    /// <summary>A scripted endpoint whose detectors misbehave as <paramref name="fault"/> says.</summary>
    private static IInferenceEndpoint FaultyDetector(string fault) => fault switch
    {
        "fails" => new ScriptedEndpoint((name, r) => IsClassifier(name) ? ModelAnswers.Scores(r, 0.95) : throw new ModelUnavailableException($"{name} is not answering")),
        "garbage" => new ScriptedEndpoint((name, r) => IsClassifier(name) ? ModelAnswers.Scores(r, 0.95) : new EndpointResponse("application/json", "<html>502 Bad Gateway</html>"u8.ToArray())),
        "times-out" => new NeverAnsweringDetector(new ScriptedEndpoint((_, r) => ModelAnswers.Scores(r, 0.95))),
        "5xx" => new CompletedCalls(new HttpInferenceEndpoint(new HttpClient(new SageMakerTwin(503)), new Uri("http://127.0.0.1:8080/"))),
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    private static bool IsClassifier(string name) => name.Contains("classifier", StringComparison.Ordinal);

    /// <summary>Answers the classifier, never answers a detector: the router's 30 s budget must end the wait.</summary>
    private sealed class NeverAnsweringDetector(IInferenceEndpoint classifier) : IInferenceEndpoint
    {
        public Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
        {
            if (IsClassifier(invocation.EndpointName))
            {
                return classifier.InvokeAsync(invocation, cancellationToken);
            }

            return Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith<EndpointResponse>(_ => throw new OperationCanceledException(cancellationToken), TaskScheduler.Default);
        }
    }

    /// <summary>
    /// HTTP responses like SageMaker Runtime's, from an in-memory handler: the classifier answers, detectors answer
    /// <paramref name="detectorStatus"/> with an AWS-style error body.
    /// </summary>
    private sealed class SageMakerTwin(int detectorStatus) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var model = JsonSerializer.Deserialize(body, MedVisionJsonContext.Default.ModelRequest)!;
            if (request.RequestUri!.AbsolutePath.Contains("classifier", StringComparison.Ordinal))
            {
                var answer = ModelAnswers.Scores(model, 0.95);
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(answer.Body) { Headers = { ContentType = new("application/json") } } };
            }

            return new HttpResponseMessage((HttpStatusCode)detectorStatus)
            {
                Content = new StringContent("{\"message\":\"Service Unavailable\"}", Encoding.UTF8, "application/json"),
            };
        }
    }

    /// <summary>Runs each HTTP call to completion before returning, so the fast-forwarding test clock cannot race a live request.</summary>
    private sealed class CompletedCalls(IInferenceEndpoint inner) : IInferenceEndpoint
    {
        public Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
        {
            try
            {
                return Task.FromResult(inner.InvokeAsync(invocation, cancellationToken).GetAwaiter().GetResult());
            }
            catch (Exception ex) when (ex is MedVisionException)
            {
                return Task.FromException<EndpointResponse>(ex);
            }
        }
    }

    /// <summary>The waits the run fast-forwarded through, less the inference budget (not the tasks' timeouts).</summary>
    private static List<double> RetryDelays(FastForwardTimeProvider clock) =>
        clock.Delays.Where(d => d <= clock.FastForwardLimit && d != InferenceContract.InvocationBudget).Select(d => d.TotalSeconds).ToList();

    // Feature: medvision-ai-platform, Property 42: a failing, timing-out, garbage or 503 detector is retried after about 1 s, 2 s and 4 s.
    // Feature: medvision-ai-platform, Property 43: the failed image's original upload is still stored, byte for byte.
    [Theory]
    [InlineData("fails", "ModelUnavailableException", "is not answering")]
    [InlineData("times-out", "ModelUnavailableException", "30 s inference budget")]
    [InlineData("garbage", "ModelOutputInvalidException", "JSON outside the model contract")]
    [InlineData("5xx", "ModelUnavailableException", "HTTP 503")]
    public async Task Pipeline_WhenTheDetectorEndpointMisbehaves_ShouldRetry1s2s4sThenFailWithTheReasonAndKeepTheOriginal(
        string fault, string errorCode, string reason)
    {
        var h = Build(FaultyDetector(fault));

        var (result, record) = await RunAsync(h);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        // FULL jitter with random 0.999: just under 1 s, 2 s and 4 s, three retries, each longer than the last.
        var delays = RetryDelays(h.Clock);
        Assert.Equal(3, delays.Count);
        Assert.All(delays.Zip([0.999, 1.998, 3.996]), d => Assert.InRange(d.First, d.Second - 0.001, d.Second));
        Assert.Equal(4, result.History.Count(e => e.Type == "TaskScheduled" && e.StateName == "Analyze"));
        if (fault == "times-out")
        {
            Assert.Equal(4, h.Clock.Delays.Count(d => d == InferenceContract.InvocationBudget));
        }

        Assert.Equal(ImageStatus.Failed, record.Status);
        Assert.Equal(errorCode, record.ErrorCode);
        Assert.Contains(reason, record.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(Png(), h.Objects.Objects[record.StorageLocation].Content); // Property 43: the original stays, intact
    }

    [Fact]
    public async Task Pipeline_WhenThePrimaryVariantIsDown_ShouldCompleteOnTheFallbackWithoutARetry()
    {
        var routes = new ModelRoutingOptions
        {
            XRay = new ModelRoute { Primary = new ModelTarget("medvision-xray-detector", "v2"), Fallback = new ModelTarget("medvision-xray-detector", "v1") },
        };
        var endpoint = new VariantEndpoint();
        var h = Build(endpoint, routes: routes);

        var (result, record) = await RunAsync(h);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal(ImageStatus.Completed, record.Status);
        Assert.Empty(RetryDelays(h.Clock));
        var analysis = JsonSerializer.Deserialize(h.Objects.Objects[ObjectKeys.Analysis(record.ImageId)].Content, MedVisionJsonContext.Default.AnalysisResult)!;
        Assert.Equal(("medvision-xray-detector/v1", true), (analysis.Endpoint, analysis.FallbackUsed));
        Assert.Equal(["medvision-xray-detector/v2", "medvision-xray-detector/v1"], endpoint.DetectorCalls);
    }

    /// <summary>Variant v2 of every detector is down; v1 answers one finding.</summary>
    private sealed class VariantEndpoint : IInferenceEndpoint
    {
        private readonly ScriptedEndpoint scripted = new((name, r) => IsClassifier(name)
            ? ModelAnswers.Scores(r, 0.95)
            : ModelAnswers.Findings(r, name, ModelAnswers.Finding(AbnormalityType.Lesion, 0.9, Severity.High, 5, 5, 10, 10)));

        public List<string> DetectorCalls { get; } = [];

        public Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
        {
            if (!IsClassifier(invocation.EndpointName))
            {
                DetectorCalls.Add($"{invocation.EndpointName}/{invocation.TargetVariant}");
                if (invocation.TargetVariant == "v2")
                {
                    return Task.FromException<EndpointResponse>(new ModelUnavailableException("v2 is down"));
                }
            }

            return scripted.InvokeAsync(invocation, cancellationToken);
        }
    }

    [Fact]
    public async Task Pipeline_WhenTheDetectorKeepsFailing_ShouldOpenTheCircuitAndCloseItOnceTheEndpointRecovers()
    {
        var down = true;
        var detectorCalls = 0;
        var endpoint = new ScriptedEndpoint((name, r) =>
        {
            if (IsClassifier(name))
            {
                return ModelAnswers.Scores(r, 0.95);
            }

            Interlocked.Increment(ref detectorCalls);
            return down ? throw new ModelUnavailableException("503") : ModelAnswers.Findings(r, name);
        });
        var h = Build(endpoint);
        const string Key = "medvision-xray-detector";

        var (_, first) = await RunAsync(h);
        Assert.Equal((ImageStatus.Failed, 4, CircuitState.Closed), (first.Status, detectorCalls, h.Stages.Breaker.StateOf(Key)));

        // The second image's first call is the fifth consecutive failure: the breaker opens, and its three retries
        // are refused at once instead of reaching the sick endpoint.
        var (_, second) = await RunAsync(h);
        Assert.Equal((ImageStatus.Failed, 5, CircuitState.Open), (second.Status, detectorCalls, h.Stages.Breaker.StateOf(Key)));
        Assert.Contains("circuit open", second.ErrorMessage, StringComparison.Ordinal);

        // 60 s later the endpoint has recovered: one trial call gets through, succeeds, and closes the breaker.
        down = false;
        h.Clock.Advance(CircuitBreaker.OpenDuration);
        var (_, third) = await RunAsync(h);
        Assert.Equal((ImageStatus.Completed, 6, CircuitState.Closed), (third.Status, detectorCalls, h.Stages.Breaker.StateOf(Key)));
    }

    // Feature: medvision-ai-platform, Property 42: for any specialised-model failure, retries happen with exponentially
    // increasing delays (1 s, 2 s, 4 s scaled by the full-jitter draw), at most three of them.
    // Feature: medvision-ai-platform, Property 43: whatever the jitter, the failed image's original upload is still stored.
    [Property(MaxTest = 40)]
    public Property Pipeline_Property42_WhenAModelStageFailsWithAnyJitter_ShouldRetryThreeTimesWithDoublingDelays()
    {
        var gen =
            from jitter in Gen.Choose(1, 1000).Select(v => v / 1000.0)
            from classifierFails in Gen.Elements(true, false)
            select (jitter, classifierFails);
        return Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var endpoint = new ScriptedEndpoint((name, r) => IsClassifier(name) && !c.classifierFails
                ? ModelAnswers.Scores(r, 0.95)
                : throw new ModelUnavailableException("down"));
            var h = Build(endpoint, c.jitter);

            var (result, record) = RunAsync(h).GetAwaiter().GetResult();

            var delays = RetryDelays(h.Clock);
            Assert.Equal(3, delays.Count);
            for (var k = 0; k < 3; k++)
            {
                // TimeSpan.FromSeconds keeps whole milliseconds, so a delay may be up to 1 ms short of the exact product.
                Assert.InRange(delays[k], (c.jitter * Math.Pow(2, k)) - 0.001, c.jitter * Math.Pow(2, k));
            }

            Assert.Equal(ExecutionStatus.Failed, result.Status);
            Assert.Equal(4, result.History.Count(e => e.Type == "TaskScheduled" && e.StateName == (c.classifierFails ? "Classify" : "Analyze")));
            Assert.True(h.Objects.Objects.ContainsKey(record.StorageLocation)); // Property 43
        });
    }
}
