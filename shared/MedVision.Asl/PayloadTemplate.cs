using System.Text.Json.Nodes;

namespace MedVision.Asl;

/// <summary>A compiled Parameters / ResultSelector payload template: keys ending in ".$" take a path or an
/// intrinsic function, everything else is copied; objects and arrays recurse.</summary>
internal abstract class TemplateNode
{
    public abstract JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName);

    /// <summary>Compiles <paramref name="node"/>; problems are reported with <paramref name="field"/> as the location.</summary>
    public static TemplateNode Compile(JsonNode? node, string field, Action<string, string> problem)
    {
        switch (node)
        {
            case JsonObject obj:
                var entries = new List<KeyValuePair<string, TemplateNode>>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (key, value) in obj)
                {
                    var childField = $"{field}.{key}";
                    if (!key.EndsWith(".$", StringComparison.Ordinal))
                    {
                        AddEntry(key, Compile(value, childField, problem));
                        continue;
                    }

                    var outKey = key[..^2];
                    if (value is not JsonValue v || !v.TryGetValue<string>(out var expression))
                    {
                        problem(childField, "a key ending in \".$\" must have a string value (a path or an intrinsic function)");
                        continue;
                    }

                    if (expression.StartsWith("States.", StringComparison.Ordinal))
                    {
                        if (IntrinsicParser.TryParse(expression, out var call, out var error))
                        {
                            AddEntry(outKey, new IntrinsicTemplate(call));
                        }
                        else
                        {
                            problem(childField, error);
                        }
                    }
                    else if (JsonPathExpression.TryParse(expression, out var path, out var pathError))
                    {
                        AddEntry(outKey, new PathTemplate(path, childField));
                    }
                    else
                    {
                        problem(childField, pathError);
                    }
                }

                return new ObjectTemplate(entries);

                void AddEntry(string outKey, TemplateNode compiled)
                {
                    if (!seen.Add(outKey))
                    {
                        problem($"{field}.{outKey}", "the key appears both with and without the \".$\" suffix");
                        return;
                    }

                    entries.Add(new(outKey, compiled));
                }

            case JsonArray array:
                return new ArrayTemplate([.. array.Select((item, i) => Compile(item, $"{field}[{i}]", problem))]);
            default:
                return new LiteralTemplate(node?.DeepClone());
        }
    }

    private sealed class LiteralTemplate(JsonNode? value) : TemplateNode
    {
        public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName) => value?.DeepClone();
    }

    private sealed class ObjectTemplate(List<KeyValuePair<string, TemplateNode>> entries) : TemplateNode
    {
        public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName)
        {
            var result = new JsonObject();
            foreach (var (key, node) in entries)
            {
                result[key] = node.Evaluate(input, context, stateName);
            }

            return result;
        }
    }

    private sealed class ArrayTemplate(List<TemplateNode> items) : TemplateNode
    {
        public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName)
        {
            var result = new JsonArray();
            foreach (var item in items)
            {
                result.Add(item.Evaluate(input, context, stateName));
            }

            return result;
        }
    }

    private sealed class PathTemplate(JsonPathExpression path, string field) : TemplateNode
    {
        public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName) =>
            path.Select(input, context, stateName, field);
    }

    private sealed class IntrinsicTemplate(IntrinsicCall call) : TemplateNode
    {
        public override JsonNode? Evaluate(JsonNode? input, JsonNode? context, string stateName) =>
            call.Evaluate(input, context, stateName);
    }
}
