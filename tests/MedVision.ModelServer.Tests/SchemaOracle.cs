using System.Text.Json.Nodes;
using MedVision.Testing;

namespace MedVision.ModelServer.Tests;

/// <summary>
/// contracts/inference.schema.json checked by an independent validator: Debian's python3-jsonschema (Draft 2020-12),
/// run through <see cref="ExternalTools"/>. Documents are batched so a property run starts python once.
/// </summary>
internal static class SchemaOracle
{
    public static string SchemaPath => Path.Combine(RepoPaths.Root, "contracts", "inference.schema.json");

    private static string Script => Path.Combine(AppContext.BaseDirectory, "validate_schema.py");

    /// <summary>False (test skips with a note) when python3-jsonschema is missing; throws under MEDVISION_REQUIRE_ORACLES=1.</summary>
    public static bool Available(Action<string> log) => ExternalTools.Require(log, ExternalTools.Python, "jsonschema");

    public static JsonObject LoadSchema() => JsonNode.Parse(File.ReadAllText(SchemaPath))!.AsObject();

    /// <summary>Runs the metaschema check on <paramref name="schemaPath"/>: exit code and the oracle's report.</summary>
    public static (int Exit, string Report) CheckSchema(string schemaPath)
    {
        var (exit, stdout, stderr) = ExternalTools.Run(ExternalTools.Python, [Script, schemaPath, "check-schema"]);
        return (exit, System.Text.Encoding.UTF8.GetString(stdout) + stderr);
    }

    /// <summary>One list of error messages per document (empty = valid); <c>def</c> names a $defs entry, null = whole schema.</summary>
    public static List<List<string>> Validate(IEnumerable<(string? Def, JsonNode Doc)> documents)
    {
        var items = new JsonArray();
        foreach (var (def, doc) in documents)
        {
            items.Add((JsonNode)new JsonObject { ["def"] = def, ["doc"] = doc.DeepClone() });
        }

        var stdin = System.Text.Encoding.UTF8.GetBytes(items.ToJsonString());
        var (exit, stdout, stderr) = ExternalTools.Run(ExternalTools.Python, [Script, SchemaPath, "validate"], stdin: stdin);
        if (exit != 0)
        {
            throw new InvalidOperationException($"validate_schema.py failed ({exit}): {stderr}");
        }

        return JsonNode.Parse(stdout)!.AsArray()
            .Select(r => r!.AsArray().Select(e => (string)e!).ToList())
            .ToList();
    }
}
