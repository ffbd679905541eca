using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace MedVision.Fhir;

/// <summary>
/// Source-generated contracts for the R4 model. R4 JSON: names as declared (camelCase), nulls omitted; empty arrays
/// are omitted by <see cref="FhirJson"/>'s modifier (R4 forbids them).
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(ResourceConverter)])]
[JsonSerializable(typeof(Resource))]
[JsonSerializable(typeof(Patient))]
[JsonSerializable(typeof(Practitioner))]
[JsonSerializable(typeof(Device))]
[JsonSerializable(typeof(ImagingStudy))]
[JsonSerializable(typeof(DiagnosticReport))]
[JsonSerializable(typeof(Observation))]
[JsonSerializable(typeof(Media))]
[JsonSerializable(typeof(Binary))]
[JsonSerializable(typeof(Provenance))]
[JsonSerializable(typeof(Bundle))]
[JsonSerializable(typeof(OperationOutcome))]
[JsonSerializable(typeof(CapabilityStatement))]
public sealed partial class FhirJsonContext : JsonSerializerContext;

/// <summary>Entry points: typed resources to and from R4 JSON (bytes, strings, <see cref="JsonObject"/>).</summary>
public static class FhirJson
{
    /// <summary>resourceType → contract, the one place that lists the concrete resources (no reflection).</summary>
    private static readonly Dictionary<string, Type> ResourceTypes = new(StringComparer.Ordinal)
    {
        ["Patient"] = typeof(Patient),
        ["Practitioner"] = typeof(Practitioner),
        ["Device"] = typeof(Device),
        ["ImagingStudy"] = typeof(ImagingStudy),
        ["DiagnosticReport"] = typeof(DiagnosticReport),
        ["Observation"] = typeof(Observation),
        ["Media"] = typeof(Media),
        ["Binary"] = typeof(Binary),
        ["Provenance"] = typeof(Provenance),
        ["Bundle"] = typeof(Bundle),
        ["OperationOutcome"] = typeof(OperationOutcome),
        ["CapabilityStatement"] = typeof(CapabilityStatement),
    };

    public static IReadOnlyCollection<string> SupportedResourceTypes => ResourceTypes.Keys;

    /// <summary>True when this model has a class for <paramref name="resourceType"/> (and so can parse and write it).</summary>
    public static bool IsSupported([NotNullWhen(true)] string? resourceType) => resourceType is not null && ResourceTypes.ContainsKey(resourceType);

    /// <summary>The resourceType name of a concrete resource class, e.g. "DiagnosticReport".</summary>
    public static string ResourceTypeOf<T>()
        where T : Resource
    {
        foreach (var (name, type) in ResourceTypes)
        {
            if (type == typeof(T))
            {
                return name;
            }
        }

        throw new ArgumentException($"{typeof(T).Name} is not a concrete resource type of this model.");
    }

    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(FhirJsonContext.Default.Options)
        {
            TypeInfoResolver = FhirJsonContext.Default.WithAddedModifier(OmitEmptyArrays),
        };
        options.MakeReadOnly();
        return options;
    }

    private static void OmitEmptyArrays(JsonTypeInfo info)
    {
        foreach (var property in info.Properties)
        {
            if (typeof(ICollection).IsAssignableFrom(property.PropertyType))
            {
                // Replacing ShouldSerialize also replaces WhenWritingNull, so nulls are excluded here too.
                property.ShouldSerialize = (_, value) => value is not null and not ICollection { Count: 0 };
            }
        }
    }

    internal static bool TryGetType(string resourceType, out Type type) => ResourceTypes.TryGetValue(resourceType, out type!);

    public static byte[] SerializeToUtf8Bytes(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return JsonSerializer.SerializeToUtf8Bytes(resource, Info<Resource>());
    }

    public static string Serialize(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return JsonSerializer.Serialize(resource, Info<Resource>());
    }

    /// <summary>The resource as a mutable JSON tree, written straight from the typed model (no text in between).</summary>
    public static JsonObject ToJsonObject(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return JsonSerializer.SerializeToNode(resource, Info<Resource>())!.AsObject();
    }

    /// <summary>Parses any supported resource; throws <see cref="JsonException"/> on malformed or unsupported input.</summary>
    public static Resource Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, Info<Resource>()) ?? throw new JsonException("Expected a resource, found null.");

    public static Resource Parse(string json) =>
        JsonSerializer.Deserialize(json, Info<Resource>()) ?? throw new JsonException("Expected a resource, found null.");

    public static Resource Parse(JsonObject json) =>
        JsonSerializer.Deserialize(json, Info<Resource>()) ?? throw new JsonException("Expected a resource, found null.");

    /// <summary>Parses and checks the concrete type, e.g. <c>Parse&lt;DiagnosticReport&gt;(json)</c>.</summary>
    public static T Parse<T>(JsonObject json)
        where T : Resource =>
        Parse(json) as T ?? throw new JsonException($"Expected a {typeof(T).Name}, found {(string?)json?["resourceType"]}.");

    public static T Parse<T>(string json)
        where T : Resource =>
        Parse(json) as T ?? throw new JsonException($"Expected a {typeof(T).Name}.");

    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}

/// <summary>
/// Polymorphic <see cref="Resource"/> by <c>resourceType</c>, written and read through the source-generated contracts
/// of the concrete types (trimming-safe: every type is listed in <see cref="FhirJson"/>).
/// </summary>
public sealed class ResourceConverter : JsonConverter<Resource>
{
    public override Resource? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A FHIR resource must be a JSON object.");
        }

        var resourceType = FindResourceType(reader)
            ?? throw new JsonException("A FHIR resource needs a resourceType.");
        if (!FhirJson.TryGetType(resourceType, out var type))
        {
            throw new JsonException($"Unsupported resourceType '{resourceType}'.");
        }

        return (Resource?)JsonSerializer.Deserialize(ref reader, options.GetTypeInfo(type));
    }

    public override void Write(Utf8JsonWriter writer, Resource value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        JsonSerializer.Serialize(writer, value, options.GetTypeInfo(value.GetType()));
    }

    // Scans a copy of the reader (a struct), so the real one still stands on the object's start.
    private static string? FindResourceType(Utf8JsonReader probe)
    {
        var depth = probe.CurrentDepth;
        while (probe.Read() && probe.CurrentDepth > depth)
        {
            if (probe.TokenType == JsonTokenType.PropertyName && probe.CurrentDepth == depth + 1)
            {
                var isType = probe.ValueTextEquals("resourceType"u8);
                probe.Read();
                if (isType)
                {
                    return probe.TokenType == JsonTokenType.String ? probe.GetString() : null;
                }

                probe.Skip();
            }
        }

        return null;
    }
}
