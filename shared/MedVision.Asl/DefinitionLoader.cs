using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Asl;

/// <summary>Builds the state model and collects every definition problem before failing, so one run shows them all.</summary>
internal sealed class DefinitionLoader(IReadOnlyDictionary<string, string>? substitutions)
{
    private static readonly string[] TopLevelFields = ["StartAt", "States", "Comment", "Version", "TimeoutSeconds"];
    private static readonly string[] SupportedTypes = ["Task", "Choice", "Pass", "Wait", "Succeed", "Fail"];
    private static readonly string[] RetrierFields = ["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"];
    private static readonly string[] CatcherFields = ["ErrorEquals", "Next", "ResultPath", "Comment"];
    private const string ServiceIntegrationPrefix = "arn:aws:states:::";
    private const string LambdaInvokeResource = "arn:aws:states:::lambda:invoke";
    private const string WaitForTaskTokenSuffix = ".waitForTaskToken";

    private static readonly string[] WaitModes = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"];

    private static readonly Dictionary<string, string[]> FieldsByType = new(StringComparer.Ordinal)
    {
        ["Task"] = ["Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Resource", "TimeoutSeconds"],
        ["Pass"] = ["Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result"],
        ["Wait"] = ["Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        ["Choice"] = ["Type", "Comment", "InputPath", "OutputPath", "Choices", "Default"],
        ["Succeed"] = ["Type", "Comment", "InputPath", "OutputPath"],
        ["Fail"] = ["Type", "Comment", "Error", "Cause"],
    };

    private readonly List<string> _problems = [];

    public StateMachineDefinition Load(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw new AslDefinitionException($"The definition is not valid JSON: {ex.Message}");
        }

        if (root is not JsonObject top)
        {
            throw new AslDefinitionException("The definition must be a JSON object.");
        }

        Substitute(top, "$");

        foreach (var (key, _) in top)
        {
            if (!TopLevelFields.Contains(key, StringComparer.Ordinal))
            {
                _problems.Add($"Top level: field \"{key}\" is not supported by the local interpreter (supported: {string.Join(", ", TopLevelFields)})");
            }
        }

        var startAt = OptionalString(top, "StartAt", "Top level");
        if (startAt is null && !top.ContainsKey("StartAt"))
        {
            _problems.Add("Top level: required field \"StartAt\" is missing");
        }

        var comment = OptionalString(top, "Comment", "Top level");
        _ = OptionalString(top, "Version", "Top level");
        var timeoutSeconds = OptionalPositiveInt(top, "TimeoutSeconds", "Top level");

        var states = new Dictionary<string, StateDef>(StringComparer.Ordinal);
        var names = new List<string>();
        if (top["States"] is not JsonObject statesObject || statesObject.Count == 0)
        {
            _problems.Add("Top level: required field \"States\" must be a non-empty JSON object");
        }
        else
        {
            foreach (var (name, node) in statesObject)
            {
                var state = LoadState(name, node);
                if (state is not null)
                {
                    states[name] = state;
                    names.Add(name);
                }
            }
        }

        if (startAt is not null && states.Count > 0 && !states.ContainsKey(startAt)
            && !(top["States"] as JsonObject)!.ContainsKey(startAt))
        {
            _problems.Add($"Top level: StartAt refers to state \"{startAt}\", which does not exist");
        }

        CheckTargets(states, top["States"] as JsonObject);
        if (startAt is not null && states.ContainsKey(startAt))
        {
            CheckReachability(startAt, states, names);
        }

        if (_problems.Count > 0)
        {
            throw new AslDefinitionException(_problems);
        }

        return new StateMachineDefinition(startAt!, names, states, timeoutSeconds, comment);
    }

    // ---- substitutions -------------------------------------------------------------------------

