using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using FsCheck;
using FsCheck.Fluent;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Imaging;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.ModelServer.Tests;

/// <summary>contracts/inference.schema.json against the C# contract types, with python3-jsonschema as the judge.</summary>
public sealed class ContractSchemaTests(ServerFixture server, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private static readonly ModelRoutingOptions Routes = new();

    [Fact]
    public void Schema_WhenCheckedAgainstTheDraft202012Metaschema_ShouldBeValid()
    {
        if (!SchemaOracle.Available(output.WriteLine))
        {
            return;
        }

        var (exit, report) = SchemaOracle.CheckSchema(SchemaOracle.SchemaPath);

        Assert.True(exit == 0, report);
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string)SchemaOracle.LoadSchema()["$schema"]!);
    }

    /// <summary>The metaschema check is not a rubber stamp: a schema with a mistyped keyword value fails it.</summary>
    [Fact]
    public void Oracle_WhenSchemaBreaksTheMetaschema_ShouldReportIt()
    {
        if (!SchemaOracle.Available(output.WriteLine))
        {
            return;
        }

        var broken = SchemaOracle.LoadSchema();
        broken["$defs"]!["Probability"]!["minimum"] = "zero";
        var path = Path.Combine(Path.GetTempPath(), $"broken-schema-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, broken.ToJsonString());
        try
        {
            var (exit, report) = SchemaOracle.CheckSchema(path);

            Assert.Equal(1, exit);
            Assert.Contains("'zero' is not of type 'number'", report, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, Type> ContractTypes => new()
    {
        { "ModelRequest", typeof(ModelRequest) },
        { "ModelResponse", typeof(ModelResponse) },
        { "ModelImage", typeof(ModelImage) },
        { "ModelFinding", typeof(ModelFinding) },
        { "BoundingBox", typeof(ModelBox) },
        { "ModelIdentity", typeof(ModelIdentity) },
        { "PixelSpacing", typeof(PixelSpacing) },
    };

    /// <summary>Every JSON member of the C# type is in the schema and vice versa, and the same ones are required.</summary>
    [Theory]
    [MemberData(nameof(ContractTypes))]
    public void Schema_WhenComparedWithTheCSharpType_ShouldHaveTheSameMembersAndRequiredOnes(string def, Type type)
    {
        var schema = (JsonObject)SchemaOracle.LoadSchema()["$defs"]![def]!;
        var info = MedVisionJsonContext.Default.GetTypeInfo(type) ?? throw new InvalidOperationException($"{type} is not in MedVisionJsonContext");
        var required = schema["required"]!.AsArray().Select(n => (string)n!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(
            info.Properties.Select(p => p.Name).Order(StringComparer.Ordinal),
            schema["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        // `required` members must be present; positional records (constructor parameters, no defaults) always are.
        var csharpRequired = info.Properties.Any(p => p.IsRequired)
            ? info.Properties.Where(p => p.IsRequired).Select(p => p.Name)
            : info.Properties.Select(p => p.Name);
        Assert.Equal(csharpRequired.Order(StringComparer.Ordinal), required);
    }

    [Fact]
    public void Schema_WhenComparedWithTheCSharpEnumsAndLimits_ShouldAgree()
    {
        var defs = SchemaOracle.LoadSchema()["$defs"]!;
        static List<string> Enum(JsonNode def) => def["enum"]!.AsArray().Select(n => (string)n!).ToList();
        static List<string> Wire<T>()
            where T : struct, System.Enum =>
            System.Enum.GetValues<T>().Select(v => JsonSerializer.Serialize(v, (JsonTypeInfo<T>)MedVisionJsonContext.Default.GetTypeInfo(typeof(T))!).Trim('"')).ToList();

        Assert.Equal(Wire<InferenceTask>(), Enum(defs["Task"]!));
        Assert.Equal(Wire<Modality>(), Enum(defs["Modality"]!));
        Assert.Equal(Modalities.All.Select(m => m.WireName()), Enum(defs["Modality"]!));
        Assert.Equal(Wire<AbnormalityType>(), Enum(defs["AbnormalityType"]!));
        Assert.Equal(Wire<Severity>(), Enum(defs["Severity"]!));
        Assert.Equal(Modalities.All.Select(m => m.WireName()).Order(), defs["ModalityScores"]!["required"]!.AsArray().Select(n => (string)n!).Order());

        Assert.Equal(InferenceContract.MaxFindings, (int)defs["ModelResponse"]!["properties"]!["findings"]!["maxItems"]!);
        var saliency = defs["Saliency"]!["allOf"]![1]!["properties"]!;
        Assert.Equal(InferenceContract.MaxSaliencySide, (int)saliency["width"]!["maximum"]!);
        Assert.Equal(InferenceContract.MaxSaliencySide, (int)saliency["height"]!["maximum"]!);
        Assert.Equal(InferenceContract.MaxInputSide, (int)defs["ModelImage"]!["properties"]!["width"]!["maximum"]!);
        Assert.Equal(InferenceContract.ImageMediaType, (string)defs["ModelImage"]!["properties"]!["media_type"]!["const"]!);
        Assert.Matches((string)defs["ContractVersion"]!["pattern"]!, InferenceContract.Version);
    }

    /// <summary>
    /// Each bad document breaks one rule of a valid one, and the validator names that rule: the schema can fail, and
    /// each constraint is really there.
    /// </summary>
    [Fact]
    public void Schema_WhenGivenKnownBadDocuments_ShouldRejectEachForItsOwnViolation()
    {
        if (!SchemaOracle.Available(output.WriteLine))
        {
            return;
        }

        var png = PngEncoder.Encode(new Raster(8, 8, ColorModel.Gray, 8));
        JsonNode Serialize<T>(T value, JsonTypeInfo<T> info) => JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(value, info))!;
        var classify = Serialize(new ModelResponse
        {
            ContractVersion = InferenceContract.Version,
            Model = new ModelIdentity("m", "1"),
            Task = InferenceTask.Classify,
            InputWidth = 8,
            InputHeight = 8,
            ModalityScores = new Dictionary<string, double> { ["xray"] = 0.7, ["mri"] = 0.1, ["ct"] = 0.1, ["ultrasound"] = 0.1 },
        }, MedVisionJsonContext.Default.ModelResponse);
        var detect = Serialize(new ModelResponse
        {
            ContractVersion = InferenceContract.Version,
            Model = new ModelIdentity("m", "1"),
            Task = InferenceTask.Detect,
            InputWidth = 8,
            InputHeight = 8,
            Findings = [ModelAnswers.Finding(AbnormalityType.Lesion, 0.8, Severity.Medium, 1, 1, 2.5, 3)],
            Saliency = new ModelImage { Width = 8, Height = 8, Data = png },
        }, MedVisionJsonContext.Default.ModelResponse);
        var request = Serialize(new ModelRequest
        {
            RequestId = "img-1",
            Task = InferenceTask.Detect,
            Modality = Modality.Ct,
            Image = new ModelImage { Width = 8, Height = 8, Data = png },
            OriginalWidth = 16,
            OriginalHeight = 16,
            PixelSpacingMm = new PixelSpacing(0.7, 0.7),
        }, MedVisionJsonContext.Default.ModelRequest);

        var bad = new (string What, string Def, JsonNode Base, Action<JsonNode> Break, string Path, string Message)[]
        {
            ("classify without scores", "ModelResponse", classify, d => d.AsObject().Remove("modality_scores"), "", "'modality_scores' is a required property"),
            ("scores missing ct", "ModelResponse", classify, d => d["modality_scores"]!.AsObject().Remove("ct"), "modality_scores", "'ct' is a required property"),
            ("score above 1", "ModelResponse", classify, d => d["modality_scores"]!["xray"] = 1.2, "modality_scores/xray", "greater than the maximum of 1"),
            ("unknown modality score", "ModelResponse", classify, d => d["modality_scores"]!["pet"] = 0.0, "modality_scores", "Additional properties are not allowed"),
            ("unknown task", "ModelResponse", classify, d => d["task"] = "segment", "task", "is not one of"),
            ("contract major 2", "ModelResponse", classify, d => d["contract_version"] = "2.0", "contract_version", "does not match"),
            ("blank model name", "ModelResponse", classify, d => d["model"]!["name"] = " ", "model/name", "does not match"),
            ("zero input width", "ModelResponse", classify, d => d["input_width"] = 0, "input_width", "less than the minimum of 1"),
            ("detect without findings", "ModelResponse", detect, d => d.AsObject().Remove("findings"), "", "'findings' is a required property"),
            ("confidence above 1", "ModelResponse", detect, d => d["findings"]![0]!["confidence"] = 1.5, "findings/0/confidence", "greater than the maximum of 1"),
            ("zero-width box", "ModelResponse", detect, d => d["findings"]![0]!["bounding_box"]!["width"] = 0, "findings/0/bounding_box/width", "less than or equal to the minimum of 0"),
            ("box without y", "ModelResponse", detect, d => d["findings"]![0]!["bounding_box"]!.AsObject().Remove("y"), "findings/0/bounding_box", "'y' is a required property"),
            ("unknown finding type", "ModelResponse", detect, d => d["findings"]![0]!["type"] = "cancer", "findings/0/type", "is not one of"),
            ("unknown severity", "ModelResponse", detect, d => d["findings"]![0]!["severity"] = "critical", "findings/0/severity", "is not one of"),
            ("too many findings", "ModelResponse", detect, d => d["findings"] = new JsonArray(Enumerable.Range(0, InferenceContract.MaxFindings + 1).Select(_ => d["findings"]![0]!.DeepClone()).ToArray()), "findings", "is too long"),
            ("saliency too wide", "ModelResponse", detect, d => d["saliency"]!["width"] = InferenceContract.MaxSaliencySide + 1, "saliency/width", "greater than the maximum of 512"),
            ("saliency by s3 uri", "ModelResponse", detect, d => { d["saliency"]!.AsObject().Remove("data"); d["saliency"]!["s3_uri"] = "s3://bucket/s.png"; }, "saliency", "'data' is a required property"),
            ("detect request without modality", "ModelRequest", request, d => d.AsObject().Remove("modality"), "", "'modality' is a required property"),
            ("unknown modality", "ModelRequest", request, d => d["modality"] = "pet", "modality", "is not one of"),
            ("no request id", "ModelRequest", request, d => d.AsObject().Remove("request_id"), "", "'request_id' is a required property"),
            ("image with data and s3 uri", "ModelRequest", request, d => d["image"]!["s3_uri"] = "s3://bucket/in.png", "image", "is not valid under any of the given schemas"),
            ("image with neither", "ModelRequest", request, d => d["image"]!.AsObject().Remove("data"), "image", "is not valid under any of the given schemas"),
            ("data not base64", "ModelRequest", request, d => d["image"]!["data"] = "not base64!", "image/data", "does not match"),
            ("s3 uri not s3", "ModelRequest", request, d => { d["image"]!.AsObject().Remove("data"); d["image"]!["s3_uri"] = "https://example.com/in.png"; }, "image/s3_uri", "does not match"),
            ("jpeg media type", "ModelRequest", request, d => d["image"]!["media_type"] = "image/jpeg", "image/media_type", "'image/png' was expected"),
            ("zero image width", "ModelRequest", request, d => d["image"]!["width"] = 0, "image/width", "less than the minimum of 1"),
            ("image over the input limit", "ModelRequest", request, d => d["image"]!["height"] = InferenceContract.MaxInputSide + 1, "image/height", "greater than the maximum of 4096"),
            ("zero pixel spacing", "ModelRequest", request, d => d["pixel_spacing_mm"]!["row"] = 0, "pixel_spacing_mm/row", "less than or equal to the minimum of 0"),
            ("fractional original width", "ModelRequest", request, d => d["original_width"] = 12.5, "original_width", "is not of type 'integer'"),
        };
        var documents = new List<(string?, JsonNode)> { ("ModelResponse", classify), ("ModelResponse", detect), ("ModelRequest", request), (null, classify), (null, request) };
        foreach (var b in bad)
        {
            var doc = b.Base.DeepClone();
            b.Break(doc);
            documents.Add((b.Def, doc));
        }

        var results = SchemaOracle.Validate(documents);

        for (var i = 0; i < 5; i++)
        {
            Assert.True(results[i].Count == 0, $"valid document {i} rejected: {string.Join("; ", results[i])}");
        }

        for (var i = 0; i < bad.Length; i++)
        {
            var errors = results[i + 5];
            Assert.True(
                errors.Any(e => e.StartsWith(bad[i].Path + ": ", StringComparison.Ordinal) && e.Contains(bad[i].Message, StringComparison.Ordinal)),
                $"{bad[i].What}: expected '{bad[i].Path}: …{bad[i].Message}…', got: {(errors.Count == 0 ? "valid" : string.Join("; ", errors))}");
        }
    }

    /// <summary>
    /// Every answer the running server gives for random images (noise, gradients, flat fields, the synthetic studies;
    /// random sizes; each task and modality) passes both the C# contract checks and the independent schema validator.
    /// </summary>
    // A [Fact] that runs a property, not a [Property]: the schema validator (a Python process) checks every
    // generated document once, after the property has run.
    [Fact]
    public void ServerResponses_WhenRandomImagesOfEveryTaskAndModality_ShouldConformToTheSchema()
    {
        if (!SchemaOracle.Available(output.WriteLine))
        {
            return;
        }

        var answers = new ConcurrentQueue<(ImageCase Case, byte[] Body)>();
        var count = 0;
        Prop.ForAll(Arb.From(ImageCase.Gen), c =>
        {
            var (body, input) = c.Request($"prop-{Interlocked.Increment(ref count)}");
            var response = server.Endpoint.InvokeAsync(new EndpointInvocation(c.EndpointName(Routes), null, InferenceContract.ContentType, body))
                .GetAwaiter().GetResult();
            var parsed = JsonSerializer.Deserialize(response.Body, MedVisionJsonContext.Default.ModelResponse)!;
            var problems = ModelClient.Problems(parsed, c.Task, input);
            answers.Enqueue((c, response.Body));
            return problems.Count == 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(120));

        var list = answers.ToList();
        var results = SchemaOracle.Validate(list.Select(a => ((string?)"ModelResponse", JsonNode.Parse(a.Body)!)));

        Assert.True(list.Count >= 100, $"only {list.Count} cases ran");
        Assert.Contains(list, a => a.Case.Task == InferenceTask.Classify);
        Assert.All(Modalities.All, m => Assert.Contains(list, a => a.Case.Task == InferenceTask.Detect && a.Case.Modality == m));
        var failures = list.Zip(results).Where(p => p.Second.Count > 0).Select(p => $"{p.First.Case}: {string.Join("; ", p.Second)}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }

    /// <summary>Every request ModelClient builds (inline under the payload limit, by s3:// URI over it) passes the schema.</summary>
    // A [Fact] that runs a property, not a [Property]: the schema validator (a Python process) checks every
    // generated document once, after the property has run.
    [Fact]
    public void ClientRequests_WhenInlineOrByS3Uri_ShouldConformToTheSchema()
    {
        if (!SchemaOracle.Available(output.WriteLine))
        {
            return;
        }

        var built = new ConcurrentQueue<(string What, byte[] Body)>();
        var gen =
            from c in ImageCase.Gen
            from inputSize in Gen.Choose(InferenceContract.MinInputSide, 700)
            from smallBudget in Gen.Elements(true, false)
            from spacing in Gen.Elements<double[]?>(null, [0.5, 0.5], [0.8, 1.2])
            select (c, inputSize, smallBudget, spacing);
        Prop.ForAll(Arb.From(gen), t =>
        {
            // 64 KB is the smallest budget the routing config allows: noisy inputs then go by S3 URI.
            var routes = new ModelRoutingOptions { MaxPayloadBytes = t.smallBudget ? 64 * 1024 : InferenceContract.DefaultMaxPayloadBytes };
            var objects = new InMemoryObjectStore();
            var client = new ModelClient(new ModelRouter(new ScriptedEndpoint((_, _) => throw new InvalidOperationException()), new CircuitBreaker(TimeProvider.System), TimeProvider.System), routes, objects);
            var input = ModelClient.Prepare(t.c.Render(), t.inputSize);
            var body = client.BuildRequestAsync("img-" + t.c.Seed, t.c.Task, t.c.Task == InferenceTask.Detect ? t.c.Modality : null, input, t.spacing, CancellationToken.None)
                .GetAwaiter().GetResult();
            built.Enqueue(($"{t}", body));
            return body.LongLength <= routes.MaxPayloadBytes;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100));

        var list = built.ToList();
        var docs = list.Select(b => JsonNode.Parse(b.Body)!).ToList();
        var results = SchemaOracle.Validate(docs.Select(d => ((string?)"ModelRequest", d)));

        Assert.Contains(docs, d => d["image"]!["s3_uri"] is not null);
        Assert.Contains(docs, d => d["image"]!["data"] is not null);
        var failures = list.Zip(results).Where(p => p.Second.Count > 0).Select(p => $"{p.First.What}: {string.Join("; ", p.Second)}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }
}
