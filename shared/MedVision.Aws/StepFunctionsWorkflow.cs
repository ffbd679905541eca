using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using MedVision.Core;
using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>Which state machine runs the pipeline. <see cref="Endpoint"/> overrides the regional URL (tests, VPC endpoints).</summary>
/// <param name="StateMachineArn">arn:aws:states:{region}:{account}:stateMachine:{name}.</param>
public sealed record StepFunctionsOptions(string Region, string StateMachineArn)
{
    public Uri? Endpoint { get; init; }

    public Uri EndpointUri => Endpoint ?? new Uri($"https://states.{Region}.amazonaws.com/");
}

/// <summary>An execution as DescribeExecution reports it.</summary>
/// <param name="Status">RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE.</param>
public sealed record StepFunctionsExecution(
    string ExecutionArn, string Status, string? Input, string? Output, string? Error, string? Cause);

/// <summary>
/// The workflow port over AWS Step Functions (JSON 1.0, SigV4 service <c>states</c>, target prefix
/// <c>AWSStepFunctions.</c>): StartExecution, SendTaskSuccess, SendTaskFailure, and DescribeExecution as a method of
/// its own (not on <see cref="IWorkflow"/>: the local twin reports executions through its history-bearing
/// <c>WaitAsync</c>, and nothing in the pipeline reads an execution's outcome through the port).
/// </summary>
/// <remarks>
/// <para>Idempotent start: the execution name is the image id. Step Functions itself answers a repeat of a running
/// STANDARD execution's name and input with the same ARN; for a closed one, or a different input, it answers
/// ExecutionAlreadyExists. On that answer this client asks DescribeExecution: the same input returns the existing
/// ARN (the port's promise holds for closed executions too), a different input is
/// <see cref="ConflictException"/> (<c>workflow.execution_exists</c>).</para>
/// <para>Errors through the shared <see cref="AwsErrorMapper"/>: InvalidToken → <see cref="NotFoundException"/>
/// (<c>workflow.task_token_not_found</c>); TaskDoesNotExist and TaskTimedOut (the task is no longer waiting) →
/// <see cref="ConflictException"/> (<c>workflow.task_token_closed</c>); ExecutionDoesNotExist and
/// StateMachineDoesNotExist → NotFoundException (<c>workflow.not_found</c>); StateMachineDeleting → Conflict;
/// InvalidArn, InvalidName, InvalidExecutionInput, InvalidOutput, ValidationException and other 4xx →
/// <see cref="ValidationException"/>; throttling (400 ThrottlingException), ExecutionLimitExceeded, 5xx, timeouts
/// and network failures → <see cref="StorageUnavailableException"/>, which the caller's state machine or API
/// retries. Never retries itself.</para>
/// </remarks>
public sealed class StepFunctionsWorkflow : IWorkflow
{
    public const string Service = "states";
    public const string TargetPrefix = "AWSStepFunctions.";

    private static readonly Dictionary<string, AwsErrorKind> ErrorTypes = new(StringComparer.Ordinal)
    {
        ["ExecutionAlreadyExists"] = AwsErrorKind.Conflict,
        ["StateMachineDeleting"] = AwsErrorKind.Conflict,
        ["ExecutionDoesNotExist"] = AwsErrorKind.NotFound,
        ["StateMachineDoesNotExist"] = AwsErrorKind.NotFound,
        ["ExecutionLimitExceeded"] = AwsErrorKind.Unavailable,
        ["InvalidToken"] = AwsErrorKind.NotFound,
        ["TaskDoesNotExist"] = AwsErrorKind.Conflict,
        ["TaskTimedOut"] = AwsErrorKind.Conflict,
    };

    private readonly AwsHttp executions;
    private readonly AwsHttp tasks;
    private readonly StepFunctionsOptions options;

