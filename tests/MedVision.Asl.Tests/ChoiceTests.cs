namespace MedVision.Asl.Tests;

public class ChoiceTests
{
    private static string Machine(string rule) => $$$$"""
        {"StartAt":"C","States":{
          "C":{"Type":"Choice","Choices":[{{{{{rule}}}},"Next":"Yes"}],"Default":"No"},
          "Yes":{"Type":"Pass","Result":"yes","End":true},
          "No":{"Type":"Pass","Result":"no","End":true}}}
        """;

    private static async Task<string?> RouteAsync(string rule, string input)
    {
        var result = await Asl.RunAsync(Machine(rule), input);
        Assert.True(result.Status == ExecutionStatus.Succeeded, $"{result.Error}: {result.Cause}");
        return result.Output!.GetValue<string>();
    }

    [Theory]
    // String family (ordinal comparison).
    [InlineData("\"Variable\":\"$.s\",\"StringEquals\":\"abc\"", "{\"s\":\"abc\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringEquals\":\"abc\"", "{\"s\":\"abd\"}", "no")]
    [InlineData("\"Variable\":\"$.s\",\"StringLessThan\":\"b\"", "{\"s\":\"a\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringLessThan\":\"b\"", "{\"s\":\"b\"}", "no")]
    [InlineData("\"Variable\":\"$.s\",\"StringGreaterThan\":\"b\"", "{\"s\":\"c\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringGreaterThan\":\"b\"", "{\"s\":\"b\"}", "no")]
    [InlineData("\"Variable\":\"$.s\",\"StringLessThanEquals\":\"b\"", "{\"s\":\"b\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringLessThanEquals\":\"b\"", "{\"s\":\"c\"}", "no")]
    [InlineData("\"Variable\":\"$.s\",\"StringGreaterThanEquals\":\"b\"", "{\"s\":\"b\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringGreaterThanEquals\":\"b\"", "{\"s\":\"a\"}", "no")]
    // StringMatches: '*' wildcard and backslash escapes (JSON "\\*" is the ASL text \*).
    [InlineData("\"Variable\":\"$.s\",\"StringMatches\":\"log-*.txt\"", "{\"s\":\"log-2024-01.txt\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringMatches\":\"log-*.txt\"", "{\"s\":\"log-2024-01.csv\"}", "no")]
    [InlineData("\"Variable\":\"$.s\",\"StringMatches\":\"*\"", "{\"s\":\"\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringMatches\":\"a\\\\*b\"", "{\"s\":\"a*b\"}", "yes")]
    [InlineData("\"Variable\":\"$.s\",\"StringMatches\":\"a\\\\*b\"", "{\"s\":\"axxb\"}", "no")]
    [InlineData("\"Variable\":\"$.s\",\"StringMatches\":\"*a*b*\"", "{\"s\":\"xxaxxbxx\"}", "yes")]
    // Numeric family.
    [InlineData("\"Variable\":\"$.n\",\"NumericEquals\":3", "{\"n\":3.0}", "yes")]
    [InlineData("\"Variable\":\"$.n\",\"NumericEquals\":3", "{\"n\":4}", "no")]
    [InlineData("\"Variable\":\"$.n\",\"NumericLessThan\":3", "{\"n\":2.5}", "yes")]
    [InlineData("\"Variable\":\"$.n\",\"NumericLessThan\":3", "{\"n\":3}", "no")]
    [InlineData("\"Variable\":\"$.n\",\"NumericGreaterThan\":3", "{\"n\":4}", "yes")]
    [InlineData("\"Variable\":\"$.n\",\"NumericGreaterThan\":3", "{\"n\":3}", "no")]
    [InlineData("\"Variable\":\"$.n\",\"NumericLessThanEquals\":3", "{\"n\":3}", "yes")]
    [InlineData("\"Variable\":\"$.n\",\"NumericLessThanEquals\":3", "{\"n\":3.01}", "no")]
    [InlineData("\"Variable\":\"$.n\",\"NumericGreaterThanEquals\":-1", "{\"n\":-1}", "yes")]
    [InlineData("\"Variable\":\"$.n\",\"NumericGreaterThanEquals\":-1", "{\"n\":-2}", "no")]
    // Boolean.
    [InlineData("\"Variable\":\"$.b\",\"BooleanEquals\":true", "{\"b\":true}", "yes")]
    [InlineData("\"Variable\":\"$.b\",\"BooleanEquals\":true", "{\"b\":false}", "no")]
    // Timestamp family (instants compared, offsets honoured).
    [InlineData("\"Variable\":\"$.t\",\"TimestampEquals\":\"2024-01-01T00:00:00Z\"", "{\"t\":\"2024-01-01T01:00:00+01:00\"}", "yes")]
    [InlineData("\"Variable\":\"$.t\",\"TimestampLessThan\":\"2024-01-01T00:00:00Z\"", "{\"t\":\"2023-12-31T23:59:59.5Z\"}", "yes")]
    [InlineData("\"Variable\":\"$.t\",\"TimestampLessThan\":\"2024-01-01T00:00:00Z\"", "{\"t\":\"2024-01-01T00:00:00Z\"}", "no")]
    [InlineData("\"Variable\":\"$.t\",\"TimestampGreaterThan\":\"2024-01-01T00:00:00Z\"", "{\"t\":\"2024-01-01T00:00:01Z\"}", "yes")]
    [InlineData("\"Variable\":\"$.t\",\"TimestampLessThanEquals\":\"2024-01-01T00:00:00Z\"", "{\"t\":\"2024-01-01T00:00:00Z\"}", "yes")]
    [InlineData("\"Variable\":\"$.t\",\"TimestampGreaterThanEquals\":\"2024-01-01T00:00:00Z\"", "{\"t\":\"2023-01-01T00:00:00Z\"}", "no")]
    // Type tests.
    [InlineData("\"Variable\":\"$.v\",\"IsNull\":true", "{\"v\":null}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsNull\":true", "{\"v\":0}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"IsPresent\":true", "{\"v\":null}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsPresent\":true", "{}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"IsPresent\":false", "{}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsNumeric\":true", "{\"v\":1.5}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsNumeric\":true", "{\"v\":\"1.5\"}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"IsString\":true", "{\"v\":\"x\"}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsString\":false", "{\"v\":1}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsBoolean\":true", "{\"v\":false}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsBoolean\":true", "{\"v\":\"false\"}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"IsTimestamp\":true", "{\"v\":\"2024-01-01T00:00:00Z\"}", "yes")]
    [InlineData("\"Variable\":\"$.v\",\"IsTimestamp\":true", "{\"v\":\"2024-01-01\"}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"IsTimestamp\":true", "{\"v\":\"2024-01-01T00:00:00\"}", "no")]
    // Wrong-typed values compare false rather than failing (spec).
    [InlineData("\"Variable\":\"$.v\",\"StringEquals\":\"1\"", "{\"v\":1}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"NumericEquals\":1", "{\"v\":\"1\"}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"BooleanEquals\":true", "{\"v\":\"true\"}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"TimestampEquals\":\"2024-01-01T00:00:00Z\"", "{\"v\":\"yesterday\"}", "no")]
    [InlineData("\"Variable\":\"$.v\",\"StringMatches\":\"*\"", "{\"v\":null}", "no")]
    // Path variants compare against another input value.
    [InlineData("\"Variable\":\"$.a\",\"StringEqualsPath\":\"$.b\"", "{\"a\":\"x\",\"b\":\"x\"}", "yes")]
    [InlineData("\"Variable\":\"$.a\",\"StringLessThanPath\":\"$.b\"", "{\"a\":\"x\",\"b\":\"y\"}", "yes")]
    [InlineData("\"Variable\":\"$.a\",\"StringGreaterThanEqualsPath\":\"$.b\"", "{\"a\":\"x\",\"b\":\"y\"}", "no")]
    [InlineData("\"Variable\":\"$.a\",\"NumericEqualsPath\":\"$.b\"", "{\"a\":2,\"b\":2}", "yes")]
    [InlineData("\"Variable\":\"$.rating\",\"NumericGreaterThanPath\":\"$.auditThreshold\"", "{\"rating\":53,\"auditThreshold\":50}", "yes")]
    [InlineData("\"Variable\":\"$.a\",\"NumericLessThanEqualsPath\":\"$.b\"", "{\"a\":3,\"b\":2}", "no")]
    [InlineData("\"Variable\":\"$.a\",\"NumericEqualsPath\":\"$.b\"", "{\"a\":2,\"b\":\"2\"}", "no")]
    [InlineData("\"Variable\":\"$.a\",\"BooleanEqualsPath\":\"$.b\"", "{\"a\":false,\"b\":false}", "yes")]
    [InlineData("\"Variable\":\"$.a\",\"TimestampGreaterThanPath\":\"$.b\"", "{\"a\":\"2024-01-02T00:00:00Z\",\"b\":\"2024-01-01T00:00:00Z\"}", "yes")]
    [InlineData("\"Variable\":\"$.a\",\"TimestampLessThanEqualsPath\":\"$.b\"", "{\"a\":\"2024-01-02T00:00:00Z\",\"b\":\"2024-01-01T00:00:00Z\"}", "no")]
    [InlineData("\"Variable\":\"$$.State.Name\",\"StringEquals\":\"C\"", "{}", "yes")]
    // Boolean operators.
    [InlineData("\"Not\":{\"Variable\":\"$.type\",\"StringEquals\":\"Private\"}", "{\"type\":\"Public\"}", "yes")]
    [InlineData("\"Not\":{\"Variable\":\"$.type\",\"StringEquals\":\"Private\"}", "{\"type\":\"Private\"}", "no")]
    [InlineData("\"And\":[{\"Variable\":\"$.v\",\"IsPresent\":true},{\"Variable\":\"$.v\",\"NumericGreaterThanEquals\":20},{\"Variable\":\"$.v\",\"NumericLessThan\":30}]", "{\"v\":25}", "yes")]
    [InlineData("\"And\":[{\"Variable\":\"$.v\",\"IsPresent\":true},{\"Variable\":\"$.v\",\"NumericGreaterThanEquals\":20},{\"Variable\":\"$.v\",\"NumericLessThan\":30}]", "{\"v\":30}", "no")]
    [InlineData("\"And\":[{\"Variable\":\"$.v\",\"IsPresent\":true},{\"Variable\":\"$.v\",\"NumericGreaterThanEquals\":20}]", "{}", "no")]
    [InlineData("\"Or\":[{\"Variable\":\"$.v\",\"StringEquals\":\"a\"},{\"Variable\":\"$.v\",\"StringEquals\":\"b\"}]", "{\"v\":\"b\"}", "yes")]
    [InlineData("\"Or\":[{\"Variable\":\"$.v\",\"StringEquals\":\"a\"},{\"Variable\":\"$.v\",\"StringEquals\":\"b\"}]", "{\"v\":\"c\"}", "no")]
    [InlineData("\"Not\":{\"Or\":[{\"Variable\":\"$.v\",\"IsNull\":true},{\"And\":[{\"Variable\":\"$.v\",\"IsString\":true},{\"Variable\":\"$.v\",\"StringEquals\":\"\"}]}]}", "{\"v\":\"x\"}", "yes")]
    public async Task Choice_WhenRuleEvaluated_ShouldRouteAccordingToSpec(string rule, string input, string expected)
    {
        Assert.Equal(expected, await RouteAsync(rule, input));
    }

