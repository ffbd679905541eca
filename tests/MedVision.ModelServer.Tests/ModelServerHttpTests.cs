using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Local.Twins;
using MedVision.Models;

namespace MedVision.ModelServer.Tests;

/// <summary>The model server over real loopback HTTP, through the pipeline's own SageMaker Runtime adapter where it can.</summary>
public sealed class ModelServerHttpTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly ModelRoutingOptions Routes = new();
    private static readonly InProcessModelHost Reference = new();
    private static readonly ImageCase CtCase = new("synthetic", 200, 180, 2, InferenceTask.Detect, Modality.Ct);

    private static EndpointInvocation Invocation(ImageCase c, string? variant = null) =>
        new(c.EndpointName(Routes), variant, InferenceContract.ContentType, c.Request("img-1").Body);

    private async Task<(HttpStatusCode Status, string ContentType, JsonNode? Body)> PostAsync(string path, HttpContent content)
    {
        // Expect: 100-continue, as curl sends for large bodies: a refusal before the body is read (404, 413, 415)
        // reaches the client as a response instead of a connection reset while it is still sending.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, path)) { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(InferenceContract.ContentType);
        return content;
    }

    /// <summary>After any refusal the server still answers a good request: bad input never takes it down.</summary>
    private async Task AssertStillServesAsync()
    {
        var response = await server.Endpoint.InvokeAsync(Invocation(CtCase));
        Assert.Equal(InferenceContract.ContentType, response.ContentType);
    }

    private async Task AssertProblemAsync(string path, HttpContent content, HttpStatusCode status, string code)
    {
        var (actual, contentType, body) = await PostAsync(path, content);

        Assert.Equal(status, actual);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(code, (string)body!["code"]!);
        Assert.Equal((int)status, (int)body["status"]!);
        Assert.Equal($"https://medvision.dev/problems/{code}", (string)body["type"]!);
        Assert.DoesNotContain("   at ", body.ToJsonString(), StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Ping_WhenStarted_ShouldAnswer200()
    {
        using var response = await server.Http.GetAsync(new Uri(server.BaseAddress, "ping"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Each configured endpoint answers its job, byte for byte what the in-process host answers.</summary>
    [Theory]
    [InlineData(InferenceTask.Classify, Modality.XRay)]
    [InlineData(InferenceTask.Detect, Modality.XRay)]
    [InlineData(InferenceTask.Detect, Modality.Mri)]
    [InlineData(InferenceTask.Detect, Modality.Ct)]
    [InlineData(InferenceTask.Detect, Modality.Ultrasound)]
    public async Task InvokeEndpoint_WhenEachConfiguredEndpoint_ShouldAnswerLikeTheInProcessHost(InferenceTask task, Modality modality)
    {
        var c = new ImageCase("synthetic", 256, 240, 11, task, modality);

        var overHttp = await server.Endpoint.InvokeAsync(Invocation(c));
        var inProcess = await Reference.InvokeAsync(Invocation(c));

        Assert.Equal(InferenceContract.ContentType, overHttp.ContentType);
        Assert.Equal(inProcess.Body, overHttp.Body);
    }

    [Fact]
    public async Task InvokeEndpoint_WhenAVariantIsTargeted_ShouldEchoItAndDefaultToAllTraffic()
    {
        var targeted = await server.Endpoint.InvokeAsync(Invocation(CtCase, "canary-2"));
        using var untargeted = await server.Http.PostAsync(new Uri(server.BaseAddress, $"endpoints/{CtCase.EndpointName(Routes)}/invocations"), Json(CtCase.Request("img-1").Body));

        Assert.Equal("canary-2", targeted.InvokedVariant);
        Assert.Equal("AllTraffic", untargeted.Headers.GetValues(HttpInferenceEndpoint.InvokedVariantHeader).Single());
    }

    /// <summary>The container path serves any job: the request's task and modality pick the analyzer.</summary>
    [Fact]
    public async Task InvokeContainer_WhenAnyJob_ShouldPickTheAnalyzerFromTheRequest()
    {
        foreach (var c in new[] { CtCase with { Task = InferenceTask.Classify }, CtCase with { Modality = Modality.Mri }, CtCase })
        {
            var (status, contentType, body) = await PostAsync("invocations", Json(c.Request("img-2").Body));
            var expected = JsonNode.Parse((await Reference.InvokeAsync(Invocation(c))).Body)!;

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(InferenceContract.ContentType, contentType);
            Assert.True(JsonNode.DeepEquals(expected, body), $"{c}: {body}");
        }
    }

    [Fact]
    public async Task InvokeEndpoint_WhenImageComesByS3Uri_ShouldReadItFromTheObjectRoot()
    {
        var (inlineBody, _) = CtCase.Request("img-3");
        var request = JsonSerializer.Deserialize(inlineBody, MedVisionJsonContext.Default.ModelRequest)!;
        var store = new DiskObjectStore(server.ObjectRoot);
        await store.PutAsync("model-inputs/img-3/detect-200x180.png", request.Image.Data!, InferenceContract.ImageMediaType);
        byte[] ByUri(string uri) => JsonSerializer.SerializeToUtf8Bytes(request with { Image = request.Image with { Data = null, S3Uri = uri } }, MedVisionJsonContext.Default.ModelRequest);
        var endpoint = CtCase.EndpointName(Routes);

        var byUri = await server.Endpoint.InvokeAsync(new EndpointInvocation(endpoint, null, InferenceContract.ContentType, ByUri(store.S3UriFor("model-inputs/img-3/detect-200x180.png"))));
        var inline = await server.Endpoint.InvokeAsync(new EndpointInvocation(endpoint, null, InferenceContract.ContentType, inlineBody));

        Assert.Equal(inline.Body, byUri.Body);
        await AssertProblemAsync($"endpoints/{endpoint}/invocations", Json(ByUri("s3://medvision-local/model-inputs/missing.png")), HttpStatusCode.BadRequest, "model.input_not_found");
        await AssertProblemAsync($"endpoints/{endpoint}/invocations", Json(ByUri("s3://other-bucket/model-inputs/img-3/detect-200x180.png")), HttpStatusCode.BadRequest, "model.input_not_found");
        await AssertProblemAsync($"endpoints/{endpoint}/invocations", Json(ByUri("s3://medvision-local/../../etc/passwd")), HttpStatusCode.BadRequest, "model.input_not_found");
    }

    [Fact]
    public async Task InvokeEndpoint_WhenEndpointNameIsUnknown_ShouldAnswer404Problem()
    {
        await AssertProblemAsync("endpoints/no-such-model/invocations", Json(CtCase.Request("img-1").Body), HttpStatusCode.NotFound, "model.unknown_endpoint");
        await AssertProblemAsync("no/such/path", Json([]), HttpStatusCode.NotFound, "model.not_found");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("image/png")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task InvokeEndpoint_WhenContentTypeIsNotJson_ShouldAnswer415Problem(string contentType)
    {
        var content = new ByteArrayContent(CtCase.Request("img-1").Body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        await AssertProblemAsync($"endpoints/{CtCase.EndpointName(Routes)}/invocations", content, HttpStatusCode.UnsupportedMediaType, "model.unsupported_media_type");
    }

    [Fact]
    public async Task InvokeEndpoint_WhenBodyIsOverTheRealTimeLimit_ShouldAnswer413Problem()
    {
        var path = $"endpoints/{CtCase.EndpointName(Routes)}/invocations";
        var tooBig = new byte[InferenceContract.RealTimeMaxPayloadBytes + 1];
        tooBig.AsSpan().Fill((byte)' ');

        // Declared by Content-Length, and streamed chunked (Kestrel's MaxRequestBodySize stops it mid-read).
        await AssertProblemAsync(path, Json(tooBig), HttpStatusCode.RequestEntityTooLarge, "model.payload_too_large");
        var chunked = new StreamContent(new MemoryStream(tooBig));
        chunked.Headers.ContentType = new MediaTypeHeaderValue(InferenceContract.ContentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, path)) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("model.payload_too_large", (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
        await AssertStillServesAsync();
    }

    public static TheoryData<string, string, string> BadBodies()
    {
        var (good, _) = CtCase.Request("img-1");
        var request = JsonSerializer.Deserialize(good, MedVisionJsonContext.Default.ModelRequest)!;
        string With(ModelRequest r) => JsonSerializer.Serialize(r, MedVisionJsonContext.Default.ModelRequest);
        return new()
        {
            { "garbage", "\u0001\u0002 not json at all", "model.bad_request" },
            { "empty", "", "model.bad_request" },
            { "null", "null", "model.bad_request" },
            { "array", "[1,2,3]", "model.bad_request" },
            { "truncated json", System.Text.Encoding.UTF8.GetString(good)[..100], "model.bad_request" },
            { "unknown task", "{\"request_id\":\"x\",\"task\":\"paint\"}", "model.bad_request" },
            { "contract 2.0", With(request with { ContractVersion = "2.0" }), "model.bad_contract_version" },
            { "detect without modality", With(request with { Modality = null }), "model.bad_request" },
            { "truncated png", With(request with { Image = request.Image with { Data = request.Image.Data![..(request.Image.Data!.Length / 2)] } }), "model.bad_image" },
            { "not a png", With(request with { Image = request.Image with { Data = "GIF89a"u8.ToArray() } }), "model.bad_image" },
            { "wrong image size", With(request with { Image = request.Image with { Width = 10 } }), "model.bad_image" },
            { "jpeg media type", With(request with { Image = request.Image with { MediaType = "image/jpeg" } }), "model.bad_content_type" },
            { "no image data", With(request with { Image = request.Image with { Data = null } }), "model.bad_request" },
            { "wrong endpoint", With(request with { Modality = Modality.Mri }), "model.wrong_endpoint" },
            { "classify on a detector", With(request with { Task = InferenceTask.Classify, Modality = null }), "model.wrong_endpoint" },
        };
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task InvokeEndpoint_WhenBodyIsBad_ShouldAnswer400ProblemAndKeepServing(string what, string body, string code)
    {
        Assert.NotNull(what);
        await AssertProblemAsync($"endpoints/{CtCase.EndpointName(Routes)}/invocations", Json(System.Text.Encoding.UTF8.GetBytes(body)), HttpStatusCode.BadRequest, code);
    }

    /// <summary>contract_version and media_type have defaults in the contract, so a request may omit them.</summary>
    [Fact]
    public async Task InvokeEndpoint_WhenOptionalMembersWithDefaultsAreOmitted_ShouldAnswer()
    {
        var body = JsonNode.Parse(CtCase.Request("img-defaults").Body)!.AsObject();
        body.Remove("contract_version");
        body["image"]!.AsObject().Remove("media_type");

        var (status, _, answer) = await PostAsync($"endpoints/{CtCase.EndpointName(Routes)}/invocations", Json(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString())));

        Assert.True(status == HttpStatusCode.OK, answer?.ToJsonString());
        Assert.Equal(InferenceContract.Version, (string)answer!["contract_version"]!);
    }

    [Fact]
    public async Task InvokeEndpoint_WhenVariantNameIsInvalid_ShouldAnswer400Problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, $"endpoints/{CtCase.EndpointName(Routes)}/invocations"))
        {
            Content = Json(CtCase.Request("img-1").Body),
        };
        request.Headers.Add(HttpInferenceEndpoint.TargetVariantHeader, "-bad_variant-");

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("model.bad_variant", (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
    }

    /// <summary>The pipeline's adapter maps the server's refusals onto its typed errors: a 4xx is never retried.</summary>
    [Fact]
    public async Task HttpInferenceEndpoint_WhenServerRefuses_ShouldThrowModelOutputInvalidWithTheCode()
    {
        var unknown = await Assert.ThrowsAsync<ModelOutputInvalidException>(() =>
            server.Endpoint.InvokeAsync(Invocation(CtCase) with { EndpointName = "no-such-model" }));
        var wrongJob = await Assert.ThrowsAsync<ModelOutputInvalidException>(() =>
            server.Endpoint.InvokeAsync(Invocation(CtCase) with { EndpointName = Routes.Mri.Primary.Endpoint }));

        Assert.Contains("404", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("model.wrong_endpoint", wrongJob.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeEndpoint_WhenBadAndGoodRequestsRunConcurrently_ShouldAnswerEveryGoodOne()
    {
        var path = new Uri(server.BaseAddress, $"endpoints/{CtCase.EndpointName(Routes)}/invocations");
        var bad = Enumerable.Range(0, 20).Select(async i =>
        {
            using var r = await server.Http.PostAsync(path, Json(System.Text.Encoding.UTF8.GetBytes(i % 2 == 0 ? "{" : "")));
            return r.StatusCode;
        });
        var good = Enumerable.Range(0, 6).Select(_ => server.Endpoint.InvokeAsync(Invocation(CtCase)));

        var badResults = await Task.WhenAll(bad);
        var goodResults = await Task.WhenAll(good);

        Assert.All(badResults, s => Assert.Equal(HttpStatusCode.BadRequest, s));
        Assert.All(goodResults, r => Assert.Equal(goodResults[0].Body, r.Body));
    }

    /// <summary>Logs are one JSON object per line with the contract's request id, and never carry image data.</summary>
    [Fact]
    public async Task Log_WhenRequestsAreServed_ShouldBeJsonLinesWithRequestIdAndNoImageData()
    {
        var (body, input) = CtCase.Request("log-probe-42");
        await server.Endpoint.InvokeAsync(new EndpointInvocation(CtCase.EndpointName(Routes), null, InferenceContract.ContentType, body));

        var lines = server.Log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var entries = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var mine = entries.Single(e => (string?)e["request_id"] == "log-probe-42");

        Assert.Equal("invocation", (string)mine["event"]!);
        Assert.Equal(200, (int)mine["status"]!);
        Assert.Equal("ct", (string)mine["modality"]!);
        Assert.Contains(entries, e => (string?)e["event"] == "listening");
        var base64 = Convert.ToBase64String(input.Png);
        Assert.DoesNotContain(base64[..Math.Min(64, base64.Length)], server.Log.ToString(), StringComparison.Ordinal);
    }
}
