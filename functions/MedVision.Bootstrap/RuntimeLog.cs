using MedVision.Core.Observability;
using Microsoft.Extensions.Logging;

namespace MedVision.Bootstrap;

/// <summary>The runtime's own log lines (1xxx); the request id and image id come from the invocation's scope.</summary>
internal static partial class RuntimeLog
{
    private static readonly Func<ILogger, string, string?, string?, IDisposable?> InvocationScope =
        LoggerMessage.DefineScope<string, string?, string?>("Request {RequestId} image {ImageId} trace {TraceId}");

    /// <summary>Every line logged during an invocation carries its request id and X-Ray trace id, and the image id when the event names one.</summary>
    public static IDisposable? BeginInvocation(this ILogger logger, string requestId, string? imageId, string? traceId) =>
        InvocationScope(logger, requestId, imageId, traceId);

    [LoggerMessage(EventId = LogAreas.Runtime + 1, EventName = "RuntimeReady", Level = LogLevel.Information,
        Message = "Handler {Handler} ready on the {Platform} platform after {InitMs} ms")]
    public static partial void Ready(this ILogger logger, string handler, string platform, double initMs);

    [LoggerMessage(EventId = LogAreas.Runtime + 2, EventName = "InitFailed", Level = LogLevel.Critical,
        Message = "Init failed: {ErrorType}")]
    public static partial void InitFailed(this ILogger logger, string errorType, Exception exception);

    [LoggerMessage(EventId = LogAreas.Runtime + 3, EventName = "InvocationCompleted", Level = LogLevel.Information,
        Message = "Invocation completed in {DurationMs} ms ({ResponseBytes} bytes)")]
    public static partial void Completed(this ILogger logger, double durationMs, int responseBytes);

    [LoggerMessage(EventId = LogAreas.Runtime + 4, EventName = "InvocationFailed", Level = LogLevel.Error,
        Message = "Invocation failed in {DurationMs} ms: {ErrorType}")]
    public static partial void Failed(this ILogger logger, double durationMs, string errorType, Exception exception);

    [LoggerMessage(EventId = LogAreas.Runtime + 5, EventName = "InvocationTimedOut", Level = LogLevel.Error,
        Message = "Invocation passed its deadline after {DurationMs} ms")]
    public static partial void TimedOut(this ILogger logger, double durationMs);

    [LoggerMessage(EventId = LogAreas.Runtime + 6, EventName = "ResponseTooLarge", Level = LogLevel.Error,
        Message = "Response of {ResponseBytes} bytes is over the {LimitBytes}-byte limit")]
    public static partial void TooLarge(this ILogger logger, int responseBytes, int limitBytes);

    [LoggerMessage(EventId = LogAreas.Runtime + 7, EventName = "ShutdownRequested", Level = LogLevel.Information,
        Message = "Shutdown requested ({Signal}); stopping after the current invocation")]
    public static partial void Shutdown(this ILogger logger, System.Runtime.InteropServices.PosixSignal signal);

    [LoggerMessage(EventId = LogAreas.Runtime + 8, EventName = "EnvironmentAbandoned", Level = LogLevel.Critical,
        Message = "The handler did not stop after its deadline; the process exits so Lambda starts a fresh environment")]
    public static partial void Abandoned(this ILogger logger);

    [LoggerMessage(EventId = LogAreas.Runtime + 9, EventName = "RuntimeApiFailed", Level = LogLevel.Critical,
        Message = "The Runtime API failed: {Reason}")]
    public static partial void RuntimeApiFailed(this ILogger logger, string reason);
}
