using System.Text.Json;
using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Imaging;

namespace MedVision.Models.Tests;

public class InProcessModelHostTests
{
    private static readonly ModelRoutingOptions Routes = new();
    private static readonly InProcessModelHost Host = new(Routes, new ReferenceModelHost());
    private static readonly Raster Ct = SyntheticStudies.AbdomenCt(2, 200, 180);

    private static EndpointInvocation Invocation(string endpoint, InferenceTask task, Modality? modality = null, Raster? image = null, string contentType = InferenceContract.ContentType)
    {
        var raster = image ?? Ct;
        var request = new ModelRequest
        {
            RequestId = "img-1",
            Task = task,
            Modality = modality,
            Image = new ModelImage { Width = raster.Width, Height = raster.Height, Data = PngEncoder.Encode(raster) },
            OriginalWidth = raster.Width,
            OriginalHeight = raster.Height,
        };
        return new EndpointInvocation(endpoint, null, contentType, JsonSerializer.SerializeToUtf8Bytes(request, MedVisionJsonContext.Default.ModelRequest));
    }

    private static ModelResponse Parse(EndpointResponse response) =>
        JsonSerializer.Deserialize(response.Body, MedVisionJsonContext.Default.ModelResponse)!;

    [Fact]
    public async Task InvokeAsync_WhenClassifierEndpoint_ShouldAnswerModalityScores()
    {
        var response = await Host.InvokeAsync(Invocation(Routes.Classifier.Primary.Endpoint, InferenceTask.Classify));

        Assert.Equal(InferenceContract.ContentType, response.ContentType);
        var body = Parse(response);
        Assert.Equal(ReferenceModalityClassifier.Model, body.Model);
        Assert.Equal("ct", body.ModalityScores!.MaxBy(kv => kv.Value).Key);
    }

    /// <summary>Property 8: each modality's endpoint is served by the detector for that modality.</summary>
    // Feature: medvision-ai-platform, Property 8: each modality's endpoint is served by that modality's detector.
    [Theory]
    [InlineData(Modality.XRay)]
    [InlineData(Modality.Mri)]
    [InlineData(Modality.Ct)]
    [InlineData(Modality.Ultrasound)]
    public async Task InvokeAsync_WhenDetectorEndpoint_ShouldRouteToThatModalitysDetector(Modality modality)
    {
        var response = await Host.InvokeAsync(Invocation(Routes.DetectorFor(modality).Primary.Endpoint, InferenceTask.Detect, modality));

        var body = Parse(response);
        Assert.Equal(ReferenceAbnormalityDetector.ModelFor(modality), body.Model);
        Assert.Equal((200, 180), (body.InputWidth, body.InputHeight));
    }

