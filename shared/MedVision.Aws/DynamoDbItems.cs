using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;

namespace MedVision.Aws;

/// <summary>
/// JSON ↔ DynamoDB attribute values, without reflection: the records go through their source-generated JSON and
/// every JSON value becomes its DynamoDB twin (object → M, array → L, string → S, number → N with its exact text,
/// true/false → BOOL, null → NULL). Top-level names can be renamed on the way (the spec's attribute names).
/// </summary>
internal static class DynamoDbItems
{
    public static Dictionary<string, AttributeValue> FromJson(ReadOnlySpan<byte> json, IReadOnlyDictionary<string, string> renames)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            item[renames.TryGetValue(property.Name, out var renamed) ? renamed : property.Name] = ToAttribute(property.Value);
        }

        return item;
    }

    /// <summary>The item as a JSON object, leaving out <paramref name="skip"/> and renaming top-level names back.</summary>
    public static byte[] ToJson(
        IReadOnlyDictionary<string, AttributeValue> item, IReadOnlyDictionary<string, string> renames, IReadOnlySet<string> skip)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in item)
            {
                if (skip.Contains(name))
                {
                    continue;
                }

                writer.WritePropertyName(renames.TryGetValue(name, out var renamed) ? renamed : name);
                Write(writer, value);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(string value) => new() { N = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static AttributeValue ToAttribute(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => new AttributeValue { S = value.GetString() },
        JsonValueKind.Number => new AttributeValue { N = value.GetRawText() },
        JsonValueKind.True => new AttributeValue { BOOL = true },
        JsonValueKind.False => new AttributeValue { BOOL = false },
        JsonValueKind.Null => new AttributeValue { NULL = true },
        JsonValueKind.Array => new AttributeValue { L = value.EnumerateArray().Select(ToAttribute).ToList(), IsLSet = true },
        JsonValueKind.Object => new AttributeValue
        {
            M = value.EnumerateObject().ToDictionary(p => p.Name, p => ToAttribute(p.Value), StringComparer.Ordinal),
            IsMSet = true,
        },
        _ => throw new JsonException($"Cannot store a JSON {value.ValueKind} in DynamoDB."),
    };

    private static void Write(Utf8JsonWriter writer, AttributeValue value)
    {
        if (value.S is not null)
        {
            writer.WriteStringValue(value.S);
        }
        else if (value.N is not null)
        {
            writer.WriteRawValue(Encoding.UTF8.GetBytes(value.N));
        }
        else if (value.BOOL is { } flag)
        {
            writer.WriteBooleanValue(flag);
        }
        else if (value.M is not null || value.IsMSet)
        {
            writer.WriteStartObject();
            foreach (var (name, child) in value.M ?? [])
            {
                writer.WritePropertyName(name);
                Write(writer, child);
            }

            writer.WriteEndObject();
        }
        else if (value.L is not null || value.IsLSet)
        {
            writer.WriteStartArray();
            foreach (var child in value.L ?? [])
            {
                Write(writer, child);
            }

            writer.WriteEndArray();
        }
        else
        {
            // NULL, or a type the records never write (sets, binary): read as JSON null.
            writer.WriteNullValue();
        }
    }
}
