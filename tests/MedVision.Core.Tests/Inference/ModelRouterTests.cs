using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Core.Inference;
using MedVision.Core.Observability;
using MedVision.Core.Ports;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests.Inference;

public class ModelRouterTests
{
    private static readonly byte[] Body = "{}"u8.ToArray();

    private static readonly ModelRoute Route = new()
    {
        Primary = new ModelTarget("ct-detector", "v2"),
        Fallback = new ModelTarget("ct-detector", "v1"),
    };

    /// <summary>An endpoint whose behaviour per target is scripted; records every call.</summary>
    private sealed class FakeEndpoint(Func<EndpointInvocation, Task<EndpointResponse>> behave) : IInferenceEndpoint
    {
        public List<string> Calls { get; } = [];

        public Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
        {
            lock (Calls)
            {
                Calls.Add($"{invocation.EndpointName}/{invocation.TargetVariant}");
            }

            return behave(invocation);
        }
    }

    private static Task<EndpointResponse> Ok(EndpointInvocation i) =>
        Task.FromResult(new EndpointResponse("application/json", "ok"u8.ToArray(), i.TargetVariant));

    private static string Decode(EndpointResponse r, ModelTarget t) =>
        System.Text.Encoding.UTF8.GetString(r.Body) == "ok" ? t.ToString() : throw new ModelOutputInvalidException($"{t} answered garbage");

    // Feature: medvision-ai-platform, Property 44: a routed inference call records its latency with variant and image id.
    [Fact]
    public async Task InvokeAsync_WhenPrimaryAnswers_ShouldUseItAndRecordLatency()
    {
        var endpoint = new FakeEndpoint(Ok);
        var metrics = new RecordingMetrics();
        var router = new ModelRouter(endpoint, new CircuitBreaker(new FakeTimeProvider(TestClock.Start)), TimeProvider.System, metrics);

        var routed = await router.InvokeAsync(Route, "img-1", "detect-ct", Body, Decode, CancellationToken.None);

        Assert.Equal(("ct-detector/v2", false), (routed.Value, routed.UsedFallback));
        Assert.Equal(["ct-detector/v2"], endpoint.Calls);
        var latency = Assert.Single(metrics.Of(MetricNames.InferenceLatency));
        Assert.Equal("v2", latency.Dimensions["Variant"]);
        Assert.Equal("img-1", latency.Properties!["image_id"]);
    }

    [Theory]
    [InlineData("unavailable")]
    [InlineData("garbage")]
    public async Task InvokeAsync_WhenPrimaryFails_ShouldFallBackOnceAndSayItDid(string failure)
    {
        var endpoint = new FakeEndpoint(i => i.TargetVariant == "v2"
            ? failure == "garbage"
                ? Task.FromResult(new EndpointResponse("application/json", "<html>"u8.ToArray()))
                : Task.FromException<EndpointResponse>(new ModelUnavailableException("503 from v2"))
            : Ok(i));
        var metrics = new RecordingMetrics();
        var router = new ModelRouter(endpoint, new CircuitBreaker(new FakeTimeProvider(TestClock.Start)), TimeProvider.System, metrics);

        var routed = await router.InvokeAsync(Route, "img-1", "detect-ct", Body, Decode, CancellationToken.None);

        Assert.Equal(("ct-detector/v1", true), (routed.Value, routed.UsedFallback));
        Assert.Equal(["ct-detector/v2", "ct-detector/v1"], endpoint.Calls);
        Assert.Single(metrics.Of(MetricNames.InferenceFailure));
    }

    [Fact]
    public async Task InvokeAsync_WhenEveryTargetIsDown_ShouldCallEachOnceAndThrowUnavailableNamingThem()
    {
        var endpoint = new FakeEndpoint(i => Task.FromException<EndpointResponse>(new ModelUnavailableException($"{i.TargetVariant} down")));
        var router = new ModelRouter(endpoint, new CircuitBreaker(new FakeTimeProvider(TestClock.Start)), TimeProvider.System);

        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => router.InvokeAsync(Route, "img-1", "detect-ct", Body, Decode, CancellationToken.None));