    [Fact]
    public async Task Choice_WhenSpecExampleEvaluated_ShouldPickFirstMatchingRule()
    {
        var machine = """
            {"StartAt":"ChoiceStateX","States":{
              "ChoiceStateX":{"Type":"Choice","Choices":[
                {"Not":{"Variable":"$.type","StringEquals":"Private"},"Next":"Public"},
                {"And":[{"Variable":"$.value","IsPresent":true},{"Variable":"$.value","IsNumeric":true},
                        {"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],
                 "Next":"ValueInTwenties"},
                {"Variable":"$.rating","NumericGreaterThanPath":"$.auditThreshold","Next":"StartAudit"}],
               "Default":"RecordEvent"},
              "Public":{"Type":"Pass","Result":"Public","End":true},
              "ValueInTwenties":{"Type":"Pass","Result":"ValueInTwenties","End":true},
              "StartAudit":{"Type":"Pass","Result":"StartAudit","End":true},
              "RecordEvent":{"Type":"Pass","Result":"RecordEvent","End":true}}}
            """;

        async Task<string> Route(string input) => (await Asl.RunAsync(machine, input)).Output!.GetValue<string>();

        Assert.Equal("Public", await Route("""{"type":"Public","value":25}"""));
        Assert.Equal("ValueInTwenties", await Route("""{"type":"Private","value":25}"""));
        Assert.Equal("StartAudit", await Route("""{"type":"Private","value":"x","rating":53,"auditThreshold":50}"""));
        Assert.Equal("RecordEvent", await Route("""{"type":"Private","value":1,"rating":1,"auditThreshold":50}"""));
    }

