using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;

namespace MedVision.Functions.Pipeline;

/// <summary>
/// A Step Functions task handler: decode the state input, call one stage in shared/, encode the result.
/// Errors propagate as typed exceptions whose type names the ASL Retry/Catch rules match.
/// </summary>
public sealed class StageHandler<TIn, TOut>(
    string name, JsonTypeInfo<TIn> inputType, JsonTypeInfo<TOut> outputType, Func<TIn, CancellationToken, Task<TOut>> stage) : IJsonHandler
{
    public string Name => name;

    public async Task<JsonNode?> HandleAsync(JsonNode? input, CancellationToken cancellationToken) =>
        HandlerJson.Encode(await stage(HandlerJson.Decode(input, inputType, name), cancellationToken), outputType);
}

/// <summary>The state machine's task handlers, wired to their stages.</summary>
public static class StageHandlers
{
    public static IReadOnlyList<IJsonHandler> Create(PipelineServices stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var json = MedVisionJsonContext.Default;
        return
        [
            new StageHandler<StageRequest, Core.Classification.ModalityClassification>(
                HandlerNames.Classify, json.StageRequest, json.ModalityClassification, stages.Classify.RunAsync),
            new StageHandler<AnalyzeRequest, Core.Analysis.AnalysisSummary>(
                HandlerNames.Analyze, json.AnalyzeRequest, json.AnalysisSummary, stages.Analyze.RunAsync),
            new StageHandler<StageRequest, HeatmapResult>(HandlerNames.Heatmap, json.StageRequest, json.HeatmapResult, stages.Heatmap.RunAsync),
            new StageHandler<StageRequest, ReportResult>(HandlerNames.Report, json.StageRequest, json.ReportResult, stages.Report.RunAsync),
            new StageHandler<StageRequest, StatusResult>(HandlerNames.Finalize, json.StageRequest, json.StatusResult, stages.Finish.FinalizeAsync),
            // Invoked by lambda:invoke.waitForTaskToken: its answer is ignored, the execution waits for the token.
            new StageHandler<ManualReviewRequest, StatusResult>(
                HandlerNames.ManualReview, json.ManualReviewRequest, json.StatusResult, stages.Finish.RequestManualReviewAsync),
            new StageHandler<FailureRequest, StatusResult>(HandlerNames.MarkFailed, json.FailureRequest, json.StatusResult, stages.Finish.MarkFailedAsync),
            new StageHandler<FailureRequest, StatusResult>(
                HandlerNames.RecordDegraded, json.FailureRequest, json.StatusResult, stages.Finish.RecordDegradedAsync),
        ];
    }
}