    private void Substitute(JsonNode? node, string location)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    var childLocation = $"{location}.{key}";
                    if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        var original = v.GetValue<string>();
                        var replaced = ReplaceTokens(original, childLocation);
                        if (!ReferenceEquals(original, replaced))
                        {
                            obj[key] = JsonValue.Create(replaced);
                        }
                    }
                    else
                    {
                        Substitute(value, childLocation);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var childLocation = $"{location}[{i}]";
                    if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        var original = v.GetValue<string>();
                        var replaced = ReplaceTokens(original, childLocation);
                        if (!ReferenceEquals(original, replaced))
                        {
                            array[i] = JsonValue.Create(replaced);
                        }
                    }
                    else
                    {
                        Substitute(array[i], childLocation);
                    }
                }

                break;
        }
    }

    private string ReplaceTokens(string text, string location)
    {
        var start = text.IndexOf("${", StringComparison.Ordinal);
        if (start < 0)
        {
            return text;
        }

        var result = new StringBuilder();
        var position = 0;
        while (start >= 0)
        {
            var end = text.IndexOf('}', start + 2);
            if (end < 0)
            {
                break;
            }

            var name = text[(start + 2)..end];
            result.Append(text, position, start - position);
            if (substitutions is not null && substitutions.TryGetValue(name, out var value))
            {
                result.Append(value);
            }
            else
            {
                _problems.Add($"Definition substitution \"${{{name}}}\" at {location} is not resolved (no value was supplied)");
                result.Append(text, start, end - start + 1);
            }

            position = end + 1;
            start = text.IndexOf("${", position, StringComparison.Ordinal);
        }

        result.Append(text, position, text.Length - position);
        return result.ToString();
    }

    // ---- states --------------------------------------------------------------------------------

    private StateDef? LoadState(string name, JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            Problem(name, "must be a JSON object");
            return null;
        }

        var type = OptionalString(obj, "Type", State(name));
        if (type is null)
        {
            Problem(name, "required field \"Type\" is missing");
            return null;
        }

        if (!FieldsByType.TryGetValue(type, out var allowed))
        {
            Problem(name, $"Type \"{type}\" is not supported by the local interpreter (supported: {string.Join(", ", SupportedTypes)})");
            return null;
        }

        foreach (var (key, _) in obj)
        {
            if (allowed.Contains(key, StringComparer.Ordinal))
            {
                continue;
            }

            if (key is "Next" or "End")
            {
                Problem(name, $"field \"{key}\" is not allowed on a {type} state");
            }
            else
            {
                Problem(name, $"field \"{key}\" is not supported by the local interpreter for a {type} state (supported: {string.Join(", ", allowed)})");
            }
        }

        StateDef state = type switch
        {
            "Task" => LoadTask(name, obj),
            "Pass" => LoadPass(name, obj),
            "Wait" => LoadWait(name, obj),
            "Choice" => LoadChoice(name, obj),
            "Succeed" => new SucceedStateDef(name),
            _ => new FailStateDef(name)
            {
                Error = OptionalString(obj, "Error", State(name)),
                Cause = OptionalString(obj, "Cause", State(name)),
            },
        };

        if (allowed.Contains("InputPath"))
        {
            state.InputPath = LoadSelectPath(name, obj, "InputPath");
            state.OutputPath = LoadSelectPath(name, obj, "OutputPath");
        }

        if (allowed.Contains("Next"))
        {
            LoadTransition(state, obj);
        }

        return state;
    }

    private void LoadTransition(StateDef state, JsonObject obj)
    {
        state.Next = OptionalString(obj, "Next", State(state.Name));
        if (obj.TryGetPropertyValue("End", out var end))
        {
            if (end is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                state.End = v.GetValue<bool>();
            }
            else
            {
                Problem(state.Name, "field \"End\" must be a boolean");
            }
        }

        if (state.Next is not null && state.End)
        {
            Problem(state.Name, "must not have both \"Next\" and \"End\": true");
        }
        else if (state.Next is null && !state.End)
        {
            Problem(state.Name, "must have either \"Next\" or \"End\": true");
        }
    }

    private TaskStateDef LoadTask(string name, JsonObject obj)
    {
        var task = new TaskStateDef(name);
        var resource = OptionalString(obj, "Resource", State(name));
        if (string.IsNullOrEmpty(resource))
        {
            if (!obj.ContainsKey("Resource"))
            {
                Problem(name, "required field \"Resource\" is missing");
            }
            else if (resource is not null)
            {
                Problem(name, "field \"Resource\" must not be empty");
            }
        }
        else
        {
            task.Resource = resource;
            LoadIntegration(task, obj);
        }

        task.Parameters = LoadTemplate(name, obj, "Parameters");
        task.ResultSelector = LoadTemplate(name, obj, "ResultSelector");
        task.ResultPath = LoadResultPath(name, obj.TryGetPropertyValue("ResultPath", out var rp), rp, "ResultPath");
        task.TimeoutSeconds = OptionalPositiveInt(obj, "TimeoutSeconds", State(name));
        task.Retry = LoadRetriers(name, obj);
        task.Catch = LoadCatchers(name, obj);
        return task;
    }

    /// <summary>Service integrations (arn:aws:states:::...): only Lambda's invoke and its task-token form run locally.</summary>
    private void LoadIntegration(TaskStateDef task, JsonObject obj)
    {
        if (!task.Resource.StartsWith(ServiceIntegrationPrefix, StringComparison.Ordinal))
        {
            return;
        }

        task.Integration = task.Resource switch
        {
            LambdaInvokeResource => TaskIntegration.LambdaInvoke,
            LambdaInvokeResource + WaitForTaskTokenSuffix => TaskIntegration.LambdaInvokeWaitForTaskToken,
            _ => TaskIntegration.Function,
        };
        if (task.Integration == TaskIntegration.Function)
        {
            Problem(task.Name, $"service integration \"{task.Resource}\" is not supported by the local interpreter (supported: {LambdaInvokeResource}, {LambdaInvokeResource}{WaitForTaskTokenSuffix})");
            return;
        }

        if (obj["Parameters"] is not JsonObject parameters)
        {
            Problem(task.Name, $"a {task.Resource} task needs \"Parameters\" with a \"FunctionName\"");
            return;
        }

        foreach (var (key, _) in parameters)
        {
            if (key is not ("FunctionName" or "FunctionName.$" or "Payload" or "Payload.$"))
            {
                Problem(task.Name, $"field \"Parameters.{key}\" is not supported by the local interpreter for {LambdaInvokeResource} (supported: FunctionName, Payload)");
            }
        }

        if (parameters.ContainsKey("FunctionName"))
        {
            task.FunctionName = OptionalString(parameters, "FunctionName", State(task.Name), "Parameters.FunctionName");
        }
        else if (!parameters.ContainsKey("FunctionName.$"))
        {
            Problem(task.Name, $"a {task.Resource} task needs \"Parameters.FunctionName\"");
        }

        // Step Functions refuses such a definition too: nobody could ever complete the task.
        if (task.Integration == TaskIntegration.LambdaInvokeWaitForTaskToken && !ReferencesTaskToken(parameters))
        {
            Problem(task.Name, $"a {WaitForTaskTokenSuffix} task must pass the task token: reference \"$$.Task.Token\" in its Parameters");
        }
    }

    private static bool ReferencesTaskToken(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(kv =>
            (kv.Key.EndsWith(".$", StringComparison.Ordinal) && ComparisonRule.TryString(kv.Value, out var text)
                && text.Contains("$$.Task.Token", StringComparison.Ordinal))
            || ReferencesTaskToken(kv.Value)),
        JsonArray a => a.Any(ReferencesTaskToken),
        _ => false,
    };

    private PassStateDef LoadPass(string name, JsonObject obj)
    {
        var pass = new PassStateDef(name)
        {
            Parameters = LoadTemplate(name, obj, "Parameters"),
            ResultPath = LoadResultPath(name, obj.TryGetPropertyValue("ResultPath", out var rp), rp, "ResultPath"),
        };

        if (obj.TryGetPropertyValue("Result", out var result))
        {
            pass.HasResult = true;
            pass.Result = result?.DeepClone();
        }

        return pass;
    }

    private WaitStateDef LoadWait(string name, JsonObject obj)
    {
        var wait = new WaitStateDef(name);
        var modes = WaitModes.Where(obj.ContainsKey).ToList();
        if (modes.Count != 1)
        {
            Problem(name, $"a Wait state needs exactly one of {string.Join(", ", WaitModes)} (found {modes.Count})");
        }

        if (obj.TryGetPropertyValue("Seconds", out var seconds))
        {
            if (seconds is JsonValue v && v.TryGetValue<long>(out var s) && s >= 0)
            {
                wait.Seconds = s;
            }
            else
            {
                Problem(name, "field \"Seconds\" must be a non-negative integer");
            }
        }

        if (obj.TryGetPropertyValue("Timestamp", out var timestamp))
        {
            if (ComparisonRule.TryTimestamp(timestamp, out var ts))
            {
                wait.Timestamp = ts;
            }
            else
            {
                Problem(name, "field \"Timestamp\" must be an RFC 3339 timestamp such as 2024-01-31T12:00:00Z");
            }
        }

        wait.SecondsPath = OptionalPath(name, obj, "SecondsPath");
        wait.TimestampPath = OptionalPath(name, obj, "TimestampPath");
        return wait;
    }

    private ChoiceStateDef LoadChoice(string name, JsonObject obj)
    {
        var choice = new ChoiceStateDef(name) { Default = OptionalString(obj, "Default", State(name)) };
        if (obj["Choices"] is not JsonArray rules || rules.Count == 0)
        {
            Problem(name, "required field \"Choices\" must be a non-empty array");
            return choice;
        }

        var choices = new List<(ChoiceRule, string)>();
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = LoadRule(name, rules[i], $"Choices[{i}]", topLevel: true, out var next);
            if (rule is not null && next is not null)
            {
                choices.Add((rule, next));
            }
        }

        choice.Choices = choices;
        return choice;
    }

    private ChoiceRule? LoadRule(string state, JsonNode? node, string location, bool topLevel, out string? next)
    {
        next = null;
        if (node is not JsonObject obj)
        {
            Problem(state, $"field \"{location}\" must be a JSON object");
            return null;
        }

        if (topLevel)
        {
            next = OptionalString(obj, "Next", State(state), $"{location}.Next");
            if (next is null)
            {
                Problem(state, $"field \"{location}.Next\" is required on a top-level choice rule");
            }
        }
        else if (obj.ContainsKey("Next"))
        {
            Problem(state, $"field \"{location}.Next\" is only allowed on top-level choice rules");
        }

        var operators = new List<string>();
        foreach (var (key, _) in obj)
        {
            if (key is "Next" or "Comment" or "Variable")
            {
                continue;
            }

            if (key is "And" or "Or" or "Not" || IsComparisonKey(key))
            {
                operators.Add(key);
            }
            else
            {
                Problem(state, $"field \"{location}.{key}\" is not supported by the local interpreter (supported: And, Or, Not, Variable, Next, Comment and the comparison operators {string.Join(", ", ComparisonRule.Operators.Keys)} plus their ...Path variants)");
            }
        }

        if (operators.Count != 1)
        {
            Problem(state, $"field \"{location}\" must have exactly one of And, Or, Not or a comparison operator (found {(operators.Count == 0 ? "none" : string.Join(", ", operators))})");
            return null;
        }

        var op = operators[0];
        if (op is "And" or "Or" or "Not")
        {
            if (obj.ContainsKey("Variable"))
            {
                Problem(state, $"field \"{location}.Variable\" is not allowed with {op}");
            }

            if (op == "Not")
            {
                var inner = LoadRule(state, obj["Not"], $"{location}.Not", topLevel: false, out _);
                return inner is null ? null : new NotRule(inner);
            }

            if (obj[op] is not JsonArray list || list.Count == 0)
            {
                Problem(state, $"field \"{location}.{op}\" must be a non-empty array of rules");
                return null;
            }

            var children = new List<ChoiceRule>();
            for (var i = 0; i < list.Count; i++)
            {
                var child = LoadRule(state, list[i], $"{location}.{op}[{i}]", topLevel: false, out _);
                if (child is not null)
                {
                    children.Add(child);
                }
            }

            return children.Count != list.Count ? null : op == "And" ? new AndRule(children) : new OrRule(children);
        }

        var variableText = OptionalString(obj, "Variable", State(state), $"{location}.Variable");
        if (variableText is null)
        {
            Problem(state, $"field \"{location}.Variable\" is required with {op}");
            return null;
        }

        if (!JsonPathExpression.TryParse(variableText, out var variable, out var variableError))
        {
            Problem(state, $"field \"{location}.Variable\": {variableError}");
            return null;
        }

        var operandLocation = $"{location}.{op}";
        var operand = obj[op];
        if (!ComparisonRule.Operators.ContainsKey(op))
        {
            var baseOp = op[..^4];
            if (operand is JsonValue pv && pv.TryGetValue<string>(out var pathText))
            {
                if (JsonPathExpression.TryParse(pathText, out var valuePath, out var pathError))
                {
                    return new ComparisonRule(variable, baseOp, null, valuePath, null);
                }

                Problem(state, $"field \"{operandLocation}\": {pathError}");
            }
            else
            {
                Problem(state, $"field \"{operandLocation}\" must be a path string");
            }

            return null;
        }

        var kind = ComparisonRule.Operators[op];
        var valid = kind switch
        {
            OperandKind.String => ComparisonRule.TryString(operand, out _),
            OperandKind.Numeric => ComparisonRule.TryNumber(operand, out _),
            OperandKind.Timestamp => ComparisonRule.TryTimestamp(operand, out _),
            _ => operand?.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        };

        if (!valid)
        {
            var expected = kind switch
            {
                OperandKind.String => "a string",
                OperandKind.Numeric => "a number",
                OperandKind.Timestamp => "an RFC 3339 timestamp string",
                _ => "a boolean",
            };
            Problem(state, $"field \"{operandLocation}\" must be {expected}");
            return null;
        }

        var pattern = op == "StringMatches" && ComparisonRule.TryString(operand, out var p) ? new WildcardPattern(p) : null;
        return new ComparisonRule(variable, op, operand?.DeepClone(), null, pattern);
    }

    private static bool IsComparisonKey(string key) =>
        ComparisonRule.Operators.ContainsKey(key)
        || (key.EndsWith("Path", StringComparison.Ordinal)
            && ComparisonRule.Operators.ContainsKey(key[..^4])
            && ComparisonRule.HasPathVariant(key[..^4]));

    // ---- Retry / Catch -------------------------------------------------------------------------

    private List<Retrier> LoadRetriers(string name, JsonObject obj)
    {
        var retriers = new List<Retrier>();
        if (!obj.TryGetPropertyValue("Retry", out var node))
        {
            return retriers;
        }

        if (node is not JsonArray array)
        {
            Problem(name, "field \"Retry\" must be an array");
            return retriers;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var location = $"Retry[{i}]";
            if (array[i] is not JsonObject item)
            {
                Problem(name, $"field \"{location}\" must be a JSON object");
                continue;
            }

            CheckFields(name, item, location, RetrierFields);
            var errors = LoadErrorEquals(name, item, location, i == array.Count - 1);
            var interval = OptionalPositiveInt(item, "IntervalSeconds", State(name), $"{location}.IntervalSeconds") ?? 1;
            var maxDelay = OptionalPositiveInt(item, "MaxDelaySeconds", State(name), $"{location}.MaxDelaySeconds");
            var maxAttempts = 3;
            if (item.TryGetPropertyValue("MaxAttempts", out var ma))
            {
                if (ma is JsonValue mv && mv.TryGetValue<int>(out var m) && m >= 0)
                {
                    maxAttempts = m;
                }
                else
                {
                    Problem(name, $"field \"{location}.MaxAttempts\" must be a non-negative integer");
                }
            }

            var backoff = 2.0;
            if (item.TryGetPropertyValue("BackoffRate", out var br))
            {
                if (ComparisonRule.TryNumber(br, out var b) && b >= 1.0)
                {
                    backoff = b;
                }
                else
                {
                    Problem(name, $"field \"{location}.BackoffRate\" must be a number >= 1.0");
                }
            }

            var jitter = OptionalString(item, "JitterStrategy", State(name), $"{location}.JitterStrategy") ?? "NONE";
            if (jitter is not ("FULL" or "NONE"))
            {
                Problem(name, $"field \"{location}.JitterStrategy\" must be \"FULL\" or \"NONE\"");
            }

            retriers.Add(new Retrier
            {
                ErrorEquals = errors,
                IntervalSeconds = interval,
                MaxAttempts = maxAttempts,
                BackoffRate = backoff,
                MaxDelaySeconds = maxDelay,
                FullJitter = jitter == "FULL",
            });
        }

        return retriers;
    }

    private List<Catcher> LoadCatchers(string name, JsonObject obj)
    {
        var catchers = new List<Catcher>();
        if (!obj.TryGetPropertyValue("Catch", out var node))
        {
            return catchers;
        }

        if (node is not JsonArray array)
        {
            Problem(name, "field \"Catch\" must be an array");
            return catchers;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var location = $"Catch[{i}]";
            if (array[i] is not JsonObject item)
            {
                Problem(name, $"field \"{location}\" must be a JSON object");
                continue;
            }

            CheckFields(name, item, location, CatcherFields);
            var errors = LoadErrorEquals(name, item, location, i == array.Count - 1);
            var next = OptionalString(item, "Next", State(name), $"{location}.Next");
            if (next is null)
            {
                Problem(name, $"field \"{location}.Next\" is required");
                continue;
            }

            catchers.Add(new Catcher
            {
                ErrorEquals = errors,
                Next = next,
                ResultPath = LoadResultPath(name, item.TryGetPropertyValue("ResultPath", out var rp), rp, $"{location}.ResultPath"),
            });
        }

        return catchers;
    }

    private List<string> LoadErrorEquals(string name, JsonObject item, string location, bool isLast)
    {
        var errors = new List<string>();
        if (item["ErrorEquals"] is not JsonArray array || array.Count == 0)
        {
            Problem(name, $"field \"{location}.ErrorEquals\" must be a non-empty array of error names");
            return errors;
        }

        foreach (var entry in array)
        {
            if (ComparisonRule.TryString(entry, out var error) && error.Length > 0)
            {
                errors.Add(error);
            }
            else
            {
                Problem(name, $"field \"{location}.ErrorEquals\" must contain only non-empty strings");
            }
        }

        // Spec: States.ALL must appear alone, and only in the last retrier/catcher.
        if (errors.Contains(ErrorNames.All) && (errors.Count != 1 || !isLast))
        {
            Problem(name, $"field \"{location}.ErrorEquals\": \"{ErrorNames.All}\" must appear alone and in the last element of the array");
        }

        return errors;
    }

    private void CheckFields(string name, JsonObject item, string location, string[] allowed)
    {
        foreach (var (key, _) in item)
        {
            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                Problem(name, $"field \"{location}.{key}\" is not supported by the local interpreter (supported: {string.Join(", ", allowed)})");
            }
        }
    }

    // ---- paths and templates -------------------------------------------------------------------

    private SelectPath LoadSelectPath(string name, JsonObject obj, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node))
        {
            return SelectPath.Default;
        }

        if (node is null)
        {
            return new SelectPath(null, IsNull: true);
        }

        var path = OptionalPath(name, obj, field);
        return path is null ? SelectPath.Default : new SelectPath(path, false);
    }

    private ResultPathSpec LoadResultPath(string name, bool present, JsonNode? node, string field)
    {
        if (!present)
        {
            return default;
        }

        if (node is null)
        {
            return new ResultPathSpec(null, Discard: true);
        }

        if (!ComparisonRule.TryString(node, out var text))
        {
            Problem(name, $"field \"{field}\" must be a reference path string or null");
            return default;
        }

        if (!JsonPathExpression.TryParse(text, out var path, out var error))
        {
            Problem(name, $"field \"{field}\": {error}");
            return default;
        }

        if (path.IsContext)
        {
            Problem(name, $"field \"{field}\" must be a reference path into the state input, not the context object ($$)");
            return default;
        }

        return new ResultPathSpec(path.IsRoot ? null : path, false);
    }

    private JsonPathExpression? OptionalPath(string name, JsonObject obj, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node))
        {
            return null;
        }

        if (!ComparisonRule.TryString(node, out var text))
        {
            Problem(name, $"field \"{field}\" must be a path string");
            return null;
        }

        if (!JsonPathExpression.TryParse(text, out var path, out var error))
        {
            Problem(name, $"field \"{field}\": {error}");
            return null;
        }

        return path;
    }

    private TemplateNode? LoadTemplate(string name, JsonObject obj, string field) =>
        obj.TryGetPropertyValue(field, out var node)
            ? TemplateNode.Compile(node, field, (location, message) => Problem(name, $"field \"{location}\": {message}"))
            : null;

    // ---- transitions ---------------------------------------------------------------------------

    private void CheckTargets(Dictionary<string, StateDef> states, JsonObject? declared)
    {
        bool Exists(string target) => states.ContainsKey(target) || (declared?.ContainsKey(target) ?? false);

        foreach (var state in states.Values)
        {
            if (state.Next is not null && !Exists(state.Next))
            {
                Problem(state.Name, $"field \"Next\" refers to state \"{state.Next}\", which does not exist");
            }

            switch (state)
            {
                case ChoiceStateDef choice:
                    for (var i = 0; i < choice.Choices.Count; i++)
                    {
                        if (!Exists(choice.Choices[i].Next))
                        {
                            Problem(state.Name, $"field \"Choices[{i}].Next\" refers to state \"{choice.Choices[i].Next}\", which does not exist");
                        }
                    }

                    if (choice.Default is not null && !Exists(choice.Default))
                    {
                        Problem(state.Name, $"field \"Default\" refers to state \"{choice.Default}\", which does not exist");
                    }

                    break;
                case TaskStateDef task:
                    for (var i = 0; i < task.Catch.Count; i++)
                    {
                        if (!Exists(task.Catch[i].Next))
                        {
                            Problem(state.Name, $"field \"Catch[{i}].Next\" refers to state \"{task.Catch[i].Next}\", which does not exist");
                        }
                    }

                    break;
            }
        }
    }

    private void CheckReachability(string startAt, Dictionary<string, StateDef> states, List<string> names)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal) { startAt };
        var pending = new Queue<string>([startAt]);
        while (pending.TryDequeue(out var current))
        {
            foreach (var target in Targets(states[current]))
            {
                if (states.ContainsKey(target) && reached.Add(target))
                {
                    pending.Enqueue(target);
                }
            }
        }

        foreach (var name in names.Where(n => !reached.Contains(n)))
        {
            Problem(name, "is not reachable from StartAt");
        }
    }

    private static IEnumerable<string> Targets(StateDef state)
    {
        if (state.Next is not null)
        {
            yield return state.Next;
        }

        if (state is ChoiceStateDef choice)
        {
            foreach (var (_, next) in choice.Choices)
            {
                yield return next;
            }

            if (choice.Default is not null)
            {
                yield return choice.Default;
            }
        }

        if (state is TaskStateDef task)
        {
            foreach (var catcher in task.Catch)
            {
                yield return catcher.Next;
            }
        }
    }

    // ---- primitives ----------------------------------------------------------------------------

    private static string State(string name) => $"State \"{name}\"";

    private void Problem(string stateName, string message) => _problems.Add($"{State(stateName)}: {message}");

    private string? OptionalString(JsonObject obj, string field, string owner, string? location = null)
    {
        if (!obj.TryGetPropertyValue(field, out var node))
        {
            return null;
        }

        if (ComparisonRule.TryString(node, out var value))
        {
            return value;
        }

        _problems.Add($"{owner}: field \"{location ?? field}\" must be a string");
        return null;
    }

    private int? OptionalPositiveInt(JsonObject obj, string field, string owner, string? location = null)
    {
        if (!obj.TryGetPropertyValue(field, out var node))
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && int.TryParse(v.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        _problems.Add($"{owner}: field \"{location ?? field}\" must be a positive integer");
        return null;
    }
}
