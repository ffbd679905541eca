using System.Text.Json;
using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Imaging;

namespace MedVision.Models;

/// <summary>A request the model side refuses (HTTP 400 from the model server); never retried.</summary>
public sealed class ModelRequestException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// The model side of the inference contract, shared by the in-process host and the model server: parses a
/// <see cref="ModelRequest"/>, fetches the image (inline, or by S3 URI), runs the reference analyzer the task asks
/// for, and answers a <see cref="ModelResponse"/>.
/// </summary>
public sealed class ReferenceModelHost(
    ReferenceModalityClassifier classifier,
    ReferenceAbnormalityDetector detector,
    Func<string, CancellationToken, Task<byte[]?>>? fetchS3Uri = null)
{
    public ReferenceModelHost()
        : this(new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector())
    {
    }

    /// <summary>Parses a request body; <see cref="ModelRequestException"/> when it is not a contract request.</summary>
    public static ModelRequest ParseRequest(ReadOnlySpan<byte> body)
    {
        ModelRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body, MedVisionJsonContext.Default.ModelRequest);
        }
        catch (JsonException ex)
        {
            throw new ModelRequestException("model.bad_request", $"The body is not a model request (contracts/inference.schema.json): {ex.Message}");
        }

        if (request is null)
        {
            throw new ModelRequestException("model.bad_request", "The body is JSON null, not a model request.");
        }

        if (request.ContractVersion?.Split('.')[0] != InferenceContract.Version.Split('.')[0])
        {
            throw new ModelRequestException("model.bad_contract_version", $"contract_version '{request.ContractVersion}' is not supported; this server speaks {InferenceContract.Version}.");
        }

        if (request.Task == InferenceTask.Detect && request.Modality is null)
        {
            throw new ModelRequestException("model.bad_request", "A detect request needs a modality.");
        }

        return request;
    }

    public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var request = ParseRequest(body.Span);
        var response = await AnswerAsync(request, ct);
        return JsonSerializer.SerializeToUtf8Bytes(response, MedVisionJsonContext.Default.ModelResponse);
    }

    public async Task<ModelResponse> AnswerAsync(ModelRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var image = await LoadImageAsync(request.Image, ct);
        ct.ThrowIfCancellationRequested();

        // CPU-bound: off the caller's thread, like a remote endpoint's work would be.
        return await Task.Run(
            () => request.Task == InferenceTask.Classify
                ? classifier.Classify(image)
                : detector.Detect(image, request.Modality ?? throw new ModelRequestException("model.bad_request", "A detect request needs a modality.")),
            ct);
    }

    private async Task<Raster> LoadImageAsync(ModelImage image, CancellationToken ct)
    {
        if (image is null)
        {
            throw new ModelRequestException("model.bad_request", "The request has no image.");
        }

        if (!string.Equals(image.MediaType, InferenceContract.ImageMediaType, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelRequestException("model.bad_content_type", $"Images must be {InferenceContract.ImageMediaType}, not '{image.MediaType}'.");
        }

        byte[] png;
        if (image.Data is { } data)
        {
            png = data;
        }
        else if (image.S3Uri is { } uri)
        {
            png = (fetchS3Uri is null ? null : await fetchS3Uri(uri, ct))
                ?? throw new ModelRequestException("model.input_not_found", $"The image at {uri} cannot be read by this model host.");
        }
        else
        {
            throw new ModelRequestException("model.bad_request", "The image needs either data or s3_uri.");
        }

        Raster raster;
        try
        {
            raster = PngDecoder.Decode(png);
        }
        catch (ImageDecodeException ex)
        {
            throw new ModelRequestException("model.bad_image", $"The image is not a valid PNG ({ex.Code}): {ex.Message}");
        }

        return raster.Width == image.Width && raster.Height == image.Height
            ? raster
            : throw new ModelRequestException("model.bad_image", $"The PNG is {raster.Width}×{raster.Height}, the request says {image.Width}×{image.Height}.");
    }

    /// <summary>A job in words for errors, e.g. "classification" or "ct detection".</summary>
    public static string DescribeJob(InferenceTask task, Modality? modality) =>
        task == InferenceTask.Classify ? "classification" : $"{modality?.WireName() ?? "unknown"} detection";

    /// <summary>Which job an endpoint name serves, for hosts that serve several endpoints.</summary>
    public static Dictionary<string, (InferenceTask Task, Modality? Modality)> EndpointJobs(ModelRoutingOptions routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var jobs = new Dictionary<string, (InferenceTask, Modality?)>(StringComparer.Ordinal);
        foreach (var (job, route) in routes.AllRoutes())
        {
            var value = job == "classifier"
                ? (InferenceTask.Classify, (Modality?)null)
                : (InferenceTask.Detect, Modalities.TryParse(job, out var m) ? m : (Modality?)null);
            foreach (var target in new[] { route.Primary, route.Fallback, route.AbTest?.Candidate })
            {
                if (target is not null && jobs.TryGetValue(target.Endpoint, out var existing) && existing != value)
                {
                    throw new ArgumentException($"Endpoint name '{target.Endpoint}' is configured for more than one job.", nameof(routes));
                }

                if (target is not null)
                {
                    jobs[target.Endpoint] = value;
                }
            }
        }

        return jobs;
    }
}
