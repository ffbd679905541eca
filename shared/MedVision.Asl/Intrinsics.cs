using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Asl;

internal abstract class IntrinsicArg
{
    public abstract JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName);
}

internal sealed class LiteralArg(JsonNode? value, string? rawString) : IntrinsicArg
{
    public JsonNode? Value { get; } = value;

    /// <summary>The string literal as written (escapes kept): States.Format needs to tell "\{" from "{".</summary>
    public string? RawString { get; } = rawString;

    public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName) => Value?.DeepClone();
}

internal sealed class PathArg(JsonPathExpression path) : IntrinsicArg
{
    public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName) =>
        path.Select(input, context, stateName, $"intrinsic argument {path.Text}");
}

internal sealed class CallArg(IntrinsicCall call) : IntrinsicArg
{
    public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName) =>
        call.Evaluate(input, context, stateName);
}

internal sealed class IntrinsicCall(string name, IReadOnlyList<IntrinsicArg> args)
{
    public const string Format = "States.Format";
    public const string StringToJson = "States.StringToJson";
    public const string JsonToString = "States.JsonToString";
    public const string Array = "States.Array";
    public const string MathAdd = "States.MathAdd";

    public static readonly string[] Supported = [Format, StringToJson, JsonToString, Array, MathAdd];

    public string Name { get; } = name;

    public IReadOnlyList<IntrinsicArg> Args { get; } = args;

    /// <summary>Arity and literal-type checks done at load, so mistakes surface before anything runs.</summary>
    public string? Validate()
    {
        switch (Name)
        {
            case Format:
                if (Args.Count == 0)
                {
                    return $"{Format} needs a template argument";
                }

                if (Args[0] is LiteralArg template)
                {
                    if (template.RawString is null)
                    {
                        return $"{Format} template must be a string";
                    }

                    var placeholders = CountPlaceholders(template.RawString);
                    if (placeholders != Args.Count - 1)
                    {
                        return $"{Format} template has {placeholders} placeholder(s) but {Args.Count - 1} argument(s) were given";
                    }
                }

                return null;
            case StringToJson or JsonToString:
                return Args.Count == 1 ? null : $"{Name} takes exactly 1 argument, got {Args.Count}";
            case MathAdd:
                return Args.Count == 2 ? null : $"{MathAdd} takes exactly 2 arguments, got {Args.Count}";
            default:
                return null;
        }
    }

    public JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName)
    {
        var values = Args.Select(a => a.Evaluate(input, context, stateName)).ToList();
        return Name switch
        {
            Format => EvaluateFormat(values, stateName),
            StringToJson => EvaluateStringToJson(values[0], stateName),
            JsonToString => JsonValue.Create(values[0]?.ToJsonString() ?? "null"),
            Array => new JsonArray([.. values]),
            MathAdd => JsonValue.Create(ToInteger(values[0], stateName) + ToInteger(values[1], stateName)),
            _ => throw Failure(stateName, "unknown intrinsic function"),
        };
    }

    private JsonValue EvaluateFormat(List<JsonNode?> values, string stateName)
    {
        string template;
        bool escapes;
        if (Args[0] is LiteralArg { RawString: { } raw })
        {
            template = raw;
            escapes = true;
        }
        else if (values[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            template = v.GetValue<string>();
            escapes = false;
        }
        else
        {
            throw Failure(stateName, "the template is not a string");
        }

        var result = new StringBuilder();
        var next = 1;
        for (var i = 0; i < template.Length; i++)
        {
            if (escapes && template[i] == '\\' && i + 1 < template.Length)
            {
                result.Append(template[++i]);
            }
            else if (template[i] == '{' && i + 1 < template.Length && template[i + 1] == '}')
            {
                if (next >= values.Count)
                {
                    throw Failure(stateName, "the template has more placeholders than arguments");
                }

                result.Append(FormatArgument(values[next++], stateName));
                i++;
            }
            else
            {
                result.Append(template[i]);
            }
        }

        if (next != values.Count)
        {
            throw Failure(stateName, "the template has fewer placeholders than arguments");
        }

        return JsonValue.Create(result.ToString());
    }

    private string FormatArgument(JsonNode? value, string stateName) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw Failure(stateName, "arguments must be strings, numbers, booleans or null, not objects or arrays"),
    };

    private JsonNode? EvaluateStringToJson(JsonNode? value, string stateName)
    {
        if (value is null)
        {
            return null;
        }

        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            throw Failure(stateName, "the argument must be a string");
        }

        try
        {
            return JsonNode.Parse(v.GetValue<string>());
        }
        catch (JsonException ex)
        {
            throw Failure(stateName, $"the argument is not valid JSON ({ex.Message})");
        }
    }

    private long ToInteger(JsonNode? value, string stateName)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && d == decimal.Truncate(d) && d >= long.MinValue / 2 && d <= long.MaxValue / 2)
        {
            return (long)d;
        }

        throw Failure(stateName, "arguments must be integers");
    }

    private StateErrorException Failure(string stateName, string message) =>
        StateErrorException.Runtime($"State \"{stateName}\": intrinsic function {Name} failed: {message}");

    internal static int CountPlaceholders(string raw)
    {
        var count = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\')
            {
                i++;
            }
            else if (raw[i] == '{' && i + 1 < raw.Length && raw[i + 1] == '}')
            {
                count++;
                i++;
            }
        }

        return count;
    }
}