    /// <param name="http">Signs for Step Functions in the region: <c>AwsHttp.CreateClient(StepFunctionsWorkflow.Service, region, credentials, time)</c>.</param>
    public StepFunctionsWorkflow(HttpClient http, StepFunctionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.StateMachineArn);
        executions = new AwsHttp(http, new AwsErrorMapper(
            "Step Functions", AwsExceptions.Store("workflow.invalid_request", "workflow.not_found", "workflow.execution_exists"), ErrorTypes));
        tasks = new AwsHttp(http, new AwsErrorMapper(
            "Step Functions", AwsExceptions.Store("workflow.invalid_request", "workflow.task_token_not_found", "workflow.task_token_closed"), ErrorTypes));
        this.options = options;
    }

    public async Task<string> StartAsync(string executionName, string inputJson, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executionName);
        ArgumentNullException.ThrowIfNull(inputJson);
        var request = new StartExecutionRequest(options.StateMachineArn, executionName, inputJson);
        var answer = await SendAsync(executions, "StartExecution", request, StepFunctionsJsonContext.Default.StartExecutionRequest, cancellationToken);
        if (answer.IsSuccess)
        {
            var started = executions.ReadJson(answer, StepFunctionsJsonContext.Default.StartExecutionResponse, "StartExecution");
            return string.IsNullOrEmpty(started.ExecutionArn)
                ? throw executions.Errors.Unavailable("StartExecution", "the answer carried no executionArn.")
                : started.ExecutionArn;
        }

        if (answer.Error().Type != "ExecutionAlreadyExists")
        {
            throw executions.Fail(answer, "StartExecution");
        }

        // Closed, or a different input: only the same input makes this a repeat of the same start.
        var arn = ExecutionArn(executionName);
        var existing = await DescribeExecutionAsync(arn, cancellationToken);
        return existing.Input == inputJson
            ? existing.ExecutionArn
            : throw new ConflictException("workflow.execution_exists", $"Step Functions: execution {executionName} already exists with a different input.");
    }

    /// <summary>DescribeExecution: the execution's status and, once closed, its output or error and cause.</summary>
    public async Task<StepFunctionsExecution> DescribeExecutionAsync(string executionArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executionArn);
        var answer = await SendAsync(
            executions, "DescribeExecution", new DescribeExecutionRequest(executionArn), StepFunctionsJsonContext.Default.DescribeExecutionRequest, cancellationToken);
        if (!answer.IsSuccess)
        {
            throw executions.Fail(answer, "DescribeExecution");
        }

        var described = executions.ReadJson(answer, StepFunctionsJsonContext.Default.DescribeExecutionResponse, "DescribeExecution");
        if (string.IsNullOrEmpty(described.Status))
        {
            throw executions.Errors.Unavailable("DescribeExecution", "the answer carried no status.");
        }

        return new StepFunctionsExecution(
            described.ExecutionArn ?? executionArn, described.Status, described.Input, described.Output, described.Error, described.Cause);
    }

    public async Task SendTaskSuccessAsync(string taskToken, string outputJson, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskToken);
        ArgumentNullException.ThrowIfNull(outputJson);
        var answer = await SendAsync(
            tasks, "SendTaskSuccess", new SendTaskSuccessRequest(taskToken, outputJson), StepFunctionsJsonContext.Default.SendTaskSuccessRequest, cancellationToken);
        if (!answer.IsSuccess)
        {
            throw tasks.Fail(answer, "SendTaskSuccess");
        }
    }

    public async Task SendTaskFailureAsync(string taskToken, string error, string? cause, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskToken);
        ArgumentNullException.ThrowIfNull(error);
        var answer = await SendAsync(
            tasks, "SendTaskFailure", new SendTaskFailureRequest(taskToken, error, cause), StepFunctionsJsonContext.Default.SendTaskFailureRequest, cancellationToken);
        if (!answer.IsSuccess)
        {
            throw tasks.Fail(answer, "SendTaskFailure");
        }
    }

    /// <summary>arn:aws:states:{region}:{account}:execution:{stateMachine}:{name}, from the state machine's ARN.</summary>
    public string ExecutionArn(string executionName) =>
        options.StateMachineArn.Replace(":stateMachine:", ":execution:", StringComparison.Ordinal) + ":" + executionName;

    private Task<AwsAnswer> SendAsync<T>(AwsHttp aws, string operation, T request, JsonTypeInfo<T> type, CancellationToken ct) =>
        aws.SendJsonAsync(
            options.EndpointUri, AwsJsonProtocol.Json10, TargetPrefix + operation, JsonSerializer.SerializeToUtf8Bytes(request, type), operation, ct);
}

internal sealed record StartExecutionRequest(
    [property: JsonPropertyName("stateMachineArn")] string StateMachineArn,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("input")] string Input);

internal sealed record StartExecutionResponse([property: JsonPropertyName("executionArn")] string? ExecutionArn);

internal sealed record DescribeExecutionRequest([property: JsonPropertyName("executionArn")] string ExecutionArn);

internal sealed record DescribeExecutionResponse(
    [property: JsonPropertyName("executionArn")] string? ExecutionArn,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("input")] string? Input,
    [property: JsonPropertyName("output")] string? Output,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("cause")] string? Cause);

internal sealed record SendTaskSuccessRequest(
    [property: JsonPropertyName("taskToken")] string TaskToken,
    [property: JsonPropertyName("output")] string Output);

internal sealed record SendTaskFailureRequest(
    [property: JsonPropertyName("taskToken")] string TaskToken,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("cause")] string? Cause);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StartExecutionRequest))]
[JsonSerializable(typeof(StartExecutionResponse))]
[JsonSerializable(typeof(DescribeExecutionRequest))]
[JsonSerializable(typeof(DescribeExecutionResponse))]
[JsonSerializable(typeof(SendTaskSuccessRequest))]
[JsonSerializable(typeof(SendTaskFailureRequest))]
internal sealed partial class StepFunctionsJsonContext : JsonSerializerContext;
