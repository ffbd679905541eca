using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Bootstrap;

/// <summary>The few JSON shapes the runtime writes itself, with Utf8JsonWriter (no reflection under Native AOT).</summary>
internal static class RuntimeJson
{
    public static byte[] Error(RuntimeError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("errorMessage", error.ErrorMessage);
            json.WriteString("errorType", error.ErrorType);
            json.WriteStartArray("stackTrace");
            foreach (var frame in error.StackTrace)
            {
                json.WriteStringValue(frame);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static ReadOnlyMemory<byte> Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            if (node is null)
            {
                json.WriteNullValue();
            }
            else
            {
                node.WriteTo(json);
            }
        }

        return buffer.WrittenMemory;
    }

    /// <summary>The image id an event names, for the log scope: a stage's imageId, or an API route's image_id path parameter.</summary>
    public static string? ImageIdOf(JsonNode? input)
    {
        if (input is not JsonObject o)
        {
            return null;
        }

        return Text(o["imageId"]) ?? Text(o["image_id"])
            ?? (o["pathParameters"] is JsonObject p ? Text(p["image_id"]) ?? Text(p["imageId"]) : null);

        static string? Text(JsonNode? n) =>
            n is JsonValue v && v.TryGetValue<string>(out var s) && s.Length is > 0 and <= 128 ? s : null;
    }
}
