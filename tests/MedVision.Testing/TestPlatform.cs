using MedVision.Core.Observability;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Testing;

/// <summary>
/// The one way tests build the platform: every port an in-memory fake unless a test sets its own, then the services
/// from it exactly as a composition root does. A test keeps its own reference to a fake it wants to inspect.
/// </summary>
public sealed class TestPlatform
{
    public TimeProvider Time { get; init; } = new FakeTimeProvider(TestClock.Start);

    public IIdGenerator Ids { get; init; } = new SequentialIds();

    public IObjectStore Objects { get; init; } = new InMemoryObjectStore();

    /// <summary>Uploads into <see cref="Objects"/> when it is an in-memory store (else into a store of their own) unless set.</summary>
    public IUploadSessions? Uploads { get; init; }

    public IImageArchive Archive { get; init; } = new InMemoryArchive();

    public IFhirStore Fhir { get; init; } = new InMemoryFhirStore();

    public IRecordStore Records { get; init; } = new InMemoryRecordStore();

    public IEventPublisher Events { get; init; } = new RecordingEvents();

    /// <summary>Answers every call with the scripted model answers of <see cref="ModelAnswers"/> unless set.</summary>
    public IInferenceEndpoint Inference { get; init; } = new ScriptedEndpoint(ModelAnswers.Default);

    /// <summary>Records starts and task answers; a test that runs the state machine builds with a real workflow instead.</summary>
    public IWorkflow Workflow { get; init; } = new RecordingWorkflow();

    public IReportSigner? ReportSigner { get; init; }

    public IMetrics Metrics { get; init; } = NullMetrics.Instance;

    public Microsoft.Extensions.Logging.ILoggerFactory Logs { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    public PipelineOptions Options { get; init; } = new();

    public Platform Platform(IWorkflow? workflow = null) => new()
    {
        Objects = Objects,
        Uploads = Uploads ?? new InMemoryUploadSessions(Objects as InMemoryObjectStore ?? new InMemoryObjectStore()),
        Archive = Archive,
        Fhir = Fhir,
        Records = Records,
        Inference = Inference,
        Workflow = workflow ?? Workflow,
        Events = Events,
        ReportSigner = ReportSigner,
        Metrics = Metrics,
        Logs = Logs,
        Time = Time,
        Ids = Ids,
        Options = Options,
    };

    public PipelineServices Build() => new(Platform());

    /// <summary>
    /// With a workflow that runs the services' own handlers (the local ASL interpreter): <paramref name="workflow"/>
    /// gets the services lazily, because they need the workflow to exist first.
    /// </summary>
    public PipelineServices Build(Func<Func<PipelineServices>, IWorkflow> workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        PipelineServices? services = null;
        services = new PipelineServices(Platform(workflow(() => services ?? throw new InvalidOperationException("The services are not built yet."))));
        return services;
    }
}
