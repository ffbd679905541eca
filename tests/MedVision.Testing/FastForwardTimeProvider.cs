using Microsoft.Extensions.Time.Testing;

namespace MedVision.Testing;

/// <summary>Where the tests' clocks start unless a test picks its own instant.</summary>
public static class TestClock
{
    public static readonly DateTimeOffset Start = new(2026, 11, 1, 9, 30, 0, TimeSpan.Zero);
}

/// <summary>
/// A <see cref="FakeTimeProvider"/> that fast-forwards through short waits. A timer armed with a due time within
/// <see cref="FastForwardLimit"/> moves the clock on to that time at once (from the thread pool, as a real timer
/// fires), so retries, back-off and Wait states take no real time yet see exact delays. Longer timers (task and
/// execution timeouts, the seven-day review wait) fire only when a test moves the clock with Advance or SetUtcNow;
/// with a limit of zero nothing moves by itself. Every finite due time a timer is created with is kept in
/// <see cref="Delays"/>, in order.
/// </summary>
public sealed class FastForwardTimeProvider(DateTimeOffset start, TimeSpan fastForwardLimit) : FakeTimeProvider(start)
{
    private readonly Lock delaysGate = new();
    private readonly Lock moving = new();
    private readonly List<TimeSpan> delays = [];

    public TimeSpan FastForwardLimit { get; } = fastForwardLimit;

    public IReadOnlyList<TimeSpan> Delays
    {
        get
        {
            lock (delaysGate)
            {
                return [.. delays];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (delaysGate)
            {
                delays.Add(dueTime);
            }

            if (dueTime > TimeSpan.Zero && dueTime <= FastForwardLimit)
            {
                // Read after the timer took its own reading, so the move reaches its due time even if the clock moved.
                var due = GetUtcNow() + dueTime;
                ThreadPool.UnsafeQueueUserWorkItem(_ => MoveTo(due), null);
            }
        }

        return timer;
    }

    /// <summary>Waits (in real time, at most 10 s) until at least <paramref name="count"/> timers have been created.</summary>
    public async Task WaitForTimersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Delays.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} timers, {Delays.Count} were created.");
            }

            await Task.Delay(5);
        }
    }

    private void MoveTo(DateTimeOffset due)
    {
        // One move at a time, and never back: another timer's move may already have passed this due time.
        lock (moving)
        {
            if (due > GetUtcNow())
            {
                SetUtcNow(due);
            }
        }
    }
}
