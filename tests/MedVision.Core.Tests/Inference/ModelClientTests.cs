using System.Net;
using System.Text;
using System.Text.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Imaging;
using MedVision.Testing;

namespace MedVision.Core.Tests.Inference;

public class ModelClientTests
{
    private static readonly ModelTarget Target = new("ct-detector", "v1");

    private static Raster Image(int width, int height, int seed = 1)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        new Random(seed).NextBytes(raster.Data);
        return raster;
    }

    private static ModelResponse ValidDetect(PreparedInput input) => new()
    {
        ContractVersion = "1.3",
        Model = new ModelIdentity("det", "2"),
        Task = InferenceTask.Detect,
        InputWidth = input.Width,
        InputHeight = input.Height,
        Findings = [ModelAnswers.Finding(AbnormalityType.Lesion, 0.9, Severity.High, 1, 1, 4, 4)],
    };

    private static EndpointResponse Json(ModelResponse r) => ModelAnswers.Json(r);

    [Theory]
    [InlineData(3000, 2000, 512, 512, 341)]
    [InlineData(100, 400, 256, 64, 256)]
    [InlineData(50, 50, 256, 256, 256)]
    public void Prepare_WhenImageIsAnySize_ShouldScaleTheLongSideToTheInputSizeKeepingAspect(int w, int h, int size, int ew, int eh)
    {
        var input = ModelClient.Prepare(Image(w, h), size);

        Assert.Equal((ew, eh, w, h), (input.Width, input.Height, input.OriginalWidth, input.OriginalHeight));
        var decoded = PngDecoder.Decode(input.Png);
        Assert.Equal((ew, eh, ColorModel.Gray, 8), (decoded.Width, decoded.Height, decoded.Color, decoded.BitDepth));
    }

    [Fact]
    public void SpacingFor_WhenDicomSpacingKnown_ShouldScaleItToTheModelInput()
    {
        var input = new PreparedInput([], 256, 128, 1024, 512);

        Assert.Equal(new PixelSpacing(0.8, 0.6), ModelClient.SpacingFor([0.2, 0.15], input));
        Assert.Null(ModelClient.SpacingFor(null, input));
        Assert.Null(ModelClient.SpacingFor([0.2], input));
        Assert.Null(ModelClient.SpacingFor([0, 0.1], input));
    }

    [Fact]
    public async Task BuildRequestAsync_WhenItFitsThePayloadLimit_ShouldCarryTheImageInline()
    {
        var objects = new InMemoryObjectStore();
        var client = new ModelClient(new ModelRouter(new ScriptedEndpoint((_, r) => ModelAnswers.Scores(r, 1)), new CircuitBreaker(TimeProvider.System), TimeProvider.System), new ModelRoutingOptions(), objects);
        var input = ModelClient.Prepare(Image(1024, 1024), InferenceContract.MaxInlineInputSide);

        var body = await client.BuildRequestAsync("img-1", InferenceTask.Detect, Modality.Ct, input, [0.5, 0.5], CancellationToken.None);

        // Noise is incompressible: this is the largest inline request the contract allows, and it still fits 4 MB.
        Assert.InRange(body.LongLength, 1_000_000, InferenceContract.ServerlessMaxPayloadBytes);
        var request = JsonSerializer.Deserialize(body, MedVisionJsonContext.Default.ModelRequest)!;
        Assert.Equal(input.Png, request.Image.Data);
        Assert.Null(request.Image.S3Uri);
        Assert.Equal((InferenceTask.Detect, Modality.Ct, "img-1", InferenceContract.Version), (request.Task, request.Modality, request.RequestId, request.ContractVersion));
        Assert.Empty(objects.Objects);
    }

    [Fact]
    public async Task BuildRequestAsync_WhenOverThePayloadLimit_ShouldStoreTheImageAndSendItsS3Uri()
    {
        var objects = new InMemoryObjectStore();
        var routes = new ModelRoutingOptions { MaxPayloadBytes = 64 * 1024 };
        var client = new ModelClient(new ModelRouter(new ScriptedEndpoint((_, r) => ModelAnswers.Scores(r, 1)), new CircuitBreaker(TimeProvider.System), TimeProvider.System), routes, objects);
        var input = ModelClient.Prepare(Image(400, 300), 400);

        var body = await client.BuildRequestAsync("img-1", InferenceTask.Classify, null, input, null, CancellationToken.None);

        Assert.True(body.Length < 1024, $"the by-reference request is {body.Length} bytes");
        var request = JsonSerializer.Deserialize(body, MedVisionJsonContext.Default.ModelRequest)!;
        Assert.Null(request.Image.Data);
        var key = ObjectKeys.ModelInput("img-1", InferenceTask.Classify, 400, 300);
        Assert.Equal($"s3://memory/{key}", request.Image.S3Uri);
        Assert.Equal(input.Png, objects.Objects[key].Content);
    }

    [Fact]
    public void Decode_WhenResponseConforms_ShouldReturnIt()
    {
        var input = new PreparedInput([], 64, 48, 640, 480);

        var decoded = ModelClient.Decode(Json(ValidDetect(input)), Target, InferenceTask.Detect, input);

        Assert.Equal(new ModelIdentity("det", "2"), decoded.Model);
    }

    public static TheoryData<string, string> Violations() => new()
    {
        { "content-type", "Content-Type 'text/html'" },
        { "not-json", "JSON outside the model contract" },
        { "null", "answered null" },
        { "major-version", "contract_version '2.0'" },
        { "task", "the request asked for 'detect'" },
        { "size", "differs from the 64×48 image sent" },
        { "no-findings", "findings is required" },
        { "confidence", "findings[0].confidence 1.5" },
        { "box", "findings[0].bounding_box needs" },
        { "too-many", "exceed the contract's 100" },
        { "saliency", "saliency is not a valid PNG" },
        { "saliency-size", "saliency is 600×600" },
        { "unknown-enum", "JSON outside the model contract" },
    };

    // Spec error category 3: the client rejects answers that break the contract, saying what is wrong.
    [Theory]
    [MemberData(nameof(Violations))]
    public void Decode_WhenResponseBreaksTheContract_ShouldThrowOutputInvalidNamingTheViolation(string violation, string expected)
    {
        var input = new PreparedInput([], 64, 48, 640, 480);
        var valid = ValidDetect(input);
        var finding = valid.Findings![0];
        var response = violation switch
        {
            "content-type" => new EndpointResponse("text/html", "<html>"u8.ToArray()),
            "not-json" => new EndpointResponse("application/json", "{\"contract_version\":"u8.ToArray()),
            "null" => new EndpointResponse("application/json", "null"u8.ToArray()),
            "major-version" => Json(valid with { ContractVersion = "2.0" }),
            "task" => Json(valid with { Task = InferenceTask.Classify }),
            "size" => Json(valid with { InputWidth = 640 }),
            "no-findings" => Json(valid with { Findings = null }),
            "confidence" => Json(valid with { Findings = [finding with { Confidence = 1.5 }] }),
            "box" => Json(valid with { Findings = [finding with { BoundingBox = new ModelBox(1, 1, 0, 4) }] }),
            "too-many" => Json(valid with { Findings = Enumerable.Repeat(finding, 101).ToList() }),
            "saliency" => Json(valid with { Saliency = new ModelImage { Width = 8, Height = 8, Data = [1, 2, 3] } }),
            "saliency-size" => Json(valid with { Saliency = new ModelImage { Width = 600, Height = 600, Data = PngEncoder.Encode(Image(600, 600)) } }),
            "unknown-enum" => new EndpointResponse("application/json", Encoding.UTF8.GetBytes(
                Encoding.UTF8.GetString(Json(valid).Body).Replace("\"lesion\"", "\"dragon\"", StringComparison.Ordinal))),
            _ => throw new ArgumentOutOfRangeException(nameof(violation)),
        };

        var ex = Assert.Throws<ModelOutputInvalidException>(() => ModelClient.Decode(response, Target, InferenceTask.Detect, input));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("Model endpoint ct-detector/v1 ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenClassifierOmitsOrInventsAModality_ShouldSayWhich()
    {
        var input = new PreparedInput([], 32, 32, 32, 32);
        var response = new ModelResponse
        {
            ContractVersion = "1.0",
            Model = new ModelIdentity("c", "1"),
            Task = InferenceTask.Classify,
            InputWidth = 32,
            InputHeight = 32,
            ModalityScores = new Dictionary<string, double> { ["xray"] = 0.5, ["mri"] = 0.2, ["ct"] = 0.2, ["pet"] = 0.1 },
        };

        var ex = Assert.Throws<ModelOutputInvalidException>(() => ModelClient.Decode(Json(response), Target, InferenceTask.Classify, input));

        Assert.Contains("modality_scores.ultrasound must be a number in [0, 1]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown modality 'pet'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaleToOriginal_WhenFullInputBoxAndScaleIsInexact_ShouldNotGrowPastTheImage()
    {
        // Regression: 358×2956 at input 635 is 77×635; 77 × (358 / 77) is 358.00000000000006 in doubles, and the
        // outward rounding made the box 359 wide.
        var input = new PreparedInput([], 77, 635, 358, 2956);

        Assert.Equal(new BoundingBox(0, 0, 358, 2956), AnalyzeStage.ScaleToOriginal(new ModelBox(0, 0, 77, 635), input));
        Assert.Equal(new BoundingBox(4, 4, 10, 10), AnalyzeStage.ScaleToOriginal(new ModelBox(1, 1, 2.5, 2.5), new PreparedInput([], 10, 10, 40, 40)));
    }
}

/// <summary>The HTTP InvokeEndpoint adapter's mapping of the wire onto typed errors, over an in-memory handler.</summary>
public class HttpInferenceEndpointTests
{
    private sealed class FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(answer(request));
        }
    }

    private static readonly EndpointInvocation Invocation = new("ct-detector", "v2", "application/json", "{}"u8.ToArray());

    private static HttpResponseMessage Respond(HttpStatusCode status, string body = "{}", string type = "application/json") =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, type) };

    [Fact]
    public async Task InvokeAsync_WhenCalled_ShouldPostToSageMakerRuntimesPathWithItsHeaders()
    {
        var handler = new FakeHandler(_ =>
        {
            var r = Respond(HttpStatusCode.OK, "{\"ok\":true}");
            r.Headers.Add(HttpInferenceEndpoint.InvokedVariantHeader, "v2");
            return r;
        });
        using var http = new HttpClient(handler);
        var endpoint = new HttpInferenceEndpoint(http, new Uri("http://127.0.0.1:8080/"));

        var response = await endpoint.InvokeAsync(Invocation);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("http://127.0.0.1:8080/endpoints/ct-detector/invocations", sent.RequestUri!.ToString());
        Assert.Equal("v2", sent.Headers.GetValues(HttpInferenceEndpoint.TargetVariantHeader).Single());
        Assert.Equal("application/json", sent.Content!.Headers.ContentType!.MediaType);
        Assert.Equal(("{\"ok\":true}", "v2"), (Encoding.UTF8.GetString(response.Body), response.InvokedVariant));
    }

    [Fact]
    public async Task InvokeAsync_WhenSignerGiven_ShouldSignEveryRequestBeforeSending()
    {
        var handler = new FakeHandler(_ => Respond(HttpStatusCode.OK));
        using var http = new HttpClient(handler);
        var endpoint = new HttpInferenceEndpoint(http, new Uri("http://127.0.0.1:8080/"), (request, _) =>
        {
            request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 test");
            return Task.CompletedTask;
        });

        await endpoint.InvokeAsync(Invocation);

        Assert.Equal("AWS4-HMAC-SHA256 test", Assert.Single(handler.Requests).Headers.GetValues("Authorization").Single());
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.FailedDependency)]
    public async Task InvokeAsync_WhenEndpointIsInTrouble_ShouldThrowUnavailableWithStatusAndBody(HttpStatusCode status)
    {
        using var http = new HttpClient(new FakeHandler(_ => Respond(status, "{\"message\":\"model container crashed\"}")));
        var endpoint = new HttpInferenceEndpoint(http, new Uri("http://127.0.0.1:8080/"));

        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => endpoint.InvokeAsync(Invocation));

        Assert.Contains($"HTTP {(int)status}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("model container crashed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.UnsupportedMediaType)]
    public async Task InvokeAsync_WhenRequestIsRefused_ShouldThrowOutputInvalid(HttpStatusCode status)
    {
        using var http = new HttpClient(new FakeHandler(_ => Respond(status, "{\"code\":\"model.bad_request\"}", "application/problem+json")));
        var endpoint = new HttpInferenceEndpoint(http, new Uri("http://127.0.0.1:8080/"));

        var ex = await Assert.ThrowsAsync<ModelOutputInvalidException>(() => endpoint.InvokeAsync(Invocation));

        Assert.Contains("model.bad_request", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenAnswerIsOverTheSizeLimit_ShouldRefuseToReadIt()
    {
        using var http = new HttpClient(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(new byte[InferenceContract.RealTimeMaxPayloadBytes + 1]),
        }));
        var endpoint = new HttpInferenceEndpoint(http, new Uri("http://127.0.0.1:8080/"));

        var ex = await Assert.ThrowsAsync<ModelOutputInvalidException>(() => endpoint.InvokeAsync(Invocation));

        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenNothingListens_ShouldThrowUnavailable()
    {
        // A port from the listener we just closed: connection refused on loopback, no network involved.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient();
        var endpoint = new HttpInferenceEndpoint(http, new Uri($"http://127.0.0.1:{port}/"));

        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => endpoint.InvokeAsync(Invocation));

        Assert.Contains("cannot be reached", ex.Message, StringComparison.Ordinal);
    }
}
