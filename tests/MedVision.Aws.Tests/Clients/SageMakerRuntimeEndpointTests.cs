using System.Text;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Inference;
using MedVision.Core.Ports;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests.Clients;

/// <summary>SageMakerRuntimeEndpoint against moto_server's SageMaker Runtime, and its faults behind FaultyStandIn.</summary>
public sealed class SageMakerRuntimeEndpointTests(ClientMotoFixture moto, ITestOutputHelper output) : IClassFixture<ClientMotoFixture>, IAsyncLifetime
{
    private static readonly EndpointInvocation Invocation =
        new(InferenceEndpointContract.Classifier, "primary", InferenceContract.ContentType, InferenceEndpointContract.ClassifyRequest("img-sm-1"));

    private ModelServerHost? server;
    private FaultyStandIn? proxy;

    public async Task InitializeAsync()
    {
        server = await ModelServerHost.StartAsync();
        proxy = await FaultyStandIn.StartAsync(server.Address);
    }

    public async Task DisposeAsync()
    {
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }

        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    private static SageMakerRuntimeEndpoint Endpoint(HttpClient http, Uri address, TimeSpan? timeout = null) =>
        new(http, new SageMakerRuntimeOptions(MotoServer.Region) { Endpoint = address, Timeout = timeout ?? InferenceContract.InvocationBudget });

    [Fact]
    public void Options_WhenNoEndpointGiven_ShouldUseTheRegionalRuntimeHost()
    {
        Assert.Equal(new Uri("https://runtime.sagemaker.eu-west-1.amazonaws.com/"), new SageMakerRuntimeOptions("eu-west-1").EndpointUri);
    }

    [Fact]
    public async Task InvokeAsync_WhenMotoHasAConfiguredResult_ShouldReturnItsBodyContentTypeAndVariant()
    {
        if (moto.Require(output) is not { } server)
        {
            return;
        }

        await server.PostMotoApiAsync("moto-api/static/sagemaker/endpoint-results", new JsonObject
        {
            ["region"] = MotoServer.Region,
            ["results"] = new JsonArray(new JsonObject
            {
                ["Body"] = """{"contract_version":"1.0","score":0.25}""",
                ["ContentType"] = "application/json",
                ["InvokedProductionVariant"] = "variant-b",
            }),
        }.ToJsonString());
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);

        var response = await Endpoint(http, server.Endpoint).InvokeAsync(
            new EndpointInvocation("moto-endpoint", "variant-b", InferenceContract.ContentType, """{"request_id":"img-moto-1"}"""u8.ToArray()));

        Assert.Equal("""{"contract_version":"1.0","score":0.25}""", Encoding.UTF8.GetString(response.Body));
        Assert.Equal("application/json", response.ContentType);
        Assert.Equal("variant-b", response.InvokedVariant);
    }

    [Fact]
    public async Task InvokeAsync_WhenTheBodyIsOverTheRequestLimit_ShouldRefuseBeforeSending()
    {
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);
        var endpoint = new SageMakerRuntimeEndpoint(http, new SageMakerRuntimeOptions(MotoServer.Region) { Endpoint = proxy!.Address, MaxRequestBytes = 1000 });

        var ex = await Assert.ThrowsAsync<ValidationException>(() => endpoint.InvokeAsync(Invocation with { Body = new byte[1001] }));

        Assert.Equal("model.request_too_large", ex.Code);
        Assert.Empty(proxy.Requests);
    }

    [Fact]
    public async Task InvokeAsync_WhenTheAnswerIsOverTheResponseLimit_ShouldThrowModelOutputInvalid()
    {
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);
        var endpoint = new SageMakerRuntimeEndpoint(http, new SageMakerRuntimeOptions(MotoServer.Region) { Endpoint = proxy!.Address, MaxResponseBytes = 100 });

        var ex = await Assert.ThrowsAsync<ModelOutputInvalidException>(() => endpoint.InvokeAsync(Invocation));

        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>SageMaker's own error answers (REST-JSON: the type in x-amzn-ErrorType, the message in the body).</summary>
    [Theory]
    [InlineData(429, "ThrottlingException", typeof(ModelUnavailableException))]
    [InlineData(400, "ThrottlingException", typeof(ModelUnavailableException))]
    [InlineData(429, "ModelNotReadyException", typeof(ModelUnavailableException))]
    [InlineData(424, "ModelError", typeof(ModelUnavailableException))]
    [InlineData(500, "InternalFailure", typeof(ModelUnavailableException))]
    [InlineData(503, "ServiceUnavailable", typeof(ModelUnavailableException))]
    [InlineData(400, "ValidationError", typeof(ModelOutputInvalidException))]
    public async Task InvokeAsync_WhenSageMakerAnswersAnError_ShouldSendOnceAndThrowThePortsException(int status, string type, Type expected)
    {
        proxy!.Next(Fault.Answer(status, "application/json", $$"""{"message":"{{type}} for the test"}""", new Dictionary<string, string> { ["x-amzn-ErrorType"] = type }));
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);

        var ex = await Assert.ThrowsAnyAsync<MedVisionException>(() => Endpoint(http, proxy.Address).InvokeAsync(Invocation));

        Assert.IsType(expected, ex);
        Assert.Contains(type, ex.Message, StringComparison.Ordinal);
        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task InvokeAsync_WhenNoAnswerWithinTheBudget_ShouldSendOnceAndThrowModelUnavailable()
    {
        proxy!.Next(Fault.Delay(TimeSpan.FromSeconds(20)));
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);

        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => Endpoint(http, proxy.Address, TimeSpan.FromMilliseconds(300)).InvokeAsync(Invocation));

        Assert.Contains("no answer within", ex.Message, StringComparison.Ordinal);
        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task InvokeAsync_WhenTheConnectionDrops_ShouldSendOnceAndThrowModelUnavailable()
    {
        proxy!.Next(Fault.Drop());
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);

        await Assert.ThrowsAsync<ModelUnavailableException>(() => Endpoint(http, proxy.Address).InvokeAsync(Invocation));

        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task InvokeAsync_WhenTheCallerCancels_ShouldStayACancellation()
    {
        proxy!.Next(Fault.Delay(TimeSpan.FromSeconds(20)));
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Endpoint(http, proxy.Address).InvokeAsync(Invocation, cancel.Token));
    }

    [Fact]
    public async Task InvokeAsync_WhenBehindTheProxyWithNoFault_ShouldReachTheModelServerSigned()
    {
        using var http = ClientMotoFixture.Signed(SageMakerRuntimeEndpoint.Service);

        var response = await Endpoint(http, proxy!.Address).InvokeAsync(Invocation);

        Assert.Equal("primary", response.InvokedVariant);
        Assert.Equal([$"POST /endpoints/{InferenceEndpointContract.Classifier}/invocations"], proxy.Requests);
    }
}
