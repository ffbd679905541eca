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

    /// <summary>Where <c>.waitForTaskToken</c> tasks wait; required when the definition has one.</summary>
    public ITaskTokenBroker? TaskTokenBroker { get; init; }

    /// <summary>Makes the <c>$$.Task.Token</c> values; injectable so tests are deterministic.</summary>
    public Func<string> TaskTokenGenerator { get; init; } = TaskTokens.NewToken;

    public Task<ExecutionResult> RunAsync(JsonNode? input, string executionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executionName);
        EnsureBroker();
        return new Execution(this, input?.DeepClone(), executionName, _timeProvider.GetUtcNow()).RunAsync(cancellationToken);
    }

    /// <summary>
    /// Continues an execution parked on a task token (in this or an earlier process) with the token's callback:
    /// the task state applies ResultSelector/ResultPath/OutputPath or Retry/Catch exactly as an uninterrupted run would,
    /// then the execution goes on. History starts with an ExecutionResumed event.
    /// </summary>
    public Task<ExecutionResult> ResumeAsync(TaskTokenCheckpoint checkpoint, TaskCallback callback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(callback);
        EnsureBroker();
        if (!_definition.States.TryGetValue(checkpoint.StateName, out var state)
            || state is not TaskStateDef { Integration: TaskIntegration.LambdaInvokeWaitForTaskToken } task)
        {
            throw new ArgumentException($"State \"{checkpoint.StateName}\" is not a .waitForTaskToken task of this state machine.", nameof(checkpoint));
        }

        if (checkpoint.RetryAttempts.Count != task.Retry.Count)
        {
            throw new ArgumentException($"The checkpoint of state \"{task.Name}\" has {checkpoint.RetryAttempts.Count} retry counters but the state has {task.Retry.Count} retriers: the definition changed.", nameof(checkpoint));
        }

        return new Execution(this, checkpoint.ExecutionInput?.DeepClone(), checkpoint.ExecutionName, checkpoint.ExecutionStartTime)
            .ResumeAsync(checkpoint, callback, cancellationToken);
    }

    private void EnsureBroker()
    {
        if (_definition.UsesTaskTokens && TaskTokenBroker is null)
        {
            throw new InvalidOperationException("The state machine has a .waitForTaskToken task: set TaskTokenBroker before running it.");
        }
    }

    private readonly record struct StepOutcome(JsonNode? Output, string? Next, bool Failed = false, string? Error = null, string? Cause = null);

    private readonly record struct TaskError(string Error, string? Cause);

    private sealed record Resumption(TaskTokenCheckpoint Checkpoint, TaskCallback Callback);

    /// <summary>State of one execution; kept apart from the interpreter so concurrent runs do not share history.</summary>
    private sealed class Execution(StateMachineInterpreter owner, JsonNode? input, string name, DateTimeOffset startTime)
    {
        private readonly List<ExecutionEvent> _history = [];
        private readonly DateTimeOffset _startTime = startTime;
        private int _transitions;

        private StateMachineDefinition Definition => owner._definition;

        private TimeProvider Clock => owner._timeProvider;

        public Task<ExecutionResult> RunAsync(CancellationToken cancellationToken)
        {
            Record("ExecutionStarted", null, name);
            return RunWithTimeoutAsync(Definition.StartAt, input?.DeepClone(), null, cancellationToken);
        }

        public Task<ExecutionResult> ResumeAsync(TaskTokenCheckpoint checkpoint, TaskCallback callback, CancellationToken cancellationToken)
        {
            _transitions = checkpoint.Transitions;
            Record("ExecutionResumed", checkpoint.StateName, callback.Succeeded ? "SendTaskSuccess" : $"SendTaskFailure: {callback.Error}");
            return RunWithTimeoutAsync(checkpoint.StateName, checkpoint.StateInput?.DeepClone(), new Resumption(checkpoint, callback), cancellationToken);
        }

        private async Task<ExecutionResult> RunWithTimeoutAsync(string startAt, JsonNode? data, Resumption? resume, CancellationToken cancellationToken)
        {
            // Counted from the execution's start, so a resumed execution keeps its original deadline; one resumed
            // after it had passed timed out back then, whatever the callback says.
            var remaining = Definition.TimeoutSeconds is int seconds ? _startTime + TimeSpan.FromSeconds(seconds) - Clock.GetUtcNow() : (TimeSpan?)null;
            if (remaining <= TimeSpan.Zero)
            {
                return TimedOut();
            }

            using var timeoutCts = remaining is { } left ? new CancellationTokenSource(left, Clock) : null;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts?.Token ?? CancellationToken.None);
            try
            {
                return await RunStatesAsync(startAt, data, resume, linked.Token);
            }
            catch (OperationCanceledException) when (timeoutCts?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
            {
                return TimedOut();
            }
        }

        private ExecutionResult TimedOut()
        {
            var cause = $"The execution exceeded its TimeoutSeconds of {Definition.TimeoutSeconds}";
            Record("ExecutionTimedOut", null, $"{ErrorNames.Timeout}: {cause}");
            return new ExecutionResult(ExecutionStatus.TimedOut, null, ErrorNames.Timeout, cause, _history);
        }

        private async Task<ExecutionResult> RunStatesAsync(string current, JsonNode? data, Resumption? resume, CancellationToken token)
        {
            while (true)
            {
                token.ThrowIfCancellationRequested();
                var state = Definition.States[current];
                DateTimeOffset entered;
                if (resume is null)
                {
                    if (++_transitions > MaxStateTransitions)
                    {
                        return Fail(current, ErrorNames.Runtime, $"The execution exceeded the limit of {MaxStateTransitions} state transitions (runaway loop guard)");
                    }

                    entered = Clock.GetUtcNow();
                    Record("StateEntered", current, state.Type);
                }
                else
                {
                    // The parked state was entered (and counted) before the checkpoint was taken.
                    entered = resume.Checkpoint.EnteredTime;
                }

                StepOutcome outcome;
                try
                {
                    outcome = resume is null
                        ? await ExecuteStateAsync(state, data, entered, token)
                        : await ExecuteTaskAsync((TaskStateDef)state, data, entered, resume, token);
                    resume = null;
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
            TaskStateDef task => ExecuteTaskAsync(task, raw, entered, null, token),
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

        private async Task<StepOutcome> ExecuteTaskAsync(TaskStateDef task, JsonNode? raw, DateTimeOffset entered, Resumption? resume, CancellationToken token)
        {
            var attempts = resume?.Checkpoint.RetryAttempts.ToArray() ?? new int[task.Retry.Count];
            var retryCount = resume?.Checkpoint.RetryCount ?? 0;
            while (true)
            {
                JsonObject context;
                JsonNode? result;
                TaskError? failure;
                if (resume is not null)
                {
                    // The attempt that parked: its callback is the outcome, as if it had just arrived.
                    context = Context(task.Name, entered, retryCount, resume.Checkpoint.Token);
                    (result, failure) = task.TimeoutSeconds is int limit && Clock.GetUtcNow() > resume.Checkpoint.ScheduledTime + TimeSpan.FromSeconds(limit)
                        ? (null, TaskTimedOut(task)) // it timed out while nobody was running it
                        : FromCallback(resume.Callback);
                    resume = null;
                }
                else
                {
                    // Re-evaluated per attempt: $$.State.RetryCount and $$.Task.Token change between attempts.
                    var taskToken = task.Integration == TaskIntegration.LambdaInvokeWaitForTaskToken ? owner.TaskTokenGenerator() : null;
                    context = Context(task.Name, entered, retryCount, taskToken);
                    var effective = task.InputPath.Apply(raw, context, task.Name, "InputPath");
                    if (task.Parameters is not null)
                    {
                        effective = task.Parameters.Evaluate(effective, context, task.Name);
                    }

                    Record("TaskScheduled", task.Name, task.Integration == TaskIntegration.Function ? task.Resource : $"{task.Resource} {FunctionOf(task, effective).Name}");
                    (result, failure) = task.Integration switch
                    {
                        TaskIntegration.LambdaInvoke => await InvokeLambdaAsync(task, effective, token),
                        TaskIntegration.LambdaInvokeWaitForTaskToken =>
                            await InvokeAndWaitAsync(task, effective, new TaskTokenCheckpoint
                            {
                                Token = taskToken!,
                                ExecutionName = name,
                                ExecutionInput = input?.DeepClone(),
                                ExecutionStartTime = _startTime,
                                StateName = task.Name,
                                StateInput = raw?.DeepClone(),
                                EnteredTime = entered,
                                ScheduledTime = Clock.GetUtcNow(),
                                RetryCount = retryCount,
                                RetryAttempts = [.. attempts],
                                Transitions = _transitions,
                            }, token),
                        _ => await InvokeAsync(task, task.Resource, effective, TaskTimeout(task), token),
                    };
                }

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

        private static TimeSpan? TaskTimeout(TaskStateDef task) => task.TimeoutSeconds is int seconds ? TimeSpan.FromSeconds(seconds) : null;

        private static TaskError TaskTimedOut(TaskStateDef task) =>
            new(ErrorNames.Timeout, $"State \"{task.Name}\": no task token callback within TimeoutSeconds={task.TimeoutSeconds}");

        private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

        private static (JsonNode? Result, TaskError? Error) FromCallback(TaskCallback callback) =>
            callback.Succeeded ? (callback.Output?.DeepClone(), null) : (null, new TaskError(callback.Error!, callback.Cause));

        /// <summary>lambda:invoke's Parameters: the function to call and the payload it gets (Lambda sends {} without one).</summary>
        private static (string Name, JsonNode? Payload) FunctionOf(TaskStateDef task, JsonNode? parameters)
        {
            if (parameters is not JsonObject p || p["FunctionName"] is not JsonValue v || !v.TryGetValue<string>(out var function) || function.Length == 0)
            {
                throw StateErrorException.Runtime($"State \"{task.Name}\": Parameters.FunctionName must be a non-empty string");
            }

            return (function, p.TryGetPropertyValue("Payload", out var payload) ? payload : new JsonObject());
        }

        /// <summary>arn:aws:states:::lambda:invoke: the function's answer wrapped the way Step Functions returns it.</summary>
        private async Task<(JsonNode? Result, TaskError? Error)> InvokeLambdaAsync(TaskStateDef task, JsonNode? parameters, CancellationToken token)
        {
            var (function, payload) = FunctionOf(task, parameters);
            var (result, error) = await InvokeAsync(task, function, payload, TaskTimeout(task), token);
            return error is not null
                ? (null, error)
                : (new JsonObject { ["ExecutedVersion"] = "$LATEST", ["Payload"] = result, ["StatusCode"] = 200 }, null);
        }

        /// <summary>
        /// arn:aws:states:::lambda:invoke.waitForTaskToken: the function is invoked with the Payload and its answer is
        /// ignored; the task's result is whatever the token's callback sends. TimeoutSeconds covers invoke and wait.
        /// </summary>
        private async Task<(JsonNode? Result, TaskError? Error)> InvokeAndWaitAsync(TaskStateDef task, JsonNode? parameters, TaskTokenCheckpoint checkpoint, CancellationToken token)
        {
            var broker = owner.TaskTokenBroker!;
            var (function, payload) = FunctionOf(task, parameters);
            DateTimeOffset? deadline = task.TimeoutSeconds is int seconds ? checkpoint.ScheduledTime + TimeSpan.FromSeconds(seconds) : null;

            // Registered before the invocation: the function may hand the token on, and the answer may come before it returns.
            await broker.RegisterAsync(checkpoint, token);
            var (_, invokeError) = await InvokeAsync(task, function, payload, deadline - Clock.GetUtcNow(), token);
            if (invokeError is { } failed)
            {
                if (await broker.CloseAsync(checkpoint.Token, failed.Error, CancellationToken.None))
                {
                    return (null, failed);
                }
            }
            else
            {
                Record("TaskSubmitted", task.Name, "waiting for the task token callback");
            }

            return await AwaitCallbackAsync(task, broker, checkpoint.Token, deadline, token);
        }

        /// <summary>Waits for the callback; a resumed execution skips this for the attempt that parked.</summary>
        private async Task<(JsonNode? Result, TaskError? Error)> AwaitCallbackAsync(
            TaskStateDef task, ITaskTokenBroker broker, string taskToken, DateTimeOffset? deadline, CancellationToken token)
        {
            var callback = broker.WaitAsync(taskToken, token);
            try
            {
                return FromCallback(deadline is { } d
                    ? await callback.WaitAsync(Max(d - Clock.GetUtcNow(), TimeSpan.Zero), Clock, token)
                    : await callback.WaitAsync(token));
            }
            catch (TimeoutException) when (!callback.IsCompleted)
            {
                if (!await broker.CloseAsync(taskToken, ErrorNames.Timeout, CancellationToken.None))
                {
                    // A callback claimed the token just before the deadline: it wins, as in Step Functions.
                    return FromCallback(await callback.WaitAsync(token));
                }

                ObserveLater(callback);
                return (null, TaskTimedOut(task));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The execution itself stopped (its own timeout): nobody may complete this task any more.
                await broker.CloseAsync(taskToken, "execution stopped", CancellationToken.None);
                ObserveLater(callback);
                throw;
            }
        }

        private async Task<(JsonNode? Result, TaskError? Error)> InvokeAsync(TaskStateDef task, string resource, JsonNode? effectiveInput, TimeSpan? timeout, CancellationToken token)
        {
            using var taskCts = CancellationTokenSource.CreateLinkedTokenSource(token);
            Task<JsonNode?> invocation;
            try
            {
                // A clone so the handler cannot mutate data this execution still holds.
                invocation = owner._invoker.InvokeAsync(resource, effectiveInput?.DeepClone(), taskCts.Token);
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                return (null, ToTaskError(ex));
            }

            try
            {
                var result = timeout is { } limit
                    ? await invocation.WaitAsync(Max(limit, TimeSpan.Zero), Clock, token)
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

        private JsonObject Context(string stateName, DateTimeOffset entered, int retryCount, string? taskToken = null)
        {
            var context = BaseContext(stateName, entered, retryCount);
            if (taskToken is not null)
            {
                // Only .waitForTaskToken tasks have $$.Task, as in Step Functions.
                context["Task"] = new JsonObject { ["Token"] = taskToken };
            }

            return context;
        }

        private JsonObject BaseContext(string stateName, DateTimeOffset entered, int retryCount) => new()
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
