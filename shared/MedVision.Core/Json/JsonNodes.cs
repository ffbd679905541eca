using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Core.Json;

public static class JsonNodes
{
    /// <summary>Writes a node as indented UTF-8 without going through reflection-based serialization.</summary>
    public static byte[] ToUtf8(JsonNode node, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            node.WriteTo(writer);
        }

        return buffer.ToArray();
    }
}
