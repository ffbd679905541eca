using System.Text.Json.Nodes;
using MedVision.Testing;

namespace MedVision.Asl.Tests;

/// <summary>Maps resources to delegates and records every call (input cloned at call time).</summary>
public sealed class FakeInvoker : ITaskInvoker
{
    private readonly Dictionary<string, Func<JsonNode?, CancellationToken, Task<JsonNode?>>> _handlers = new(StringComparer.Ordinal);
    private readonly List<(string Resource, JsonNode? Input)> _calls = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<(string Resource, JsonNode? Input)> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public FakeInvoker On(string resource, Func<JsonNode?, JsonNode?> handler) =>
        OnAsync(resource, (input, _) => Task.FromResult(handler(input)));

    public FakeInvoker OnAsync(string resource, Func<JsonNode?, CancellationToken, Task<JsonNode?>> handler)
    {
        _handlers[resource] = handler;
        return this;
    }

    /// <summary>Handler that throws the given exceptions in order, then returns <paramref name="finalResult"/>.</summary>
    public FakeInvoker Sequence(string resource, JsonNode? finalResult, params Exception[] failures)
    {
        var index = 0;
        return On(resource, _ =>
        {
            var current = Interlocked.Increment(ref index) - 1;
            return current < failures.Length ? throw failures[current] : finalResult?.DeepClone();
        });
    }

    public Task<JsonNode?> InvokeAsync(string resource, JsonNode? input, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _calls.Add((resource, input?.DeepClone()));
        }

        return _handlers.TryGetValue(resource, out var handler)
            ? handler(input, cancellationToken)
            : throw new InvalidOperationException($"No handler for {resource}");
    }
}

internal static class Asl
{
    public static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// The interpreter's clock: from <see cref="Start"/>, timers due within 10 minutes (retries, Wait states) move it on
    /// at once; longer ones (execution and task timeouts) wait for the test. Without <paramref name="fastForward"/> every
    /// timer waits for the test.
    /// </summary>
    public static FastForwardTimeProvider Clock(bool fastForward = true, DateTimeOffset? start = null) =>
        new(start ?? Start, fastForward ? TimeSpan.FromMinutes(10) : TimeSpan.Zero);

    public static async Task<ExecutionResult> RunAsync(
        string definitionJson,
        string? inputJson = "{}",
        FakeInvoker? invoker = null,
        TimeProvider? clock = null,
        Func<double>? random = null)
    {
        var definition = StateMachineDefinition.Parse(definitionJson);
        var interpreter = new StateMachineInterpreter(definition, invoker ?? new FakeInvoker(), clock ?? Clock(), random);
        return await interpreter.RunAsync(inputJson is null ? null : JsonNode.Parse(inputJson), "test-execution");
    }

    /// <summary>A one-Task machine whose state body is <paramref name="taskFields"/> (without braces).</summary>
    public static string SingleTask(string taskFields) =>
        $$$$"""{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r",{{{{taskFields}}}}}}}""";

    public static void JsonEqual(string expectedJson, JsonNode? actual)
    {
        var expected = JsonNode.Parse(expectedJson);
        Assert.True(
            JsonNode.DeepEquals(expected, actual),
            $"Expected {expected?.ToJsonString() ?? "null"}{Environment.NewLine}but got {actual?.ToJsonString() ?? "null"}");
    }

    public static AslDefinitionException LoadFails(string definitionJson, IReadOnlyDictionary<string, string>? substitutions = null) =>
        Assert.Throws<AslDefinitionException>(() => StateMachineDefinition.Parse(definitionJson, substitutions));
}
