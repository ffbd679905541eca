using FsCheck;
using FsCheck.Fluent;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Observability;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Imaging;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests.Inference;

/// <summary>
/// The spec's Properties 6–13, 44 and 45 over random model answers, through the real classify and analyze stages
/// (preprocessing, the inference contract, routing, scaling back, post-processing). Property 42 is exercised on the
/// state machine in MedVision.EndToEnd.Tests (FaultTests); Property 48 in ModelRouterTests.
/// </summary>
public class SpecPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(100);

    private sealed class Harness
    {
        public Harness(Func<string, ModelRequest, EndpointResponse> answer, ModelRoutingOptions? routes = null)
        {
            Endpoint = new ScriptedEndpoint(answer);
            Stages = new TestPlatform
            {
                Objects = Objects, Records = Records, Inference = Endpoint, Time = Clock, Ids = Ids, Metrics = Metrics,
                Options = new PipelineOptions { Routes = routes ?? new ModelRoutingOptions() },
            }.Build();
            Uploads = Stages.Uploads;
        }

        public InMemoryObjectStore Objects { get; } = new();

        public InMemoryRecordStore Records { get; } = new();

        public FakeTimeProvider Clock { get; } = new(TestClock.Start);

        public SequentialIds Ids { get; } = new();

        public RecordingMetrics Metrics { get; } = new();

        public ScriptedEndpoint Endpoint { get; }

        public PipelineServices Stages { get; }

        public UploadService Uploads { get; }

        public string Upload(int width, int height) =>
            Uploads.UploadAsync(new UploadCommand { UserId = "u", Content = Png(width, height), FileName = "x.png" }).GetAwaiter().GetResult().ImageId;
    }

    private static byte[] Png(int width, int height)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        for (var i = 0; i < raster.Data.Length; i++)
        {
            raster.Data[i] = (byte)((i * 31) % 251);
        }

        return PngEncoder.Encode(raster, new PngEncodeOptions(System.IO.Compression.CompressionLevel.Fastest));
    }

    private static readonly Gen<double> Probability = Gen.Choose(0, 10_000).Select(v => v / 10_000.0);

    private static readonly Gen<(int Width, int Height)> ImageSize =
        from w in Gen.Choose(16, 700)
        from h in Gen.Choose(16, 700)
        select (w, h);

    /// <summary>Findings a model might return: any type/severity, confidence in [0, 1], boxes partly or wholly outside the input.</summary>
    private static Gen<ModelFinding[]> Findings(int inputWidth, int inputHeight) =>
        (from type in Gen.Elements(Enum.GetValues<AbnormalityType>())
         from severity in Gen.Elements(Enum.GetValues<Severity>())
         from confidence in Probability
         from x in Gen.Choose(-40, inputWidth + 20).Select(v => v + 0.25)
         from y in Gen.Choose(-40, inputHeight + 20).Select(v => v + 0.5)
         from w in Gen.Choose(1, Math.Max(1, inputWidth)).Select(v => v - 0.5)
         from h in Gen.Choose(1, Math.Max(1, inputHeight))
         select ModelAnswers.Finding(type, confidence, severity, x, y, Math.Max(0.5, w), h)).ArrayOf().Select(a => a.Take(InferenceContract.MaxFindings).ToArray());

    // Feature: medvision-ai-platform, Property 6: for any medical image, the classifier returns one of the four modalities.
    // Feature: medvision-ai-platform, Property 7: every classification carries a confidence in [0.0, 1.0].
    [Fact]
    public void ClassifyStage_Property6And7_WhenModelAnswersAnyValidScores_ShouldPickOneOfFourModalitiesWithConfidenceInUnitInterval()
    {
        var gen =
            from scores in Probability.ArrayOf(4)
            from size in ImageSize
            select (scores, size);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var harness = new Harness((_, r) => ModelAnswers.Json(new ModelResponse
            {
                ContractVersion = InferenceContract.Version,
                Model = new ModelIdentity("random", "1"),
                Task = InferenceTask.Classify,
                InputWidth = r.Image.Width,
                InputHeight = r.Image.Height,
                ModalityScores = Modalities.All.Select((m, i) => (m, i)).ToDictionary(p => p.m.WireName(), p => c.scores[p.i]),
            }));
            var id = harness.Upload(c.size.Width, c.size.Height);

            var result = harness.Stages.Classify.RunAsync(new StageRequest { ImageId = id }).GetAwaiter().GetResult();

            Assert.Contains(result.Modality, Modalities.All);
            Assert.InRange(result.Confidence, 0.0, 1.0);
            Assert.Equal(Math.Round(c.scores.Max(), 4), result.Confidence);
            Assert.Equal(result.Confidence < ModalityClassification.ManualReviewThreshold, result.RequiresManualReview);
            Assert.Equal(result, harness.Records.GetAsync(id).GetAwaiter().GetResult()!.Classification);
        }).Check(Config);
    }

    // Feature: medvision-ai-platform, Property 8: every classified image is routed to the specialised model of its modality.
    [Fact]
    public void AnalyzeStage_Property8_WhenModalityIsAny_ShouldCallOnlyThatModalitysConfiguredEndpoint()
    {
        var gen =
            from modality in Gen.Elements(Modalities.All.ToArray())
            from suffix in Gen.Choose(1, 999)
            select (modality, suffix);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            // Renamed endpoints with variants: routing must come from configuration, not from naming conventions.
            ModelRoute Route(string job) => new() { Primary = new ModelTarget($"team-{job}-{c.suffix}", "live"), InputSize = 64 };
            var routes = new ModelRoutingOptions { XRay = Route("cxr"), Mri = Route("neuro"), Ct = Route("body"), Ultrasound = Route("sono") };
            var harness = new Harness((name, r) => ModelAnswers.Findings(r, name), routes);
            var id = harness.Upload(40, 30);

            harness.Stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = c.modality }).GetAwaiter().GetResult();

            var call = Assert.Single(harness.Endpoint.Calls);
            Assert.Equal(routes.DetectorFor(c.modality).Primary.ToString(), call);
            Assert.Equal(c.modality, Assert.Single(harness.Endpoint.Requests).Modality);
        }).Check(Config);
    }

    // Feature: medvision-ai-platform, Property 9: every completed analysis gives each finding a confidence and box.
    // Feature: medvision-ai-platform, Property 10: every finding's type is tumor, lesion, infection, fracture or other.
    // Feature: medvision-ai-platform, Property 11: every finding's confidence is in [0.0, 1.0] (and ≥ 0.5 once reported).
    // Feature: medvision-ai-platform, Property 12: every box lies within the ORIGINAL image with positive width and height.
    // Feature: medvision-ai-platform, Property 13: findings are ordered by descending clinical significance.
    [Fact]
    public void AnalyzeStage_Property9To13_WhenModelReturnsAnyFindings_ShouldStoreValidRankedFindingsInOriginalPixels()
    {
        var gen =
            from size in ImageSize
            from inputSize in Gen.Choose(32, 160)
            from findings in Findings(inputSize, inputSize)
            select (size, inputSize, findings);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var routes = new ModelRoutingOptions { Ct = new ModelRoute { Primary = new ModelTarget("ct"), InputSize = c.inputSize } };
            var harness = new Harness((name, r) => ModelAnswers.Findings(r, name, c.findings), routes);
            var id = harness.Upload(c.size.Width, c.size.Height);

            var summary = harness.Stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = Modality.Ct }).GetAwaiter().GetResult();
            var stored = harness.Objects.Objects[summary.AnalysisKey].Content;
            var result = System.Text.Json.JsonSerializer.Deserialize(stored, Core.Json.MedVisionJsonContext.Default.AnalysisResult)!;

            Assert.Equal((c.size.Width, c.size.Height), (result.ImageWidth, result.ImageHeight));
            Assert.Equal(result.Abnormalities.Count > 0 ? OverallAssessment.Abnormal : OverallAssessment.Normal, result.OverallAssessment);
            Assert.All(result.Abnormalities, a =>
            {
                Assert.True(Enum.IsDefined(a.Type));
                Assert.InRange(a.Confidence, FindingPostProcessor.ConfidenceThreshold, 1.0);
                Assert.True(a.BoundingBox.IsValidWithin(c.size.Width, c.size.Height), $"{a.BoundingBox} outside {c.size.Width}x{c.size.Height}");
            });
            for (var i = 1; i < result.Abnormalities.Count; i++)
            {
                Assert.True(result.Abnormalities[i - 1].ClinicalSignificanceScore >= result.Abnormalities[i].ClinicalSignificanceScore);
            }

            // Every reportable finding whose box overlaps the input survives (NMS can merge same-type overlaps, never add).
            var (iw, ih) = (result.ModelInputWidth!.Value, result.ModelInputHeight!.Value);
            Assert.Equal(c.inputSize, Math.Max(iw, ih));
            var reportable = c.findings.Count(f => f.Confidence >= FindingPostProcessor.ConfidenceThreshold
                && f.BoundingBox.X < iw && f.BoundingBox.Y < ih
                && f.BoundingBox.X + f.BoundingBox.Width > 0 && f.BoundingBox.Y + f.BoundingBox.Height > 0);
            Assert.InRange(result.Abnormalities.Count, Math.Min(1, reportable), reportable);
        }).Check(Config);
    }

    [Fact]
    public void ScaleToOriginal_WhenBoxCoversTheWholeInput_ShouldCoverTheWholeOriginal()
    {
        var gen =
            from w in Gen.Choose(1, 4000)
            from h in Gen.Choose(1, 4000)
            from input in Gen.Choose(32, 1024)
            select (w, h, input);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var factor = (double)c.input / Math.Max(c.w, c.h);
            var iw = Math.Clamp((int)Math.Round(c.w * factor, MidpointRounding.AwayFromZero), 1, c.input);
            var ih = Math.Clamp((int)Math.Round(c.h * factor, MidpointRounding.AwayFromZero), 1, c.input);
            var prepared = new PreparedInput([], iw, ih, c.w, c.h);

            Assert.Equal(new BoundingBox(0, 0, c.w, c.h), AnalyzeStage.ScaleToOriginal(new ModelBox(0, 0, iw, ih), prepared));
        }).Check(Config);
    }

    // Feature: medvision-ai-platform, Property 44: every inference request records its latency.
    // Feature: medvision-ai-platform, Property 45: every prediction's confidence scores are logged.
    [Fact]
    public void Stages_Property44And45_WhenClassifyAndAnalyzeRun_ShouldEmitLatencyPerCallAndEveryConfidence()
    {
        var gen =
            from top in Gen.Choose(850, 1000).Select(v => v / 1000.0)
            from findings in Findings(64, 64)
            select (top, findings);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var routes = new ModelRoutingOptions
            {
                Classifier = new ModelRoute { Primary = new ModelTarget("cls"), InputSize = 64 },
                XRay = new ModelRoute { Primary = new ModelTarget("cxr"), InputSize = 64 },
            };
            var harness = new Harness((name, r) => name == "cls" ? ModelAnswers.Scores(r, c.top) : ModelAnswers.Findings(r, name, c.findings), routes);
            var id = harness.Upload(50, 60);

            harness.Stages.Classify.RunAsync(new StageRequest { ImageId = id }).GetAwaiter().GetResult();
            harness.Stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = Modality.XRay }).GetAwaiter().GetResult();

            var latencies = harness.Metrics.Of(MetricNames.InferenceLatency);
            Assert.Equal(["cls", "cxr"], latencies.Select(l => l.Dimensions["Endpoint"]));
            Assert.All(latencies, l => Assert.True(l.Values.Single() >= 0 && l.Properties!["image_id"] == id));
            Assert.Equal([c.top], harness.Metrics.Of(MetricNames.ClassificationConfidence).Single().Values);
            var logged = harness.Metrics.Of(MetricNames.FindingConfidence).SelectMany(f => f.Values).ToList();
            Assert.Equal(c.findings.Select(f => f.Confidence), logged);
        }).Check(Config.WithMaxTest(60));
    }
}
