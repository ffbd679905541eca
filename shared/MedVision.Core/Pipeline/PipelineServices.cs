using MedVision.Core.Inference;
using MedVision.Core.Ports;
using MedVision.Core.Reports;
using Microsoft.Extensions.Logging;

namespace MedVision.Core.Pipeline;

/// <summary>
/// The state machine's stages and the services the API and the CLI call, built from one <see cref="Platform"/>.
/// Composition roots build this once; handlers and commands take what they need from it.
/// </summary>
public sealed class PipelineServices
{
    public PipelineServices(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        Platform = platform;
        var audit = new AuditTrail(platform.Records, platform.Time, platform.Ids);
        var tracker = new StageTracker(platform.Records, platform.Events, platform.Time, audit, platform.Logs.CreateLogger("MedVision.Pipeline"));
        var loader = new ImageLoader(platform.Objects, platform.Archive);

        // One breaker per process, shared by every stage, so failures seen by classify count for analyze too.
        Breaker = new CircuitBreaker(platform.Time);
        Models = new ModelClient(
            new ModelRouter(platform.Inference, Breaker, platform.Time, platform.Metrics), platform.Options.Routes, platform.Objects, platform.Metrics);
        Classify = new ClassifyStage(loader, Models, tracker);
        Analyze = new AnalyzeStage(platform.Objects, loader, Models, tracker, platform.Ids);
        Heatmap = new HeatmapStage(platform.Objects, loader, tracker);
        Report = new ReportStage(platform.Objects, loader, platform.Fhir, tracker, platform.Ids, platform.ReportSigner);
        Finish = new FinishStages(tracker);
        Uploads = new UploadService(platform.Objects, platform.Archive, loader, tracker, platform.Workflow, platform.Ids);
        Reviews = new ManualReviewService(tracker, platform.Workflow);
        ReportReviews = new ReportReviewService(platform.Fhir, platform.Records, platform.Objects, platform.Time, audit);
        Queries = new ImageQueries(platform.Records, platform.Objects, audit);
    }

    public Platform Platform { get; }

    public CircuitBreaker Breaker { get; }

    public ModelClient Models { get; }

    public ClassifyStage Classify { get; }

    public AnalyzeStage Analyze { get; }

    public HeatmapStage Heatmap { get; }

    public ReportStage Report { get; }

    public FinishStages Finish { get; }

    public UploadService Uploads { get; }

    public ManualReviewService Reviews { get; }

    public ReportReviewService ReportReviews { get; }

    public ImageQueries Queries { get; }
}
