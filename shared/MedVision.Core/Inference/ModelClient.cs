using System.Text.Json;
using MedVision.Core.Classification;
using MedVision.Core.Json;
using MedVision.Core.Observability;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Imaging;

namespace MedVision.Core.Inference;

/// <summary>The model input made from an image: the PNG sent, its size, and the factors that map boxes back.</summary>
public sealed record PreparedInput(byte[] Png, int Width, int Height, int OriginalWidth, int OriginalHeight)
{
    public double ScaleX => (double)OriginalWidth / Width;

    public double ScaleY => (double)OriginalHeight / Height;
}

/// <summary>A classification answer with the target that gave it.</summary>
public sealed record ClassificationCall(ModelResponse Response, ModelTarget Target, bool UsedFallback, TimeSpan Latency);

/// <summary>A detection answer with the input it was computed on (to scale boxes back) and the target that gave it.</summary>
public sealed record DetectionCall(ModelResponse Response, PreparedInput Input, ModelTarget Target, bool UsedFallback, TimeSpan Latency);

/// <summary>
/// The pipeline's side of the inference contract: preprocesses (8-bit gray, long side scaled to the route's input
/// size), builds the request (inline, or by S3 URI over the payload limit), routes it, and checks the answer against
/// the contract, so nothing outside it reaches the stages (spec error category 3).
/// </summary>
public sealed class ModelClient(ModelRouter router, ModelRoutingOptions routes, IObjectStore objects, IMetrics? metrics = null)
{
    private readonly IMetrics _metrics = metrics ?? NullMetrics.Instance;

    public ModelRoutingOptions Routes => routes;

    public static PreparedInput Prepare(Raster image, int inputSize)
    {
        ArgumentNullException.ThrowIfNull(image);
        var gray = image.ToGray8();
        var factor = (double)inputSize / Math.Max(gray.Width, gray.Height);
        var width = Math.Clamp((int)Math.Round(gray.Width * factor, MidpointRounding.AwayFromZero), 1, inputSize);
        var height = Math.Clamp((int)Math.Round(gray.Height * factor, MidpointRounding.AwayFromZero), 1, inputSize);
        var scaled = Resampler.AreaAverage(gray, width, height);
        var png = PngEncoder.Encode(scaled, new PngEncodeOptions(System.IO.Compression.CompressionLevel.Fastest));
        return new PreparedInput(png, width, height, image.Width, image.Height);
    }

    /// <summary>Pixel spacing of the model input: the original's spacing times the downscale factor.</summary>
    public static PixelSpacing? SpacingFor(IReadOnlyList<double>? originalSpacing, PreparedInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return originalSpacing is [var row, var column, ..] && row > 0 && column > 0 && double.IsFinite(row) && double.IsFinite(column)
            ? new PixelSpacing(Math.Round(row * input.ScaleY, 6), Math.Round(column * input.ScaleX, 6))
            : null;
    }

    public async Task<ClassificationCall> ClassifyAsync(string imageId, Raster image, IReadOnlyList<double>? pixelSpacing, CancellationToken ct)
    {
        var route = routes.Classifier;
        var input = Prepare(image, route.InputSize);
        var body = await BuildRequestAsync(imageId, InferenceTask.Classify, null, input, pixelSpacing, ct);
        var routed = await router.InvokeAsync(route, imageId, "classify", body, (r, t) => Decode(r, t, InferenceTask.Classify, input), ct);
        var scores = routed.Value.ModalityScores!;
        _metrics.Emit(new MetricRecord(
            [new MetricValue(MetricNames.ClassificationConfidence, MetricNames.None, scores.Values.Max())],
            new Dictionary<string, string> { ["Endpoint"] = routed.Target.Endpoint, ["Task"] = "classify" },
            new Dictionary<string, string> { ["image_id"] = imageId, ["model"] = routed.Value.Model.ToString() }));
        return new ClassificationCall(routed.Value, routed.Target, routed.UsedFallback, routed.Latency);
    }