        // No retries here: the state machine owns them, so the two never multiply.
        Assert.Equal(["ct-detector/v2", "ct-detector/v1"], endpoint.Calls);
        Assert.Contains("ct-detector/v2: v2 down", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ct-detector/v1: v1 down", ex.Message, StringComparison.Ordinal);
        Assert.Contains("img-1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenEveryTargetAnswersGarbage_ShouldThrowOutputInvalid()
    {
        var endpoint = new FakeEndpoint(_ => Task.FromResult(new EndpointResponse("application/json", "nonsense"u8.ToArray())));
        var router = new ModelRouter(endpoint, new CircuitBreaker(new FakeTimeProvider(TestClock.Start)), TimeProvider.System);

        await Assert.ThrowsAsync<ModelOutputInvalidException>(() => router.InvokeAsync(Route, "img-1", "detect-ct", Body, Decode, CancellationToken.None));
    }

    [Fact]
    public async Task InvokeAsync_WhenEndpointNeverAnswers_ShouldGiveUpAtTheThirtySecondBudget()
    {
        var clock = new FakeTimeProvider(TestClock.Start);
        var endpoint = new FakeEndpoint(_ => new TaskCompletionSource<EndpointResponse>().Task);
        var router = new ModelRouter(endpoint, new CircuitBreaker(clock), clock);

        var call = router.InvokeAsync(Route with { Fallback = null }, "img-1", "detect-ct", Body, Decode, CancellationToken.None);
        clock.Advance(InferenceContract.InvocationBudget - TimeSpan.FromMilliseconds(1));
        Assert.False(call.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => call);

        Assert.Contains("30 s inference budget", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenCircuitOfPrimaryIsOpen_ShouldGoStraightToTheFallback()
    {
        var clock = new FakeTimeProvider(TestClock.Start);
        var breaker = new CircuitBreaker(clock);
        var down = true;
        var endpoint = new FakeEndpoint(i => down && i.TargetVariant == "v2"
            ? Task.FromException<EndpointResponse>(new ModelUnavailableException("down"))
            : Ok(i));
        var router = new ModelRouter(endpoint, breaker, clock);

        for (var i = 0; i < CircuitBreaker.FailureThreshold; i++)
        {
            await router.InvokeAsync(Route, $"img-{i}", "detect-ct", Body, Decode, CancellationToken.None);
        }

        endpoint.Calls.Clear();
        var routed = await router.InvokeAsync(Route, "img-open", "detect-ct", Body, Decode, CancellationToken.None);
        Assert.Equal(CircuitState.Open, breaker.StateOf("ct-detector/v2"));
        Assert.Equal(["ct-detector/v1"], endpoint.Calls);
        Assert.True(routed.UsedFallback);

        // 60 s later one trial goes to the recovered primary, and its success closes the breaker.
        down = false;
        clock.Advance(CircuitBreaker.OpenDuration);
        endpoint.Calls.Clear();
        routed = await router.InvokeAsync(Route, "img-trial", "detect-ct", Body, Decode, CancellationToken.None);
        Assert.Equal(["ct-detector/v2"], endpoint.Calls);
        Assert.False(routed.UsedFallback);
        Assert.Equal(CircuitState.Closed, breaker.StateOf("ct-detector/v2"));
    }

    [Fact]
    public async Task InvokeAsync_WhenCircuitOpenAndNoFallback_ShouldFailFastWithoutCallingTheEndpoint()
    {
        var clock = new FakeTimeProvider(TestClock.Start);
        var endpoint = new FakeEndpoint(_ => Task.FromException<EndpointResponse>(new ModelUnavailableException("down")));
        var router = new ModelRouter(endpoint, new CircuitBreaker(clock), clock);
        var route = Route with { Fallback = null };
        for (var i = 0; i < CircuitBreaker.FailureThreshold; i++)
        {
            await Assert.ThrowsAsync<ModelUnavailableException>(() => router.InvokeAsync(route, "img", "detect-ct", Body, Decode, CancellationToken.None));
        }

        endpoint.Calls.Clear();
        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => router.InvokeAsync(route, "img", "detect-ct", Body, Decode, CancellationToken.None));

        Assert.Empty(endpoint.Calls);
        Assert.Contains("circuit open", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WhenCallerCancels_ShouldPropagateAndNotCountAgainstTheEndpoint()
    {
        var clock = new FakeTimeProvider(TestClock.Start);
        var breaker = new CircuitBreaker(clock);
        var endpoint = new FakeEndpoint(_ => new TaskCompletionSource<EndpointResponse>().Task);
        var router = new ModelRouter(endpoint, breaker, clock);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        for (var i = 0; i < CircuitBreaker.FailureThreshold + 1; i++)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => router.InvokeAsync(Route, "img", "detect-ct", Body, Decode, cts.Token));
        }

        Assert.Equal(CircuitState.Closed, breaker.StateOf("ct-detector/v2"));
    }

    // Feature: medvision-ai-platform, Property 48: A/B testing traffic split — with split ratio R, about R of the
    // traffic goes to version A (the primary) and 1 − R to version B (the candidate).
    [Property(MaxTest = 60)]
    public Property Choose_Property48_WhenSplitRatioIsR_ShouldSendAboutRToThePrimary()
    {
        const int Requests = 4000;
        var gen =
            from share in Gen.Choose(0, 100).Select(p => p / 100.0)
            from seed in Gen.Choose(0, int.MaxValue)
            select (share, seed);
        return Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var route = Route with { AbTest = new AbTest(new ModelTarget("ct-detector", "candidate"), c.share) };
            var random = new Random(c.seed);
            var toPrimary = 0;
            for (var i = 0; i < Requests; i++)
            {
                var id = new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16)).ToString();
                var chosen = ModelRouter.Choose(route, id);
                Assert.Equal(chosen, ModelRouter.Choose(route, id)); // sticky: an image's retries stay on its side
                toPrimary += chosen == route.Primary ? 1 : 0;
            }

            // Binomial: 4.5 standard deviations (plus one request) is a bound a correct split essentially never breaks.
            var tolerance = (4.5 * Math.Sqrt(c.share * (1 - c.share) / Requests)) + (1.0 / Requests);
            Assert.InRange((double)toPrimary / Requests, c.share - tolerance, c.share + tolerance);
        });
    }

    [Fact]
    public void Candidates_WhenCandidateChosen_ShouldFallBackToThePrimaryThenTheFallback()
    {
        var route = Route with { AbTest = new AbTest(new ModelTarget("ct-detector", "v3"), 0) };

        Assert.Equal(
            [new ModelTarget("ct-detector", "v3"), new ModelTarget("ct-detector", "v2"), new ModelTarget("ct-detector", "v1")],
            ModelRouter.Candidates(route, "any"));
        Assert.Equal([new ModelTarget("ct-detector", "v2"), new ModelTarget("ct-detector", "v1")], ModelRouter.Candidates(route with { AbTest = route.AbTest! with { PrimaryShare = 1 } }, "any"));
    }

    [Fact]
    public void AbBucket_WhenComputed_ShouldBeStableAcrossRunsAndInUnitInterval()
    {
        // Pinned values (computed independently in Python): a deploy must not move images across a split.
        Assert.Equal(0.2911579129684859, ModelRouter.AbBucket("img-1"));
        Assert.Equal(0.9193587797332937, ModelRouter.AbBucket("01900000-0000-7000-8000-000000000000"));
        foreach (var id in new[] { string.Empty, "a", "img-1", new string('x', 1000) })
        {
            Assert.InRange(ModelRouter.AbBucket(id), 0, 1 - double.Epsilon);
        }

        Assert.NotEqual(ModelRouter.AbBucket("img-1"), ModelRouter.AbBucket("img-2"));
    }
}
