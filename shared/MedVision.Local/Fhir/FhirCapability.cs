using System.Globalization;
using System.Text.Json.Nodes;

namespace MedVision.Local.Fhir;

/// <summary>The CapabilityStatement of the local FHIR REST API (<c>FhirServer</c> in MedVision.Twins): exactly the types, interactions and search parameters it implements.</summary>
public static class FhirCapability
{
    public const string Documentation =
        "MedVision's local FHIR R4 server (SQLite). JSON only. Search is strict: an unknown or unsupported search parameter, " +
        "modifier or prefix is answered with 400 and an OperationOutcome, never ignored. A comma separates alternatives (OR); " +
        "repeated parameters must all match (AND). Paging: _count (default 20, at most 500) and _offset, with self/next/previous links. " +
        "Transactions are atomic; batch Bundles and conditional operations are not supported.";

    public static JsonObject Statement(DateTimeOffset now, string baseUrl)
    {
        var resources = new JsonArray();
        foreach (var (type, parameters) in FhirSearch.TypeParameters)
        {
            var searchParams = new JsonArray();
            foreach (var name in FhirSearch.Common.Concat(parameters))
            {
                searchParams.Add((JsonNode)new JsonObject
                {
                    ["name"] = name,
                    ["type"] = FhirSearch.TypeOf(name),
                    ["documentation"] = FhirSearch.Documentation(type, name),
                });
            }

            var interactions = new JsonArray();
            foreach (var code in new[] { "read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type" })
            {
                interactions.Add((JsonNode)new JsonObject { ["code"] = code });
            }

            var resource = new JsonObject
            {
                ["type"] = type,
                ["interaction"] = interactions,
                ["versioning"] = "versioned",
                ["readHistory"] = true,
                ["updateCreate"] = true,
                ["conditionalCreate"] = false,
                ["conditionalRead"] = "not-supported",
                ["conditionalUpdate"] = false,
                ["conditionalDelete"] = "not-supported",
            };
            if (type == "DiagnosticReport")
            {
                resource["searchInclude"] = new JsonArray(FhirSearch.IncludeResult);
            }

            resource["searchParam"] = searchParams;
            resources.Add((JsonNode)resource);
        }

        return new JsonObject
        {
            ["resourceType"] = "CapabilityStatement",
            ["status"] = "active",
            ["date"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["publisher"] = "MedVision",
            ["kind"] = "instance",
            ["software"] = new JsonObject { ["name"] = "MedVision local FHIR server" },
            ["implementation"] = new JsonObject { ["description"] = "MedVision local FHIR R4 server", ["url"] = baseUrl },
            ["fhirVersion"] = "4.0.1",
            ["format"] = new JsonArray("json"),
            ["rest"] = new JsonArray(new JsonObject
            {
                ["mode"] = "server",
                ["documentation"] = Documentation,
                ["resource"] = resources,
                ["interaction"] = new JsonArray(new JsonObject { ["code"] = "transaction" }),
            }),
        };
    }
}
