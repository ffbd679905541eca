using System.Collections.Concurrent;

namespace MedVision.Testing;

/// <summary>
/// A clock whose short timers (up to <see cref="InstantLimit"/>: retry back-off, waits) fire at once,
/// advancing the clock by their due time and recording it, so back-off can be asserted exactly without
/// real waiting. Longer timers are the guards (task and execution timeouts) and never fire.
/// </summary>
public sealed class InstantTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public InstantTimeProvider()
        : this(new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero))
    {
    }

    public static readonly TimeSpan InstantLimit = TimeSpan.FromSeconds(60);

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    /// <summary>Moves the clock on without firing anything (e.g. past a circuit breaker's open period).</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime <= InstantLimit)
        {
            Delays.Enqueue(dueTime);
            Interlocked.Add(ref ticks, dueTime.Ticks);
            ThreadPool.UnsafeQueueUserWorkItem(_ => callback(state), null);
        }

        return new NoopTimer();
    }

    private sealed class NoopTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