    public async Task<DetectionCall> DetectAsync(
        string imageId, Modality modality, Raster image, IReadOnlyList<double>? pixelSpacing, CancellationToken ct)
    {
        var route = routes.DetectorFor(modality);
        var input = Prepare(image, route.InputSize);
        var body = await BuildRequestAsync(imageId, InferenceTask.Detect, modality, input, pixelSpacing, ct);
        var routed = await router.InvokeAsync(route, imageId, $"detect-{modality.WireName()}", body, (r, t) => Decode(r, t, InferenceTask.Detect, input), ct);
        var confidences = routed.Value.Findings!.Select(f => f.Confidence).ToList();
        if (confidences.Count > 0)
        {
            _metrics.Emit(new MetricRecord(
                [new MetricValue(MetricNames.FindingConfidence, MetricNames.None, confidences)],
                new Dictionary<string, string> { ["Endpoint"] = routed.Target.Endpoint, ["Task"] = $"detect-{modality.WireName()}" },
                new Dictionary<string, string> { ["image_id"] = imageId, ["model"] = routed.Value.Model.ToString() }));
        }

        return new DetectionCall(routed.Value, input, routed.Target, routed.UsedFallback, routed.Latency);
    }

    /// <summary>
    /// The request body. Inline when it fits the payload limit; otherwise the PNG goes to the object store and the
    /// request carries its S3 URI, so no request can exceed SageMaker's limit whatever the input size.
    /// </summary>
    public async Task<byte[]> BuildRequestAsync(
        string imageId, InferenceTask task, Modality? modality, PreparedInput input, IReadOnlyList<double>? pixelSpacing, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var request = new ModelRequest
        {
            RequestId = imageId,
            Task = task,
            Modality = modality,
            Image = new ModelImage { Width = input.Width, Height = input.Height, Data = input.Png },
            OriginalWidth = input.OriginalWidth,
            OriginalHeight = input.OriginalHeight,
            PixelSpacingMm = SpacingFor(pixelSpacing, input),
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(request, MedVisionJsonContext.Default.ModelRequest);
        if (body.LongLength <= routes.MaxPayloadBytes)
        {
            return body;
        }

        var key = ObjectKeys.ModelInput(imageId, task, input.Width, input.Height);
        await objects.PutAsync(key, input.Png, InferenceContract.ImageMediaType, ct);
        request = request with { Image = request.Image with { Data = null, S3Uri = objects.S3UriFor(key) } };
        return JsonSerializer.SerializeToUtf8Bytes(request, MedVisionJsonContext.Default.ModelRequest);
    }

    /// <summary>Parses an endpoint's answer and checks every rule of the contract the schema cannot express.</summary>
    public static ModelResponse Decode(EndpointResponse response, ModelTarget target, InferenceTask task, PreparedInput input)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(input);
        if (!response.ContentType.StartsWith(InferenceContract.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(target, $"answered Content-Type '{response.ContentType}', expected {InferenceContract.ContentType}");
        }

        ModelResponse? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(response.Body, MedVisionJsonContext.Default.ModelResponse);
        }
        catch (JsonException ex)
        {
            throw Invalid(target, $"answered JSON outside the model contract ({ex.Message})", ex);
        }

        if (parsed is null)
        {
            throw Invalid(target, "answered null");
        }

        var problems = Problems(parsed, task, input);
        return problems.Count == 0 ? parsed : throw Invalid(target, string.Join("; ", problems));
    }

    /// <summary>Every contract violation in <paramref name="r"/>; empty when it conforms.</summary>
    public static List<string> Problems(ModelResponse r, InferenceTask task, PreparedInput input)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(input);
        var problems = new List<string>();
        if (r.ContractVersion is null || r.ContractVersion.Split('.')[0] != InferenceContract.Version.Split('.')[0])
        {
            problems.Add($"contract_version '{r.ContractVersion}' is not {InferenceContract.Version.Split('.')[0]}.x");
        }

