using System.Text.Json;
using System.Text.Json.Serialization;

namespace MedVision.Core.Json;

/// <summary>Timestamps travel as Unix seconds (the spec's data model), with millisecond precision.</summary>
public sealed class UnixSecondsConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            var ms = (long)Math.Round(reader.GetDouble() * 1000.0);
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        if (reader.TokenType == JsonTokenType.String && DateTimeOffset.TryParse(reader.GetString(), out var parsed))
        {
            return parsed;
        }

        throw new JsonException("Expected a Unix timestamp in seconds.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value.ToUnixTimeMilliseconds() / 1000m);
    }
}
