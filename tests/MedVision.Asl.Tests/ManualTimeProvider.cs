namespace MedVision.Asl.Tests;

/// <summary>Fake clock. In auto-advance mode a timer due within <see cref="AutoAdvanceLimit"/> fires at once (on the
/// thread pool) after moving the clock by its due time, so retry/wait tests run instantly yet see exact delays; longer
/// timers (e.g. an execution TimeoutSeconds) stay pending until the clock passes them. In manual mode every timer
/// waits for <see cref="Advance"/>.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    public static readonly DateTimeOffset DefaultStart = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _pending = [];
    private readonly List<TimeSpan> _requested = [];
    private DateTimeOffset _now;

    public ManualTimeProvider(bool autoAdvance = true)
        : this(DefaultStart, autoAdvance)
    {
    }

    public ManualTimeProvider(DateTimeOffset start, bool autoAdvance)
    {
        _now = start;
        AutoAdvance = autoAdvance;
    }

    public bool AutoAdvance { get; }

    public TimeSpan AutoAdvanceLimit { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Every finite due time any timer was (re)armed with, in order.</summary>
    public IReadOnlyList<TimeSpan> RequestedDelays
    {
        get
        {
            lock (_gate)
            {
                return [.. _requested];
            }
        }
    }

    public int PendingTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_gate)
        {
            target = _now + by;
        }

        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _pending.Where(t => t.DueAt <= target).OrderBy(t => t.DueAt).FirstOrDefault();
                if (next is null)
                {
                    _now = target;
                    return;
                }

                _pending.Remove(next);
                if (next.DueAt > _now)
                {
                    _now = next.DueAt;
                }
            }

            next.Fire();
        }
    }

    public async Task WaitForPendingTimersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (PendingTimerCount < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} pending timers, have {PendingTimerCount}");
            }

            await Task.Delay(5);
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _pending.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            _requested.Add(dueTime);
            timer.DueAt = _now + dueTime;
            if (!AutoAdvance || dueTime > AutoAdvanceLimit)
            {
                _pending.Add(timer);
                return;
            }

            // Jumping ahead also passes any longer timers that are due by then; fire those first, in order.
            _now = timer.DueAt;
            due = [.. _pending.Where(t => t.DueAt <= _now).OrderBy(t => t.DueAt), timer];
            _pending.RemoveAll(due.Contains);
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            _ =>
            {
                foreach (var t in due)
                {
                    t.Fire();
                }
            },
            null);
    }

    private void Cancel(ManualTimer timer)
    {
        lock (_gate)
        {
            _pending.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private volatile bool _disposed;

        public DateTimeOffset DueAt { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
            {
                return false;
            }

            owner.Schedule(this, dueTime);
            return true;
        }

        public void Fire()
        {
            if (!_disposed)
            {
                callback(state);
            }
        }

        public void Dispose()
        {
            _disposed = true;
            owner.Cancel(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
