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

    /// <summary>The state machine task handlers only (no workflow needed to build them).</summary>
    public static HandlerCatalog ForStateMachine(PipelineStages stages) => new(StageHandlers.Create(stages));

    /// <summary>All handlers: state machine tasks and the API.</summary>
    public static HandlerCatalog ForAll(PipelineStages stages, UploadService uploads, ImageQueries queries) =>
        new(StageHandlers.Create(stages).Concat<IJsonHandler>(
        [
            new UploadHandler(uploads),
            new GetImageHandler(queries),
            new GetAnalysisHandler(queries),
            new HistoryHandler(queries),
        ]));
}
