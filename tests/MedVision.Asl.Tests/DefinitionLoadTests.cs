namespace MedVision.Asl.Tests;

public class DefinitionLoadTests
{
    private static string Problem(string json) => Assert.Single(Asl.LoadFails(json).Problems);

    [Fact]
    public void Parse_WhenDefinitionValid_ShouldExposeStartAtStatesAndResources()
    {
        var definition = StateMachineDefinition.Parse(
            """
            {"Comment":"c","Version":"1.0","TimeoutSeconds":60,"StartAt":"A","States":{
              "A":{"Type":"Task","Resource":"fn:a","Next":"B"},
              "B":{"Type":"Task","Resource":"fn:b","Next":"C"},
              "C":{"Type":"Task","Resource":"fn:a","End":true}}}
            """);

        Assert.Equal("A", definition.StartAt);
        Assert.Equal(["A", "B", "C"], definition.StateNames);
        Assert.Equal(["fn:a", "fn:b"], definition.TaskResources);
        Assert.Equal(60, definition.TimeoutSeconds);
    }

    [Theory]
    [InlineData("Parallel")]
    [InlineData("Map")]
    public void Parse_WhenStateTypeUnsupported_ShouldRejectNamingStateAndType(string type)
    {
        var problem = Problem($$$$"""{"StartAt":"X","States":{"X":{"Type":"{{{{type}}}}","End":true}}}""");

        Assert.Equal(
            $"State \"X\": Type \"{type}\" is not supported by the local interpreter (supported: Task, Choice, Pass, Wait, Succeed, Fail)",
            problem);
    }