/// <summary>Parses intrinsic function calls such as <c>States.Format('a {}', $.b, States.Array(1, 'x'))</c>.</summary>
internal static class IntrinsicParser
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IntrinsicCall? call, [NotNullWhen(false)] out string? error)
    {
        var position = 0;
        try
        {
            call = ParseCall(text, ref position);
            SkipWhitespace(text, ref position);
            if (position != text.Length)
            {
                throw new FormatException($"unexpected text after position {position}");
            }

            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            call = null;
            error = $"invalid intrinsic function \"{text}\": {ex.Message}";
            return false;
        }
    }

    private static IntrinsicCall ParseCall(string text, ref int position)
    {
        SkipWhitespace(text, ref position);
        var start = position;
        while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] == '.'))
        {
            position++;
        }

        var name = text[start..position];
        if (!IntrinsicCall.Supported.Contains(name, StringComparer.Ordinal))
        {
            throw new FormatException(
                $"intrinsic function \"{name}\" is not supported by the local interpreter (supported: {string.Join(", ", IntrinsicCall.Supported)})");
        }

        SkipWhitespace(text, ref position);
        Expect(text, ref position, '(');
        var args = new List<IntrinsicArg>();
        SkipWhitespace(text, ref position);
        if (position < text.Length && text[position] == ')')
        {
            position++;
        }
        else
        {
            while (true)
            {
                args.Add(ParseArg(text, ref position));
                SkipWhitespace(text, ref position);
                if (position < text.Length && text[position] == ',')
                {
                    position++;
                    continue;
                }

                Expect(text, ref position, ')');
                break;
            }
        }

        var call = new IntrinsicCall(name, args);
        var problem = call.Validate();
        return problem is null ? call : throw new FormatException(problem);
    }

    private static IntrinsicArg ParseArg(string text, ref int position)
    {
        SkipWhitespace(text, ref position);
        if (position >= text.Length)
        {
            throw new FormatException("missing argument");
        }

        var c = text[position];
        if (c == '\'')
        {
            return ParseString(text, ref position);
        }

        if (c == '$')
        {
            var start = position;
            var inQuote = false;
            while (position < text.Length && (inQuote || (text[position] != ',' && text[position] != ')' && !char.IsWhiteSpace(text[position]))))
            {
                if (text[position] == '\'' && position > 0 && text[position - 1] != '\\')
                {
                    inQuote = !inQuote;
                }

                position++;
            }

            var pathText = text[start..position];
            return JsonPathExpression.TryParse(pathText, out var path, out var error)
                ? new PathArg(path)
                : throw new FormatException(error);
        }

        if (text.AsSpan(position).StartsWith("States.", StringComparison.Ordinal))
        {
            return new CallArg(ParseCall(text, ref position));
        }

        var tokenStart = position;
        while (position < text.Length && text[position] != ',' && text[position] != ')' && !char.IsWhiteSpace(text[position]))
        {
            position++;
        }

        var token = text[tokenStart..position];
        switch (token)
        {
            case "true":
                return new LiteralArg(JsonValue.Create(true), null);
            case "false":
                return new LiteralArg(JsonValue.Create(false), null);
            case "null":
                return new LiteralArg(null, null);
        }

        if (token.Length > 0 && (char.IsAsciiDigit(token[0]) || token[0] == '-')
            && decimal.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            return new LiteralArg(JsonNode.Parse(token), null);
        }

        throw new FormatException($"unrecognised argument \"{token}\"");
    }

    private static LiteralArg ParseString(string text, ref int position)
    {
        position++; // opening quote
        var raw = new StringBuilder();
        var value = new StringBuilder();
        while (position < text.Length && text[position] != '\'')
        {
            if (text[position] == '\\' && position + 1 < text.Length)
            {
                raw.Append(text[position]).Append(text[position + 1]);
                value.Append(text[position + 1]);
                position += 2;
                continue;
            }

            raw.Append(text[position]);
            value.Append(text[position]);
            position++;
        }

        if (position >= text.Length)
        {
            throw new FormatException("unterminated string literal");
        }

        position++; // closing quote
        return new LiteralArg(JsonValue.Create(value.ToString()), raw.ToString());
    }

    private static void Expect(string text, ref int position, char expected)
    {
        if (position >= text.Length || text[position] != expected)
        {
            throw new FormatException($"expected '{expected}' at position {position}");
        }

        position++;
    }

    private static void SkipWhitespace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }
}
