using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;

namespace MedVision.Local.Fhir;

/// <summary>
/// The search parameters the local FHIR server supports, per resource type, and their R4 matching rules:
/// token (<c>code</c>, <c>system|code</c>, <c>|code</c>, <c>system|</c>), reference (<c>Type/id</c>, <c>id</c>, or an
/// absolute URL ending in <c>Type/id</c>) and date (prefixes eq, ne, gt, lt, ge, le, sa, eb over the implicit range of
/// the value's precision). A comma separates alternatives (OR); a repeated parameter must match every time (AND).
/// </summary>
public static class FhirSearch
{
    /// <summary>Parameters every supported type takes.</summary>
    public static readonly IReadOnlyList<string> Common = ["_id", "_lastUpdated"];

    /// <summary>Result parameters: _count (page size), _offset (the paging cursor our links use), _include, _format (json only).</summary>
    public static readonly IReadOnlyList<string> Control = ["_count", "_offset", "_include", "_format"];

    public const int DefaultCount = 20;
    public const int MaxCount = 500;
    public const string IncludeResult = "DiagnosticReport:result";

    /// <summary>Type → its own search parameters (beyond <see cref="Common"/>).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> TypeParameters = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        ["Patient"] = ["identifier"],
        ["Practitioner"] = ["identifier"],
        ["Device"] = ["identifier", "status", "patient"],
        ["ImagingStudy"] = ["identifier", "status", "patient", "subject", "date"],
        ["DiagnosticReport"] = ["identifier", "status", "patient", "subject", "code", "date"],
        ["Observation"] = ["identifier", "status", "patient", "subject", "code", "date"],
        ["Media"] = ["identifier", "status", "patient", "subject"],
        ["Provenance"] = [],
        ["Binary"] = [],
    };

    public static bool IsSupportedType(string type) => TypeParameters.ContainsKey(type);

    public static string TypeOf(string parameter) => parameter switch
    {
        "_id" or "identifier" or "status" or "code" => "token",
        "patient" or "subject" => "reference",
        _ => "date",
    };

    /// <summary>How our implementation reads each parameter (told in the CapabilityStatement).</summary>
    public static string Documentation(string resourceType, string parameter) => parameter switch
    {
        "_id" => "Logical id, exact.",
        "_lastUpdated" => "meta.lastUpdated; prefixes eq ne gt lt ge le sa eb.",
        "identifier" => $"{resourceType}.identifier; system|value, |value, system| or value.",
        "status" => $"{resourceType}.status code.",
        "code" => $"{resourceType}.code; system|code, |code, system| or code.",
        "patient" => $"{resourceType}.{ReferenceElement(resourceType)} referencing a Patient; Patient/id or id.",
        "subject" => $"{resourceType}.subject; Type/id or id.",
        "date" => $"{string.Join(", ", DateElements(resourceType).Select(e => resourceType + "." + e))}; prefixes eq ne gt lt ge le sa eb.",
        _ => parameter,
    };

    private static string ReferenceElement(string resourceType) => resourceType == "Device" ? "patient" : "subject";

    private static string[] DateElements(string resourceType) => resourceType switch
    {
        "DiagnosticReport" => ["effective[x]", "issued"],
        "Observation" => ["effective[x]"],
        "ImagingStudy" => ["started"],
        _ => [],
    };

    /// <summary>Throws a 400 <see cref="FhirHttpException"/> for a parameter the type does not support (strict handling).</summary>
    public static void CheckParameter(string resourceType, string name)
    {
        if (Control.Contains(name) || Common.Contains(name) || TypeParameters[resourceType].Contains(name))
        {
            return;
        }

        var supported = string.Join(", ", Common.Concat(TypeParameters[resourceType]).Concat(Control));
        throw new FhirHttpException(
            400, "not-supported",
            name.Contains(':', StringComparison.Ordinal)
                ? $"Search modifiers are not supported ('{name}'). {resourceType} supports: {supported}."
                : $"Unknown or unsupported search parameter '{name}' for {resourceType}. Supported: {supported}.");
    }

    /// <summary>Whether <paramref name="resource"/> matches one occurrence of a parameter (a comma list is an OR).</summary>
    public static bool Matches(JsonObject resource, string resourceType, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(value);
        var alternatives = value.Split(',');
        if (alternatives.Any(a => a.Length == 0))
        {
            throw new FhirHttpException(400, "invalid", $"Search parameter '{name}' has an empty value.");
        }

        return name switch
        {
            "_id" => alternatives.Contains(StringOf(resource["id"])),
            "identifier" => alternatives.Any(a => TokenMatches(resource["identifier"], a)),
            "code" => alternatives.Any(a => TokenMatches(resource["code"], a)),
            "status" => alternatives.Any(a => TokenMatches(resource["status"], a)),
            "patient" => alternatives.Any(a => ReferenceMatches(resource[ReferenceElement(resourceType)], a, "Patient")),
            "subject" => alternatives.Any(a => ReferenceMatches(resource["subject"], a, null)),
            "_lastUpdated" => alternatives.Any(a => DateMatches([resource["meta"]?["lastUpdated"]], a, name)),
            "date" => alternatives.Any(a => DateMatches(DateValues(resource, resourceType), a, name)),
            _ => throw new FhirHttpException(400, "not-supported", $"Unknown search parameter '{name}'."),
        };
    }

    private static IEnumerable<JsonNode?> DateValues(JsonObject resource, string resourceType) => resourceType switch
    {
        "DiagnosticReport" => [resource["effectiveDateTime"], resource["effectivePeriod"], resource["issued"]],
        "Observation" => [resource["effectiveDateTime"], resource["effectivePeriod"], resource["effectiveInstant"]],
        "ImagingStudy" => [resource["started"]],
        _ => [],
    };

    private static bool TokenMatches(JsonNode? element, string value) => element switch
    {
        JsonArray items => items.Any(item => item is not JsonArray && TokenMatches(item, value)),
        JsonObject complex => CodingMatches(complex, value)
            || (complex["coding"] is JsonArray codings && codings.OfType<JsonObject>().Any(c => CodingMatches(c, value))),
        // A bare code (status): its system is implicit, so only the code part can be compared.
        JsonValue primitive => StringOf(primitive) is { } code && string.Equals(code, value[(value.IndexOf('|', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>Identifier (system/value) or Coding (system/code).</summary>
    private static bool CodingMatches(JsonObject token, string value)
    {
        var code = StringOf(token["value"]) ?? StringOf(token["code"]);
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return code is not null && string.Equals(code, value, StringComparison.Ordinal);
        }

        var system = value[..bar];
        var wanted = value[(bar + 1)..];
        var actualSystem = StringOf(token["system"]);

        // "|code" asks for no system; "system|" for any code in that system.
        var systemMatches = system.Length == 0 ? actualSystem is null : string.Equals(actualSystem, system, StringComparison.Ordinal);
        return systemMatches && (wanted.Length == 0 ? code is not null : string.Equals(code, wanted, StringComparison.Ordinal));
    }

    private static bool ReferenceMatches(JsonNode? element, string value, string? requiredType)
    {
        var wanted = LastSegments(value);
        if (element is JsonArray items)
        {
            return items.Any(i => ReferenceMatches(i, value, requiredType));
        }

        if (StringOf(element?["reference"]) is not { } reference)
        {
            return false;
        }

        var actual = LastSegments(reference);
        if (actual.Type is null || (requiredType is not null && actual.Type != requiredType))
        {
            return false;
        }

        // A bare id matches that id on any type the parameter allows (the patient parameter allows only Patient).
        var typeWanted = wanted.Type ?? requiredType;
        return actual.Id == wanted.Id && (typeWanted is null || typeWanted == actual.Type);
    }

    /// <summary>"Patient/1", "http://host/fhir/Patient/1" → (Patient, 1); "1" → (null, 1). A version suffix is dropped.</summary>
    private static (string? Type, string Id) LastSegments(string reference)
    {
        var parts = reference.Split('/');
        var history = Array.IndexOf(parts, "_history");
        if (history >= 2)
        {
            parts = parts[..history];
        }

        return parts.Length >= 2 ? (parts[^2], parts[^1]) : (null, parts[^1]);
    }

    private static readonly Regex DatePattern = new(
        @"^(?<y>\d{4})(-(?<mo>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<mi>\d{2})(:(?<s>\d{2})(\.(?<f>\d{1,9}))?)?(?<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1));

    private static readonly string[] Prefixes = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"];

    /// <summary>Throws a 400 <see cref="FhirHttpException"/> for a value that cannot be searched with, before any resource is looked at.</summary>
    public static void CheckValue(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var alternative in value.Split(','))
        {
            if (alternative.Length == 0)
            {
                throw new FhirHttpException(400, "invalid", $"Search parameter '{name}' has an empty value.");
            }

            if (TypeOf(name) == "date")
            {
                _ = DateParameter(alternative, name);
            }
        }
    }

    private static (string Prefix, (DateTimeOffset Low, DateTimeOffset High) Range) DateParameter(string parameter, string name)
    {
        var prefix = "eq";
        var text = parameter;
        if (parameter.Length > 2 && char.IsAsciiLetterLower(parameter[0]) && char.IsAsciiLetterLower(parameter[1]))
        {
            prefix = parameter[..2];
            text = parameter[2..];
            if (!Prefixes.Contains(prefix))
            {
                throw new FhirHttpException(400, "not-supported", $"Date prefix '{prefix}' is not supported for '{name}' (eq ne gt lt ge le sa eb are).");
            }
        }

        return (prefix, ParseRange(text) ?? throw new FhirHttpException(400, "invalid", $"'{text}' is not a FHIR date, dateTime or instant ({name})."));
    }

    private static bool DateMatches(IEnumerable<JsonNode?> values, string parameter, string name)
    {
        var (prefix, wanted) = DateParameter(parameter, name);
        return values.Select(RangeOf).OfType<(DateTimeOffset Low, DateTimeOffset High)>().Any(actual => Compare(prefix, actual, wanted));
    }

    private static bool Compare(string prefix, (DateTimeOffset Low, DateTimeOffset High) r, (DateTimeOffset Low, DateTimeOffset High) p)
    {
        // R4 search: the target's range against the search value's implicit range, both half-open [Low, High).
        var eq = r.Low >= p.Low && r.High <= p.High;
        return prefix switch
        {
            "eq" => eq,
            "ne" => !eq,
            "gt" => r.High > p.High,
            "lt" => r.Low < p.Low,
            "ge" => r.High > p.High || eq,
            "le" => r.Low < p.Low || eq,
            "sa" => r.Low >= p.High,
            "eb" => r.High <= p.Low,
            _ => false,
        };
    }

    private static (DateTimeOffset Low, DateTimeOffset High)? RangeOf(JsonNode? node) => node switch
    {
        JsonValue v when StringOf(v) is { } s => ParseRange(s),
        JsonObject period => (
            StringOf(period["start"]) is { } start && ParseRange(start) is { } s ? s.Low : DateTimeOffset.MinValue,
            StringOf(period["end"]) is { } end && ParseRange(end) is { } e ? e.High : DateTimeOffset.MaxValue),
        _ => null,
    };

    /// <summary>The implicit range of a date/dateTime/instant at its precision; a value without a zone is read as UTC.</summary>
    public static (DateTimeOffset Low, DateTimeOffset High)? ParseRange(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = DatePattern.Match(text);
        if (!m.Success)
        {
            return null;
        }

        int Part(string group, int fallback) => m.Groups[group].Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : fallback;
        try
        {
            var offset = m.Groups["tz"].Success && m.Groups["tz"].Value != "Z"
                ? TimeSpan.ParseExact(m.Groups["tz"].Value[1..], @"hh\:mm", CultureInfo.InvariantCulture) * (m.Groups["tz"].Value[0] == '-' ? -1 : 1)
                : TimeSpan.Zero;
            var low = new DateTimeOffset(Part("y", 1), Part("mo", 1), Part("d", 1), Part("h", 0), Part("mi", 0), Part("s", 0), offset);
            if (m.Groups["f"].Success)
            {
                var digits = m.Groups["f"].Value;
                low = low.AddTicks(long.Parse(digits.PadRight(7, '0')[..7], CultureInfo.InvariantCulture));
                return (low, low.AddTicks(Math.Max(1, (long)Math.Pow(10, 7 - Math.Min(7, digits.Length)))));
            }

            var high = m.Groups["s"].Success ? low.AddSeconds(1)
                : m.Groups["mi"].Success ? low.AddMinutes(1)
                : m.Groups["d"].Success ? low.AddDays(1)
                : m.Groups["mo"].Success ? low.AddMonths(1)
                : low.AddYears(1);
            return (low, high);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static string? StringOf(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