    [Theory]
    [InlineData("Task", "\"Resource\":\"r\",\"End\":true,\"HeartbeatSeconds\":5", "HeartbeatSeconds")]
    [InlineData("Task", "\"Resource\":\"r\",\"End\":true,\"ItemsPath\":\"$.x\"", "ItemsPath")]
    [InlineData("Task", "\"Resource\":\"r\",\"End\":true,\"Arguments\":{}", "Arguments")]
    [InlineData("Pass", "\"End\":true,\"ResultSelector\":{}", "ResultSelector")]
    [InlineData("Pass", "\"End\":true,\"Retry\":[]", "Retry")]
    [InlineData("Choice", "\"Choices\":[{\"Variable\":\"$.a\",\"IsNull\":true,\"Next\":\"X\"}],\"ResultPath\":\"$\"", "ResultPath")]
    [InlineData("Fail", "\"ErrorPath\":\"$.e\"", "ErrorPath")]
    public void Parse_WhenFieldUnsupported_ShouldRejectNamingStateAndField(string type, string fields, string field)
    {
        var problem = Problem($$$$"""{"StartAt":"X","States":{"X":{"Type":"{{{{type}}}}",{{{{fields}}}}}}}""");

        Assert.StartsWith($"State \"X\": field \"{field}\" is not supported by the local interpreter for a {type} state (supported: Type, Comment", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenTopLevelFieldUnsupported_ShouldReject()
    {
        var problem = Problem("""{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Succeed"}}}""");

        Assert.StartsWith("Top level: field \"QueryLanguage\" is not supported", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenTargetsMissing_ShouldReportEveryBadTarget()
    {
        var ex = Asl.LoadFails(
            """
            {"StartAt":"A","States":{
              "A":{"Type":"Task","Resource":"r","Next":"Nowhere","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Ghost"}]},
              "C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"Void"}],"Default":"Abyss"}}}
            """);

        Assert.Contains("State \"A\": field \"Next\" refers to state \"Nowhere\", which does not exist", ex.Problems);
        Assert.Contains("State \"A\": field \"Catch[0].Next\" refers to state \"Ghost\", which does not exist", ex.Problems);
        Assert.Contains("State \"C\": field \"Choices[0].Next\" refers to state \"Void\", which does not exist", ex.Problems);
        Assert.Contains("State \"C\": field \"Default\" refers to state \"Abyss\", which does not exist", ex.Problems);
        Assert.Contains("State \"C\": is not reachable from StartAt", ex.Problems);
        Assert.Contains("Ghost", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Abyss", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenStartAtMissingState_ShouldReject()
    {
        var ex = Asl.LoadFails("""{"StartAt":"Nope","States":{"A":{"Type":"Succeed"}}}""");

        Assert.Contains("Top level: StartAt refers to state \"Nope\", which does not exist", ex.Problems);
    }

    [Fact]
    public void Parse_WhenStateUnreachable_ShouldReject()
    {
        var problem = Problem("""{"StartAt":"A","States":{"A":{"Type":"Succeed"},"Orphan":{"Type":"Pass","End":true}}}""");

        Assert.Equal("State \"Orphan\": is not reachable from StartAt", problem);
    }

    [Theory]
    [InlineData("{\"Type\":\"Pass\"}", "must have either \"Next\" or \"End\": true")]
    [InlineData("{\"Type\":\"Pass\",\"Next\":\"B\",\"End\":true}", "must not have both \"Next\" and \"End\": true")]
    [InlineData("{\"Type\":\"Succeed\",\"End\":true}", "field \"End\" is not allowed on a Succeed state")]
    [InlineData("{\"Type\":\"Fail\",\"Next\":\"B\"}", "field \"Next\" is not allowed on a Fail state")]
    [InlineData("{\"Type\":\"Task\",\"End\":true}", "required field \"Resource\" is missing")]
    [InlineData("{\"Type\":\"Choice\",\"Choices\":[]}", "required field \"Choices\" must be a non-empty array")]
    [InlineData("{\"Type\":\"Wait\",\"End\":true}", "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath (found 0)")]
    [InlineData("{\"Type\":\"Wait\",\"Seconds\":1,\"SecondsPath\":\"$.s\",\"End\":true}", "(found 2)")]
    [InlineData("{\"Type\":\"Wait\",\"Timestamp\":\"tomorrow\",\"End\":true}", "field \"Timestamp\" must be an RFC 3339 timestamp")]
    [InlineData("{\"Type\":\"Task\",\"Resource\":\"r\",\"TimeoutSeconds\":0,\"End\":true}", "field \"TimeoutSeconds\" must be a positive integer")]
    [InlineData("{\"Type\":\"Pass\",\"InputPath\":\"$.a[*]\",\"End\":true}", "unsupported bracket expression")]
    [InlineData("{\"Type\":\"Pass\",\"InputPath\":\"$..a\",\"End\":true}", "recursive descent")]
    [InlineData("{\"Type\":\"Pass\",\"ResultPath\":\"$$.Execution\",\"End\":true}", "not the context object")]
    [InlineData("{\"Type\":\"Pass\",\"Parameters\":{\"a.$\":\"nope\"},\"End\":true}", "field \"Parameters.a.$\": path \"nope\" must start with '$'")]
    [InlineData("{\"Type\":\"Pass\",\"Parameters\":{\"a.$\":3},\"End\":true}", "field \"Parameters.a.$\": a key ending in \".$\" must have a string value")]
    [InlineData("{\"Type\":\"Pass\",\"Parameters\":{\"a.$\":\"$.x\",\"a\":1},\"End\":true}", "appears both with and without")]
    public void Parse_WhenStateMalformed_ShouldRejectWithSpecificProblem(string state, string expected)
    {
        var ex = Asl.LoadFails($$$$"""{"StartAt":"A","States":{"A":{{{{state}}}},"B":{"Type":"Succeed"}}}""");

        Assert.Contains(ex.Problems, p => p.StartsWith("State \"A\": ", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"Variable\":\"$.a\",\"StringEquals\":1,\"Next\":\"B\"}", "field \"Choices[0].StringEquals\" must be a string")]
    [InlineData("{\"Variable\":\"$.a\",\"NumericEquals\":\"1\",\"Next\":\"B\"}", "field \"Choices[0].NumericEquals\" must be a number")]
    [InlineData("{\"Variable\":\"$.a\",\"TimestampEquals\":\"2024\",\"Next\":\"B\"}", "must be an RFC 3339 timestamp string")]
    [InlineData("{\"Variable\":\"$.a\",\"IsNull\":\"yes\",\"Next\":\"B\"}", "must be a boolean")]
    [InlineData("{\"Variable\":\"$.a\",\"StringMatchesPath\":\"$.b\",\"Next\":\"B\"}", "field \"Choices[0].StringMatchesPath\" is not supported")]
    [InlineData("{\"Variable\":\"$.a\",\"StringEquals\":\"x\"}", "field \"Choices[0].Next\" is required")]
    [InlineData("{\"And\":[{\"Variable\":\"$.a\",\"IsNull\":true,\"Next\":\"B\"}],\"Next\":\"B\"}", "field \"Choices[0].And[0].Next\" is only allowed on top-level")]
    [InlineData("{\"Variable\":\"$.a\",\"StringEquals\":\"x\",\"NumericEquals\":1,\"Next\":\"B\"}", "exactly one of And, Or, Not or a comparison operator (found StringEquals, NumericEquals)")]
    [InlineData("{\"StringEquals\":\"x\",\"Next\":\"B\"}", "field \"Choices[0].Variable\" is required")]
    [InlineData("{\"And\":[],\"Next\":\"B\"}", "field \"Choices[0].And\" must be a non-empty array")]
    public void Parse_WhenChoiceRuleMalformed_ShouldRejectNamingTheRule(string rule, string expected)
    {
        var ex = Asl.LoadFails($$$$"""{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{{{{rule}}}}]},"B":{"Type":"Succeed"}}}""");

        Assert.Contains(ex.Problems, p => p.StartsWith("State \"A\": ", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]},{\"ErrorEquals\":[\"E\"]}]", "field \"Retry[0].ErrorEquals\": \"States.ALL\" must appear alone and in the last element")]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[\"States.ALL\",\"E\"]}]", "field \"Retry[0].ErrorEquals\": \"States.ALL\" must appear alone")]
    [InlineData("\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"B\"},{\"ErrorEquals\":[\"E\"],\"Next\":\"B\"}]", "field \"Catch[0].ErrorEquals\": \"States.ALL\" must appear alone")]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[]}]", "field \"Retry[0].ErrorEquals\" must be a non-empty array")]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[\"E\"],\"BackoffRate\":0.5}]", "field \"Retry[0].BackoffRate\" must be a number >= 1.0")]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":-1}]", "field \"Retry[0].MaxAttempts\" must be a non-negative integer")]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":0}]", "field \"Retry[0].IntervalSeconds\" must be a positive integer")]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[\"E\"],\"JitterStrategy\":\"HALF\"}]", "field \"Retry[0].JitterStrategy\" must be \"FULL\" or \"NONE\"")]
    [InlineData("\"Retry\":[{\"ErrorEquals\":[\"E\"],\"Foo\":1}]", "field \"Retry[0].Foo\" is not supported")]
    [InlineData("\"Catch\":[{\"ErrorEquals\":[\"E\"]}]", "field \"Catch[0].Next\" is required")]
    public void Parse_WhenRetryOrCatchMalformed_ShouldReject(string fields, string expected)
    {
        var ex = Asl.LoadFails($$$$"""{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Next":"B",{{{{fields}}}}},"B":{"Type":"Succeed"}}}""");

        Assert.Contains(ex.Problems, p => p.StartsWith("State \"A\": ", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenSubstitutionsSupplied_ShouldReplaceTokensInStringValues()
    {
        var definition = StateMachineDefinition.Parse(
            """
            {"StartAt":"A","States":{
              "A":{"Type":"Task","Resource":"${SegmentFn}","Next":"B"},
              "B":{"Type":"Task","Resource":"arn:${Partition}:lambda:${Region}:fn","End":true}}}
            """,
            new Dictionary<string, string> { ["SegmentFn"] = "segment", ["Partition"] = "aws", ["Region"] = "eu-west-1" });

        Assert.Equal(["segment", "arn:aws:lambda:eu-west-1:fn"], definition.TaskResources);
    }

    [Fact]
    public void Parse_WhenSubstitutionUnresolved_ShouldRejectNamingTokenAndLocation()
    {
        var ex = Asl.LoadFails(
            """{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${Missing}","End":true}}}""",
            new Dictionary<string, string> { ["Other"] = "x" });

        Assert.Equal("Definition substitution \"${Missing}\" at $.States.A.Resource is not resolved (no value was supplied)", Assert.Single(ex.Problems));
    }

    [Fact]
    public void Parse_WhenNoSubstitutionsAndTokenPresent_ShouldReject()
    {
        var ex = Asl.LoadFails("""{"StartAt":"A","States":{"A":{"Type":"Pass","Result":["${Token}"],"End":true}}}""");

        Assert.Contains("${Token}", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"StartAt\":\"A\",\"StartAt\":\"B\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}")]
    public void Parse_WhenDocumentInvalid_ShouldThrowDefinitionException(string json)
    {
        Asl.LoadFails(json);
    }

    [Fact]
    public void Parse_WhenStatesMissing_ShouldReportStartAtAndStates()
    {
        var ex = Asl.LoadFails("{}");

        Assert.Contains("Top level: required field \"StartAt\" is missing", ex.Problems);
        Assert.Contains("Top level: required field \"States\" must be a non-empty JSON object", ex.Problems);
        Assert.StartsWith("The state machine definition has 2 problems:", ex.Message, StringComparison.Ordinal);
    }
}
