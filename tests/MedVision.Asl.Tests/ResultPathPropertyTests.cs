using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace MedVision.Asl.Tests;

public class ResultPathPropertyTests
{
    private static readonly string[] Keys = ["a", "b", "x", "y", "data", "items"];

    private static Gen<JsonNode?> Scalar() => Gen.OneOf(
        Gen.Constant<JsonNode?>(null),
        Gen.Choose(-1000, 1000).Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Elements("", "s", "hello world", "${not-a-token").Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)));

    private static Gen<JsonNode?> Value(int depth) => depth <= 0
        ? Scalar()
        : Gen.Frequency(
            (3, Scalar()),
            (1, Gen.ListOf(Value(depth - 1), 3).Select(items => (JsonNode?)new JsonArray([.. items]))),
            (2, ObjectOf(depth - 1).Select(o => (JsonNode?)o)));

    private static Gen<JsonObject> ObjectOf(int depth) =>
        Gen.Choose(0, 4).SelectMany(count =>
            Gen.CollectToList(Enumerable.Range(0, count).Select(_ => Gen.Elements(Keys).Zip(Value(depth)))))
        .Select(pairs =>
        {
            var obj = new JsonObject();
            foreach (var (key, value) in pairs)
            {
                obj[key] = value?.DeepClone();
            }

            return obj;
        });

    private sealed record Case(JsonObject Input, string X, string Y, JsonNode? Result)
    {
        public override string ToString() => $"input={Input.ToJsonString()} path=$.{X}.{Y} result={Result?.ToJsonString() ?? "null"}";
    }

    [Fact]
    public void RunAsync_WhenResultPathIsTwoLevelsDeep_ShouldPlaceResultAndKeepOtherKeys()
    {
        var cases =
            from input in ObjectOf(2)
            from x in Gen.Elements(Keys)
            from y in Gen.Elements(Keys)
            from result in Value(1)
            select new Case(input, x, y, result);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(cases.ToArbitrary(), Holds));
    }

    private static bool Holds(Case c)
    {
        var invoker = new FakeInvoker().On("r", _ => c.Result?.DeepClone());
        var definition = StateMachineDefinition.Parse(Asl.SingleTask($"\"ResultPath\":\"$.{c.X}.{c.Y}\",\"End\":true"));
        var execution = new StateMachineInterpreter(definition, invoker, Asl.Clock()).RunAsync(c.Input.DeepClone(), "p");
        // The handler and every state complete synchronously, so the task is already finished.
        if (!execution.IsCompleted)
        {
            return false;
        }

        var outcome = execution.Result;
        var original = c.Input[c.X];
        var targetExists = c.Input.ContainsKey(c.X);
        if (targetExists && original is not JsonObject)
        {
            // Spec: the reference path cannot be applied through a non-object, which is a runtime error.
            return outcome.Status == ExecutionStatus.Failed && outcome.Error == "States.Runtime";
        }

        if (outcome.Status != ExecutionStatus.Succeeded || outcome.Output is not JsonObject output)
        {
            return false;
        }

        var otherKeysUnchanged = c.Input
            .Where(kv => kv.Key != c.X)
            .All(kv => output.ContainsKey(kv.Key) && JsonNode.DeepEquals(kv.Value, output[kv.Key]));
        var siblingsUnchanged = original is not JsonObject originalX
            || originalX.Where(kv => kv.Key != c.Y).All(kv => JsonNode.DeepEquals(kv.Value, output[c.X]![kv.Key]));
        var sameKeyCount = output.Count == c.Input.Count + (targetExists ? 0 : 1);

        return output[c.X] is JsonObject placed
            && placed.ContainsKey(c.Y)
            && JsonNode.DeepEquals(placed[c.Y], c.Result)
            && otherKeysUnchanged
            && siblingsUnchanged
            && sameKeyCount;
    }
}
