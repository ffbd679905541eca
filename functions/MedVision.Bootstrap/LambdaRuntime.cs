using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Functions;
using Microsoft.Extensions.Logging;

namespace MedVision.Bootstrap;

/// <summary>
/// The invocation loop of a custom runtime: take the next event, run the one handler this function hosts under the
/// event's deadline, post its result or its error, repeat until the Runtime API or a signal ends it. Errors are posted
/// with the exception's type name as errorType, which the state machine's Retry and Catch rules match.
/// </summary>
public sealed class LambdaRuntime(RuntimeApiClient api, IJsonHandler handler, ILogger logger, TimeProvider time)
{
    /// <summary>Lambda's cap on a synchronous response payload.</summary>
    public const int MaxResponseBytes = 6 * 1024 * 1024;

    /// <summary>Lambda's error type for a response over <see cref="MaxResponseBytes"/>.</summary>
    public const string ResponseTooLargeError = "Function.ResponseSizeTooLarge";

    /// <summary>Lambda's error type for an invocation that outlived its deadline.</summary>
    public const string TimeoutError = "Sandbox.Timedout";

    /// <summary>How long a handler may take to stop once its deadline's token fires before the environment is abandoned.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromMilliseconds(250);

    private const string TraceVariable = "_X_AMZN_TRACE_ID";

    /// <summary>Runs until <paramref name="stopping"/> fires (SIGTERM) between invocations; returns the process exit code.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Invocation invocation;
            try
            {
                invocation = await api.NextAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or RuntimeApiException)
            {
                logger.RuntimeApiFailed(ex.Message);
                return 1;
            }

            try
            {
                if (!await InvokeAsync(invocation))
                {
                    return 1;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or RuntimeApiException)
            {
                logger.RuntimeApiFailed(ex.Message);
                return 1;
            }
        }

        return 0;
    }

    /// <summary>One invocation; false when the handler would not stop and the environment must be abandoned.</summary>
    internal async Task<bool> InvokeAsync(Invocation invocation)
    {
        // The X-Ray SDKs and the AWS SDK read the trace header from here, per invocation.
        Environment.SetEnvironmentVariable(TraceVariable, invocation.TraceId);
        var started = time.GetTimestamp();
        JsonNode? input;
        try
        {
            input = invocation.Event.Length == 0 ? null : JsonNode.Parse(invocation.Event);
        }
        catch (JsonException ex)
        {
            using (Scope(invocation, null))
            {
                var error = new Core.ValidationException("event.invalid", $"The event is not JSON: {ex.Message}");
                logger.Failed(Elapsed(started), nameof(Core.ValidationException), error);
                await api.PostErrorAsync(invocation.RequestId, ErrorOf(error), CancellationToken.None);
                return true;
            }
        }

        using var scope = Scope(invocation, RuntimeJson.ImageIdOf(input));
        var remaining = invocation.Deadline - time.GetUtcNow();
        if (remaining < TimeSpan.Zero)
        {
            remaining = TimeSpan.Zero;
        }

        using var deadline = new CancellationTokenSource(remaining, time);
        Task<JsonNode?> work;
        try
        {
            work = handler.HandleAsync(input, deadline.Token);
        }
        catch (Exception ex)
        {
            work = Task.FromException<JsonNode?>(ex);
        }

        using var giveUp = new CancellationTokenSource();
        var timer = Task.Delay(remaining + StopGrace, time, giveUp.Token);
        if (await Task.WhenAny(work, timer) != work)
        {
            // The handler ignored its token: report the timeout, then leave, as Lambda would reset this environment.
            logger.TimedOut(Elapsed(started));
            await api.PostErrorAsync(invocation.RequestId, TimeoutOf(started), CancellationToken.None);
            logger.Abandoned();
            return false;
        }

        await giveUp.CancelAsync();
        JsonNode? result;
        try
        {
            result = await work;
        }
        catch (Exception) when (deadline.IsCancellationRequested)
        {
            // Whatever the handler made of its cancelled token (a model call cut short, say), the deadline is why it failed.
            var ms = Elapsed(started);
            logger.TimedOut(ms);
            await api.PostErrorAsync(invocation.RequestId, TimeoutOf(started), CancellationToken.None);
            return true;
        }
        catch (Exception ex)
        {
            logger.Failed(Elapsed(started), ex.GetType().Name, ex);
            await api.PostErrorAsync(invocation.RequestId, ErrorOf(ex), CancellationToken.None);
            return true;
        }

        var payload = RuntimeJson.Serialize(result);
        if (payload.Length > MaxResponseBytes)
        {
            logger.TooLarge(payload.Length, MaxResponseBytes);
            await api.PostErrorAsync(
                invocation.RequestId,
                new RuntimeError(
                    ResponseTooLargeError,
                    $"The {handler.Name} handler's response is {payload.Length} bytes, over Lambda's limit of {MaxResponseBytes} bytes for a response payload.",
                    []),
                CancellationToken.None);
            return true;
        }

        // Handler and serialisation time, taken before the post, so the post's round trip counts as the runtime's overhead.
        var took = Elapsed(started);
        await api.PostResponseAsync(invocation.RequestId, payload, CancellationToken.None);
        logger.Completed(took, payload.Length);
        return true;
    }

    /// <summary>The error body for an exception: its type name (what ASL matches), its message and its frames.</summary>
    public static RuntimeError ErrorOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var frames = exception.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return new RuntimeError(exception.GetType().Name, exception.Message, frames);
    }

    private RuntimeError TimeoutOf(long started) => new(
        TimeoutError,
        $"Task timed out after {Elapsed(started) / 1000:0.00} seconds: the {handler.Name} handler passed the invocation's deadline.",
        []);

    private IDisposable? Scope(Invocation invocation, string? imageId) => logger.BeginInvocation(invocation.RequestId, imageId, invocation.TraceId);

    private double Elapsed(long started) => Math.Round(time.GetElapsedTime(started).TotalMilliseconds, 2);
}
