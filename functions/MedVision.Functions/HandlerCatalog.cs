using MedVision.Core.Pipeline;
using MedVision.Functions.Api;
using MedVision.Functions.Pipeline;

namespace MedVision.Functions;

/// <summary>Every handler the Lambda bootstrap hosts, by handler name.</summary>
public sealed class HandlerCatalog
{
    private readonly Dictionary<string, IJsonHandler> handlers;

    public HandlerCatalog(IEnumerable<IJsonHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        this.handlers = handlers.ToDictionary(h => h.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Names => handlers.Keys;

    public IJsonHandler Get(string name) =>
        handlers.TryGetValue(name, out var h)
            ? h
            : throw new KeyNotFoundException($"No handler named '{name}'. Known handlers: {string.Join(", ", handlers.Keys.Order(StringComparer.Ordinal))}.");

    /// <summary>Every handler over one set of services: the state machine's tasks and the API.</summary>
    public static HandlerCatalog Create(PipelineServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return new(StageHandlers.Create(services).Concat<IJsonHandler>(
        [
            new UploadHandler(services.Uploads),
            new GetImageHandler(services.Queries),
            new GetAnalysisHandler(services.Queries),
            new HistoryHandler(services.Queries),
        ]));
    }
}
