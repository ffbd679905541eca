using System.Text;
using System.Text.Json;
using MedVision.Core;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Imaging;
using MedVision.ModelServer;
using MedVision.Models;
using Microsoft.AspNetCore.Builder;

namespace MedVision.Aws.Tests.Clients;

/// <summary>
/// One contract for every <see cref="IInferenceEndpoint"/> that runs the reference models: the in-process host and
/// SageMakerRuntimeEndpoint (signed, over loopback HTTP) in front of the model server answer the same way.
/// </summary>
public abstract class InferenceEndpointContract : IAsyncLifetime
{
    public static readonly string Classifier = new ModelRoutingOptions().Classifier.Primary.Endpoint;

    protected IInferenceEndpoint Endpoint { get; set; } = null!;

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    /// <summary>A classify request for a small flat gray image, as the pipeline would send it.</summary>
    public static byte[] ClassifyRequest(string requestId)
    {
        var raster = new Raster(64, 48, ColorModel.Gray, 8);
        Array.Fill(raster.Data, (byte)90);
        var request = new ModelRequest
        {
            RequestId = requestId,
            Task = InferenceTask.Classify,
            Image = new ModelImage { Width = 64, Height = 48, Data = PngEncoder.Encode(raster) },
            OriginalWidth = 64,
            OriginalHeight = 48,
        };
        return JsonSerializer.SerializeToUtf8Bytes(request, MedVisionJsonContext.Default.ModelRequest);
    }

    [Fact]
    public async Task InvokeAsync_WhenAValidClassifyRequest_ShouldAnswerTheContractsJsonForTheTargetVariant()
    {
        var response = await Endpoint.InvokeAsync(new EndpointInvocation(Classifier, "primary", InferenceContract.ContentType, ClassifyRequest("img-contract-1")));

        Assert.True(InferenceContract.IsJsonMediaType(response.ContentType), response.ContentType);
        Assert.Equal("primary", response.InvokedVariant);
        var answer = JsonSerializer.Deserialize(response.Body, MedVisionJsonContext.Default.ModelResponse)!;
        Assert.Equal(InferenceTask.Classify, answer.Task);
        Assert.NotEmpty(answer.ModalityScores!);
    }

    [Fact]
    public async Task InvokeAsync_WhenTheContentTypeIsNotJson_ShouldThrowModelOutputInvalid()
    {
        await Assert.ThrowsAsync<ModelOutputInvalidException>(() =>
            Endpoint.InvokeAsync(new EndpointInvocation(Classifier, null, "text/plain", ClassifyRequest("img-contract-2"))));
    }

    [Fact]
    public async Task InvokeAsync_WhenTheBodyIsNotAModelRequest_ShouldThrowModelOutputInvalid()
    {
        await Assert.ThrowsAsync<ModelOutputInvalidException>(() =>
            Endpoint.InvokeAsync(new EndpointInvocation(Classifier, null, InferenceContract.ContentType, Encoding.UTF8.GetBytes("""{"request_id":"img-contract-3"}"""))));
    }
}

public sealed class InProcessModelHostContractTests : InferenceEndpointContract
{
    public override Task InitializeAsync()
    {
        Endpoint = new InProcessModelHost();
        return Task.CompletedTask;
    }

    public override Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>The model server in this process on a loopback port (how tests/MedVision.ModelServer.Tests starts it).</summary>
public sealed class ModelServerHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly string objectRoot;

    private ModelServerHost(WebApplication app, string objectRoot, Uri address)
    {
        this.app = app;
        this.objectRoot = objectRoot;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ModelServerHost> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("medvision-aws-ms-").FullName;
        var app = ModelServerApp.Build(new ModelServerOptions { Port = 0, ObjectRoot = root }, TextWriter.Null);
        await app.StartAsync();
        return new ModelServerHost(app, root, ModelServerApp.ListeningUri(app));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Directory.Delete(objectRoot, recursive: true);
    }
}

public sealed class SageMakerRuntimeModelServerContractTests : InferenceEndpointContract
{
    private ModelServerHost? server;
    private HttpClient? http;

    public override async Task InitializeAsync()
    {
        server = await ModelServerHost.StartAsync();
        http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);
        Endpoint = new SageMakerRuntimeEndpoint(http, new SageMakerRuntimeOptions("us-east-1") { Endpoint = server.Address });
    }

    public override async Task DisposeAsync()
    {
        http?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
