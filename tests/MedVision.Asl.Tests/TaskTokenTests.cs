using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace MedVision.Asl.Tests;

/// <summary>An in-memory broker: records checkpoints, lets a test answer tokens, signals when a task parks.</summary>
public sealed class InMemoryTaskTokenBroker : ITaskTokenBroker
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<TaskCallback>> waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TaskTokenCheckpoint> registered = new();
    private readonly ConcurrentQueue<string> closed = new();
    private readonly SemaphoreSlim parked = new(0);

    public IReadOnlyList<TaskTokenCheckpoint> Registered => [.. registered];

    public IReadOnlyList<string> Closed => [.. closed];

    public Task RegisterAsync(TaskTokenCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        registered.Enqueue(checkpoint);
        waiting[checkpoint.Token] = new TaskCompletionSource<TaskCallback>(TaskCreationOptions.RunContinuationsAsynchronously);
        return Task.CompletedTask;
    }

    public Task<TaskCallback> WaitAsync(string token, CancellationToken cancellationToken)
    {
        parked.Release();
        return waiting[token].Task.WaitAsync(cancellationToken);
    }

    public Task<bool> CloseAsync(string token, string reason, CancellationToken cancellationToken)
    {
        closed.Enqueue(token);
        return Task.FromResult(waiting.TryRemove(token, out var tcs) && !tcs.Task.IsCompleted);
    }

    /// <summary>Waits (in real time, bounded) until a task has parked on a token.</summary>
    public async Task WaitUntilParkedAsync()
    {
        if (!await parked.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("No task parked on a token.");
        }
    }

    public void Answer(string token, TaskCallback callback)
    {
        if (!waiting.TryRemove(token, out var tcs))
        {
            throw new InvalidOperationException($"Token {token} is not waiting.");
        }

        tcs.SetResult(callback);
    }
}

public class TaskTokenTests
{
    /// <summary>Review waits on a token; its answer goes through ResultSelector/ResultPath, then a Pass reads the context.</summary>
    private const string ReviewMachine = """
        {"StartAt":"Review","TimeoutSeconds":1000000,"States":{
          "Review":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters":{"FunctionName":"fn-review","Payload":{"id.$":"$.id","task_token.$":"$$.Task.Token"}},
            "ResultSelector":{"modality.$":"$.modality","token.$":"$$.Task.Token","entered.$":"$$.State.EnteredTime","retry.$":"$$.State.RetryCount"},
            "ResultPath":"$.review","TimeoutSeconds":604800,
            "Retry":[{"ErrorEquals":["Review.Busy"],"IntervalSeconds":2,"MaxAttempts":1}],
            "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Failed"}],
            "Next":"After"},
          "After":{"Type":"Pass","Parameters":{"review.$":"$.review","started.$":"$$.Execution.StartTime","input.$":"$$.Execution.Input"},"End":true},
          "Failed":{"Type":"Pass","End":true}}}
        """;

    private static StateMachineInterpreter Interpreter(FakeInvoker invoker, TimeProvider clock, ITaskTokenBroker broker, params string[] tokens)
    {
        var queue = new Queue<string>(tokens);
        return new StateMachineInterpreter(StateMachineDefinition.Parse(ReviewMachine), invoker, clock)
        {
            TaskTokenBroker = broker,
            TaskTokenGenerator = () => queue.Dequeue(),
        };
    }

    private static FakeInvoker ReviewFunction() => new FakeInvoker().On("fn-review", _ => JsonNode.Parse("""{"ignored":true}"""));

    [Fact]
    public async Task WaitForTaskToken_WhenTheTaskRuns_ShouldPutTheTokenInTheContextAndThePayloadAndIgnoreTheFunctionAnswer()
    {
        var broker = new InMemoryTaskTokenBroker();
        var invoker = ReviewFunction();
        var run = Interpreter(invoker, Asl.Clock(), broker, "tok-1").RunAsync(JsonNode.Parse("""{"id":"img-1"}"""), "e1");

        await broker.WaitUntilParkedAsync();
        Asl.JsonEqual("""{"id":"img-1","task_token":"tok-1"}""", invoker.Calls.Single().Input);
        Assert.Equal("tok-1", broker.Registered.Single().Token);
        broker.Answer("tok-1", TaskCallback.Success(JsonNode.Parse("""{"modality":"ct","extra":1}""")));
        var result = await run;

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Asl.JsonEqual(
            """{"review":{"modality":"ct","token":"tok-1","entered":"2024-01-01T00:00:00.000Z","retry":0},"started":"2024-01-01T00:00:00.000Z","input":{"id":"img-1"}}""",
            result.Output);
        Assert.Contains(result.History, e => e.Type == "TaskSubmitted" && e.StateName == "Review");
    }

