using System.Text;
using System.Text.Json;
using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Imaging;

namespace MedVision.Models.Tests;

public class InProcessModelHostTests
{
    private static readonly ModelEndpoints Endpoints = new();
    private static readonly InProcessModelHost Host = new(Endpoints, new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector());
    private static readonly byte[] CtPng = PngEncoder.Encode(SyntheticStudies.AbdomenCt(2, 200, 180));

    [Fact]
    public async Task InvokeAsync_WhenClassifierEndpoint_ShouldAnswerClassifierJson()
    {
        var response = await Host.InvokeAsync(Endpoints.Classifier, InferenceContract.RequestContentType, CtPng);

        Assert.Equal(InferenceContract.ResponseContentType, response.ContentType);
        var body = JsonSerializer.Deserialize(response.Body, MedVisionJsonContext.Default.ClassifierResponse)!;
        Assert.Equal(ReferenceModalityClassifier.ModelVersion, body.ModelVersion);
        Assert.Equal("ct", body.Scores.MaxBy(kv => kv.Value).Key);
    }

    /// <summary>Property 8: each modality's endpoint is served by the detector for that modality.</summary>
    [Theory]
    [InlineData(Modality.XRay)]
    [InlineData(Modality.Mri)]
    [InlineData(Modality.Ct)]
    [InlineData(Modality.Ultrasound)]
    public async Task InvokeAsync_WhenDetectorEndpoint_ShouldRouteToThatModalitysDetector(Modality modality)
    {
        var response = await Host.InvokeAsync(Endpoints.DetectorFor(modality), "image/png", CtPng);

        var body = JsonSerializer.Deserialize(response.Body, MedVisionJsonContext.Default.DetectorResponse)!;
        Assert.Equal(ReferenceAbnormalityDetector.ModelVersionFor(modality), body.ModelVersion);
        Assert.EndsWith("-" + modality.WireName(), body.ModelVersion, StringComparison.Ordinal);
        Assert.Equal((200, 180), (body.ImageWidth, body.ImageHeight));
    }

    [Fact]
    public async Task InvokeAsync_WhenEndpointsAreRenamed_ShouldServeTheConfiguredNames()
    {
        var endpoints = new ModelEndpoints { Classifier = "clf", Ct = "ct-v2" };
        var host = new InProcessModelHost(endpoints, new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector());

        var response = await host.InvokeAsync("ct-v2", "image/png", CtPng);

        Assert.Contains("reference-detector-1.0-ct", Encoding.UTF8.GetString(response.Body), StringComparison.Ordinal);
        await Assert.ThrowsAsync<ModelUnavailableException>(() => host.InvokeAsync(new ModelEndpoints().Classifier, "image/png", CtPng));
    }

    [Fact]
    public async Task InvokeAsync_WhenEndpointUnknown_ShouldThrowModelUnavailable()
    {
        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => Host.InvokeAsync("no-such-model", "image/png", CtPng));

        Assert.Contains("no-such-model", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("image/jpeg")]
    [InlineData("application/json")]
    [InlineData("")]
    public async Task InvokeAsync_WhenContentTypeIsNotPng_ShouldThrowValidation(string contentType)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() => Host.InvokeAsync(Endpoints.Classifier, contentType, CtPng));

        Assert.Equal("model.bad_content_type", ex.Code);
    }

    [Fact]
    public async Task InvokeAsync_WhenContentTypeHasParametersOrOtherCase_ShouldAccept()
    {
        var response = await Host.InvokeAsync(Endpoints.Classifier, "Image/PNG; name=x.png", CtPng);

        Assert.Equal(InferenceContract.ResponseContentType, response.ContentType);
    }

    [Fact]
    public async Task InvokeAsync_WhenBodyIsNotAPng_ShouldThrowValidation()
    {
        var truncated = CtPng.AsMemory(0, CtPng.Length / 2);

        var notPng = await Assert.ThrowsAsync<ValidationException>(() => Host.InvokeAsync(Endpoints.Classifier, "image/png", "hello"u8.ToArray()));
        var cut = await Assert.ThrowsAsync<ValidationException>(() => Host.InvokeAsync(Endpoints.Ct, "image/png", truncated));

        Assert.Equal("model.bad_image", notPng.Code);
        Assert.Equal("model.bad_image", cut.Code);
    }

    [Fact]
    public async Task InvokeAsync_WhenCancelled_ShouldThrowOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Host.InvokeAsync(Endpoints.Classifier, "image/png", CtPng, cts.Token));
    }

    [Fact]
    public async Task InvokeAsync_WhenSameInputTwice_ShouldAnswerByteIdenticalJson()
    {
        var png = PngEncoder.Encode(SyntheticStudies.ChestXray(21));

        foreach (var endpoint in new[] { Endpoints.Classifier, Endpoints.XRay, Endpoints.Ultrasound })
        {
            var first = await Host.InvokeAsync(endpoint, "image/png", png);
            var second = await Host.InvokeAsync(endpoint, "image/png", png);
            Assert.Equal(first.Body, second.Body);
        }
    }

    [Fact]
    public void Constructor_WhenTwoModelsShareAnEndpointName_ShouldThrow()
    {
        var endpoints = new ModelEndpoints { Mri = "same", Ct = "same" };

        Assert.Throws<ArgumentException>(() => new InProcessModelHost(endpoints, new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector()));
    }

    [Fact]
    public void EndpointNames_WhenDefault_ShouldListTheClassifierAndFourDetectors()
    {
        Assert.Equal(
            new[] { Endpoints.Classifier, Endpoints.XRay, Endpoints.Mri, Endpoints.Ct, Endpoints.Ultrasound }.Order(),
            Host.EndpointNames.Order());
    }
}
