using System.Diagnostics;
using System.Text.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Spec components 3–5: route to the modality's detector endpoint (Property 8), post-process its findings
/// (threshold, NMS, clinical significance ranking) and store the analysis result.
/// </summary>
public sealed class AnalyzeStage(
    IObjectStore objects, ImageLoader loader, IInferenceEndpoint endpoint, PipelineOptions options, StageTracker tracker, IIdGenerator ids)
{
    public async Task<AnalysisSummary> RunAsync(AnalyzeRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await tracker.BeginAsync(request.ImageId, PipelineStage.Analyze, ct);
        var png = await loader.LoadPreprocessedPngAsync(record, ct);
        var stopwatch = Stopwatch.StartNew();
        var endpointName = options.Endpoints.DetectorFor(request.Modality);
        var response = await InferenceClient.InvokeJsonAsync(endpoint, endpointName, png, MedVisionJsonContext.Default.DetectorResponse, ct);

        var result = BuildResult(request.ImageId, request.Modality, response, stopwatch.Elapsed.TotalMilliseconds, tracker.Time.GetUtcNow(), ids.NewId);
        var key = ObjectKeys.Analysis(request.ImageId);
        await objects.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(result, MedVisionJsonContext.Default.AnalysisResult), "application/json", ct);

        var summary = new AnalysisSummary
        {
            ImageId = request.ImageId,
            AnalysisKey = key,
            OverallAssessment = result.OverallAssessment,
            AbnormalityCount = result.Abnormalities.Count,
            MaxConfidence = result.Abnormalities.Count == 0 ? null : result.Abnormalities.Max(a => a.Confidence),
            ModelVersion = result.ModelVersion,
        };
        await tracker.CompleteAsync(
            request.ImageId, PipelineStage.Analyze, r => r with { AnalysisSummary = summary },
            $"{summary.OverallAssessment.ToString().ToLowerInvariant()}, {summary.AbnormalityCount} finding(s) via {endpointName}", ct);
        return summary;
    }

    public static AnalysisResult BuildResult(
        string imageId, Modality modality, Inference.DetectorResponse response, double elapsedMs, DateTimeOffset now, Func<string> newId)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.ImageWidth <= 0 || response.ImageHeight <= 0)
        {
            throw new ModelOutputInvalidException($"The detector reported image size {response.ImageWidth}×{response.ImageHeight}.");
        }

        var raw = response.Detections.Select(d => new RawDetection(d.Type, d.Confidence, d.Severity, d.BoundingBox, d.Description));
        var findings = FindingPostProcessor.Process(raw, response.ImageWidth, response.ImageHeight, newId, modality.DisplayName());
        return new AnalysisResult
        {
            ImageId = imageId,
            Modality = modality.WireName(),
            OverallAssessment = findings.Count > 0 ? OverallAssessment.Abnormal : OverallAssessment.Normal,
            Abnormalities = findings,
            ProcessingTimeMs = Math.Round(elapsedMs, 1),
            ModelVersion = response.ModelVersion,
            AnalysisTimestamp = now,
            ImageWidth = response.ImageWidth,
            ImageHeight = response.ImageHeight,
        };
    }
}
