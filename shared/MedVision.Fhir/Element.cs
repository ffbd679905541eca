using System.Text.Json;
using System.Text.Json.Serialization;

namespace MedVision.Fhir;

/// <summary>
/// Base of every FHIR datatype and backbone element: id, extensions, and whatever else the JSON carried that this
/// model does not know (kept in <see cref="AdditionalElements"/> so a read-modify-write never drops data).
/// </summary>
public abstract class Element
{
    [JsonPropertyName("id")] public string? Id { get; set; }

    [JsonPropertyName("extension")] public List<Extension>? Extension { get; set; }

    /// <summary>Elements this model does not declare (including primitive extensions such as <c>_status</c>).</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? AdditionalElements { get; set; }
}

/// <summary>Backbone elements may also carry modifierExtension.</summary>
public abstract class BackboneElement : Element
{
    [JsonPropertyName("modifierExtension")] public List<Extension>? ModifierExtension { get; set; }
}

/// <summary>
/// Guards choice elements (<c>value[x]</c>, <c>effective[x]</c>): R4 allows at most one of the alternatives, so
/// setting a second one throws instead of writing JSON an R4 parser rejects.
/// </summary>
internal static class Choice
{
    public static T? Set<T>(T? value, string element, string name, params object?[] others)
    {
        if (value is not null && others.Any(o => o is not null))
        {
            throw new JsonException($"{element}[x] already has a value; cannot also set {name} (R4 allows one choice).");
        }

        return value;
    }
}
