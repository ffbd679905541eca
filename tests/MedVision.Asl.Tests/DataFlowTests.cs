using System.Text.Json.Nodes;

namespace MedVision.Asl.Tests;

public class DataFlowTests
{
    private static FakeInvoker Echo() => new FakeInvoker().On("r", input => input?.DeepClone());

    [Fact]
    public async Task RunAsync_WhenInputPathAndResultPathSet_ShouldAddResultToRawInput()
    {
        // Spec example: InputPath picks the numbers, ResultPath puts the sum next to the original fields.
        var invoker = new FakeInvoker().On("r", input => input!["val1"]!.GetValue<int>() + input["val2"]!.GetValue<int>());
        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "InputPath":"$.numbers","ResultPath":"$.sum","End":true
                """),
            """{"title":"Numbers to add","numbers":{"val1":3,"val2":4}}""",
            invoker);

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Asl.JsonEqual("""{"val1":3,"val2":4}""", invoker.Calls.Single().Input);
        Asl.JsonEqual("""{"title":"Numbers to add","numbers":{"val1":3,"val2":4},"sum":7}""", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenParametersUsePathsAndStatics_ShouldBuildEffectiveInput()
    {
        // Adapted from the spec's Parameters example (slices are outside the supported JSONPath subset).
        var invoker = Echo();
        await Asl.RunAsync(
            Asl.SingleTask("""
                "Parameters":{"flagged":true,"parts":{"first.$":"$.vals[0]","last.$":"$.vals[5]","byName.$":"$['odd key']"},
                  "list":[1,{"nested.$":"$.vals[1]"}],"stateName.$":"$$.State.Name"},
                "End":true
                """),
            """{"flagged":7,"vals":[0,10,20,30,40,50],"odd key":"x"}""",
            invoker);

        Asl.JsonEqual(
            """{"flagged":true,"parts":{"first":0,"last":50,"byName":"x"},"list":[1,{"nested":10}],"stateName":"T"}""",
            invoker.Calls.Single().Input);
    }

    [Fact]
    public async Task RunAsync_WhenResultSelectorResultPathAndOutputPathSet_ShouldShapeOutput()
    {
        // Modelled on the spec's ResultSelector example (EMR createCluster result).
        var invoker = new FakeInvoker().On("r", _ => JsonNode.Parse(
            """{"resourceType":"elasticmapreduce","resource":"createCluster","output":{"SdkHttpMetadata":{"HttpStatusCode":200},"ClusterId":"AKIAI44QH8DHBEXAMPLE"}}"""));
        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "ResultSelector":{"ClusterId.$":"$.output.ClusterId","ResourceType.$":"$.resourceType","Static":"yes"},
                "ResultPath":"$.EMROutput","OutputPath":"$.EMROutput","End":true
                """),
            """{"keep":1}""",
            invoker);

        Asl.JsonEqual("""{"ClusterId":"AKIAI44QH8DHBEXAMPLE","ResourceType":"elasticmapreduce","Static":"yes"}""", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenNoPathsSet_ShouldOutputTheResult()
    {
        var invoker = new FakeInvoker().On("r", _ => JsonNode.Parse("""{"r":1}"""));
        var result = await Asl.RunAsync(Asl.SingleTask("\"End\":true"), """{"in":1}""", invoker);

        Asl.JsonEqual("""{"in":1}""", invoker.Calls.Single().Input);
        Asl.JsonEqual("""{"r":1}""", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenInputPathIsNull_ShouldPassEmptyObject()
    {
        var invoker = Echo();
        await Asl.RunAsync(Asl.SingleTask("\"InputPath\":null,\"End\":true"), """{"a":1}""", invoker);

        Asl.JsonEqual("{}", invoker.Calls.Single().Input);
    }

    [Fact]
    public async Task RunAsync_WhenOutputPathIsNull_ShouldOutputEmptyObject()
    {
        var result = await Asl.RunAsync(Asl.SingleTask("\"OutputPath\":null,\"End\":true"), """{"a":1}""", Echo());

        Asl.JsonEqual("{}", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenResultPathIsNull_ShouldDiscardResultAndKeepInput()
    {
        var invoker = new FakeInvoker().On("r", _ => "ignored");
        var result = await Asl.RunAsync(Asl.SingleTask("\"ResultPath\":null,\"End\":true"), """{"a":1}""", invoker);

        Asl.JsonEqual("""{"a":1}""", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenResultPathIsNested_ShouldKeepSiblingsAndCreateMissingObjects()
    {
        var invoker = new FakeInvoker().On("r", _ => 42);
        var result = await Asl.RunAsync(
            Asl.SingleTask("\"ResultPath\":\"$.a.b.c\",\"End\":true"),
            """{"a":{"keep":true},"z":[1]}""",
            invoker);

        Asl.JsonEqual("""{"a":{"keep":true,"b":{"c":42}},"z":[1]}""", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenResultPathTargetsArrayElement_ShouldReplaceIt()
    {
        var invoker = new FakeInvoker().On("r", _ => "new");
        var result = await Asl.RunAsync(Asl.SingleTask("\"ResultPath\":\"$.items[1]\",\"End\":true"), """{"items":["a","b","c"]}""", invoker);

        Asl.JsonEqual("""{"items":["a","new","c"]}""", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenResultPathCannotApplyToInput_ShouldFailWithStatesRuntime()
    {
        var invoker = new FakeInvoker().On("r", _ => 1);
        var result = await Asl.RunAsync(Asl.SingleTask("\"ResultPath\":\"$.x\",\"End\":true"), "\"just a string\"", invoker);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("States.Runtime", result.Error);
        Assert.Contains("ResultPath", result.Cause, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"InputPath\":\"$.missing\"")]
    [InlineData("\"Parameters\":{\"x.$\":\"$.missing\"}")]
    [InlineData("\"OutputPath\":\"$.missing\"")]
    [InlineData("\"ResultSelector\":{\"x.$\":\"$.missing\"}")]
    public async Task RunAsync_WhenPathDoesNotMatch_ShouldFailWithStatesRuntimeDespiteCatchAndRetryAll(string field)
    {
        // States.Runtime is neither retried nor caught by States.ALL (spec).
        var invoker = Echo();
        var result = await Asl.RunAsync(
            $$$$"""
            {"StartAt":"T","States":{
              "T":{"Type":"Task","Resource":"r",{{{{field}}}},"End":true,
                   "Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}]},
              "Caught":{"Type":"Succeed"}}}
            """,
            """{"a":1}""",
            invoker);

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("States.Runtime", result.Error);
        Assert.Contains("$.missing", result.Cause, StringComparison.Ordinal);
        Assert.True(invoker.Calls.Count <= 1);
        Assert.DoesNotContain(result.History, e => e.Type is "CatchTaken" or "RetryScheduled");
    }

    [Fact]
    public async Task RunAsync_WhenParametersReadContextObject_ShouldExposeExecutionStateAndMachine()
    {
        var clock = Asl.Clock();
        var definition = StateMachineDefinition.Parse(
            """
            {"StartAt":"P","States":{"P":{"Type":"Pass","End":true,"Parameters":{
              "id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","input.$":"$$.Execution.Input",
              "start.$":"$$.Execution.StartTime","state.$":"$$.State.Name","entered.$":"$$.State.EnteredTime",
              "retries.$":"$$.State.RetryCount","machine.$":"$$.StateMachine.Id","inputField.$":"$$.Execution.Input.a"}}}}
            """);
        var interpreter = new StateMachineInterpreter(definition, new FakeInvoker(), clock) { StateMachineName = "Pipeline" };

        var result = await interpreter.RunAsync(JsonNode.Parse("""{"a":5}"""), "run-1");

        Asl.JsonEqual(
            """
            {"id":"arn:aws:states:local:000000000000:execution:Pipeline:run-1","name":"run-1","input":{"a":5},
             "start":"2024-01-01T00:00:00.000Z","state":"P","entered":"2024-01-01T00:00:00.000Z","retries":0,
             "machine":"arn:aws:states:local:000000000000:stateMachine:Pipeline","inputField":5}
            """,
            result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenTaskRetries_ShouldExposeRetryCountInContext()
    {
        var invoker = new FakeInvoker().Sequence("r", "ok", new TaskFailedException("Flaky", null), new TaskFailedException("Flaky", null));
        await Asl.RunAsync(
            Asl.SingleTask("""
                "Parameters":{"n.$":"$$.State.RetryCount"},"Retry":[{"ErrorEquals":["Flaky"]}],"End":true
                """),
            "{}",
            invoker);

        Assert.Equal([0, 1, 2], invoker.Calls.Select(c => c.Input!["n"]!.GetValue<int>()));
    }

    [Fact]
    public async Task RunAsync_WhenHandlerMutatesInputOrKeptResult_ShouldNotAffectExecutionData()
    {
        var shared = new JsonObject { ["x"] = 1 };
        var invoker = new FakeInvoker()
            .On("first", input =>
            {
                input!["a"] = "mutated";
                return shared;
            })
            .On("second", input =>
            {
                shared["x"] = 999;
                return null;
            });
        var result = await Asl.RunAsync(
            """
            {"StartAt":"A","States":{
              "A":{"Type":"Task","Resource":"first","ResultPath":"$.first","Next":"B"},
              "B":{"Type":"Task","Resource":"second","ResultPath":null,"End":true}}}
            """,
            """{"a":"original"}""",
            invoker);

        Asl.JsonEqual("""{"a":"original","first":{"x":1}}""", result.Output);
    }

    [Fact]
    public async Task RunAsync_WhenExecutionInputIsMutatedAfterStart_ShouldUseSnapshot()
    {
        var definition = StateMachineDefinition.Parse("""{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}""");
        var input = new JsonObject { ["a"] = 1 };
        var task = new StateMachineInterpreter(definition, new FakeInvoker(), Asl.Clock()).RunAsync(input, "e");
        input["a"] = 2;

        var result = await task;

        Asl.JsonEqual("""{"a":1}""", result.Output);
        Assert.Equal(2, input["a"]!.GetValue<int>());
    }
}
