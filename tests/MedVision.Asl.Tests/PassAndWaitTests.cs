using System.Text.Json.Nodes;

namespace MedVision.Asl.Tests;

public class PassAndWaitTests
{
    [Fact]
    public async Task Pass_WhenResultAndResultPathSet_ShouldInjectResultIntoInput()
    {
        // Spec Pass example: a fixed Result placed at ResultPath.
        var result = await Asl.RunAsync(
            """
            {"StartAt":"No-op","States":{"No-op":{"Type":"Pass","Result":{"x-datum":0.381018,"y-datum":622.2269926397355},
              "ResultPath":"$.coords","End":true}}}
            """,
            """{"georefOf":"Home"}""");

        Asl.JsonEqual("""{"georefOf":"Home","coords":{"x-datum":0.381018,"y-datum":622.2269926397355}}""", result.Output);
    }

    [Fact]
    public async Task Pass_WhenNoResult_ShouldPassEffectiveInputThrough()
    {
        var result = await Asl.RunAsync(
            """{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","ResultPath":"$.copy","End":true}}}""",
            """{"a":{"b":1}}""");

        Asl.JsonEqual("""{"a":{"b":1},"copy":{"b":1}}""", result.Output);
    }

    [Fact]
    public async Task Pass_WhenParametersAndNoResult_ShouldOutputParameters()
    {
        var result = await Asl.RunAsync(
            """{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"$.a","k":"c"},"End":true}}}""",
            """{"a":2}""");

        Asl.JsonEqual("""{"v":2,"k":"c"}""", result.Output);
    }

    [Fact]
    public async Task Pass_WhenResultIsScalarAndNoResultPath_ShouldReplaceInput()
    {
        var result = await Asl.RunAsync("""{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"done","End":true}}}""", """{"a":1}""");

        Asl.JsonEqual("\"done\"", result.Output);
    }

    [Fact]
    public async Task Wait_WhenSecondsSet_ShouldDelayThroughTimeProvider()
    {
        var clock = Asl.Clock();
        var result = await Asl.RunAsync(
            """{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"Done"},"Done":{"Type":"Succeed"}}}""",
            """{"a":1}""",
            clock: clock);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal([TimeSpan.FromSeconds(10)], clock.Delays);
        Assert.Equal(Asl.Start.AddSeconds(10), clock.GetUtcNow());
        Asl.JsonEqual("""{"a":1}""", result.Output);
        var exited = result.History.Single(e => e.Type == "StateExited" && e.StateName == "W");
        Assert.Equal(Asl.Start.AddSeconds(10), exited.Timestamp);
    }

    [Fact]
    public async Task Wait_WhenSecondsPathSet_ShouldReadDelayFromInput()
    {
        var clock = Asl.Clock();
        await Asl.RunAsync("""{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}""", """{"s":7}""", clock: clock);

        Assert.Equal([TimeSpan.FromSeconds(7)], clock.Delays);
    }

    [Fact]
    public async Task Wait_WhenSecondsPathIsNotAnInteger_ShouldFailWithStatesRuntime()
    {
        var result = await Asl.RunAsync("""{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}""", """{"s":"soon"}""");

        Assert.Equal("States.Runtime", result.Error);
    }

    [Fact]
    public async Task Wait_WhenTimestampInFuture_ShouldWaitUntilIt()
    {
        var clock = Asl.Clock();
        await Asl.RunAsync(
            """{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2024-01-01T00:00:30Z","End":true}}}""",
            "{}",
            clock: clock);

        Assert.Equal([TimeSpan.FromSeconds(30)], clock.Delays);
    }

    [Fact]
    public async Task Wait_WhenTimestampPathInPast_ShouldNotWait()
    {
        var clock = Asl.Clock();
        var result = await Asl.RunAsync(
            """{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}""",
            """{"t":"2023-12-31T23:00:00+01:00"}""",
            clock: clock);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task Wait_WhenTimestampPathWithOffset_ShouldConvertToUtc()
    {
        var clock = Asl.Clock();
        await Asl.RunAsync(
            """{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}""",
            """{"t":"2024-01-01T01:01:00+01:00"}""",
            clock: clock);

        Assert.Equal([TimeSpan.FromMinutes(1)], clock.Delays);
    }

    [Fact]
    public async Task RunAsync_WhenExecutionTimeoutElapses_ShouldReturnTimedOut()
    {
        var clock = Asl.Clock(fastForward: false);
        var definition = StateMachineDefinition.Parse(
            """{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}""");
        var run = new StateMachineInterpreter(definition, new FakeInvoker(), clock).RunAsync(new JsonObject(), "e");

        await clock.WaitForTimersAsync(2);
        clock.Advance(TimeSpan.FromSeconds(5));
        var result = await run;

        Assert.Equal(ExecutionStatus.TimedOut, result.Status);
        Assert.Equal("States.Timeout", result.Error);
        Assert.Equal("ExecutionTimedOut", result.History[^1].Type);
    }

    [Fact]
    public async Task RunAsync_WhenCallerCancels_ShouldThrowOperationCanceled()
    {
        var clock = Asl.Clock(fastForward: false);
        var definition = StateMachineDefinition.Parse("""{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}""");
        using var cts = new CancellationTokenSource();
        var run = new StateMachineInterpreter(definition, new FakeInvoker(), clock).RunAsync(new JsonObject(), "e", cts.Token);

        await clock.WaitForTimersAsync(1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }
}
