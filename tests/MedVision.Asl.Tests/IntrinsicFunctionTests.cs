namespace MedVision.Asl.Tests;

public class IntrinsicFunctionTests
{
    private static Task<ExecutionResult> RunPassAsync(string parameters, string input) =>
        Asl.RunAsync($$$$"""{"StartAt":"P","States":{"P":{"Type":"Pass","End":true,"Parameters":{{{{parameters}}}}}}}""", input);

    [Fact]
    public async Task Format_WhenGivenPathsAndLiterals_ShouldSubstitutePlaceholdersInOrder()
    {
        var result = await RunPassAsync(
            """{"msg.$":"States.Format('Hello {}, you are {} ({}) {}', $.name, $.age, true, null)"}""",
            """{"name":"Ann","age":42}""");

        Asl.JsonEqual("""{"msg":"Hello Ann, you are 42 (true) null"}""", result.Output);
    }

    [Fact]
    public async Task Format_WhenTemplateHasEscapes_ShouldKeepEscapedCharactersLiteral()
    {
        // JSON "\\{" is the ASL text \{ : an escaped brace, not a placeholder.
        var result = await RunPassAsync(
            """{"msg.$":"States.Format('\\{\\} it\\'s {} \\\\', $.v)"}""",
            """{"v":"x"}""");

        Asl.JsonEqual("""{"msg":"{} it's x \\"}""", result.Output);
    }

    [Fact]
    public async Task Format_WhenArgumentIsObject_ShouldFailWithStatesRuntime()
    {
        var result = await RunPassAsync("""{"msg.$":"States.Format('{}', $.o)"}""", """{"o":{"a":1}}""");

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("States.Runtime", result.Error);
        Assert.Contains("States.Format", result.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StringToJson_WhenGivenJsonText_ShouldParseIt()
    {
        var result = await RunPassAsync("""{"v.$":"States.StringToJson($.s)"}""", """{"s":"{\"a\":[1,true]}"}""");

        Asl.JsonEqual("""{"v":{"a":[1,true]}}""", result.Output);
    }

    [Fact]
    public async Task StringToJson_WhenGivenInvalidJson_ShouldFailWithStatesRuntime()
    {
        var result = await RunPassAsync("""{"v.$":"States.StringToJson($.s)"}""", """{"s":"{nope"}""");

        Assert.Equal("States.Runtime", result.Error);
    }

    [Fact]
    public async Task JsonToString_WhenGivenObject_ShouldSerializeCompactly()
    {
        var result = await RunPassAsync("""{"v.$":"States.JsonToString($.o)"}""", """{"o":{"a":[1,2],"b":"c"}}""");

        Asl.JsonEqual("""{"v":"{\"a\":[1,2],\"b\":\"c\"}"}""", result.Output);
    }

    [Fact]
    public async Task Array_WhenGivenMixedArguments_ShouldBuildArray()
    {
        var result = await RunPassAsync("""{"v.$":"States.Array(1, 'two', $.x, false, null, States.Array())"}""", """{"x":{"k":3}}""");

        Asl.JsonEqual("""{"v":[1,"two",{"k":3},false,null,[]]}""", result.Output);
    }

    [Fact]
    public async Task MathAdd_WhenGivenIntegers_ShouldAdd()
    {
        var result = await RunPassAsync("""{"v.$":"States.MathAdd($.n, -3)"}""", """{"n":10}""");

        Asl.JsonEqual("""{"v":7}""", result.Output);
    }

    [Fact]
    public async Task MathAdd_WhenGivenNonInteger_ShouldFailWithStatesRuntime()
    {
        var result = await RunPassAsync("""{"v.$":"States.MathAdd($.n, 1)"}""", """{"n":1.5}""");

        Assert.Equal("States.Runtime", result.Error);
    }

    [Fact]
    public async Task Format_WhenNestedWithJsonToString_ShouldComposeCalls()
    {
        var result = await RunPassAsync("""{"v.$":"States.Format('payload={}', States.JsonToString($.o))"}""", """{"o":{"a":1}}""");

        Asl.JsonEqual("""{"v":"payload={\"a\":1}"}""", result.Output);
    }

    [Fact]
    public async Task Format_WhenUsedInResultSelector_ShouldReadTheTaskResult()
    {
        var invoker = new FakeInvoker().On("r", _ => System.Text.Json.Nodes.JsonNode.Parse("""{"id":7}"""));
        var result = await Asl.RunAsync(
            Asl.SingleTask("""
                "ResultSelector":{"label.$":"States.Format('job-{}', $.id)"},"End":true
                """),
            "{}",
            invoker);

        Asl.JsonEqual("""{"label":"job-7"}""", result.Output);
    }

    [Theory]
    [InlineData("States.UUID()", "\"States.UUID\" is not supported")]
    [InlineData("States.Hash($.a, 'SHA-1')", "\"States.Hash\" is not supported")]
    [InlineData("States.Format('{} {}', $.a)", "2 placeholder(s) but 1 argument(s)")]
    [InlineData("States.MathAdd(1)", "exactly 2 arguments")]
    [InlineData("States.JsonToString($.a, $.b)", "exactly 1 argument")]
    [InlineData("States.Format('unterminated)", "unterminated string literal")]
    public void Parse_WhenIntrinsicIsUnsupportedOrMalformed_ShouldRejectNamingStateAndField(string expression, string expected)
    {
        var json = "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true,\"Parameters\":{\"v.$\":\"" + expression + "\"}}}}";

        var ex = Asl.LoadFails(json);

        var problem = Assert.Single(ex.Problems);
        Assert.StartsWith("State \"P\": field \"Parameters.v.$\"", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}
