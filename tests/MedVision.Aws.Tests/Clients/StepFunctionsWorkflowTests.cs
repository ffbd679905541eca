using MedVision.Core;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests.Clients;

/// <summary>StepFunctionsWorkflow's faults behind FaultyStandIn in front of moto_server (engine off: no execution runs).</summary>
public sealed class StepFunctionsWorkflowTests(ClientMotoFixture moto, ITestOutputHelper output) : IClassFixture<ClientMotoFixture>
{
    private const string StateMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:medvision-analysis-pipeline";

    [Fact]
    public void Options_WhenNoEndpointGiven_ShouldUseTheRegionalStatesHost()
    {
        Assert.Equal(new Uri("https://states.eu-west-1.amazonaws.com/"), new StepFunctionsOptions("eu-west-1", StateMachineArn).EndpointUri);
    }

    [Fact]
    public void ExecutionArn_WhenNamed_ShouldBeTheStateMachinesExecutionArn()
    {
        using var http = new HttpClient();
        var workflow = new StepFunctionsWorkflow(http, new StepFunctionsOptions("us-east-1", StateMachineArn));

        Assert.Equal("arn:aws:states:us-east-1:123456789012:execution:medvision-analysis-pipeline:img-1", workflow.ExecutionArn("img-1"));
    }

    public static TheoryData<string, Type> Faults => new()
    {
        { "throttled", typeof(StorageUnavailableException) },
        { "500", typeof(StorageUnavailableException) },
        { "timeout", typeof(StorageUnavailableException) },
        { "dropped", typeof(StorageUnavailableException) },
        { "InvalidToken", typeof(NotFoundException) },
        { "TaskTimedOut", typeof(ConflictException) },
        { "TaskDoesNotExist", typeof(ConflictException) },
    };

    /// <summary>Each fault once: exactly one request reaches the proxy (no retry here), and the port's exception comes out.</summary>
    [Theory]
    [MemberData(nameof(Faults))]
    public async Task SendTaskSuccessAsync_WhenStepFunctionsFails_ShouldSendOnceAndThrowThePortsException(string fault, Type expected)
    {
        if (moto.Require(output) is not { } server)
        {
            return;
        }

        await using var proxy = await FaultyStandIn.StartAsync(server.Endpoint);
        proxy.Next(FaultFor(fault));
        using var http = ClientMotoFixture.Signed(StepFunctionsWorkflow.Service, TimeSpan.FromMilliseconds(fault == "timeout" ? 300 : 30_000));
        var workflow = new StepFunctionsWorkflow(http, new StepFunctionsOptions(MotoServer.Region, StateMachineArn) { Endpoint = proxy.Address });

        var ex = await Assert.ThrowsAnyAsync<MedVisionException>(() => workflow.SendTaskSuccessAsync("token-1", "{}"));

        Assert.IsType(expected, ex);
        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task StartAsync_WhenThrottled_ShouldSendOnceAndThrowStorageUnavailable()
    {
        if (moto.Require(output) is not { } server)
        {
            return;
        }

        await using var proxy = await FaultyStandIn.StartAsync(server.Endpoint);
        proxy.Next(FaultFor("throttled"));
        using var http = ClientMotoFixture.Signed(StepFunctionsWorkflow.Service);
        var workflow = new StepFunctionsWorkflow(http, new StepFunctionsOptions(MotoServer.Region, StateMachineArn) { Endpoint = proxy.Address });

        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(() => workflow.StartAsync("img-throttled", "{}"));

        Assert.Contains("ThrottlingException", ex.Message, StringComparison.Ordinal);
        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task DescribeExecutionAsync_WhenTheExecutionDoesNotExist_ShouldThrowNotFound()
    {
        if (moto.Require(output) is not { } server)
        {
            return;
        }

        using var http = ClientMotoFixture.Signed(StepFunctionsWorkflow.Service);
        var arn = await StepFunctionsMoto.CreateTokenStateMachineAsync(server, "http://127.0.0.1:1/000000000000/unused");
        var workflow = new StepFunctionsWorkflow(http, new StepFunctionsOptions(MotoServer.Region, arn) { Endpoint = server.Endpoint });

        await Assert.ThrowsAsync<NotFoundException>(() => workflow.DescribeExecutionAsync(workflow.ExecutionArn("img-never-started")));
    }

    /// <summary>Step Functions' JSON 1.0 error shape: 400 with <c>__type</c> for its own errors, a bare 500 for a fault.</summary>
    private static Fault FaultFor(string fault) => fault switch
    {
        "throttled" => Fault.Answer(400, "application/x-amz-json-1.0", """{"__type":"com.amazonaws.swf.base.model#ThrottlingException","message":"Rate exceeded"}"""),
        "500" => Fault.Answer(500, "application/x-amz-json-1.0", """{"__type":"InternalFailure","message":"internal error"}"""),
        "timeout" => Fault.Delay(TimeSpan.FromSeconds(20)),
        "dropped" => Fault.Drop(),
        _ => Fault.Answer(400, "application/x-amz-json-1.0", $$"""{"__type":"{{fault}}","message":"{{fault}} for the test"}"""),
    };
}
