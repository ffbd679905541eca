namespace MedVision.Core.Inference;

public enum CircuitState
{
    Closed,
    Open,
    HalfOpen,
}

/// <summary>
/// Spec error handling: one breaker per endpoint variant, open after 5 consecutive failures, half-open after 60 s
/// (one trial call; success closes, failure reopens for another 60 s). State lives in the process: a Lambda
/// container keeps it between invocations, which is what stops a dead endpoint from being hammered.
/// </summary>
public sealed class CircuitBreaker(TimeProvider time)
{
    public const int FailureThreshold = 5;

    public static readonly TimeSpan OpenDuration = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Raised (outside the lock) when a breaker changes state: key, new state.</summary>
    public event Action<string, CircuitState>? StateChanged;

    public CircuitState StateOf(string key)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(key, out var e) ? Current(e) : CircuitState.Closed;
        }
    }

    /// <summary>
    /// Whether a call may go out now. In the half-open state exactly one caller gets through until it reports back.
    /// </summary>
    public bool TryAcquire(string key)
    {
        CircuitState? changed = null;
        lock (_gate)
        {
            var e = Get(key);
            switch (Current(e))
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open:
                    return false;
                default:
                    if (e.TrialInFlight)
                    {
                        return false;
                    }

                    e.TrialInFlight = true;
                    changed = CircuitState.HalfOpen;
                    break;
            }
        }

        StateChanged?.Invoke(key, changed.Value);
        return true;
    }

    public void OnSuccess(string key)
    {
        bool wasOpen;
        lock (_gate)
        {
            var e = Get(key);
            wasOpen = e.OpenedAt is not null;
            e.ConsecutiveFailures = 0;
            e.OpenedAt = null;
            e.TrialInFlight = false;
        }

        if (wasOpen)
        {
            StateChanged?.Invoke(key, CircuitState.Closed);
        }
    }

    /// <summary>
    /// The call ended without a verdict on the endpoint (the caller gave up): counts stay as they were, and a
    /// half-open trial slot is handed back for the next caller.
    /// </summary>
    public void Abandon(string key)
    {
        lock (_gate)
        {
            Get(key).TrialInFlight = false;
        }
    }

    public void OnFailure(string key)
    {
        var opened = false;
        lock (_gate)
        {
            var e = Get(key);
            e.ConsecutiveFailures++;
            if (e.TrialInFlight || (e.OpenedAt is null && e.ConsecutiveFailures >= FailureThreshold))
            {
                // A failed trial reopens for a full period; the threshold opens a closed breaker.
                e.OpenedAt = time.GetUtcNow();
                e.TrialInFlight = false;
                opened = true;
            }
        }

        if (opened)
        {
            StateChanged?.Invoke(key, CircuitState.Open);
        }
    }

    private Entry Get(string key)
    {
        if (!_entries.TryGetValue(key, out var e))
        {
            e = new Entry();
            _entries[key] = e;
        }

        return e;
    }

    private CircuitState Current(Entry e) =>
        e.OpenedAt is not { } opened ? CircuitState.Closed
        : time.GetUtcNow() - opened >= OpenDuration ? CircuitState.HalfOpen
        : CircuitState.Open;

    private sealed class Entry
    {
        public int ConsecutiveFailures { get; set; }

        public DateTimeOffset? OpenedAt { get; set; }

        public bool TrialInFlight { get; set; }
    }
}
