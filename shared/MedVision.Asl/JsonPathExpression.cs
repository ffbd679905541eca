using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace MedVision.Asl;

internal abstract record PathSegment;

internal sealed record NameSegment(string Name) : PathSegment;

internal sealed record IndexSegment(int Index) : PathSegment;

/// <summary>The JSONPath subset the interpreter supports: <c>$</c>, <c>$$</c>, <c>.name</c>, <c>['name']</c>, <c>[n]</c>.
/// Anything else (wildcards, filters, slices, recursive descent) is rejected when the definition loads.</summary>
internal sealed class JsonPathExpression
{
    private JsonPathExpression(string text, bool isContext, IReadOnlyList<PathSegment> segments)
    {
        Text = text;
        IsContext = isContext;
        Segments = segments;
    }

    public string Text { get; }

    /// <summary>True for <c>$$...</c> paths, which read the context object instead of the state input.</summary>
    public bool IsContext { get; }

    public IReadOnlyList<PathSegment> Segments { get; }

    public bool IsRoot => Segments.Count == 0;

    public override string ToString() => Text;

    public static bool TryParse(string text, [NotNullWhen(true)] out JsonPathExpression? path, [NotNullWhen(false)] out string? error)
    {
        path = null;
        error = null;
        var isContext = text.StartsWith("$$", StringComparison.Ordinal);
        if (!isContext && !text.StartsWith('$'))
        {
            error = $"path \"{text}\" must start with '$'";
            return false;
        }

        var segments = new List<PathSegment>();
        var i = isContext ? 2 : 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '.')
            {
                i++;
                if (i < text.Length && text[i] == '.')
                {
                    error = $"path \"{text}\" uses recursive descent '..', which is not supported (supported: $, $.a.b, $['a'], $.a[0], $$...)";
                    return false;
                }

                var start = i;
                while (i < text.Length && text[i] != '.' && text[i] != '[')
                {
                    i++;
                }

                var name = text[start..i];
                if (name.Length == 0 || name == "*" || name.IndexOfAny(['(', ')', '?', '@', ' ']) >= 0)
                {
                    error = $"path \"{text}\" has an unsupported name segment \"{name}\" (supported: $, $.a.b, $['a'], $.a[0], $$...)";
                    return false;
                }

                segments.Add(new NameSegment(name));
            }
            else if (c == '[')
            {
                i++;
                if (i < text.Length && (text[i] == '\'' || text[i] == '"'))
                {
                    var quote = text[i++];
                    var name = new StringBuilder();
                    while (i < text.Length && text[i] != quote)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }

                        name.Append(text[i++]);
                    }

                    if (i + 1 >= text.Length || text[i + 1] != ']')
                    {
                        error = $"path \"{text}\" has an unterminated bracket name";
                        return false;
                    }

                    i += 2;
                    segments.Add(new NameSegment(name.ToString()));
                }
                else
                {
                    var start = i;
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }

                    if (i == start || i >= text.Length || text[i] != ']'
                        || !int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        error = $"path \"{text}\" has an unsupported bracket expression (supported: [n] with n >= 0 and ['name'])";
                        return false;
                    }

                    i++;
                    segments.Add(new IndexSegment(index));
                }
            }
            else
            {
                error = $"path \"{text}\" has an unexpected character '{c}' at position {i}";
                return false;
            }
        }

        path = new JsonPathExpression(text, isContext, segments);
        return true;
    }

    /// <summary>Selects the node the path points at; the result is a deep clone so callers may attach it anywhere.</summary>
    public bool TrySelect(JsonNode? input, JsonNode? context, out JsonNode? value)
    {
        var current = IsContext ? context : input;
        foreach (var segment in Segments)
        {
            switch (segment)
            {
                case NameSegment name when current is JsonObject obj && obj.TryGetPropertyValue(name.Name, out var child):
                    current = child;
                    break;
                case IndexSegment index when current is JsonArray array && index.Index < array.Count:
                    current = array[index.Index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }

        value = current?.DeepClone();
        return true;
    }

    /// <summary>Like <see cref="TrySelect"/> but a miss is the spec's States.Runtime error.</summary>
    public JsonNode? Select(JsonNode? input, JsonNode? context, string stateName, string field)
    {
        if (TrySelect(input, context, out var value))
        {
            return value;
        }

        throw StateErrorException.Runtime(
            $"State \"{stateName}\": the JSONPath \"{Text}\" in field \"{field}\" could not be found in the {(IsContext ? "context object" : "input")}");
    }

    /// <summary>ResultPath: place <paramref name="result"/> into a copy of the raw input at this reference path,
    /// creating intermediate objects as needed.</summary>
    public JsonNode? Apply(JsonNode? rawInput, JsonNode? result, string stateName, string field)
    {
        var value = result?.DeepClone();
        if (IsRoot)
        {
            return value;
        }

        var root = rawInput?.DeepClone();
        var current = root;
        for (var i = 0; i < Segments.Count; i++)
        {
            var last = i == Segments.Count - 1;
            switch (Segments[i])
            {
                case NameSegment name when current is JsonObject obj:
                    if (last)
                    {
                        obj[name.Name] = value;
                    }
                    else if (!obj.TryGetPropertyValue(name.Name, out var child))
                    {
                        var created = new JsonObject();
                        obj[name.Name] = created;
                        current = created;
                    }
                    else if (child is JsonObject or JsonArray)
                    {
                        current = child;
                    }
                    else
                    {
                        throw ApplyFailure(stateName, field, i);
                    }

                    break;
                case IndexSegment index when current is JsonArray array && index.Index < array.Count:
                    if (last)
                    {
                        array[index.Index] = value;
                    }
                    else if (array[index.Index] is JsonObject or JsonArray)
                    {
                        current = array[index.Index];
                    }
                    else
                    {
                        throw ApplyFailure(stateName, field, i);
                    }

                    break;
                default:
                    throw ApplyFailure(stateName, field, i);
            }
        }

        return root;
    }

    private StateErrorException ApplyFailure(string stateName, string field, int segmentIndex) =>
        StateErrorException.Runtime(
            $"State \"{stateName}\": the {field} \"{Text}\" cannot be applied to the state input "
            + $"(segment {segmentIndex + 1} does not address an object property or an existing array element)");
}
