using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Asl;
using MedVision.Core;
using MedVision.Core.Ports;

namespace MedVision.Local.Workflow;

/// <summary>
/// The Step Functions twin: runs the same ASL file in-process. Executions are keyed by name, and
/// starting an existing name with the same input returns the same execution (StartExecution's idempotency).
/// </summary>
public sealed class LocalWorkflow(StateMachineDefinition definition, ITaskInvoker invoker, TimeProvider time, Func<double>? random = null)
    : IWorkflow
{
    private readonly ConcurrentDictionary<string, Execution> executions = new(StringComparer.Ordinal);

    /// <summary>Raised for every history event of every execution, with the execution name.</summary>
    public event Action<string, ExecutionEvent>? EventRecorded;

    public Task<string> StartAsync(string executionName, string inputJson, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executionName);
        JsonNode? input;
        try
        {
            input = JsonNode.Parse(inputJson);
        }
        catch (JsonException ex)
        {
            throw new ValidationException("workflow.bad_input", $"Execution input is not JSON: {ex.Message}");
        }

        var created = false;
        var execution = executions.GetOrAdd(executionName, name =>
        {
            created = true;
            return new Execution(inputJson, Run(name, input));
        });
        if (!created && execution.Input != inputJson)
        {
            throw new ConflictException("workflow.execution_exists", $"An execution named {executionName} already exists with a different input.");
        }

        return Task.FromResult(ArnFor(executionName));
    }

    /// <summary>Waits for the named execution to finish.</summary>
    public Task<ExecutionResult> WaitAsync(string executionName, CancellationToken cancellationToken = default) =>
        executions.TryGetValue(executionName, out var e)
            ? e.Completion.WaitAsync(cancellationToken)
            : throw new NotFoundException("workflow.execution_not_found", $"No execution named {executionName}.");

    public static string ArnFor(string executionName) =>
        $"arn:aws:states:local:000000000000:execution:medvision-analysis-pipeline:{executionName}";

    private Task<ExecutionResult> Run(string name, JsonNode? input)
    {
        var interpreter = new StateMachineInterpreter(definition, invoker, time, random) { StateMachineName = "medvision-analysis-pipeline" };
        interpreter.EventRecorded += e => EventRecorded?.Invoke(name, e);

        // Executions run in the background like Step Functions; StartAsync returns at once.
        return Task.Run(() => interpreter.RunAsync(input, name, CancellationToken.None));
    }

    private sealed record Execution(string Input, Task<ExecutionResult> Completion);
}
