using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Asl;

internal abstract class ChoiceRule
{
    public abstract bool Evaluate(JsonNode? input, JsonNode? context, string stateName);
}

internal sealed class AndRule(IReadOnlyList<ChoiceRule> rules) : ChoiceRule
{
    // Short-circuits so an IsPresent guard can protect later comparisons from States.Runtime.
    public override bool Evaluate(JsonNode? input, JsonNode? context, string stateName) =>
        rules.All(r => r.Evaluate(input, context, stateName));
}

internal sealed class OrRule(IReadOnlyList<ChoiceRule> rules) : ChoiceRule
{
    public override bool Evaluate(JsonNode? input, JsonNode? context, string stateName) =>
        rules.Any(r => r.Evaluate(input, context, stateName));
}

internal sealed class NotRule(ChoiceRule rule) : ChoiceRule
{
    public override bool Evaluate(JsonNode? input, JsonNode? context, string stateName) =>
        !rule.Evaluate(input, context, stateName);
}

internal enum OperandKind
{
    String,
    Numeric,
    Boolean,
    Timestamp,
    Test,
}

internal sealed class ComparisonRule(
    JsonPathExpression variable,
    string baseOperator,
    JsonNode? value,
    JsonPathExpression? valuePath,
    WildcardPattern? pattern) : ChoiceRule
{
    /// <summary>Comparison operators (without the "Path" suffix) and the type of operand each takes.</summary>
    public static readonly IReadOnlyDictionary<string, OperandKind> Operators = new Dictionary<string, OperandKind>(StringComparer.Ordinal)
    {
        ["StringEquals"] = OperandKind.String,
        ["StringLessThan"] = OperandKind.String,
        ["StringGreaterThan"] = OperandKind.String,
        ["StringLessThanEquals"] = OperandKind.String,
        ["StringGreaterThanEquals"] = OperandKind.String,
        ["StringMatches"] = OperandKind.String,
        ["NumericEquals"] = OperandKind.Numeric,
        ["NumericLessThan"] = OperandKind.Numeric,
        ["NumericGreaterThan"] = OperandKind.Numeric,
        ["NumericLessThanEquals"] = OperandKind.Numeric,
        ["NumericGreaterThanEquals"] = OperandKind.Numeric,
        ["BooleanEquals"] = OperandKind.Boolean,
        ["TimestampEquals"] = OperandKind.Timestamp,
        ["TimestampLessThan"] = OperandKind.Timestamp,
        ["TimestampGreaterThan"] = OperandKind.Timestamp,
        ["TimestampLessThanEquals"] = OperandKind.Timestamp,
        ["TimestampGreaterThanEquals"] = OperandKind.Timestamp,
        ["IsNull"] = OperandKind.Test,
        ["IsPresent"] = OperandKind.Test,
        ["IsNumeric"] = OperandKind.Test,
        ["IsString"] = OperandKind.Test,
        ["IsBoolean"] = OperandKind.Test,
        ["IsTimestamp"] = OperandKind.Test,
    };

    /// <summary>Every comparison except StringMatches and the Is* tests has a "...Path" variant.</summary>
    public static bool HasPathVariant(string baseOperator) =>
        baseOperator != "StringMatches" && Operators[baseOperator] != OperandKind.Test;

    public override bool Evaluate(JsonNode? input, JsonNode? context, string stateName)
    {
        var found = variable.TrySelect(input, context, out var actual);
        if (baseOperator == "IsPresent")
        {
            return found == IsTrue(value);
        }

        if (!found)
        {
            // Per the spec a Variable that does not resolve is a runtime error; IsPresent is the guard.
            throw StateErrorException.Runtime(
                $"State \"{stateName}\": Choice Variable \"{variable.Text}\" could not be found in the input");
        }

        var expected = valuePath is null
            ? value
            : valuePath.Select(input, context, stateName, $"{baseOperator}Path");

        return baseOperator switch
        {
            "IsNull" => (actual is null) == IsTrue(expected),
            "IsNumeric" => (Kind(actual) == JsonValueKind.Number) == IsTrue(expected),
            "IsString" => (Kind(actual) == JsonValueKind.String) == IsTrue(expected),
            "IsBoolean" => (Kind(actual) is JsonValueKind.True or JsonValueKind.False) == IsTrue(expected),
            "IsTimestamp" => TryTimestamp(actual, out _) == IsTrue(expected),
            "StringMatches" => TryString(actual, out var s) && pattern!.IsMatch(s),
            "BooleanEquals" => Kind(actual) is JsonValueKind.True or JsonValueKind.False
                && Kind(expected) is JsonValueKind.True or JsonValueKind.False
                && Kind(actual) == Kind(expected),
            _ => CompareOrdered(actual, expected),
        };
    }

    private bool CompareOrdered(JsonNode? actual, JsonNode? expected)
    {
        int? comparison = Operators[baseOperator] switch
        {
            OperandKind.String when TryString(actual, out var a) && TryString(expected, out var b) => string.CompareOrdinal(a, b),
            OperandKind.Numeric when TryNumber(actual, out var a) && TryNumber(expected, out var b) => a.CompareTo(b),
            OperandKind.Timestamp when TryTimestamp(actual, out var a) && TryTimestamp(expected, out var b) => a.CompareTo(b),
            _ => null, // a wrong-typed value makes the comparison false, not an error (spec)
        };

        if (comparison is not int c)
        {
            return false;
        }

        return baseOperator switch
        {
            _ when baseOperator.EndsWith("LessThanEquals", StringComparison.Ordinal) => c <= 0,
            _ when baseOperator.EndsWith("GreaterThanEquals", StringComparison.Ordinal) => c >= 0,
            _ when baseOperator.EndsWith("LessThan", StringComparison.Ordinal) => c < 0,
            _ when baseOperator.EndsWith("GreaterThan", StringComparison.Ordinal) => c > 0,
            _ => c == 0,
        };
    }

    private static JsonValueKind Kind(JsonNode? node) => node is null ? JsonValueKind.Null : node.GetValueKind();

    private static bool IsTrue(JsonNode? node) => Kind(node) == JsonValueKind.True;

    internal static bool TryString(JsonNode? node, out string value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            value = v.GetValue<string>();
            return true;
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Numbers compare as doubles, parsed from their JSON text so every backing CLR type behaves the same.</summary>
    internal static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        return double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    internal static bool TryTimestamp(JsonNode? node, out DateTimeOffset value)
    {
        value = default;
        return TryString(node, out var s) && Timestamps.TryParse(s, out value);
    }
}

/// <summary>StringMatches pattern: '*' matches any run of characters, '\' escapes the next character.</summary>
internal sealed class WildcardPattern
{
    private readonly List<(char Char, bool IsStar)> _tokens = [];

    public WildcardPattern(string pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                _tokens.Add((pattern[++i], false));
            }
            else
            {
                _tokens.Add((pattern[i], pattern[i] == '*'));
            }
        }
    }

    /// <summary>Greedy matching with backtracking to the last star: linear in practice, no regex needed.</summary>
    public bool IsMatch(string text)
    {
        int s = 0, p = 0, starP = -1, starS = 0;
        while (s < text.Length)
        {
            if (p < _tokens.Count && _tokens[p].IsStar)
            {
                starP = p++;
                starS = s;
            }
            else if (p < _tokens.Count && _tokens[p].Char == text[s])
            {
                p++;
                s++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                s = ++starS;
            }
            else
            {
                return false;
            }
        }

        while (p < _tokens.Count && _tokens[p].IsStar)
        {
            p++;
        }

        return p == _tokens.Count;
    }
}

/// <summary>RFC 3339 timestamps as the spec requires: uppercase 'T', and 'Z' or a numeric offset.</summary>
internal static class Timestamps
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string text, out DateTimeOffset value)
    {
        value = default;
        // 'K' also accepts "no offset"; the spec requires one, so insist on 'Z' or +hh:mm / -hh:mm.
        var hasZone = text.EndsWith('Z')
            || (text.Length > 6 && (text[^6] == '+' || text[^6] == '-') && text[^3] == ':');
        return hasZone && DateTimeOffset.TryParseExact(
            text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out value);
    }

    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
