using System.Text.Json;
using System.Text.Json.Serialization;

namespace MedVision.Core.Json;

/// <summary>
/// The one mapping between an enum and its wire names. JSON (values and dictionary keys), the CLI's progress lines
/// and summaries all read it, so a name is spelt in exactly one place.
/// </summary>
public sealed class WireEnum<T>
    where T : struct, Enum
{
    private readonly (T Value, string Name)[] names;

    public WireEnum(params (T Value, string Name)[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var missing = Enum.GetValues<T>().Where(v => !names.Any(n => EqualityComparer<T>.Default.Equals(n.Value, v))).ToList();
        if (missing.Count > 0 || names.Select(n => n.Name).Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            // A new enum member without a wire name is a programming error: fail at type load, not on the wire.
            throw new InvalidOperationException($"{typeof(T).Name}: every member needs exactly one distinct wire name (missing: {string.Join(", ", missing)}).");
        }

        this.names = names;
    }

    public IReadOnlyList<T> All => [.. names.Select(n => n.Value)];

    public string Name(T value)
    {
        foreach (var (v, name) in names)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"{typeof(T).Name} has no wire name for this value.");
    }

    /// <summary>Exact wire name, or (with <paramref name="ignoreCase"/>) any casing of it.</summary>
    public bool TryParse(string? text, out T value, bool ignoreCase = false)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var (v, name) in names)
        {
            if (string.Equals(name, text, comparison))
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }
}

/// <summary>JSON for a <see cref="WireEnum{T}"/>: values and dictionary keys by wire name; anything else is refused.</summary>
public abstract class WireEnumConverter<T>(WireEnum<T> names) : JsonConverter<T>
    where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? Parse(reader.GetString()) : throw new JsonException($"Expected a {typeof(T).Name} name as a string.");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(names.Name(value));
    }

    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(reader.GetString());

    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(names.Name(value));
    }

    private T Parse(string? text) =>
        names.TryParse(text, out var value) ? value : throw new JsonException($"'{text}' is not a {typeof(T).Name} ({string.Join(", ", names.All.Select(names.Name))}).");
}
