using MedVision.Core.Inference;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests.Inference;

public class CircuitBreakerTests
{
    private readonly FakeTimeProvider clock = new(TestClock.Start);

    private CircuitBreaker Opened(string key)
    {
        var breaker = new CircuitBreaker(clock);
        for (var i = 0; i < CircuitBreaker.FailureThreshold; i++)
        {
            Assert.True(breaker.TryAcquire(key));
            breaker.OnFailure(key);
        }

        return breaker;
    }

    [Fact]
    public void OnFailure_WhenFourConsecutiveFailures_ShouldStayClosed()
    {
        var breaker = new CircuitBreaker(clock);
        for (var i = 0; i < CircuitBreaker.FailureThreshold - 1; i++)
        {
            breaker.OnFailure("ep");
        }

        Assert.Equal(CircuitState.Closed, breaker.StateOf("ep"));
        Assert.True(breaker.TryAcquire("ep"));
    }

    [Fact]
    public void OnFailure_WhenFifthConsecutiveFailure_ShouldOpenAndRefuseCalls()
    {
        var breaker = Opened("ep");

        Assert.Equal(CircuitState.Open, breaker.StateOf("ep"));
        Assert.False(breaker.TryAcquire("ep"));
        Assert.True(breaker.TryAcquire("other"), "breakers are per endpoint variant");
    }

    [Fact]
    public void OnSuccess_WhenBetweenFailures_ShouldResetTheCount()
    {
        var breaker = new CircuitBreaker(clock);
        for (var i = 0; i < 4; i++)
        {
            breaker.OnFailure("ep");
        }

        breaker.OnSuccess("ep");
        for (var i = 0; i < 4; i++)
        {
            breaker.OnFailure("ep");
        }

        Assert.Equal(CircuitState.Closed, breaker.StateOf("ep"));
    }

    [Fact]
    public void TryAcquire_WhenOpenFor59999Milliseconds_ShouldStillRefuse()
    {
        var breaker = Opened("ep");
        clock.Advance(CircuitBreaker.OpenDuration - TimeSpan.FromMilliseconds(1));

        Assert.False(breaker.TryAcquire("ep"));
    }

    [Fact]
    public void TryAcquire_WhenOpenFor60Seconds_ShouldLetExactlyOneTrialThrough()
    {
        var breaker = Opened("ep");
        clock.Advance(CircuitBreaker.OpenDuration);

        Assert.Equal(CircuitState.HalfOpen, breaker.StateOf("ep"));
        Assert.True(breaker.TryAcquire("ep"));
        Assert.False(breaker.TryAcquire("ep"));
    }

    [Fact]
    public void OnSuccess_WhenTrialSucceeds_ShouldClose()
    {
        var breaker = Opened("ep");
        var changes = new List<CircuitState>();
        breaker.StateChanged += (_, s) => changes.Add(s);
        clock.Advance(CircuitBreaker.OpenDuration);

        Assert.True(breaker.TryAcquire("ep"));
        breaker.OnSuccess("ep");

        Assert.Equal(CircuitState.Closed, breaker.StateOf("ep"));
        Assert.True(breaker.TryAcquire("ep"));
        Assert.Equal([CircuitState.HalfOpen, CircuitState.Closed], changes);
    }

    [Fact]
    public void OnFailure_WhenTrialFails_ShouldReopenForAnotherFullPeriod()
    {
        var breaker = Opened("ep");
        clock.Advance(CircuitBreaker.OpenDuration);
        Assert.True(breaker.TryAcquire("ep"));

        breaker.OnFailure("ep");
        clock.Advance(CircuitBreaker.OpenDuration - TimeSpan.FromSeconds(1));

        Assert.Equal(CircuitState.Open, breaker.StateOf("ep"));
        Assert.False(breaker.TryAcquire("ep"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(breaker.TryAcquire("ep"));
    }

    [Fact]
    public void Abandon_WhenTrialIsAbandoned_ShouldKeepFailureCountsAndFreeTheTrialSlot()
    {
        var breaker = new CircuitBreaker(clock);
        for (var i = 0; i < 4; i++)
        {
            breaker.OnFailure("ep");
        }

        breaker.Abandon("ep");
        breaker.OnFailure("ep");
        Assert.Equal(CircuitState.Open, breaker.StateOf("ep")); // the abandoned call did not reset the count

        clock.Advance(CircuitBreaker.OpenDuration);
        Assert.True(breaker.TryAcquire("ep"));
        breaker.Abandon("ep");
        Assert.Equal(CircuitState.HalfOpen, breaker.StateOf("ep"));
        Assert.True(breaker.TryAcquire("ep"));
    }
}
