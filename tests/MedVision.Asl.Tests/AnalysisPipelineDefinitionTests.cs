using System.Text.Json.Nodes;

namespace MedVision.Asl.Tests;

/// <summary>Contract check: the product's state machine must stay within what the local interpreter supports.</summary>
public class AnalysisPipelineDefinitionTests
{
    private static readonly string[] Functions = ["Classify", "ManualReview", "Analyze", "Heatmap", "Report", "Finalize", "MarkFailed"];

    private static StateMachineDefinition Load()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "statemachines", "analysis-pipeline.asl.json")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var json = File.ReadAllText(Path.Combine(directory.FullName, "statemachines", "analysis-pipeline.asl.json"));
        return StateMachineDefinition.Parse(json, Functions.ToDictionary(f => $"{f}FunctionArn", f => f));
    }

    private static FakeInvoker HappyInvoker(double confidence) => new FakeInvoker()
        .On("Classify", _ => JsonNode.Parse($$"""{"modality":"ct","confidence":{{confidence}},"requires_manual_review":false,"model_version":"v1","extra":1}"""))
        .On("ManualReview", _ => JsonNode.Parse("""{"queued":true}"""))
        .On("Analyze", _ => JsonNode.Parse("""{"findings":[]}"""))
        .On("Heatmap", _ => JsonNode.Parse("""{"key":"h.png"}"""))
        .On("Report", _ => JsonNode.Parse("""{"key":"r.pdf"}"""))
        .On("Finalize", _ => JsonNode.Parse("""{"status":"complete"}"""))
        .On("MarkFailed", _ => JsonNode.Parse("""{"status":"failed"}"""));

    [Fact]
    public void Parse_WhenProductDefinitionLoaded_ShouldResolveEveryResource()
    {
        var definition = Load();

        Assert.Equal("Classify", definition.StartAt);
        Assert.Equal(Functions.Order(StringComparer.Ordinal), definition.TaskResources.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WhenConfidenceHigh_ShouldRunAnalysisThroughFinalize()
    {
        var invoker = HappyInvoker(0.97);
        var result = await new StateMachineInterpreter(Load(), invoker, new ManualTimeProvider())
            .RunAsync(JsonNode.Parse("""{"image_id":"img-1"}"""), "happy");

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal(["Classify", "Analyze", "Heatmap", "Report", "Finalize"], invoker.Calls.Select(c => c.Resource));
        Asl.JsonEqual("""{"image_id":"img-1","modality":"ct"}""", invoker.Calls[1].Input);
        Asl.JsonEqual("""{"modality":"ct","confidence":0.97,"requires_manual_review":false,"model_version":"v1"}""", result.Output!["classification"]);
    }

    [Fact]
    public async Task RunAsync_WhenConfidenceLow_ShouldRequestManualReview()
    {
        var invoker = HappyInvoker(0.5);
        var result = await new StateMachineInterpreter(Load(), invoker, new ManualTimeProvider())
            .RunAsync(JsonNode.Parse("""{"image_id":"img-1"}"""), "review");

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal(["Classify", "ManualReview"], invoker.Calls.Select(c => c.Resource));
    }

    [Fact]
    public async Task RunAsync_WhenHeatmapFails_ShouldDegradeAndStillReport()
    {
        var invoker = HappyInvoker(0.97).On("Heatmap", _ => throw new InvalidOperationException("gpu gone"));
        var result = await new StateMachineInterpreter(Load(), invoker, new ManualTimeProvider())
            .RunAsync(JsonNode.Parse("""{"image_id":"img-1"}"""), "degraded");

        Assert.Equal(ExecutionStatus.Succeeded, result.Status);
        Assert.Equal("InvalidOperationException", result.Output!["heatmap_error"]!["Error"]!.GetValue<string>());
        Assert.Contains(invoker.Calls, c => c.Resource == "Report");
    }

    [Fact]
    public async Task RunAsync_WhenAnalyzeKeepsFailing_ShouldRetryThenMarkFailed()
    {
        var clock = new ManualTimeProvider();
        var invoker = HappyInvoker(0.97).On("Analyze", _ => throw new TaskFailedException("ModelUnavailableException", "endpoint down"));
        var result = await new StateMachineInterpreter(Load(), invoker, clock, random: () => 0.5)
            .RunAsync(JsonNode.Parse("""{"image_id":"img-1"}"""), "failing");

        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.Equal("MedVision.AnalysisFailed", result.Error);
        Assert.Equal(4, invoker.Calls.Count(c => c.Resource == "Analyze"));
        // The execution's TimeoutSeconds timer first, then FULL jitter with random 0.5 halving the 1s/2s/4s back-off.
        Assert.Equal(
            [TimeSpan.FromSeconds(900), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)],
            clock.RequestedDelays);
        var markFailed = invoker.Calls.Single(c => c.Resource == "MarkFailed").Input;
        Assert.Equal("ModelUnavailableException", markFailed!["error"]!["Error"]!.GetValue<string>());
    }
}
