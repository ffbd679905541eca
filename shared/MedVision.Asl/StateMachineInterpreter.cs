using System.Globalization;
using System.Text.Json.Nodes;

namespace MedVision.Asl;

/// <summary>Runs a <see cref="StateMachineDefinition"/> in process. All waiting (Wait states, retry back-off,
/// timeouts) goes through the injected <see cref="TimeProvider"/> so tests can drive time deterministically.</summary>
public sealed class StateMachineInterpreter
{
    /// <summary>Guard against runaway Choice/Next loops: entering more states than this fails the execution.</summary>
    public const int MaxStateTransitions = 10_000;

    private const string AccountPrefix = "arn:aws:states:local:000000000000";

    private readonly StateMachineDefinition _definition;
    private readonly ITaskInvoker _invoker;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _random;

    public StateMachineInterpreter(StateMachineDefinition definition, ITaskInvoker invoker, TimeProvider timeProvider, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(invoker);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _definition = definition;
        _invoker = invoker;
        _timeProvider = timeProvider;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Raised synchronously as each history event is recorded (for progress output).</summary>
    public event Action<ExecutionEvent>? EventRecorded;

    /// <summary>Name used in <c>$$.StateMachine.Id</c> / <c>$$.StateMachine.Name</c> and the execution ARN.</summary>
    public string StateMachineName { get; init; } = "LocalStateMachine";

    public Task<ExecutionResult> RunAsync(JsonNode? input, string executionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executionName);
        return new Execution(this, input?.DeepClone(), executionName).RunAsync(cancellationToken);
    }

    private readonly record struct StepOutcome(JsonNode? Output, string? Next, bool Failed = false, string? Error = null, string? Cause = null);

    private readonly record struct TaskError(string Error, string? Cause);

    /// <summary>State of one execution; kept apart from the interpreter so concurrent runs do not share history.</summary>
    private sealed class Execution(StateMachineInterpreter owner, JsonNode? input, string name)
    {
        private readonly List<ExecutionEvent> _history = [];
        private readonly DateTimeOffset _startTime = owner._timeProvider.GetUtcNow();

        private StateMachineDefinition Definition => owner._definition;

        private TimeProvider Clock => owner._timeProvider;