    [Fact]
    public async Task WaitForTaskToken_WhenSendTaskFailureArrives_ShouldRetryWithANewTokenThenCatch()
    {
        var broker = new InMemoryTaskTokenBroker();
        var invoker = ReviewFunction();
        var clock = Asl.Clock();
        var run = Interpreter(invoker, clock, broker, "tok-1", "tok-2").RunAsync(JsonNode.Parse("""{"id":"img-1"}"""), "e1");

        await broker.WaitUntilParkedAsync();
        broker.Answer("tok-1", TaskCallback.Failure("Review.Busy", "try later"));
        await broker.WaitUntilParkedAsync();
        broker.Answer("tok-2", TaskCallback.Failure("Review.Busy", "still busy"));
        var result = await run;

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Asl.JsonEqual("""{"id":"img-1","error":{"Error":"Review.Busy","Cause":"still busy"}}""", result.Output);
        Assert.Equal(["tok-1", "tok-2"], invoker.Calls.Select(c => (string)c.Input!["task_token"]!));
        Assert.Equal([TimeSpan.FromSeconds(2)], clock.Delays.Where(d => d < TimeSpan.FromDays(1)));
        Assert.Contains(result.History, e => e.Type == "CatchTaken" && e.Detail!.StartsWith("Review.Busy -> Failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WaitForTaskToken_WhenNoCallbackArrivesWithinTimeoutSeconds_ShouldRaiseStatesTimeoutAndCloseTheToken()
    {
        var broker = new InMemoryTaskTokenBroker();
        var clock = Asl.Clock(fastForward: false);
        var run = Interpreter(ReviewFunction(), clock, broker, "tok-1").RunAsync(JsonNode.Parse("""{"id":"img-1"}"""), "e1");
        await broker.WaitUntilParkedAsync();
        await clock.WaitForTimersAsync(2); // the execution's and the task's timeouts

        clock.Advance(TimeSpan.FromSeconds(604799));
        Assert.False(run.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        var result = await run;

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal("States.Timeout", (string)result.Output!["error"]!["Error"]!);
        Assert.Equal(["tok-1"], broker.Closed);
        Assert.Throws<InvalidOperationException>(() => broker.Answer("tok-1", TaskCallback.Success(null)));
    }

    [Fact]
    public void Load_WhenAWaitForTaskTokenTaskNeverPassesTheToken_ShouldRejectTheDefinition()
    {
        var ex = Asl.LoadFails("""
            {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
              "Parameters":{"FunctionName":"f","Payload":{"id.$":"$.id"}},"End":true}}}
            """);
        Assert.Contains(ex.Problems, p => p.Contains("State \"T\"", StringComparison.Ordinal) && p.Contains("$$.Task.Token", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"Resource":"arn:aws:states:::lambda:invoke.sync","Parameters":{"FunctionName":"f"}}""", "is not supported")]
    [InlineData("""{"Resource":"arn:aws:states:::lambda:invoke"}""", "needs \"Parameters\"")]
    [InlineData("""{"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"Payload":{}}}""", "Parameters.FunctionName")]
    [InlineData("""{"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Qualifier":"1"}}""", "Parameters.Qualifier")]
    public void Load_WhenAServiceIntegrationIsNotSupported_ShouldNameTheProblem(string task, string expected)
    {
        var fields = JsonNode.Parse(task)!.AsObject();
        fields["Type"] = "Task";
        fields["End"] = true;
        var ex = Asl.LoadFails(new JsonObject { ["StartAt"] = "T", ["States"] = new JsonObject { ["T"] = fields } }.ToJsonString());
        Assert.Contains(ex.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_WhenTheDefinitionWaitsForTokensWithoutABroker_ShouldRefuseToRun()
    {
        var interpreter = new StateMachineInterpreter(StateMachineDefinition.Parse(ReviewMachine), ReviewFunction(), Asl.Clock());
        Assert.Throws<InvalidOperationException>(() => { _ = interpreter.RunAsync(null, "e"); });
    }

    [Fact]
    public async Task LambdaInvoke_WhenTheFunctionAnswers_ShouldWrapItLikeStepFunctions()
    {
        var invoker = new FakeInvoker().On("arn:aws:lambda:local:0:function:f", input => new JsonObject { ["echo"] = input?.DeepClone() });
        var definition = StateMachineDefinition.Parse("""
            {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
              "Parameters":{"FunctionName":"arn:aws:lambda:local:0:function:f","Payload":{"id.$":"$.id"}},"ResultPath":"$.r","End":true}}}
            """);
        Assert.Equal(["arn:aws:lambda:local:0:function:f"], definition.TaskResources);

        var result = await new StateMachineInterpreter(definition, invoker, Asl.Clock()).RunAsync(JsonNode.Parse("""{"id":7}"""), "e");

        Asl.JsonEqual("""{"id":7,"r":{"ExecutedVersion":"$LATEST","Payload":{"echo":{"id":7}},"StatusCode":200}}""", result.Output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResumeAsync_WhenGivenTheCheckpointOfAParkedTask_ShouldEndLikeAnUninterruptedRun(bool succeed)
    {
        var callback = succeed ? TaskCallback.Success(JsonNode.Parse("""{"modality":"mri"}""")) : TaskCallback.Failure("Review.Rejected", "no");
        var input = JsonNode.Parse("""{"id":"img-9"}""");

        // Uninterrupted: the callback reaches the running execution.
        var liveBroker = new InMemoryTaskTokenBroker();
        var liveRun = Interpreter(ReviewFunction(), Asl.Clock(), liveBroker, "tok-1").RunAsync(input, "e9");
        await liveBroker.WaitUntilParkedAsync();
        liveBroker.Answer("tok-1", callback);
        var live = await liveRun;

        // Interrupted: the process that parked is gone; only its checkpoint (serialized) is left.
        var firstBroker = new InMemoryTaskTokenBroker();
        using var stop = new CancellationTokenSource();
        var abandoned = Interpreter(ReviewFunction(), Asl.Clock(), firstBroker, "tok-1").RunAsync(input, "e9", stop.Token);
        await firstBroker.WaitUntilParkedAsync();
        var checkpoint = TaskTokenCheckpoint.FromJson(firstBroker.Registered.Single().ToJson());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        var laterClock = Asl.Clock(start: Asl.Start.AddHours(5));
        var resumed = await Interpreter(ReviewFunction(), laterClock, new InMemoryTaskTokenBroker()).ResumeAsync(checkpoint, callback);

        Assert.Equal(live.Status, resumed.Status);
        Asl.JsonEqual(live.Output!.ToJsonString(), resumed.Output);
        static List<(string, string?, string?)> Tail(IEnumerable<ExecutionEvent> events, string after) =>
            [.. events.SkipWhile(e => e.Type != after).Skip(1).Select(e => (e.Type, e.StateName, e.Detail))];
        Assert.Equal(Tail(live.History, "TaskSubmitted"), Tail(resumed.History, "ExecutionResumed"));
        Assert.NotEmpty(Tail(resumed.History, "ExecutionResumed"));
    }

    [Fact]
    public async Task ResumeAsync_WhenRetriesWereUsedBeforeParking_ShouldNotRetryAgain()
    {
        var broker = new InMemoryTaskTokenBroker();
        using var stop = new CancellationTokenSource();
        var run = Interpreter(ReviewFunction(), Asl.Clock(), broker, "tok-1", "tok-2")
            .RunAsync(JsonNode.Parse("""{"id":"img-1"}"""), "e1", stop.Token);
        await broker.WaitUntilParkedAsync();
        broker.Answer("tok-1", TaskCallback.Failure("Review.Busy", null));
        await broker.WaitUntilParkedAsync();
        var checkpoint = broker.Registered.Single(c => c.Token == "tok-2");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(1, checkpoint.RetryCount);
        Assert.Equal([1], checkpoint.RetryAttempts);

        var resumed = await Interpreter(ReviewFunction(), Asl.Clock(), new InMemoryTaskTokenBroker())
            .ResumeAsync(checkpoint, TaskCallback.Failure("Review.Busy", "again"));

        Asl.JsonEqual("""{"id":"img-1","error":{"Error":"Review.Busy","Cause":"again"}}""", resumed.Output);
    }

    private async Task<TaskTokenCheckpoint> ParkAndAbandonAsync()
    {
        var broker = new InMemoryTaskTokenBroker();
        using var stop = new CancellationTokenSource();
        var run = Interpreter(ReviewFunction(), Asl.Clock(), broker, "tok-1").RunAsync(JsonNode.Parse("""{"id":"img-1"}"""), "e1", stop.Token);
        await broker.WaitUntilParkedAsync();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        return broker.Registered.Single();
    }

    [Fact]
    public async Task ResumeAsync_WhenTheTaskTimeoutPassedWhileNothingRan_ShouldTakeTheTimeoutRouteNotTheCallback()
    {
        var checkpoint = await ParkAndAbandonAsync();
        var late = Asl.Clock(start: Asl.Start.AddSeconds(604801));

        var resumed = await Interpreter(ReviewFunction(), late, new InMemoryTaskTokenBroker())
            .ResumeAsync(checkpoint, TaskCallback.Success(JsonNode.Parse("""{"modality":"ct"}""")));

        Assert.Equal("States.Timeout", (string)resumed.Output!["error"]!["Error"]!);
    }

    [Fact]
    public async Task ResumeAsync_WhenTheExecutionTimeoutPassedWhileNothingRan_ShouldReportTheExecutionTimedOut()
    {
        var checkpoint = await ParkAndAbandonAsync();
        var late = Asl.Clock(start: Asl.Start.AddSeconds(1000001));

        var resumed = await Interpreter(ReviewFunction(), late, new InMemoryTaskTokenBroker())
            .ResumeAsync(checkpoint, TaskCallback.Success(JsonNode.Parse("""{"modality":"ct"}""")));

        Assert.Equal(ExecutionStatus.TimedOut, resumed.Status);
    }
}
