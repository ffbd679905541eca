using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Amazon.SQS;
using MedVision.Asl;
using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Local.Workflow;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests.Clients;

/// <summary>
/// One contract for every <see cref="IWorkflow"/>: LocalWorkflow and StepFunctionsWorkflow (against moto_server's
/// execution engine) run a one-state machine that parks on a <c>.waitForTaskToken</c> task and hands out
/// <c>{"token": …, "input": …}</c>; the tests start it, answer the token and read the outcome.
/// </summary>
public abstract class WorkflowContract : IAsyncLifetime
{
    protected IWorkflow Workflow { get; set; } = null!;

    /// <summary>False when the adapter's stand-in is missing (the test then passes as skipped, with a note).</summary>
    protected abstract Task<bool> ReadyAsync();

    /// <summary>The task token the execution for <paramref name="imageId"/> parked on.</summary>
    protected abstract Task<string> TokenAsync(string imageId);

    /// <summary>The execution's end: status (SUCCEEDED or FAILED), output and error, waiting while it runs.</summary>
    protected abstract Task<(string Status, JsonNode? Output, string? Error)> OutcomeAsync(string executionName);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static string NewName() => "img-" + Guid.NewGuid().ToString("N")[..12];

    protected static string Input(string imageId) => $$"""{"image_id":"{{imageId}}"}""";