    [Fact]
    public async Task InvokeAsync_WhenEndpointAsksForAnotherJob_ShouldRefuse()
    {
        var ex = await Assert.ThrowsAsync<ModelOutputInvalidException>(() =>
            Host.InvokeAsync(Invocation(Routes.Ct.Primary.Endpoint, InferenceTask.Detect, Modality.Mri)));

        Assert.Contains("model.wrong_endpoint", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenEndpointsAreRenamed_ShouldServeTheConfiguredNames()
    {
        var routes = new ModelRoutingOptions
        {
            Classifier = new ModelRoute { Primary = new ModelTarget("clf") },
            Ct = new ModelRoute { Primary = new ModelTarget("ct-v2"), Fallback = new ModelTarget("ct-v1") },
        };
        var host = new InProcessModelHost(routes, new ReferenceModelHost());

        var v2 = Parse(await host.InvokeAsync(Invocation("ct-v2", InferenceTask.Detect, Modality.Ct)));
        var v1 = Parse(await host.InvokeAsync(Invocation("ct-v1", InferenceTask.Detect, Modality.Ct)));

        Assert.Equal("reference-detector-ct", v2.Model.Name);
        Assert.Equal(v2.Findings, v1.Findings);
        await Assert.ThrowsAsync<ModelUnavailableException>(() => host.InvokeAsync(Invocation(new ModelRoutingOptions().Classifier.Primary.Endpoint, InferenceTask.Classify)));
    }

    [Fact]
    public async Task InvokeAsync_WhenEndpointUnknown_ShouldThrowModelUnavailable()
    {
        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => Host.InvokeAsync(Invocation("no-such-model", InferenceTask.Classify)));

        Assert.Contains("no-such-model", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("text/plain")]
    [InlineData("")]
    public async Task InvokeAsync_WhenContentTypeIsNotJson_ShouldRefuse(string contentType)
    {
        var ex = await Assert.ThrowsAsync<ModelOutputInvalidException>(() =>
            Host.InvokeAsync(Invocation(Routes.Classifier.Primary.Endpoint, InferenceTask.Classify, contentType: contentType)));

        Assert.Contains(InferenceContract.ContentType, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenContentTypeHasParametersOrOtherCase_ShouldAccept()
    {
        var response = await Host.InvokeAsync(Invocation(Routes.Classifier.Primary.Endpoint, InferenceTask.Classify, contentType: "Application/JSON; charset=utf-8"));

        Assert.Equal(InferenceContract.ContentType, response.ContentType);
    }

    [Fact]
    public async Task InvokeAsync_WhenImageIsNotAPngOrNotTheDeclaredSize_ShouldRefuseWithTheReason()
    {
        var good = Invocation(Routes.Ct.Primary.Endpoint, InferenceTask.Detect, Modality.Ct);
        var request = JsonSerializer.Deserialize(good.Body.Span, MedVisionJsonContext.Default.ModelRequest)!;
        async Task<string> Refusal(ModelRequest r) => (await Assert.ThrowsAsync<ModelOutputInvalidException>(() => Host.InvokeAsync(
            good with { Body = JsonSerializer.SerializeToUtf8Bytes(r, MedVisionJsonContext.Default.ModelRequest) }))).Message;

        var notPng = await Refusal(request with { Image = request.Image with { Data = "hello"u8.ToArray() } });
        var cut = await Refusal(request with { Image = request.Image with { Data = request.Image.Data![..(request.Image.Data!.Length / 2)] } });
        var wrongSize = await Refusal(request with { Image = request.Image with { Width = 10 } });
        var noImage = await Refusal(request with { Image = request.Image with { Data = null } });

        Assert.Contains("model.bad_image", notPng, StringComparison.Ordinal);
        Assert.Contains("model.bad_image", cut, StringComparison.Ordinal);
        Assert.Contains("10×180", wrongSize, StringComparison.Ordinal);
        Assert.Contains("data or s3_uri", noImage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenBodyIsNotARequest_ShouldRefuse()
    {
        var ex = await Assert.ThrowsAsync<ModelOutputInvalidException>(() => Host.InvokeAsync(
            new EndpointInvocation(Routes.Classifier.Primary.Endpoint, null, InferenceContract.ContentType, "{\"task\":\"paint\"}"u8.ToArray())));

        Assert.Contains("model.bad_request", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenImageComesByS3Uri_ShouldFetchIt()
    {
        var png = PngEncoder.Encode(Ct);
        var host = new InProcessModelHost(Routes, new ReferenceModelHost(
            new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector(),
            (uri, _) => Task.FromResult(uri == "s3://bucket/in.png" ? png : null)));
        var inline = Invocation(Routes.Classifier.Primary.Endpoint, InferenceTask.Classify);
        var request = JsonSerializer.Deserialize(inline.Body.Span, MedVisionJsonContext.Default.ModelRequest)!;
        byte[] ByUri(string uri) => JsonSerializer.SerializeToUtf8Bytes(
            request with { Image = request.Image with { Data = null, S3Uri = uri } }, MedVisionJsonContext.Default.ModelRequest);

        var byUri = Parse(await host.InvokeAsync(inline with { Body = ByUri("s3://bucket/in.png") }));
        var missing = await Assert.ThrowsAsync<ModelOutputInvalidException>(() => host.InvokeAsync(inline with { Body = ByUri("s3://bucket/missing.png") }));

        Assert.Equal(Parse(await host.InvokeAsync(inline)).ModalityScores, byUri.ModalityScores);
        Assert.Contains("model.input_not_found", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenCancelled_ShouldThrowOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Host.InvokeAsync(Invocation(Routes.Classifier.Primary.Endpoint, InferenceTask.Classify), cts.Token));
    }

    [Fact]
    public async Task InvokeAsync_WhenSameInputTwice_ShouldAnswerByteIdenticalJson()
    {
        var xray = SyntheticStudies.ChestXray(21);

        foreach (var (endpoint, task, modality) in new[]
        {
            (Routes.Classifier.Primary.Endpoint, InferenceTask.Classify, (Modality?)null),
            (Routes.XRay.Primary.Endpoint, InferenceTask.Detect, Modality.XRay),
            (Routes.Ultrasound.Primary.Endpoint, InferenceTask.Detect, Modality.Ultrasound),
        })
        {
            var first = await Host.InvokeAsync(Invocation(endpoint, task, modality, xray));
            var second = await Host.InvokeAsync(Invocation(endpoint, task, modality, xray));
            Assert.Equal(first.Body, second.Body);
        }
    }

    [Fact]
    public void Constructor_WhenTwoJobsShareAnEndpointName_ShouldThrow()
    {
        var routes = new ModelRoutingOptions
        {
            Mri = new ModelRoute { Primary = new ModelTarget("same") },
            Ct = new ModelRoute { Primary = new ModelTarget("same") },
        };

        Assert.Throws<ArgumentException>(() => new InProcessModelHost(routes, new ReferenceModelHost()));
    }

    [Fact]
    public void EndpointNames_WhenDefault_ShouldListTheClassifierAndFourDetectors()
    {
        Assert.Equal(
            Routes.AllRoutes().Select(r => r.Route.Primary.Endpoint).Order(),
            Host.EndpointNames.Order());
    }
}