    [Fact]
    public async Task Choice_WhenNothingMatchesAndNoDefault_ShouldFailWithNoChoiceMatched()
    {
        var result = await Asl.RunAsync(
            """
            {"StartAt":"C","States":{
              "C":{"Type":"Choice","Choices":[{"Variable":"$.v","StringEquals":"a","Next":"Yes"}]},
              "Yes":{"Type":"Succeed"}}}
            """,
            """{"v":"b"}""");

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("States.NoChoiceMatched", result.Error);
    }

    [Fact]
    public async Task Choice_WhenVariableMissing_ShouldFailWithStatesRuntime()
    {
        var result = await Asl.RunAsync(Machine("\"Variable\":\"$.v\",\"StringEquals\":\"a\""), "{}");

        Assert.Equal("States.Runtime", result.Error);
    }

    [Fact]
    public async Task Choice_WhenComparisonPathMissing_ShouldFailWithStatesRuntime()
    {
        var result = await Asl.RunAsync(Machine("\"Variable\":\"$.v\",\"StringEqualsPath\":\"$.w\""), """{"v":"a"}""");

        Assert.Equal("States.Runtime", result.Error);
    }

    [Fact]
    public async Task Choice_WhenInputAndOutputPathSet_ShouldTestEffectiveInputAndFilterOutput()
    {
        var result = await Asl.RunAsync(
            """
            {"StartAt":"C","States":{
              "C":{"Type":"Choice","InputPath":"$.inner","OutputPath":"$.keep","Choices":[{"Variable":"$.flag","BooleanEquals":true,"Next":"Done"}]},
              "Done":{"Type":"Succeed"}}}
            """,
            """{"inner":{"flag":true,"keep":{"k":1}},"outer":2}""");

        Asl.JsonEqual("""{"k":1}""", result.Output);
    }
}
