using System.Reflection;
using MedVision.Asl;
using MedVision.Core.Inference;
using MedVision.Core.Observability;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Functions;
using MedVision.Local.Events;
using MedVision.Local.Twins;
using MedVision.Local.Workflow;
using MedVision.Models;

namespace MedVision.Cli;

/// <summary>
/// The composition root of the local run: embedded twins for every AWS service, the reference models in process (or
/// a model server over HTTP), and the ASL interpreter running the real state machine file. It builds the
/// <see cref="Core.Ports.Platform"/> once per command; everything else comes from <see cref="Services"/>.
/// </summary>
public sealed class LocalPlatform : IDisposable
{
    public const string StateMachineResource = "analysis-pipeline.asl.json";

    private readonly StreamWriter metricsFile;
    private readonly HttpClient? http;
    private readonly SqliteRecordStore records;
    private readonly SqliteFhirStore fhir;

    private LocalPlatform(string stateDirectory, TimeProvider time, IIdGenerator ids, Func<double> random, Uri? modelEndpoint, ModelRoutingOptions routes)
    {
        Directory.CreateDirectory(stateDirectory);
        StateDirectory = stateDirectory;
        var objects = new DiskObjectStore(Path.Combine(stateDirectory, "objects"));
        records = new SqliteRecordStore(Path.Combine(stateDirectory, "records.db"));
        fhir = new SqliteFhirStore(Path.Combine(stateDirectory, "fhir.db"), time);
        Events = new InProcessEventBus();
        metricsFile = new StreamWriter(Path.Combine(stateDirectory, "metrics.jsonl"), append: true);

        IInferenceEndpoint inference;
        if (modelEndpoint is null)
        {
            // Model inputs over the payload limit travel as s3:// URIs into this same object store.
            inference = new InProcessModelHost(
                routes, new ReferenceModelHost(new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector(), objects.ReadS3UriAsync));
        }
        else
        {
            // The router holds each call to the 30 s budget, so the client itself never times out.
            http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            inference = new HttpInferenceEndpoint(http, modelEndpoint);
        }

        Workflow = CreateWorkflow(() => Handlers!, time, Path.Combine(stateDirectory, "workflow.db"), random);
        Services = new PipelineServices(new Platform
        {
            Objects = objects,
            Uploads = new DiskUploadSessions(objects),
            Archive = new DiskImageArchive(Path.Combine(stateDirectory, "healthimaging"), time),
            Fhir = fhir,
            Records = records,
            Inference = inference,
            Workflow = Workflow,
            Events = Events,
            ReportSigner = LocalReportKey.OpenOrCreate(stateDirectory),
            Metrics = new EmfMetricsWriter(metricsFile, time),
            Time = time,
            Ids = ids,
            Options = new PipelineOptions { Routes = routes },
        });
        Handlers = HandlerCatalog.Create(Services);
    }

    public string StateDirectory { get; }

    /// <summary>The ports, as every service sees them.</summary>
    public Platform Platform => Services.Platform;

    public PipelineServices Services { get; }

    /// <summary>Every handler, as the Lambda bootstrap hosts them; the workflow's Tasks run these.</summary>
    public HandlerCatalog Handlers { get; }

    /// <summary>The in-process bus, for commands that print progress.</summary>
    public InProcessEventBus Events { get; }

    /// <summary>The ASL interpreter, for commands that wait on an execution.</summary>
    public LocalWorkflow Workflow { get; }

    public static LocalPlatform Create(
        string stateDirectory, TimeProvider? time = null, IIdGenerator? ids = null, Func<double>? random = null,
        Uri? modelEndpoint = null, ModelRoutingOptions? routes = null)
    {
        var t = time ?? TimeProvider.System;
        return new LocalPlatform(
            stateDirectory, t, ids ?? new UuidV7IdGenerator(t), random ?? Random.Shared.NextDouble, modelEndpoint,
            routes ?? ModelRoutingOptions.FromEnvironment(Environment.GetEnvironmentVariable(ModelRoutingOptions.EnvironmentVariable)));
    }

    /// <summary>
    /// The state machine file run in process, each Task resolved to the handler of the same name in
    /// <paramref name="handlers"/> (looked up on each call: the handlers' services need this workflow to exist first).
    /// </summary>
    public static LocalWorkflow CreateWorkflow(Func<HandlerCatalog> handlers, TimeProvider time, string databasePath, Func<double> random) =>
        new(LoadDefinition(), new LambdaArnInvoker(handlers), time, databasePath, random);

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
        records.Dispose();
        fhir.Dispose();
        http?.Dispose();
        metricsFile.Dispose();
    }
}
