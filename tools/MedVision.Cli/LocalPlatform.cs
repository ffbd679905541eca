using System.Reflection;
using MedVision.Asl;
using MedVision.Core.Inference;
using MedVision.Core.Observability;
using MedVision.Core.Ports;
using MedVision.Core.Pipeline;
using MedVision.Functions;
using MedVision.Local.Events;
using MedVision.Local.Twins;
using MedVision.Local.Workflow;
using MedVision.Models;

namespace MedVision.Cli;

/// <summary>
/// The composition root of the local run: embedded twins for every AWS service, the reference models
/// in-process, and the ASL interpreter running the real state machine file. Built once per command.
/// </summary>
public sealed class LocalPlatform : IDisposable
{
    public const string StateMachineResource = "analysis-pipeline.asl.json";

    private readonly StreamWriter metricsFile;

    private LocalPlatform(string stateDirectory, TimeProvider time, IIdGenerator ids, Func<double>? random, Uri? modelEndpoint, ModelRoutingOptions routes)
    {
        Directory.CreateDirectory(stateDirectory);
        StateDirectory = stateDirectory;
        Time = time;
        Objects = new DiskObjectStore(Path.Combine(stateDirectory, "objects"));
        Archive = new DiskImageArchive(Path.Combine(stateDirectory, "healthimaging"), time);
        Records = new SqliteRecordStore(Path.Combine(stateDirectory, "records.db"));
        Fhir = new SqliteFhirStore(Path.Combine(stateDirectory, "fhir.db"), time);
        Events = new InProcessEventBus();
        var options = new PipelineOptions { Routes = routes };

        // Model inputs over the payload limit travel as s3:// URIs into this same object store.
        var objects = Objects;
        Models = modelEndpoint is null
            ? new InProcessModelHost(routes, new ReferenceModelHost(new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector(), objects.ReadS3UriAsync))
            : new HttpInferenceEndpoint(Http, modelEndpoint);
        metricsFile = new StreamWriter(Path.Combine(stateDirectory, "metrics.jsonl"), append: true);
        Metrics = new EmfMetricsWriter(metricsFile, time);

        ReportSigner = LocalReportKey.OpenOrCreate(stateDirectory);
        Stages = new PipelineStages(Objects, Archive, Fhir, Records, Models, Events, time, ids, options, Metrics, ReportSigner);
        var taskHandlers = HandlerCatalog.ForStateMachine(Stages);
        Definition = LoadDefinition();
        Workflow = new LocalWorkflow(Definition, new LambdaArnInvoker(taskHandlers), time, Path.Combine(stateDirectory, "workflow.db"), random);
        Uploads = new UploadService(Objects, Archive, Records, Workflow, Events, time, ids);
        Reviews = new ManualReviewService(Records, Workflow, Events, time, ids);
        Queries = new ImageQueries(Records, Objects, time, ids);
        Handlers = HandlerCatalog.ForAll(Stages, Uploads, Queries);
    }

    public string StateDirectory { get; }

    /// <summary>Loopback client for --model-endpoint; the router holds each call to the 30 s budget.</summary>
    private HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    public TimeProvider Time { get; }

    public DiskObjectStore Objects { get; }

    public DiskImageArchive Archive { get; }

    public SqliteRecordStore Records { get; }

    public SqliteFhirStore Fhir { get; }

    public InProcessEventBus Events { get; }

    /// <summary>The reference analyzers in process, or the model server at --model-endpoint.</summary>
    public IInferenceEndpoint Models { get; }

    /// <summary>Embedded Metric Format lines (inference latency, confidences) in the state folder's metrics.jsonl.</summary>
    public EmfMetricsWriter Metrics { get; }

    public PipelineStages Stages { get; }

    /// <summary>Signs report.pdf + report.json with the P-256 key in the state folder's keys/.</summary>
    public Core.Reports.EcdsaReportSigner ReportSigner { get; }

    public StateMachineDefinition Definition { get; }

    public LocalWorkflow Workflow { get; }

    public UploadService Uploads { get; }

    public ManualReviewService Reviews { get; }

    public ImageQueries Queries { get; }

    public HandlerCatalog Handlers { get; }

    public static LocalPlatform Create(
        string stateDirectory, TimeProvider? time = null, IIdGenerator? ids = null, Func<double>? random = null,
        Uri? modelEndpoint = null, ModelRoutingOptions? routes = null)
    {
        var t = time ?? TimeProvider.System;
        return new LocalPlatform(
            stateDirectory, t, ids ?? new UuidV7IdGenerator(t), random ?? Random.Shared.NextDouble, modelEndpoint,
            routes ?? ModelRoutingOptions.FromEnvironment(Environment.GetEnvironmentVariable(ModelRoutingOptions.EnvironmentVariable)));
    }

    /// <summary>Loads the embedded ASL file with local Lambda ARNs substituted, as CDK's DefinitionSubstitutions would.</summary>
    public static StateMachineDefinition LoadDefinition()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(StateMachineResource)
            ?? throw new InvalidOperationException($"The embedded state machine {StateMachineResource} is missing from the build.");
        using var reader = new StreamReader(stream);
        var substitutions = HandlerNames.StateMachineFunctions.ToDictionary(kv => kv.Key, kv => LambdaArnInvoker.ArnFor(kv.Value));
        return StateMachineDefinition.Parse(reader.ReadToEnd(), substitutions);
    }

    public void Dispose()
    {
        Workflow.Dispose();
        Records.Dispose();
        Fhir.Dispose();
        Http.Dispose();
        metricsFile.Dispose();
    }
}
