using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace MedVision.Testing;

/// <summary>
/// The JSON property names a source-generated context reads and writes, read from its own metadata (so attributes, a
/// naming policy and the generator's rules all count), and a check of them against a committed list. The list is the
/// wire format: a change to it is a change every stored file and every client sees.
/// </summary>
public static class JsonWireNames
{
    public const string UpdateVariable = "MEDVISION_UPDATE_GOLDEN";

    /// <summary>One line per object property: "Namespace.Type.Member wire_name", sorted ordinally.</summary>
    public static IReadOnlyList<string> Of(JsonSerializerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        // The generated context has one JsonTypeInfo property per type it reaches, nested types included.
        foreach (var property in context.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!typeof(JsonTypeInfo).IsAssignableFrom(property.PropertyType)
                || property.GetValue(context) is not JsonTypeInfo { Kind: JsonTypeInfoKind.Object } info)
            {
                continue;
            }

            // A [JsonIgnore] property stays in the metadata, with neither getter nor setter; it is not on the wire.
            foreach (var member in info.Properties.Where(p => p.Get is not null || p.Set is not null))
            {
                var name = (member.AttributeProvider as MemberInfo)?.Name ?? "(no member)";
                lines.Add($"{info.Type.FullName}.{name} {member.Name}");
            }
        }

        return [.. lines];
    }

    /// <summary>
    /// Null when <paramref name="context"/>'s wire names equal the committed file <paramref name="path"/>; otherwise a
    /// message naming every line missing or added. With MEDVISION_UPDATE_GOLDEN=1 it rewrites the file and answers a
    /// message saying so, so a regeneration still fails the test once and is never silent.
    /// </summary>
    public static string? Difference(JsonSerializerContext context, string path)
    {
        var actual = Of(context);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, string.Join('\n', actual) + "\n", new UTF8Encoding(false));
            return $"{UpdateVariable}=1: rewrote {path}. Review it with `git diff`, then run again without {UpdateVariable}.";
        }

        var committed = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var missing = committed.Except(actual, StringComparer.Ordinal).Select(l => "- " + l);
        var added = actual.Except(committed, StringComparer.Ordinal).Select(l => "+ " + l);
        var problems = missing.Concat(added).ToList();
        return problems.Count == 0
            ? null
            : $"{context.GetType().Name} reads and writes other JSON names than {path} lists:\n{string.Join('\n', problems)}";
    }
}
