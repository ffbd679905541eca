using MedVision.Core.Inference;
using MedVision.Core.Observability;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>The state machine's stages built over one set of ports. Composition roots build this once.</summary>
public sealed class PipelineStages
{
    public PipelineStages(
        IObjectStore objects, IImageArchive archive, IFhirStore fhir, IRecordStore records, IInferenceEndpoint inference,
        IEventPublisher events, TimeProvider time, IIdGenerator ids, PipelineOptions options, IMetrics? metrics = null,
        IReportSigner? reportSigner = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tracker = new StageTracker(records, events, time);
        var loader = new ImageLoader(objects, archive);

        // One breaker per process, shared by every stage, so failures seen by classify count for analyze too.
        Breaker = new CircuitBreaker(time);
        Models = new ModelClient(new ModelRouter(inference, Breaker, time, metrics), options.Routes, objects, metrics);
        Classify = new ClassifyStage(loader, Models, tracker);
        Analyze = new AnalyzeStage(objects, loader, Models, tracker, ids);
        Heatmap = new HeatmapStage(objects, loader, tracker);
        Report = new ReportStage(objects, fhir, tracker, ids, reportSigner);
        Finish = new FinishStages(records, events, tracker, ids);
    }

    public CircuitBreaker Breaker { get; }

    public ModelClient Models { get; }

    public ClassifyStage Classify { get; }

    public AnalyzeStage Analyze { get; }

    public HeatmapStage Heatmap { get; }

    public ReportStage Report { get; }

    public FinishStages Finish { get; }
}
