using System.Text.Json.Nodes;

namespace MedVision.Asl.Tests;

public class ExecutionTests
{
    [Fact]
    public async Task RunAsync_WhenFailStateReached_ShouldFailWithItsErrorAndCause()
    {
        var result = await Asl.RunAsync(
            """{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Pipeline.BadScan","Cause":"no slices"}}}""");

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("Pipeline.BadScan", result.Error);
        Assert.Equal("no slices", result.Cause);
        Assert.Null(result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenSucceedStateHasOutputPath_ShouldFilterOutput()
    {
        var result = await Asl.RunAsync(
            """{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}}""",
            """{"a":{"b":[1,2]}}""");

        Asl.JsonEqual("[1,2]", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenStatesLoopForever_ShouldStopAtTransitionLimit()
    {
        var result = await Asl.RunAsync(
            """{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}""");

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("States.Runtime", result.Error);
        Assert.Contains(StateMachineInterpreter.MaxStateTransitions.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Cause, StringComparison.Ordinal);
        Assert.Equal(StateMachineInterpreter.MaxStateTransitions, result.History.Count(e => e.Type == "StateEntered"));
    }

    [Fact]
    public async Task RunAsync_WhenTasksChain_ShouldRecordOrderedHistoryAndRaiseEvents()
    {
        var invoker = new FakeInvoker().On("a", _ => 1).On("b", _ => 2);
        var definition = StateMachineDefinition.Parse(
            """
            {"StartAt":"A","States":{
              "A":{"Type":"Task","Resource":"a","ResultPath":"$.a","Next":"B"},
              "B":{"Type":"Task","Resource":"b","ResultPath":"$.b","End":true}}}
            """);
        var interpreter = new StateMachineInterpreter(definition, invoker, Asl.Clock());
        var raised = new List<ExecutionEvent>();
        interpreter.EventRecorded += raised.Add;

        var result = await interpreter.RunAsync(new JsonObject(), "exec");

        Asl.JsonEqual("""{"a":1,"b":2}""", result.Output);
        Assert.Equal(
            ["ExecutionStarted", "StateEntered", "TaskScheduled", "TaskSucceeded", "StateExited", "StateEntered", "TaskScheduled", "TaskSucceeded", "StateExited", "ExecutionSucceeded"],
            result.History.Select(e => e.Type));
        Assert.Equal(result.History, raised);
        Assert.Equal(["A", "B"], result.History.Where(e => e.Type == "StateEntered").Select(e => e.StateName));
        Assert.Equal("a", result.History.First(e => e.Type == "TaskScheduled").Detail);
    }

    [Fact]
    public async Task RunAsync_WhenRunTwice_ShouldKeepHistoriesSeparate()
    {
        var definition = StateMachineDefinition.Parse("""{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}""");
        var interpreter = new StateMachineInterpreter(definition, new FakeInvoker(), Asl.Clock());

        var first = await interpreter.RunAsync(new JsonObject(), "one");
        var second = await interpreter.RunAsync(new JsonObject(), "two");

        Assert.Equal(4, first.History.Count);
        Assert.Equal(4, second.History.Count);
        Assert.Equal("two", second.History[0].Detail);
    }

    [Fact]
    public async Task RunAsync_WhenInputIsNull_ShouldTreatAsJsonNull()
    {
        var result = await Asl.RunAsync("""{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}""", inputJson: null);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Null(result.Output);
    }

    [Fact]
    public void Constructor_WhenArgumentsNull_ShouldThrow()
    {
        var definition = StateMachineDefinition.Parse("""{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}""");

        Assert.Throws<ArgumentNullException>(() => new StateMachineInterpreter(definition, null!, TimeProvider.System));
        Assert.Throws<ArgumentNullException>(() => new StateMachineInterpreter(definition, new FakeInvoker(), null!));
    }
}