        public async Task<ExecutionResult> RunAsync(CancellationToken cancellationToken)
        {
            Record("ExecutionStarted", null, name);
            using var timeoutCts = Definition.TimeoutSeconds is int seconds
                ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds), Clock)
                : null;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts?.Token ?? CancellationToken.None);
            try
            {
                return await RunStatesAsync(linked.Token);
            }
            catch (OperationCanceledException) when (timeoutCts?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
            {
                var cause = $"The execution exceeded its TimeoutSeconds of {Definition.TimeoutSeconds}";
                Record("ExecutionTimedOut", null, $"{ErrorNames.Timeout}: {cause}");
                return new ExecutionResult(ExecutionStatus.TimedOut, null, ErrorNames.Timeout, cause, _history);
            }
        }

        private async Task<ExecutionResult> RunStatesAsync(CancellationToken token)
        {
            var current = Definition.StartAt;
            var data = input?.DeepClone();
            var transitions = 0;
            while (true)
            {
                token.ThrowIfCancellationRequested();
                if (++transitions > MaxStateTransitions)
                {
                    return Fail(current, ErrorNames.Runtime, $"The execution exceeded the limit of {MaxStateTransitions} state transitions (runaway loop guard)");
                }

                var state = Definition.States[current];
                var entered = Clock.GetUtcNow();
                Record("StateEntered", current, state.Type);
                StepOutcome outcome;
                try
                {
                    outcome = await ExecuteStateAsync(state, data, entered, token);
                }
                catch (StateErrorException ex)
                {
                    return Fail(current, ex.Error, ex.Cause);
                }

                if (outcome.Failed)
                {
                    return Fail(current, outcome.Error!, outcome.Cause);
                }

                Record("StateExited", current, outcome.Next is null ? null : $"Next: {outcome.Next}");
                if (outcome.Next is null)
                {
                    Record("ExecutionSucceeded", null, null);
                    return new ExecutionResult(ExecutionStatus.Succeeded, outcome.Output?.DeepClone(), null, null, _history);
                }

                data = outcome.Output;
                current = outcome.Next;
            }
        }

        private ExecutionResult Fail(string stateName, string error, string? cause)
        {
            Record("ExecutionFailed", stateName, cause is null ? error : $"{error}: {cause}");
            return new ExecutionResult(ExecutionStatus.Failed, null, error, cause, _history);
        }

        private Task<StepOutcome> ExecuteStateAsync(StateDef state, JsonNode? raw, DateTimeOffset entered, CancellationToken token) => state switch
        {
            TaskStateDef task => ExecuteTaskAsync(task, raw, entered, token),
            WaitStateDef wait => ExecuteWaitAsync(wait, raw, entered, token),
            _ => Task.FromResult(ExecuteImmediate(state, raw, Context(state.Name, entered, 0))),
        };

        private static StepOutcome ExecuteImmediate(StateDef state, JsonNode? raw, JsonObject context)
        {
            switch (state)
            {
                case PassStateDef pass:
                {
                    var effective = pass.InputPath.Apply(raw, context, pass.Name, "InputPath");
                    if (pass.Parameters is not null)
                    {
                        effective = pass.Parameters.Evaluate(effective, context, pass.Name);
                    }

                    var result = pass.HasResult ? pass.Result : effective;
                    var combined = pass.ResultPath.Apply(raw, result, pass.Name, "ResultPath");
                    return new(pass.OutputPath.Apply(combined, context, pass.Name, "OutputPath"), pass.Next);
                }

                case ChoiceStateDef choice:
                {
                    var effective = choice.InputPath.Apply(raw, context, choice.Name, "InputPath");
                    var next = choice.Choices.FirstOrDefault(c => c.Rule.Evaluate(effective, context, choice.Name)).Next
                        ?? choice.Default
                        ?? throw new StateErrorException(ErrorNames.NoChoiceMatched, $"State \"{choice.Name}\": no choice rule matched and there is no Default");
                    return new(choice.OutputPath.Apply(effective, context, choice.Name, "OutputPath"), next);
                }

                case SucceedStateDef succeed:
                {
                    var effective = succeed.InputPath.Apply(raw, context, succeed.Name, "InputPath");
                    return new(succeed.OutputPath.Apply(effective, context, succeed.Name, "OutputPath"), null);
                }

                case FailStateDef fail:
                    return new(null, null, Failed: true, fail.Error ?? ErrorNames.TaskFailed, fail.Cause);

                default:
                    throw new InvalidOperationException($"Unexpected state type {state.Type}");
            }
        }

        private async Task<StepOutcome> ExecuteWaitAsync(WaitStateDef wait, JsonNode? raw, DateTimeOffset entered, CancellationToken token)
        {
            var context = Context(wait.Name, entered, 0);
            var effective = wait.InputPath.Apply(raw, context, wait.Name, "InputPath");
            TimeSpan delay;
            if (wait.Seconds is long seconds)
            {
                delay = TimeSpan.FromSeconds(seconds);
            }
            else if (wait.Timestamp is DateTimeOffset timestamp)
            {
                delay = timestamp - Clock.GetUtcNow();
            }
            else if (wait.SecondsPath is not null)
            {
                var value = wait.SecondsPath.Select(effective, context, wait.Name, "SecondsPath");
                if (!ComparisonRule.TryNumber(value, out var s) || s < 0 || s != Math.Floor(s))
                {
                    throw StateErrorException.Runtime($"State \"{wait.Name}\": SecondsPath \"{wait.SecondsPath.Text}\" must select a non-negative integer");
                }

                delay = TimeSpan.FromSeconds(s);
            }
            else
            {
                var value = wait.TimestampPath!.Select(effective, context, wait.Name, "TimestampPath");
                if (!ComparisonRule.TryTimestamp(value, out var ts))
                {
                    throw StateErrorException.Runtime($"State \"{wait.Name}\": TimestampPath \"{wait.TimestampPath.Text}\" must select an RFC 3339 timestamp");
                }

                delay = ts - Clock.GetUtcNow();
            }

            await DelayAsync(delay, wait.Name, token);
            return new(wait.OutputPath.Apply(effective, context, wait.Name, "OutputPath"), wait.Next);
        }

        private async Task<StepOutcome> ExecuteTaskAsync(TaskStateDef task, JsonNode? raw, DateTimeOffset entered, CancellationToken token)
        {
            var attempts = new int[task.Retry.Count];
            var retryCount = 0;
            while (true)
            {
                // Re-evaluated per attempt: $$.State.RetryCount changes between attempts.
                var context = Context(task.Name, entered, retryCount);
                var effective = task.InputPath.Apply(raw, context, task.Name, "InputPath");
                if (task.Parameters is not null)
                {
                    effective = task.Parameters.Evaluate(effective, context, task.Name);
                }

                Record("TaskScheduled", task.Name, task.Resource);
                var (result, failure) = await InvokeAsync(task, effective, token);
                if (failure is not TaskError error)
                {
                    Record("TaskSucceeded", task.Name, null);
                    if (task.ResultSelector is not null)
                    {
                        result = task.ResultSelector.Evaluate(result, context, task.Name);
                    }

                    var combined = task.ResultPath.Apply(raw, result, task.Name, "ResultPath");
                    return new(task.OutputPath.Apply(combined, context, task.Name, "OutputPath"), task.Next);
                }

                Record("TaskFailed", task.Name, error.Cause is null ? error.Error : $"{error.Error}: {error.Cause}");

                // The first retrier whose ErrorEquals matches decides, even when its attempts are used up.
                var retrierIndex = IndexOfMatch(task.Retry.Select(r => r.ErrorEquals), error.Error);
                if (retrierIndex >= 0 && attempts[retrierIndex] < task.Retry[retrierIndex].MaxAttempts)
                {
                    var retrier = task.Retry[retrierIndex];
                    var delay = RetryDelaySeconds(retrier, attempts[retrierIndex]);
                    attempts[retrierIndex]++;
                    retryCount++;
                    Record(
                        "RetryScheduled",
                        task.Name,
                        string.Create(CultureInfo.InvariantCulture, $"{error.Error}: retry {attempts[retrierIndex]} of {retrier.MaxAttempts} (Retry[{retrierIndex}]) in {delay:0.###}s"));
                    await DelayAsync(TimeSpan.FromSeconds(delay), task.Name, token);
                    continue;
                }

                var catcherIndex = IndexOfMatch(task.Catch.Select(c => c.ErrorEquals), error.Error);
                if (catcherIndex < 0)
                {
                    return new(null, null, Failed: true, error.Error, error.Cause);
                }

                var catcher = task.Catch[catcherIndex];
                var errorOutput = new JsonObject { ["Error"] = error.Error };
                if (error.Cause is not null)
                {
                    errorOutput["Cause"] = error.Cause;
                }

                Record("CatchTaken", task.Name, $"{error.Error} -> {catcher.Next} (Catch[{catcherIndex}])");
                // OutputPath is not applied on the catch route: the catcher's ResultPath output goes to its Next as is.
                return new(catcher.ResultPath.Apply(raw, errorOutput, task.Name, $"Catch[{catcherIndex}].ResultPath"), catcher.Next);
            }
        }

        private double RetryDelaySeconds(Retrier retrier, int attempt)
        {
            var delay = retrier.IntervalSeconds * Math.Pow(retrier.BackoffRate, attempt);
            if (retrier.MaxDelaySeconds is double max)
            {
                delay = Math.Min(delay, max);
            }

            if (retrier.FullJitter)
            {
                var r = owner._random();
                delay *= double.IsFinite(r) ? Math.Clamp(r, 0, 1) : 0;
            }

            return delay;
        }

        private async Task<(JsonNode? Result, TaskError? Error)> InvokeAsync(TaskStateDef task, JsonNode? effectiveInput, CancellationToken token)
        {
            using var taskCts = CancellationTokenSource.CreateLinkedTokenSource(token);
            Task<JsonNode?> invocation;
            try
            {
                // A clone so the handler cannot mutate data this execution still holds.
                invocation = owner._invoker.InvokeAsync(task.Resource, effectiveInput?.DeepClone(), taskCts.Token);
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                return (null, ToTaskError(ex));
            }

            try
            {
                var result = task.TimeoutSeconds is int seconds
                    ? await invocation.WaitAsync(TimeSpan.FromSeconds(seconds), Clock, token)
                    : await invocation.WaitAsync(token);
                return (result?.DeepClone(), null);
            }
            catch (TimeoutException) when (!invocation.IsCompleted)
            {
                await taskCts.CancelAsync();
                ObserveLater(invocation);
                return (null, new TaskError(ErrorNames.Timeout, $"State \"{task.Name}\": the task did not finish within TimeoutSeconds={task.TimeoutSeconds}"));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                ObserveLater(invocation);
                throw;
            }
            catch (Exception ex)
            {
                return (null, ToTaskError(ex));
            }
        }

        /// <summary>An abandoned handler may still fault; observe it so it does not surface as an unobserved exception.</summary>
        private static void ObserveLater(Task task) =>
            _ = task.ContinueWith(
                static t => _ = t.Exception,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

        private static TaskError ToTaskError(Exception ex)
        {
            if (ex is TaskFailedException named)
            {
                return new TaskError(named.Error, named.Cause);
            }

            // Same shape AWS Lambda reports for an unhandled .NET exception.
            var errorType = ex.GetType().Name;
            var cause = new JsonObject { ["errorMessage"] = ex.Message, ["errorType"] = errorType };
            return new TaskError(errorType, cause.ToJsonString());
        }

        private static int IndexOfMatch(IEnumerable<IReadOnlyList<string>> errorEqualsLists, string error)
        {
            var index = 0;
            foreach (var errorEquals in errorEqualsLists)
            {
                if (errorEquals.Any(candidate => Matches(candidate, error)))
                {
                    return index;
                }

                index++;
            }

            return -1;
        }

        /// <summary>States.ALL matches everything but States.Runtime; States.TaskFailed everything but
        /// States.Timeout (and States.Runtime, which is never retriable or catchable).</summary>
        private static bool Matches(string candidate, string error) => candidate switch
        {
            _ when error == ErrorNames.Runtime => false,
            ErrorNames.All => true,
            ErrorNames.TaskFailed => error != ErrorNames.Timeout,
            _ => string.Equals(candidate, error, StringComparison.Ordinal),
        };

        private async Task DelayAsync(TimeSpan delay, string stateName, CancellationToken token)
        {
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            // Task.Delay's ceiling (~49.7 days); anything longer cannot be a sensible local run.
            if (delay.TotalMilliseconds > uint.MaxValue - 1)
            {
                throw StateErrorException.Runtime($"State \"{stateName}\": a wait of {delay} is longer than the local interpreter supports");
            }

            await Task.Delay(delay, Clock, token);
        }

        private JsonObject Context(string stateName, DateTimeOffset entered, int retryCount) => new()
        {
            ["Execution"] = new JsonObject
            {
                ["Id"] = $"{AccountPrefix}:execution:{owner.StateMachineName}:{name}",
                ["Name"] = name,
                ["Input"] = input?.DeepClone(),
                ["StartTime"] = Timestamps.Format(_startTime),
            },
            ["State"] = new JsonObject
            {
                ["Name"] = stateName,
                ["EnteredTime"] = Timestamps.Format(entered),
                ["RetryCount"] = retryCount,
            },
            ["StateMachine"] = new JsonObject
            {
                ["Id"] = $"{AccountPrefix}:stateMachine:{owner.StateMachineName}",
                ["Name"] = owner.StateMachineName,
            },
        };

        private void Record(string type, string? stateName, string? detail)
        {
            var recorded = new ExecutionEvent(Clock.GetUtcNow(), type, stateName, detail);
            _history.Add(recorded);
            owner.EventRecorded?.Invoke(recorded);
        }
    }
}