    [Fact]
    public async Task StartAsync_WhenRepeatedWithTheSameInput_ShouldReturnTheSameExecution()
    {
        if (!await ReadyAsync())
        {
            return;
        }

        var name = NewName();
        var first = await Workflow.StartAsync(name, Input(name));
        var again = await Workflow.StartAsync(name, Input(name));

        Assert.Equal(first, again);
        Assert.EndsWith(":" + name, first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WhenRepeatedWithADifferentInput_ShouldThrowConflict()
    {
        if (!await ReadyAsync())
        {
            return;
        }

        var name = NewName();
        await Workflow.StartAsync(name, Input(name));

        var ex = await Assert.ThrowsAsync<ConflictException>(() => Workflow.StartAsync(name, Input("someone-else")));

        Assert.Equal("workflow.execution_exists", ex.Code);
    }

    [Fact]
    public async Task SendTaskSuccessAsync_WhenTheTaskWaits_ShouldCompleteTheExecutionWithTheOutputAndStartStaysIdempotent()
    {
        if (!await ReadyAsync())
        {
            return;
        }

        var name = NewName();
        var arn = await Workflow.StartAsync(name, Input(name));
        var token = await TokenAsync(name);

        await Workflow.SendTaskSuccessAsync(token, """{"modality":"ct","confidence":0.9}""");
        var (status, output, _) = await OutcomeAsync(name);

        Assert.Equal("SUCCEEDED", status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"modality":"ct","confidence":0.9}"""), output), output?.ToJsonString());

        // A retried upload after the execution closed still gets the same execution, not a second run.
        Assert.Equal(arn, await Workflow.StartAsync(name, Input(name)));
    }

    [Fact]
    public async Task SendTaskFailureAsync_WhenTheTaskWaits_ShouldFailTheExecutionWithTheError()
    {
        if (!await ReadyAsync())
        {
            return;
        }

        var name = NewName();
        await Workflow.StartAsync(name, Input(name));
        var token = await TokenAsync(name);

        await Workflow.SendTaskFailureAsync(token, "Review.Rejected", "not a medical image");
        var (status, _, error) = await OutcomeAsync(name);

        Assert.Equal("FAILED", status);
        Assert.Equal("Review.Rejected", error);
    }

    [Fact]
    public async Task SendTaskSuccessAsync_WhenTheTokenIsUnknown_ShouldThrowNotFound()
    {
        if (!await ReadyAsync())
        {
            return;
        }

        var success = await Assert.ThrowsAsync<NotFoundException>(() => Workflow.SendTaskSuccessAsync(Guid.NewGuid().ToString(), "{}"));
        var failure = await Assert.ThrowsAsync<NotFoundException>(() => Workflow.SendTaskFailureAsync(Guid.NewGuid().ToString(), "E", null));

        Assert.Equal("workflow.task_token_not_found", success.Code);
        Assert.Equal("workflow.task_token_not_found", failure.Code);
    }
}

public sealed class LocalWorkflowContractTests : WorkflowContract, IDisposable
{
    private const string Definition = """
        {"StartAt":"Review","States":{"Review":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
          "Parameters":{"FunctionName":"review","Payload":{"token.$":"$$.Task.Token","input.$":"$"}},"End":true}}}
        """;

    private readonly TempDirectory dir = new();
    private readonly Parked parked = new();
    private LocalWorkflow? local;

    /// <summary>Plays the task's queue: keeps each parked execution's token by image id.</summary>
    private sealed class Parked : ITaskInvoker
    {
        public ConcurrentDictionary<string, TaskCompletionSource<string>> Tokens { get; } = new();

        public TaskCompletionSource<string> For(string imageId) => Tokens.GetOrAdd(imageId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

        public Task<JsonNode?> InvokeAsync(string resource, JsonNode? input, CancellationToken cancellationToken)
        {
            For((string)input!["input"]!["image_id"]!).TrySetResult((string)input["token"]!);
            return Task.FromResult<JsonNode?>(null);
        }
    }

    protected override Task<bool> ReadyAsync()
    {
        local ??= new LocalWorkflow(StateMachineDefinition.Parse(Definition), parked, TimeProvider.System, dir.File("workflow.db"));
        Workflow = local;
        return Task.FromResult(true);
    }

    protected override Task<string> TokenAsync(string imageId) => parked.For(imageId).Task.WaitAsync(TimeSpan.FromSeconds(30));

    protected override async Task<(string Status, JsonNode? Output, string? Error)> OutcomeAsync(string executionName)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var result = await local!.WaitAsync(executionName).WaitAsync(TimeSpan.FromSeconds(30));
            if (result.Status != ExecutionStatus.WaitingForCallback || DateTime.UtcNow > deadline)
            {
                return (result.Status.ToString().ToUpperInvariant(), result.Output, result.Error);
            }

            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        local?.Dispose();
        dir.Dispose();
    }
}

/// <summary>
/// StepFunctionsWorkflow against moto_server's execution engine. moto runs one execution per server, so every test
/// (a new instance in xunit) starts a server of its own with the engine on, and a state machine and queue in it.
/// </summary>
public sealed class StepFunctionsWorkflowContractTests(ITestOutputHelper output) : WorkflowContract
{
    private readonly ConcurrentDictionary<string, string> tokens = new();
    private MotoServer? moto;
    private StepFunctionsWorkflow? workflow;
    private HttpClient? http;
    private AmazonSQSClient? sqs;
    private string queueUrl = "";

    protected override async Task<bool> ReadyAsync()
    {
        if (!MotoServer.Available(output.WriteLine))
        {
            return false;
        }

        if (workflow is null)
        {
            moto = await MotoServer.StartAsync();
            await moto.EnableStepFunctionsExecutionAsync();
            sqs = ClientMotoFixture.Sqs(moto);
            (queueUrl, _) = await ClientMotoFixture.CreateQueueAsync(sqs, "tokens");
            var stateMachineArn = await StepFunctionsMoto.CreateTokenStateMachineAsync(moto, queueUrl);
            http = ClientMotoFixture.Signed(StepFunctionsWorkflow.Service);
            workflow = new StepFunctionsWorkflow(http, new StepFunctionsOptions(MotoServer.Region, stateMachineArn) { Endpoint = moto.Endpoint });
            Workflow = workflow;
        }

        return true;
    }

    protected override async Task<string> TokenAsync(string imageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!tokens.ContainsKey(imageId) && DateTime.UtcNow < deadline)
        {
            var body = JsonNode.Parse(await ClientMotoFixture.ReceiveAsync(sqs!, queueUrl))!;
            tokens[(string)body["input"]!["image_id"]!] = (string)body["token"]!;
        }

        return tokens[imageId];
    }

    protected override async Task<(string Status, JsonNode? Output, string? Error)> OutcomeAsync(string executionName)
    {
        var execution = await StepFunctionsMoto.WaitClosedAsync(workflow!, workflow!.ExecutionArn(executionName));
        return (execution.Status, execution.Output is { } o ? JsonNode.Parse(o) : null, execution.Error);
    }

    public override Task DisposeAsync()
    {
        http?.Dispose();
        sqs?.Dispose();
        moto?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>What the Step Functions tests set up in moto that the adapter itself never does.</summary>
internal static class StepFunctionsMoto
{
    /// <summary>A state machine whose one task sends {"token","input"} to the queue and waits for the answer.</summary>
    public static async Task<string> CreateTokenStateMachineAsync(MotoServer moto, string queueUrl)
    {
        var definition = new JsonObject
        {
            ["StartAt"] = "Review",
            ["States"] = new JsonObject
            {
                ["Review"] = new JsonObject
                {
                    ["Type"] = "Task",
                    ["Resource"] = "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    ["Parameters"] = new JsonObject
                    {
                        ["QueueUrl"] = queueUrl,
                        ["MessageBody"] = new JsonObject { ["token.$"] = "$$.Task.Token", ["input.$"] = "$" },
                    },
                    ["End"] = true,
                },
            },
        };
        var created = await ClientMotoFixture.CallAsync(moto, StepFunctionsWorkflow.Service, AwsJsonProtocol.Json10, "AWSStepFunctions.CreateStateMachine", new JsonObject
        {
            ["name"] = "review-" + Guid.NewGuid().ToString("N")[..12],
            ["definition"] = definition.ToJsonString(),
            ["roleArn"] = "arn:aws:iam::123456789012:role/medvision-test",
        });
        return (string)created!["stateMachineArn"]!;
    }

    /// <summary>DescribeExecution until the execution is no longer RUNNING (bounded, not a timing assertion).</summary>
    public static async Task<StepFunctionsExecution> WaitClosedAsync(StepFunctionsWorkflow workflow, string executionArn)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var execution = await workflow.DescribeExecutionAsync(executionArn);
            if (execution.Status != "RUNNING" || DateTime.UtcNow > deadline)
            {
                return execution;
            }

            await Task.Delay(100);
        }
    }
}
