using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>The state machine's stages built over one set of ports. Composition roots build this once.</summary>
public sealed class PipelineStages
{
    public PipelineStages(
        IObjectStore objects, IImageArchive archive, IFhirStore fhir, IRecordStore records, IInferenceEndpoint inference,
        IEventPublisher events, TimeProvider time, IIdGenerator ids, PipelineOptions options)
    {
        var tracker = new StageTracker(records, events, time);
        var loader = new ImageLoader(objects, archive);
        Classify = new ClassifyStage(loader, inference, options, tracker);
        Analyze = new AnalyzeStage(objects, loader, inference, options, tracker, ids);
        Heatmap = new HeatmapStage(objects, loader, tracker);
        Report = new ReportStage(objects, fhir, options, tracker, ids);
        Finish = new FinishStages(records, events, tracker, ids);
    }

    public ClassifyStage Classify { get; }

    public AnalyzeStage Analyze { get; }

    public HeatmapStage Heatmap { get; }

    public ReportStage Report { get; }

    public FinishStages Finish { get; }
}
