using System.Text.Json.Nodes;

namespace MedVision.Asl.Tests;

public class RetryAndCatchTests
{
    private static TimeSpan[] Seconds(params double[] values) => [.. values.Select(TimeSpan.FromSeconds)];

    [Fact]
    public async Task Retry_WhenAlwaysFailing_ShouldWaitOneTwoFourSecondsThenFail()
    {
        var clock = Asl.Clock();
        var invoker = new FakeInvoker().Sequence("r", null, [.. Enumerable.Range(0, 10).Select(_ => new TaskFailedException("Boom", "bad"))]);

        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"BackoffRate":2,"MaxAttempts":3}],"End":true
                """),
            "{}",
            invoker,
            clock);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("Boom", result.Error);
        Assert.Equal("bad", result.Cause);
        Assert.Equal(4, invoker.Calls.Count);
        Assert.Equal(Seconds(1, 2, 4), clock.Delays);
        Assert.Equal(Asl.Start.AddSeconds(7), clock.GetUtcNow());
        var retries = result.History.Where(e => e.Type == "RetryScheduled").Select(e => e.Detail!).ToList();
        Assert.Collection(
            retries,
            d => Assert.Contains("in 1s", d, StringComparison.Ordinal),
            d => Assert.Contains("in 2s", d, StringComparison.Ordinal),
            d => Assert.Contains("in 4s", d, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retry_WhenDefaultsUsed_ShouldRetryThreeTimesWithDoublingFromOneSecond()
    {
        var clock = Asl.Clock();
        var invoker = new FakeInvoker().Sequence("r", "ok", new TaskFailedException("E", null), new TaskFailedException("E", null), new TaskFailedException("E", null));

        var result = await Asl.RunAsync(Asl.SingleTask("\"Retry\":[{\"ErrorEquals\":[\"E\"]}],\"End\":true"), "{}", invoker, clock);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Asl.JsonEqual("\"ok\"", result.Output);
        Assert.Equal(Seconds(1, 2, 4), clock.Delays);
    }

    [Fact]
    public async Task Retry_WhenSpecExampleIntervalThreeBackoffOnePointFive_ShouldWaitThreeThenFourPointFive()
    {
        var clock = Asl.Clock();
        var invoker = new FakeInvoker().Sequence("r", null, [.. Enumerable.Range(0, 5).Select(_ => new TaskFailedException("States.Timeout", null))]);

        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "Retry":[{"ErrorEquals":["States.Timeout"],"IntervalSeconds":3,"MaxAttempts":2,"BackoffRate":1.5}],"End":true
                """),
            "{}",
            invoker,
            clock);

        Assert.Equal("States.Timeout", result.Error);
        Assert.Equal(Seconds(3, 4.5), clock.Delays);
    }

    [Fact]
    public async Task Retry_WhenMaxDelaySecondsSet_ShouldCapDelay()
    {
        var clock = Asl.Clock();
        var invoker = new FakeInvoker().Sequence("r", null, [.. Enumerable.Range(0, 10).Select(_ => new TaskFailedException("E", null))]);

        await Asl.RunAsync(
            Asl.SingleTask("""
                "Retry":[{"ErrorEquals":["E"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":4,"MaxDelaySeconds":10}],"End":true
                """),
            "{}",
            invoker,
            clock);

        Assert.Equal(Seconds(2, 6, 10, 10), clock.Delays);
    }

    [Fact]
    public async Task Retry_WhenFullJitter_ShouldScaleDelayByRandomWithinBounds()
    {
        var clock = Asl.Clock();
        var randoms = new Queue<double>([0.25, 0.75, 0.0]);
        var invoker = new FakeInvoker().Sequence("r", "ok", new TaskFailedException("E", null), new TaskFailedException("E", null), new TaskFailedException("E", null));

        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "Retry":[{"ErrorEquals":["E"],"IntervalSeconds":4,"BackoffRate":2,"MaxAttempts":3,"JitterStrategy":"FULL"}],"End":true
                """),
            "{}",
            invoker,
            clock,
            randoms.Dequeue);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        // Base delays 4, 8, 16; a zero jittered delay needs no timer at all.
        Assert.Equal(Seconds(1, 6), clock.Delays);
        Assert.Equal(3, result.History.Count(e => e.Type == "RetryScheduled"));
    }

    [Fact]
    public async Task Retry_WhenFullJitterWithDefaultRandom_ShouldStayBetweenZeroAndBaseDelay()
    {
        var clock = Asl.Clock();
        var invoker = new FakeInvoker().Sequence("r", null, [.. Enumerable.Range(0, 10).Select(_ => new TaskFailedException("E", null))]);

        await Asl.RunAsync(
            Asl.SingleTask("""
                "Retry":[{"ErrorEquals":["E"],"IntervalSeconds":10,"BackoffRate":2,"MaxAttempts":5,"MaxDelaySeconds":50,"JitterStrategy":"FULL"}],"End":true
                """),
            "{}",
            invoker,
            clock);

        double[] bases = [10, 20, 40, 50, 50];
        var retries = invoker.Calls.Count - 1;
        Assert.Equal(5, retries);
        Assert.True(clock.Delays.Count <= 5);
        Assert.All(clock.Delays, d => Assert.InRange(d.TotalSeconds, 0, 50));
        Assert.All(clock.Delays.Zip(bases), p => Assert.InRange(p.First.TotalSeconds, 0, p.Second));
    }

    [Fact]
    public async Task Retry_WhenSeveralRetriersMatch_ShouldUseFirstMatchAndCountPerRetrier()
    {
        var clock = Asl.Clock();
        var invoker = new FakeInvoker().Sequence("r", "ok", new TaskFailedException("B", null), new TaskFailedException("A", null), new TaskFailedException("B", null));

        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "Retry":[{"ErrorEquals":["A"],"IntervalSeconds":1,"MaxAttempts":1},
                         {"ErrorEquals":["States.ALL"],"IntervalSeconds":5,"MaxAttempts":2}],"End":true
                """),
            "{}",
            invoker,
            clock);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        // B uses retrier 1 (attempt 0: 5s), A retrier 0 (1s), B retrier 1 again (its attempt 1: 10s).
        Assert.Equal(Seconds(5, 1, 10), clock.Delays);
    }

    [Fact]
    public async Task Retry_WhenFirstMatchingRetrierIsExhausted_ShouldNotFallThroughToLaterRetrier()
    {
        var clock = Asl.Clock();
        var invoker = new FakeInvoker().Sequence("r", "ok", new TaskFailedException("A", null), new TaskFailedException("A", null));

        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "Retry":[{"ErrorEquals":["A"],"MaxAttempts":1},{"ErrorEquals":["States.ALL"],"MaxAttempts":5}],"End":true
                """),
            "{}",
            invoker,
            clock);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("A", result.Error);
        Assert.Equal(2, invoker.Calls.Count);
    }

    [Fact]
    public async Task Retry_WhenMaxAttemptsZero_ShouldNotRetryAndGoToCatch()
    {
        var invoker = new FakeInvoker().Sequence("r", "ok", new TaskFailedException("E", null));

        var result = await Asl.RunAsync(
            """
            {"StartAt":"T","States":{
              "T":{"Type":"Task","Resource":"r","End":true,"Retry":[{"ErrorEquals":["E"],"MaxAttempts":0}],
                   "Catch":[{"ErrorEquals":["E"],"Next":"Handled"}]},
              "Handled":{"Type":"Pass","Result":"handled","End":true}}}
            """,
            "{}",
            invoker);

        Assert.Single(invoker.Calls);
        Asl.JsonEqual("\"handled\"", result.Output);
    }

    private const string CatchRouting = """
        {"StartAt":"T","States":{
          "T":{"Type":"Task","Resource":"r","End":true,
               "Catch":[{"ErrorEquals":["Specific"],"Next":"OnSpecific"},{"ErrorEquals":["States.ALL"],"Next":"OnAll"}]},
          "OnSpecific":{"Type":"Pass","Result":"specific","ResultPath":"$.route","End":true},
          "OnAll":{"Type":"Pass","Result":"all","ResultPath":"$.route","End":true}}}
        """;

    [Theory]
    [InlineData("Specific", "specific")]
    [InlineData("Other", "all")]
    public async Task Catch_WhenErrorRaised_ShouldRouteToFirstMatchingCatcher(string error, string expectedRoute)
    {
        var invoker = new FakeInvoker().Sequence("r", null, new TaskFailedException(error, "why"));

        var result = await Asl.RunAsync(CatchRouting, "{}", invoker);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal(expectedRoute, result.Output!["route"]!.GetValue<string>());
        Assert.Equal(error, result.Output!["Error"]!.GetValue<string>());
        Assert.Contains(result.History, e => e.Type == "CatchTaken" && e.Detail!.StartsWith(error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Catch_WhenResultPathSet_ShouldPlaceErrorOutputInRawInput()
    {
        // Spec example: the error object lands at "$.error-info" next to the original input.
        var invoker = new FakeInvoker().Sequence("r", null, new TaskFailedException("Specific", "it broke"));
        var result = await Asl.RunAsync(
            """
            {"StartAt":"T","States":{
              "T":{"Type":"Task","Resource":"r","End":true,"OutputPath":"$.never",
                   "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done","ResultPath":"$.error-info"}]},
              "Done":{"Type":"Succeed"}}}
            """,
            """{"foo":"bar"}""",
            invoker);

        Asl.JsonEqual("""{"foo":"bar","error-info":{"Error":"Specific","Cause":"it broke"}}""", result.Output);
    }

    [Fact]
    public async Task Catch_WhenResultPathIsNull_ShouldKeepInput()
    {
        var invoker = new FakeInvoker().Sequence("r", null, new TaskFailedException("E", "c"));
        var result = await Asl.RunAsync(
            """
            {"StartAt":"T","States":{
              "T":{"Type":"Task","Resource":"r","End":true,"Catch":[{"ErrorEquals":["E"],"Next":"Done","ResultPath":null}]},
              "Done":{"Type":"Succeed"}}}
            """,
            """{"foo":"bar"}""",
            invoker);

        Asl.JsonEqual("""{"foo":"bar"}""", result.Output);
    }

    [Fact]
    public async Task Catch_WhenHandlerThrowsPlainException_ShouldUseTypeNameAndLambdaStyleCause()
    {
        var invoker = new FakeInvoker().On("r", _ => throw new InvalidOperationException("nope"));
        var result = await Asl.RunAsync(
            """
            {"StartAt":"T","States":{
              "T":{"Type":"Task","Resource":"r","End":true,"Catch":[{"ErrorEquals":["InvalidOperationException"],"Next":"Done"}]},
              "Done":{"Type":"Succeed"}}}
            """,
            "{}",
            invoker);

        Assert.Equal("InvalidOperationException", result.Output!["Error"]!.GetValue<string>());
        Asl.JsonEqual(
            """{"errorMessage":"nope","errorType":"InvalidOperationException"}""",
            JsonNode.Parse(result.Output!["Cause"]!.GetValue<string>()));
    }

    [Fact]
    public async Task RunAsync_WhenAsyncHandlerFaultsWithoutCatch_ShouldFailWithErrorAndCause()
    {
        var invoker = new FakeInvoker().OnAsync("r", async (_, ct) =>
        {
            await Task.Yield();
            throw new ArgumentException("bad arg");
        });

        var result = await Asl.RunAsync(Asl.SingleTask("\"End\":true"), "{}", invoker);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("ArgumentException", result.Error);
        Assert.Contains("bad arg", result.Cause, StringComparison.Ordinal);
        Assert.Equal("ExecutionFailed", result.History[^1].Type);
    }

    private const string TaskFailedVsTimeout = """
        {"StartAt":"T","States":{
          "T":{"Type":"Task","Resource":"r","TimeoutSeconds":5,"End":true,
               "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"OnTaskFailed"},{"ErrorEquals":["States.Timeout"],"Next":"OnTimeout"}]},
          "OnTaskFailed":{"Type":"Pass","Result":"taskFailed","End":true},
          "OnTimeout":{"Type":"Pass","Result":"timeout","End":true}}}
        """;

    [Fact]
    public async Task Catch_WhenTaskExceedsTimeoutSeconds_ShouldRaiseStatesTimeoutNotTaskFailed()
    {
        var clock = Asl.Clock();
        var handlerToken = CancellationToken.None;
        var invoker = new FakeInvoker().OnAsync("r", async (_, ct) =>
        {
            handlerToken = ct;
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return null;
        });

        var result = await Asl.RunAsync(TaskFailedVsTimeout, "{}", invoker, clock);

        Asl.JsonEqual("\"timeout\"", result.Output);
        Assert.Equal(Seconds(5), clock.Delays);
        Assert.True(handlerToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Catch_WhenTaskFailsWithCustomError_ShouldMatchStatesTaskFailed()
    {
        var invoker = new FakeInvoker().Sequence("r", null, new TaskFailedException("Custom.Error", null));

        var result = await Asl.RunAsync(TaskFailedVsTimeout, "{}", invoker);

        Asl.JsonEqual("\"taskFailed\"", result.Output);
    }

    [Fact]
    public async Task Catch_WhenHandlerReportsStatesRuntime_ShouldNeitherRetryNorCatchWithStatesAll()
    {
        var invoker = new FakeInvoker().Sequence("r", "ok", new TaskFailedException("States.Runtime", "broken"));
        var result = await Asl.RunAsync(
            """
            {"StartAt":"T","States":{
              "T":{"Type":"Task","Resource":"r","End":true,"Retry":[{"ErrorEquals":["States.ALL"]}],
                   "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"}]},
              "Done":{"Type":"Succeed"}}}
            """,
            "{}",
            invoker);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("States.Runtime", result.Error);
        Assert.Single(invoker.Calls);
    }

    [Fact]
    public async Task Retry_WhenTaskTimesOut_ShouldRetryOnStatesTimeout()
    {
        var clock = Asl.Clock();
        var calls = 0;
        var invoker = new FakeInvoker().OnAsync("r", async (_, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }

            return "second time lucky";
        });

        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "TimeoutSeconds":3,"Retry":[{"ErrorEquals":["States.TaskFailed"]},{"ErrorEquals":["States.Timeout"],"IntervalSeconds":2}],"End":true
                """),
            "{}",
            invoker,
            clock);

        Asl.JsonEqual("\"second time lucky\"", result.Output);
        // 3s task timeout, then 2s back-off; the second attempt completes synchronously so needs no timeout timer.
        Assert.Equal(Seconds(3, 2), clock.Delays);
    }
}
