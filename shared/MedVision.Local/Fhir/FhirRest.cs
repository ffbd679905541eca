using System.Globalization;
using System.Text.Json.Nodes;
using MedVision.Fhir;

namespace MedVision.Local.Fhir;

/// <summary>
/// The rules of the local FHIR REST API that need no HTTP stack: the served types, ids, ETags and If-Match values, and
/// OperationOutcome bodies. The transaction logic here and the Kestrel host in MedVision.Twins share them, so the
/// embedded twins (in the Native AOT bootstrap) carry no ASP.NET Core.
/// </summary>
public static class FhirRest
{
    public const string MediaType = "application/fhir+json";

    /// <summary>The type itself when it is served here; otherwise a 404 not-supported.</summary>
    public static string Supported(string type) => FhirSearch.IsSupportedType(type)
        ? type
        : throw new FhirHttpException(404, "not-supported", $"Resource type '{type}' is not supported here. Supported: {string.Join(", ", FhirSearch.TypeParameters.Keys)}.");

    /// <summary>The id itself when it is a FHIR id; otherwise a 400 invalid.</summary>
    public static string Id(string id) => FhirId.IsValid(id) ? id : throw new FhirHttpException(400, "invalid", $"'{id}' is not a FHIR id ({FhirId.Rule}).");

    /// <summary>An If-Match value (header or Bundle request.ifMatch) as a version: W/"3", "3" or 3; null when absent.</summary>
    public static long? ParseIfMatch(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        var text = header.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('"');
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new FhirHttpException(400, "invalid", $"If-Match must be a version ETag such as W/\"1\", not '{header}'.");
    }

    public static string ETag(long version) => $"W/\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    public static JsonObject Outcome(string severity, string issueCode, string diagnostics) => new()
    {
        ["resourceType"] = "OperationOutcome",
        ["issue"] = new JsonArray(new JsonObject { ["severity"] = severity, ["code"] = issueCode, ["diagnostics"] = diagnostics }),
    };
}
