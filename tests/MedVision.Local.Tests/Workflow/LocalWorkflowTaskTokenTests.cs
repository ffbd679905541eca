using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MedVision.Asl;
using MedVision.Core;
using MedVision.Local.Tests.Twins;
using MedVision.Local.Workflow;

namespace MedVision.Local.Tests.Workflow;

public sealed class LocalWorkflowTaskTokenTests : IDisposable
{
    private const string Definition = """
        {"StartAt":"Review","States":{
          "Review":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters":{"FunctionName":"review","Payload":{"id.$":"$.id","token.$":"$$.Task.Token"}},
            "ResultSelector":{"modality.$":"$.modality"},"ResultPath":"$.review","TimeoutSeconds":604800,
            "Catch":[{"ErrorEquals":["Review.Rejected"],"ResultPath":"$.error","Next":"Rejected"}],"Next":"Analyze"},
          "Analyze":{"Type":"Task","Resource":"analyze","ResultPath":"$.analysis","End":true},
          "Rejected":{"Type":"Pass","End":true}}}
        """;

    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>Records calls; "analyze" echoes the modality it was given, "review" answers nothing useful.</summary>
    private sealed class Functions : ITaskInvoker
    {
        public ConcurrentQueue<(string Resource, JsonNode? Input)> Calls { get; } = new();

        public Task<JsonNode?> InvokeAsync(string resource, JsonNode? input, CancellationToken cancellationToken)
        {
            Calls.Enqueue((resource, input?.DeepClone()));
            return Task.FromResult<JsonNode?>(resource == "analyze" ? new JsonObject { ["analyzed"] = input?["review"]?["modality"]?.DeepClone() } : null);
        }
    }

    private LocalWorkflow Create(Functions functions, params string[] tokens)
    {
        var queue = new ConcurrentQueue<string>(tokens);
        return new LocalWorkflow(
            StateMachineDefinition.Parse(Definition), functions, TimeProvider.System, dir.File("workflow.db"),
            taskTokens: () => queue.TryDequeue(out var t) ? t : throw new InvalidOperationException("no more tokens"));
    }

    private async Task<string> ParkAsync(LocalWorkflow workflow, Functions functions)
    {
        await workflow.StartAsync("img-1", """{"id":"img-1"}""");
        var parked = await workflow.WaitAsync("img-1").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExecutionStatus.WaitingForCallback, parked.Status);
        Assert.Contains(parked.History, e => e.Type == "TaskSubmitted");
        return (string)functions.Calls.Single().Input!["token"]!;
    }

    [Fact]
    public async Task SendTaskSuccess_WhenTheParkingProcessIsGone_ShouldResumeFromTheSqliteCheckpointAndComplete()
    {
        string token;
        var first = new Functions();
        using (var parking = Create(first, "tok-1"))
        {
            token = await ParkAsync(parking, first);
        }

        var second = new Functions();
        using var resuming = Create(second);
        await resuming.SendTaskSuccessAsync(token, """{"modality":"ct","confidence":1.0}""");
        var result = await resuming.WaitAsync("img-1").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal("""{"id":"img-1","review":{"modality":"ct"},"analysis":{"analyzed":"ct"}}""", result.Output!.ToJsonString());
        Assert.Equal(["analyze"], second.Calls.Select(c => c.Resource));
        Assert.Equal("ExecutionResumed", result.History[0].Type);
    }

    [Fact]
    public async Task SendTaskFailure_WhenTheExecutionIsLiveInThisProcess_ShouldTakeTheCatchRoute()
    {
        var functions = new Functions();
        using var workflow = Create(functions, "tok-1");
        var token = await ParkAsync(workflow, functions);

        await workflow.SendTaskFailureAsync(token, "Review.Rejected", "not a medical image");
        var result = await workflow.WaitAsync("img-1").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal("Review.Rejected", (string)result.Output!["error"]!["Error"]!);
        Assert.DoesNotContain(functions.Calls, c => c.Resource == "analyze");
    }

    [Fact]
    public async Task SendTaskSuccess_WhenTheTokenIsUnknownOrAlreadyAnswered_ShouldThrowNotFoundThenConflict()
    {
        var functions = new Functions();
        using var workflow = Create(functions, "tok-1");
        var token = await ParkAsync(workflow, functions);

        var unknown = await Assert.ThrowsAsync<NotFoundException>(() => workflow.SendTaskSuccessAsync("tok-unknown", "{}"));
        Assert.Equal("workflow.task_token_not_found", unknown.Code);
        await workflow.SendTaskSuccessAsync(token, """{"modality":"mri"}""");
        await Assert.ThrowsAsync<ConflictException>(() => workflow.SendTaskSuccessAsync(token, """{"modality":"mri"}"""));
        await Assert.ThrowsAsync<ConflictException>(() => workflow.SendTaskFailureAsync(token, "E", null));
        Assert.Equal(ExecutionStatus.Succeeded, (await workflow.WaitAsync("img-1").WaitAsync(TimeSpan.FromSeconds(30))).Status);

        // A second process sees the same answered token.
        using var other = Create(new Functions());
        await Assert.ThrowsAsync<ConflictException>(() => other.SendTaskSuccessAsync(token, "{}"));
    }
}
