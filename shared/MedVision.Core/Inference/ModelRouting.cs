using System.Text.Json;
using System.Text.Json.Serialization;
using MedVision.Core.Classification;

namespace MedVision.Core.Inference;

/// <summary>A SageMaker endpoint and, optionally, one production variant of it (InvokeEndpoint TargetVariant).</summary>
public sealed record ModelTarget(string Endpoint, string? Variant = null)
{
    /// <summary>The circuit breaker's key: one breaker per endpoint variant.</summary>
    public override string ToString() => Variant is null ? Endpoint : $"{Endpoint}/{Variant}";
}

/// <summary>Property 48: <see cref="PrimaryShare"/> of the traffic goes to the route's primary, the rest here.</summary>
public sealed record AbTest(ModelTarget Candidate, double PrimaryShare);

/// <summary>Where one job (classification, or one modality's detection) is sent.</summary>
public sealed record ModelRoute
{
    public required ModelTarget Primary { get; init; }

    /// <summary>Tried when the chosen target fails or its circuit is open: another variant or model version.</summary>
    public ModelTarget? Fallback { get; init; }

    public AbTest? AbTest { get; init; }

    /// <summary>The long side of the model input, in pixels (aspect ratio kept).</summary>
    // `set`, not `init`: the source generator would overwrite the default with 0 when input_size is omitted.
    public int InputSize { get; set; } = 512;
}

/// <summary>
/// Model routing configuration (spec component 4): modality → endpoint. Set as JSON in MEDVISION_MODEL_ROUTES (CDK
/// sets it); the defaults name the endpoints the reference model server hosts. A document may give only some routes:
/// the others keep their defaults. The properties are settable, not init-only, because System.Text.Json's source
/// generator assigns every init-only property when deserializing, replacing an omitted route's default with null.
/// </summary>
public sealed record ModelRoutingOptions
{
    public const string EnvironmentVariable = "MEDVISION_MODEL_ROUTES";

    public ModelRoute Classifier { get; set; } = new() { Primary = new("medvision-modality-classifier"), InputSize = 256 };

    [JsonPropertyName("xray")] // the naming policy alone would write x_ray
    public ModelRoute XRay { get; set; } = new() { Primary = new("medvision-xray-detector"), InputSize = 512 };

    public ModelRoute Mri { get; set; } = new() { Primary = new("medvision-mri-detector"), InputSize = 256 };

    public ModelRoute Ct { get; set; } = new() { Primary = new("medvision-ct-detector"), InputSize = 512 };

    public ModelRoute Ultrasound { get; set; } = new() { Primary = new("medvision-ultrasound-detector"), InputSize = 640 };

    /// <summary>Request bodies above this go by S3 URI (default: the serverless 4 MB limit, which fits both kinds).</summary>
    public long MaxPayloadBytes { get; set; } = InferenceContract.DefaultMaxPayloadBytes;

    /// <summary>Property 8: each modality routes to its own specialised model.</summary>
    public ModelRoute DetectorFor(Modality modality) => modality switch
    {
        Modality.XRay => XRay,
        Modality.Mri => Mri,
        Modality.Ct => Ct,
        Modality.Ultrasound => Ultrasound,
        _ => throw new ArgumentOutOfRangeException(nameof(modality)),
    };

    public IEnumerable<(string Job, ModelRoute Route)> AllRoutes()
    {
        yield return ("classifier", Classifier);
        foreach (var m in Modalities.All)
        {
            yield return (m.WireName(), DetectorFor(m));
        }
    }

    /// <summary>Every problem in the configuration, so it can be fixed in one pass; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxPayloadBytes is < 64 * 1024 or > InferenceContract.RealTimeMaxPayloadBytes)
        {
            problems.Add($"max_payload_bytes must be between 65536 and {InferenceContract.RealTimeMaxPayloadBytes} (SageMaker's real-time limit), not {MaxPayloadBytes}.");
        }

        foreach (var (job, route) in AllRoutes())
        {
            if (route is null)
            {
                problems.Add($"{job}: the route is missing.");
                continue;
            }

            CheckTarget(problems, $"{job}.primary", route.Primary);
            if (route.Fallback is { } fallback)
            {
                CheckTarget(problems, $"{job}.fallback", fallback);
                if (fallback == route.Primary)
                {
                    problems.Add($"{job}.fallback is the same target as the primary ({fallback}).");
                }
            }

            if (route.AbTest is { } ab)
            {
                CheckTarget(problems, $"{job}.ab_test.candidate", ab.Candidate);
                if (double.IsNaN(ab.PrimaryShare) || ab.PrimaryShare is < 0 or > 1)
                {
                    problems.Add($"{job}.ab_test.primary_share must be in [0, 1], not {ab.PrimaryShare}.");
                }
            }

            if (route.InputSize is < InferenceContract.MinInputSide or > InferenceContract.MaxInputSide)
            {
                problems.Add($"{job}.input_size must be between {InferenceContract.MinInputSide} and {InferenceContract.MaxInputSide}, not {route.InputSize}.");
            }
        }

        return problems;
    }

    /// <summary>Parses and validates a routing document; a clear <see cref="ValidationException"/> otherwise.</summary>
    public static ModelRoutingOptions Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelRoutingOptions? options;
        try
        {
            options = JsonSerializer.Deserialize(json, Json.MedVisionJsonContext.Default.ModelRoutingOptions);
        }
        catch (JsonException ex)
        {
            throw new ValidationException("config.model_routes", $"{EnvironmentVariable} is not a valid routing document: {ex.Message}");
        }

        if (options is null)
        {
            throw new ValidationException("config.model_routes", $"{EnvironmentVariable} is null.");
        }

        var problems = options.Validate();
        return problems.Count == 0
            ? options
            : throw new ValidationException("config.model_routes", $"{EnvironmentVariable}: {string.Join(" ", problems)}");
    }

    /// <summary>The routes from <paramref name="value"/> (the environment variable's value), defaults when unset.</summary>
    public static ModelRoutingOptions FromEnvironment(string? value) =>
        string.IsNullOrWhiteSpace(value) ? new ModelRoutingOptions() : Parse(value);

    private static void CheckTarget(List<string> problems, string where, ModelTarget? target)
    {
        if (target is null || string.IsNullOrWhiteSpace(target.Endpoint))
        {
            problems.Add($"{where}.endpoint is required.");
            return;
        }

        if (!IsSageMakerName(target.Endpoint))
        {
            problems.Add($"{where}.endpoint '{target.Endpoint}' is not a valid SageMaker endpoint name.");
        }

        if (target.Variant is { } v && !IsSageMakerName(v))
        {
            problems.Add($"{where}.variant '{v}' is not a valid SageMaker variant name.");
        }
    }

    /// <summary>SageMaker endpoint and variant names: 1–63 of [a-zA-Z0-9-], not starting or ending with '-'.</summary>
    public static bool IsSageMakerName(string name) =>
        name.Length is > 0 and <= 63 && name[0] != '-' && name[^1] != '-' && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