        if (r.Model is null || string.IsNullOrWhiteSpace(r.Model.Name) || string.IsNullOrWhiteSpace(r.Model.Version))
        {
            problems.Add("model.name and model.version are required");
        }

        if (r.Task != task)
        {
            problems.Add($"task is '{r.Task.WireName()}', the request asked for '{task.WireName()}'");
        }

        if (r.InputWidth != input.Width || r.InputHeight != input.Height)
        {
            problems.Add($"input size {r.InputWidth}×{r.InputHeight} differs from the {input.Width}×{input.Height} image sent");
        }

        if (task == InferenceTask.Classify)
        {
            CheckScores(r, problems);
        }
        else
        {
            CheckFindings(r, problems);
        }

        if (r.Saliency is { } s)
        {
            CheckSaliency(s, problems);
        }

        return problems;
    }

    private static void CheckScores(ModelResponse r, List<string> problems)
    {
        if (r.ModalityScores is null)
        {
            problems.Add("modality_scores is required for classify");
            return;
        }

        foreach (var m in Modalities.All)
        {
            if (!r.ModalityScores.TryGetValue(m.WireName(), out var score) || !double.IsFinite(score) || score is < 0 or > 1)
            {
                problems.Add($"modality_scores.{m.WireName()} must be a number in [0, 1]");
            }
        }

        foreach (var key in r.ModalityScores.Keys)
        {
            if (!Modalities.TryParse(key, out _))
            {
                problems.Add($"modality_scores has unknown modality '{key}'");
            }
        }
    }

    private static void CheckFindings(ModelResponse r, List<string> problems)
    {
        if (r.Findings is null)
        {
            problems.Add("findings is required for detect (use [] for none)");
            return;
        }

        if (r.Findings.Count > InferenceContract.MaxFindings)
        {
            problems.Add($"{r.Findings.Count} findings exceed the contract's {InferenceContract.MaxFindings}");
        }

        for (var i = 0; i < r.Findings.Count; i++)
        {
            var f = r.Findings[i];
            if (f is null)
            {
                problems.Add($"findings[{i}] is null");
                continue;
            }

            if (!double.IsFinite(f.Confidence) || f.Confidence is < 0 or > 1)
            {
                problems.Add($"findings[{i}].confidence {f.Confidence} is outside [0, 1]");
            }

            var b = f.BoundingBox;
            if (b is null || !double.IsFinite(b.X) || !double.IsFinite(b.Y) || !double.IsFinite(b.Width) || !double.IsFinite(b.Height)
                || b.Width <= 0 || b.Height <= 0)
            {
                problems.Add($"findings[{i}].bounding_box needs finite x, y and positive width, height");
            }
        }
    }

    private static void CheckSaliency(ModelImage s, List<string> problems)
    {
        if (s.MediaType != InferenceContract.ImageMediaType || s.Data is null)
        {
            problems.Add("saliency must be inline image/png data");
            return;
        }

        if (s.Width is < 1 or > InferenceContract.MaxSaliencySide || s.Height is < 1 or > InferenceContract.MaxSaliencySide)
        {
            problems.Add($"saliency is {s.Width}×{s.Height}; each side must be 1–{InferenceContract.MaxSaliencySide}");
            return;
        }

        try
        {
            var info = PngDecoder.Decode(s.Data);
            if (info.Width != s.Width || info.Height != s.Height)
            {
                problems.Add($"saliency PNG is {info.Width}×{info.Height}, declared {s.Width}×{s.Height}");
            }
        }
        catch (ImageDecodeException ex)
        {
            problems.Add($"saliency is not a valid PNG ({ex.Code})");
        }
    }

    private static ModelOutputInvalidException Invalid(ModelTarget target, string what, Exception? inner = null) =>
        new($"Model endpoint {target} {what}.", inner);
}
