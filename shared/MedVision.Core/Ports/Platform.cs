using MedVision.Core.Observability;
using MedVision.Core.Pipeline;

namespace MedVision.Core.Ports;

/// <summary>
/// Every port a stage, service or handler needs, as one value. Each executable has one composition root that
/// builds it once — the local root from the embedded twins, the AWS root from the AWS adapters — so the two differ
/// only in adapters; <see cref="PipelineServices"/> builds everything else from it.
/// </summary>
public sealed record Platform
{
    public required IObjectStore Objects { get; init; }

    /// <summary>Multipart uploads into <see cref="Objects"/> (large files, resumable).</summary>
    public required IUploadSessions Uploads { get; init; }

    public required IImageArchive Archive { get; init; }

    public required IFhirStore Fhir { get; init; }

    public required IRecordStore Records { get; init; }

    public required IInferenceEndpoint Inference { get; init; }

    public required IWorkflow Workflow { get; init; }

    public required IEventPublisher Events { get; init; }

    /// <summary>Signs report.pdf + report.json; without one, reports go out unsigned.</summary>
    public IReportSigner? ReportSigner { get; init; }

    public IMetrics Metrics { get; init; } = NullMetrics.Instance;

    /// <summary>Structured logs (one JSON object per line in a Lambda); dropped when not given.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory Logs { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    public required TimeProvider Time { get; init; }

    public required IIdGenerator Ids { get; init; }

    public PipelineOptions Options { get; init; } = new();
}
