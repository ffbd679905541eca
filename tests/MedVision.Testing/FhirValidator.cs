using System.Text;
using System.Text.Json.Nodes;

namespace MedVision.Testing;

/// <summary>One resource's verdict from an R4 validator (FHIR.js here, Firely in <see cref="FirelyValidator"/>).</summary>
public sealed record FhirValidation(bool Valid, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

/// <summary>
/// The independent R4 oracle: FHIR.js (npm "fhir", pinned in tests/tools) run through node by
/// tests/tools/validate-fhir.js, many resources per node start (node costs about a second on a busy machine).
/// </summary>
public static class FhirValidator
{
    /// <summary>tests/tools/node_modules, or the folder MEDVISION_NODE_MODULES / MEDVISION_ASL_VALIDATOR point into.</summary>
    public static string? NodeModules()
    {
        if (Environment.GetEnvironmentVariable("MEDVISION_NODE_MODULES") is { Length: > 0 } explicitDir)
        {
            return explicitDir;
        }

        var local = Path.Combine(RepoPaths.Root, "tests", "tools", "node_modules");
        if (Directory.Exists(Path.Combine(local, "fhir")))
        {
            return local;
        }

        // scripts/test.sh exports the asl-validator path: <node_modules>/.bin/asl-validator.
        if (Environment.GetEnvironmentVariable("MEDVISION_ASL_VALIDATOR") is { Length: > 0 } asl
            && Path.GetDirectoryName(Path.GetDirectoryName(asl)) is { } modules && Directory.Exists(Path.Combine(modules, "fhir")))
        {
            return modules;
        }

        return null;
    }

    /// <summary>True when node and FHIR.js are there; otherwise skips with a note, or throws when oracles are required.</summary>
    public static bool Require(Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (!ExternalTools.Require(log, "node"))
        {
            return false;
        }

        if (NodeModules() is not null)
        {
            return true;
        }

        const string why = "FHIR.js (npm fhir) is not installed: run scripts/test.sh (npm ci in tests/tools).";
        if (ExternalTools.OraclesRequired)
        {
            throw new InvalidOperationException("Required oracle missing: " + why);
        }

        log(why + " Skipping.");
        return false;
    }

    public static IReadOnlyList<FhirValidation> Validate(IReadOnlyList<JsonObject> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var modules = NodeModules() ?? throw new InvalidOperationException("FHIR.js is not installed.");
        var script = Path.Combine(RepoPaths.Root, "tests", "tools", "validate-fhir.js");
        var input = new JsonArray(resources.Select(r => (JsonNode)r.DeepClone()).ToArray());
        var (exit, stdout, stderr) = ExternalTools.Run(
            "/usr/bin/env", ["MEDVISION_NODE_MODULES=" + modules, "node", script], stdin: Encoding.UTF8.GetBytes(input.ToJsonString()));
        if (exit != 0)
        {
            throw new InvalidOperationException($"validate-fhir.js failed ({exit}): {stderr}");
        }

        var results = JsonNode.Parse(stdout)!.AsArray().Select(r => new FhirValidation(
            (bool)r!["valid"]!,
            r["errors"]!.AsArray().Select(e => (string)e!).ToList(),
            r["warnings"]!.AsArray().Select(e => (string)e!).ToList())).ToList();
        if (results.Count != resources.Count)
        {
            throw new InvalidOperationException($"validate-fhir.js answered {results.Count} results for {resources.Count} resources.");
        }

        return results;
    }
}
