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
/// <remarks>
/// Task tokens are durable: when an execution parks on a <c>.waitForTaskToken</c> task its checkpoint goes to the
/// SQLite file at <c>databasePath</c>. <see cref="SendTaskSuccessAsync"/> / <see cref="SendTaskFailureAsync"/> hand the
/// answer to the execution if it is still waiting in this process, and otherwise (the process that started it has
/// exited) resume it here from the checkpoint. A copy left waiting in a still-running process whose token another
/// process answered simply stays parked: it never runs the rest of the execution a second time.
/// </remarks>
public sealed class LocalWorkflow : IWorkflow, IDisposable
{
    public const string StateMachineName = "medvision-analysis-pipeline";

    private readonly ConcurrentDictionary<string, Execution> executions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Waiter> waiters = new(StringComparer.Ordinal);
    private readonly StateMachineDefinition definition;
    private readonly ITaskInvoker invoker;
    private readonly TimeProvider time;
    private readonly Func<double>? random;
    private readonly Func<string> taskTokens;
    private readonly SqliteTaskTokenStore tokens;

    /// <param name="databasePath">SQLite file for task-token checkpoints (created if missing).</param>
    /// <param name="taskTokens">Token generator; unguessable random tokens by default.</param>
    public LocalWorkflow(
        StateMachineDefinition definition, ITaskInvoker invoker, TimeProvider time, string databasePath,
        Func<double>? random = null, Func<string>? taskTokens = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(invoker);
        ArgumentNullException.ThrowIfNull(time);
        this.definition = definition;
        this.invoker = invoker;
        this.time = time;
        this.random = random;
        this.taskTokens = taskTokens ?? TaskTokens.NewToken;
        tokens = new SqliteTaskTokenStore(databasePath, time);
    }

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
            var e = new Execution(inputJson);
            e.Start(Run(name, e, interpreter => interpreter.RunAsync(input, name, CancellationToken.None)));
            return e;
        });
        if (!created && execution.Input != inputJson)
        {
            throw new ConflictException("workflow.execution_exists", $"An execution named {executionName} already exists with a different input.");
        }

        return Task.FromResult(ArnFor(executionName));
    }

    /// <summary>
    /// Waits until the named execution finishes <em>or parks on a task token</em>. A parked execution is reported
    /// with status <see cref="ExecutionStatus.WaitingForCallback"/> and its history so far, so a caller never hangs
    /// on a review that may take days; call again after answering the token to wait for the rest.
    /// </summary>
    public Task<ExecutionResult> WaitAsync(string executionName, CancellationToken cancellationToken = default) =>
        executions.TryGetValue(executionName, out var e)
            ? e.WaitAsync(cancellationToken)
            : throw new NotFoundException("workflow.execution_not_found", $"No execution named {executionName}.");

    public Task SendTaskSuccessAsync(string taskToken, string outputJson, CancellationToken cancellationToken = default)
    {
        JsonNode? output;
        try
        {
            output = JsonNode.Parse(outputJson);
        }
        catch (JsonException ex)
        {
            throw new ValidationException("workflow.bad_task_output", $"Task output is not JSON: {ex.Message}");
        }

        return CompleteAsync(taskToken, "succeeded", TaskCallback.Success(output), cancellationToken);
    }

    public Task SendTaskFailureAsync(string taskToken, string error, string? cause, CancellationToken cancellationToken = default) =>
        CompleteAsync(taskToken, "failed", TaskCallback.Failure(error, cause), cancellationToken);

    public static string ArnFor(string executionName) =>
        $"arn:aws:states:local:000000000000:execution:{StateMachineName}:{executionName}";

    public void Dispose() => tokens.Dispose();

    private async Task CompleteAsync(string taskToken, string state, TaskCallback callback, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskToken);
        var (claim, checkpoint) = await tokens.ClaimAsync(taskToken, state, null, ct);
        switch (claim)
        {
            case TokenClaim.NotFound:
                throw new NotFoundException("workflow.task_token_not_found", "No task is waiting on this task token.");
            case TokenClaim.AlreadyClosed:
                throw new ConflictException("workflow.task_token_closed", "The task of this task token was already answered or timed out.");
        }

        if (waiters.TryGetValue(taskToken, out var waiter))
        {
            // Still running here: the parked task takes the answer and the execution goes on in place.
            waiter.Execution.Unpark(() => waiter.Callback.TrySetResult(callback));
            return;
        }

        // The process that parked it is gone: continue from the checkpoint in this one.
        var resumed = new Execution(checkpoint!.ExecutionInput?.ToJsonString() ?? "null");
        executions[checkpoint.ExecutionName] = resumed;
        resumed.Start(Run(checkpoint.ExecutionName, resumed, interpreter => interpreter.ResumeAsync(checkpoint, callback, CancellationToken.None)));
    }

    private Task<ExecutionResult> Run(string name, Execution execution, Func<StateMachineInterpreter, Task<ExecutionResult>> run)
    {
        var interpreter = new StateMachineInterpreter(definition, invoker, time, random)
        {
            StateMachineName = StateMachineName,
            TaskTokenBroker = new Broker(this, execution),
            TaskTokenGenerator = taskTokens,
        };
        interpreter.EventRecorded += e =>
        {
            execution.Add(e);
            EventRecorded?.Invoke(name, e);
        };

        // Executions run in the background like Step Functions; StartAsync returns at once.
        return Task.Run(() => run(interpreter));
    }

    private sealed record Waiter(Execution Execution, TaskCompletionSource<TaskCallback> Callback);

    /// <summary>Connects one execution's parked tasks to the durable store and to this process's waiters.</summary>
    private sealed class Broker(LocalWorkflow owner, Execution execution) : ITaskTokenBroker
    {
        public async Task RegisterAsync(TaskTokenCheckpoint checkpoint, CancellationToken cancellationToken)
        {
            owner.waiters[checkpoint.Token] = new Waiter(execution, new TaskCompletionSource<TaskCallback>(TaskCreationOptions.RunContinuationsAsynchronously));
            await owner.tokens.InsertAsync(checkpoint, cancellationToken);
        }

        public async Task<TaskCallback> WaitAsync(string token, CancellationToken cancellationToken)
        {
            // Only this method and CloseAsync remove a waiter, so an answer that came while the function ran is kept.
            var waiter = owner.waiters[token];
            try
            {
                execution.Park(waiter.Callback.Task);
                return await waiter.Callback.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                if (waiter.Callback.Task.IsCompleted || cancellationToken.IsCancellationRequested)
                {
                    owner.waiters.TryRemove(token, out _);
                }
            }
        }

        public async Task<bool> CloseAsync(string token, string reason, CancellationToken cancellationToken)
        {
            var (claim, _) = await owner.tokens.ClaimAsync(token, "closed", reason, cancellationToken);
            if (claim == TokenClaim.Claimed)
            {
                owner.waiters.TryRemove(token, out _);
            }

            return claim == TokenClaim.Claimed;
        }
    }

    /// <summary>One execution in this process: its completion, whether it is parked, and its history so far.</summary>
    private sealed class Execution(string input)
    {
        private readonly Lock gate = new();
        private readonly List<ExecutionEvent> history = [];
        private TaskCompletionSource parkedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool parked;
        private Task<ExecutionResult>? completion;

        public string Input => input;

        public void Start(Task<ExecutionResult> run) => completion = run;

        public void Add(ExecutionEvent e)
        {
            lock (gate)
            {
                history.Add(e);
            }
        }

        /// <summary>Parked unless the answer is already there; under the lock so it cannot undo a concurrent <see cref="Unpark"/>.</summary>
        public void Park(Task answer)
        {
            lock (gate)
            {
                if (!answer.IsCompleted)
                {
                    parked = true;
                    parkedSignal.TrySetResult();
                }
            }
        }

        public void Unpark(Action deliver)
        {
            lock (gate)
            {
                parked = false;
                if (parkedSignal.Task.IsCompleted)
                {
                    parkedSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                deliver();
            }
        }

        public async Task<ExecutionResult> WaitAsync(CancellationToken ct)
        {
            var done = completion ?? throw new InvalidOperationException("The execution has not started.");
            while (!done.IsCompleted)
            {
                Task parkedTask;
                lock (gate)
                {
                    if (parked)
                    {
                        return new ExecutionResult(ExecutionStatus.WaitingForCallback, null, null, null, [.. history]);
                    }

                    parkedTask = parkedSignal.Task;
                }

                await Task.WhenAny(done, parkedTask).WaitAsync(ct);
            }

            return await done;
        }
    }
}
