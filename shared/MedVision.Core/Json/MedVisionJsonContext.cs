using System.Text.Json.Serialization;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Core.Reports;

namespace MedVision.Core.Json;

/// <summary>
/// Source-generated serialization for every contract type (trimming-safe, no reflection). The wire format is
/// snake_case: a property's JSON name is its C# name in snake_case unless a [JsonPropertyName] says otherwise.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UnixSecondsConverter)])]
[JsonSerializable(typeof(ImageRecord))]
[JsonSerializable(typeof(AuditEntry))]
[JsonSerializable(typeof(ModalityClassification))]
[JsonSerializable(typeof(AnalysisResult))]
[JsonSerializable(typeof(AnalysisSummary))]
[JsonSerializable(typeof(AnalysisReport))]
[JsonSerializable(typeof(ModelRequest))]
[JsonSerializable(typeof(ModelResponse))]
[JsonSerializable(typeof(ModelRoutingOptions))]
[JsonSerializable(typeof(PipelineEvent))]
[JsonSerializable(typeof(PipelineInput))]
[JsonSerializable(typeof(StageRequest))]
[JsonSerializable(typeof(ManualReviewRequest))]
[JsonSerializable(typeof(AnalyzeRequest))]
[JsonSerializable(typeof(HeatmapResult))]
[JsonSerializable(typeof(ReportResult))]
[JsonSerializable(typeof(FailureRequest))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(LambdaErrorCause))]
[JsonSerializable(typeof(List<ImageRecord>))]
public sealed partial class MedVisionJsonContext : JsonSerializerContext;
