using System.Text;
using MedVision.Core.Observability;
using MedVision.Core.Ports;

namespace MedVision.Core.Inference;

/// <summary>An answer and how it was obtained.</summary>
public sealed record Routed<T>(T Value, ModelTarget Target, bool UsedFallback, TimeSpan Latency);

/// <summary>
/// Spec component 4: picks the target for a request (A/B split keyed on the request id, Property 48), guards every
/// endpoint variant with a <see cref="CircuitBreaker"/>, falls back to the route's other targets when one fails, and
/// holds each call to the 30 s budget. It never calls the same target twice: retrying is the state machine's job
/// (Retry 1 s / 2 s / 4 s with jitter), so a failure here is reported at once and the two never multiply.
/// </summary>
public sealed class ModelRouter(IInferenceEndpoint endpoint, CircuitBreaker breaker, TimeProvider time, IMetrics? metrics = null)
{
    private readonly IMetrics _metrics = metrics ?? NullMetrics.Instance;

    public CircuitBreaker Breaker => breaker;

    /// <summary>A stable number in [0, 1) for a request id: the same image always lands on the same side of a split.</summary>
    public static double AbBucket(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);

        // FNV-1a 64 then the top 53 bits: stable across processes and runtimes, unlike string.GetHashCode.
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(requestId))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        // FNV's low bits mix poorly for short keys: finish with a murmur3 fmix64 avalanche.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Property 48: the target the A/B split assigns <paramref name="requestId"/> to.</summary>
    public static ModelTarget Choose(ModelRoute route, string requestId)
    {
        ArgumentNullException.ThrowIfNull(route);
        return route.AbTest is { } ab && AbBucket(requestId) >= ab.PrimaryShare ? ab.Candidate : route.Primary;
    }

    /// <summary>The order targets are tried in: the chosen one, then the primary (if an A/B candidate was chosen), then the fallback.</summary>
    public static IReadOnlyList<ModelTarget> Candidates(ModelRoute route, string requestId)
    {
        ArgumentNullException.ThrowIfNull(route);
        var order = new List<ModelTarget> { Choose(route, requestId) };
        foreach (var t in new[] { route.Primary, route.Fallback })
        {
            if (t is not null && !order.Contains(t))
            {
                order.Add(t);
            }
        }

        return order;
    }

    /// <summary>
    /// Sends <paramref name="body"/> along the route. <paramref name="decode"/> checks the answer against the contract;
    /// an answer it rejects counts as that target failing, so a model that starts answering garbage trips its breaker
    /// and the fallback takes over.
    /// </summary>
    public async Task<Routed<T>> InvokeAsync<T>(
        ModelRoute route, string requestId, string task, ReadOnlyMemory<byte> body, Func<EndpointResponse, ModelTarget, T> decode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(decode);
        var failures = new List<string>();
        var allInvalid = true;
        var candidates = Candidates(route, requestId);
        for (var i = 0; i < candidates.Count; i++)
        {
            var target = candidates[i];
            var key = target.ToString();
            if (!breaker.TryAcquire(key))
            {
                failures.Add($"{key}: circuit open after {CircuitBreaker.FailureThreshold} consecutive failures");
                allInvalid = false;
                continue;
            }

            var started = time.GetTimestamp();
            try
            {
                var response = await CallWithBudgetAsync(target, body, ct);
                var value = decode(response, target);
                var latency = time.GetElapsedTime(started);
                breaker.OnSuccess(key);
                _metrics.Emit(new MetricRecord(
                    [new MetricValue(MetricNames.InferenceLatency, MetricNames.Milliseconds, Math.Round(latency.TotalMilliseconds, 3))],
                    Dimensions(target, task),
                    new Dictionary<string, string> { ["image_id"] = requestId, ["fallback_used"] = i > 0 ? "true" : "false" }));
                return new Routed<T>(value, target, i > 0, latency);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The caller gave up: no verdict on the endpoint, so its failure count is left as it was.
                breaker.Abandon(key);
                throw;
            }
            catch (Exception ex) when (ex is MedVisionException or HttpRequestException or IOException or TimeoutException or OperationCanceledException)
            {
                breaker.OnFailure(key);
                allInvalid &= ex is ModelOutputInvalidException;
                failures.Add($"{key}: {ex.Message}");
                _metrics.Emit(new MetricRecord(
                    [new MetricValue(MetricNames.InferenceFailure, MetricNames.Count, 1)],
                    Dimensions(target, task),
                    new Dictionary<string, string> { ["image_id"] = requestId, ["error"] = ex.GetType().Name }));
            }
        }

        var message = $"No model answered the {task} request for image {requestId}: {string.Join("; ", failures)}.";
        throw allInvalid ? new ModelOutputInvalidException(message) : new ModelUnavailableException(message);
    }

    private async Task<EndpointResponse> CallWithBudgetAsync(ModelTarget target, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var invocation = endpoint.InvokeAsync(new EndpointInvocation(target.Endpoint, target.Variant, InferenceContract.ContentType, body), call.Token);
        try
        {
            return await invocation.WaitAsync(InferenceContract.InvocationBudget, time, ct);
        }
        catch (TimeoutException)
        {
            await call.CancelAsync();
            _ = invocation.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new ModelUnavailableException($"no answer within the {InferenceContract.InvocationBudget.TotalSeconds:0} s inference budget");
        }
    }

    private static Dictionary<string, string> Dimensions(ModelTarget target, string task) => new()
    {
        ["Endpoint"] = target.Endpoint,
        ["Variant"] = target.Variant ?? "default",
        ["Task"] = task,
    };
}
