using System.Collections.Immutable;
using MedVision.Core.Ports;

namespace MedVision.Local.Events;

/// <summary>The EventBridge twin: delivers pipeline events to in-process subscribers, in publish order per publisher.</summary>
public sealed class InProcessEventBus : IEventPublisher
{
    private ImmutableArray<Action<PipelineEvent>> subscribers = [];

    public IDisposable Subscribe(Action<PipelineEvent> subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ImmutableInterlocked.Update(ref subscribers, s => s.Add(subscriber));
        return new Subscription(() => ImmutableInterlocked.Update(ref subscribers, s => s.Remove(subscriber)));
    }

    public Task PublishAsync(PipelineEvent pipelineEvent, CancellationToken cancellationToken = default)
    {
        foreach (var s in subscribers)
        {
            s(pipelineEvent);
        }

        return Task.CompletedTask;
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                dispose();
            }
        }
    }
}
