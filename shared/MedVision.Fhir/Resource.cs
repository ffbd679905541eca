using System.Text.Json;
using System.Text.Json.Serialization;

namespace MedVision.Fhir;

/// <summary>
/// Base of every R4 resource. Polymorphic (de)serialization goes through <see cref="ResourceConverter"/>, keyed on
/// <c>resourceType</c>, so Bundle entries and contained resources come back as their concrete types.
/// </summary>
public abstract class Resource
{
    [JsonPropertyName("resourceType")]
    [JsonPropertyOrder(-10)]
    public string ResourceType => TypeName;

    [JsonPropertyName("id")][JsonPropertyOrder(-9)] public string? Id { get; set; }
    [JsonPropertyName("meta")][JsonPropertyOrder(-8)] public Meta? Meta { get; set; }
    [JsonPropertyName("implicitRules")] public string? ImplicitRules { get; set; }
    [JsonPropertyName("language")] public string? Language { get; set; }

    /// <summary>Elements this model does not declare; written back unchanged.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? AdditionalElements { get; set; }

    /// <summary>The concrete type's name; not serialized itself (only through <see cref="ResourceType"/>).</summary>
    protected abstract string TypeName { get; }

    /// <summary>"Type/id", the relative reference to this resource.</summary>
    public string RelativeReference() => $"{ResourceType}/{Id}";
}

public abstract class DomainResource : Resource
{
    [JsonPropertyName("text")] public Narrative? Text { get; set; }
    [JsonPropertyName("contained")] public List<Resource>? Contained { get; set; }
    [JsonPropertyName("extension")] public List<Extension>? Extension { get; set; }
    [JsonPropertyName("modifierExtension")] public List<Extension>? ModifierExtension { get; set; }
}
