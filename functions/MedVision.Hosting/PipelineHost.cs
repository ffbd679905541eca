using System.Reflection;
using MedVision.Asl;
using MedVision.Aws;
using MedVision.Core.Inference;
using MedVision.Core.Observability;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Functions;
using MedVision.Local.Events;
using MedVision.Local.Twins;
using MedVision.Local.Workflow;
using MedVision.Models;
using Microsoft.Extensions.Logging;

namespace MedVision.Hosting;

/// <summary>
/// The composition root of the `medvision` commands: the real state machine file run in this process by the ASL
/// interpreter (Step Functions cannot run the pipeline's Lambda tasks offline), the handlers it calls, and the ports
/// those use — the embedded twins (<see cref="Create"/>), or every storage, inference and event port on its AWS adapter
/// (<see cref="CreateAws"/>). It builds the <see cref="Core.Ports.Platform"/> once per command; everything else comes
/// from <see cref="Services"/>.
/// </summary>
public sealed class PipelineHost : IDisposable
{
    public const string StateMachineResource = "analysis-pipeline.asl.json";

    private readonly StreamWriter metricsFile;
    private readonly List<IDisposable> owned = [];

    /// <param name="ports">Builds the platform around the workflow, event bus and metrics made here; adds what it opens to the list.</param>
    private PipelineHost(
        string stateDirectory, TimeProvider time, Func<double> random,
        Func<LocalWorkflow, InProcessEventBus, IMetrics, List<IDisposable>, Platform> ports, ILoggerFactory? logs)
    {
        Directory.CreateDirectory(stateDirectory);
        StateDirectory = stateDirectory;
        Events = new InProcessEventBus();
        metricsFile = new StreamWriter(Path.Combine(stateDirectory, "metrics.jsonl"), append: true);
        Workflow = CreateWorkflow(() => Handlers!, time, Path.Combine(stateDirectory, "workflow.db"), random);
        var platform = ports(Workflow, Events, new EmfMetricsWriter(metricsFile, time), owned);
        Services = new PipelineServices(logs is null ? platform : platform with { Logs = logs });
        Handlers = HandlerCatalog.Create(Services);
    }

    private static Platform LocalPorts(
        string stateDirectory, TimeProvider time, IIdGenerator ids, Uri? modelEndpoint, ModelRoutingOptions routes,
        LocalWorkflow workflow, InProcessEventBus events, IMetrics metrics, List<IDisposable> owned)
    {
        var objects = new DiskObjectStore(Path.Combine(stateDirectory, "objects"));
        var records = new SqliteRecordStore(Path.Combine(stateDirectory, "records.db"));
        owned.Add(records);
        var fhir = new SqliteFhirStore(Path.Combine(stateDirectory, "fhir.db"), time);
        owned.Add(fhir);

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
            var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            owned.Add(http);
            inference = new HttpInferenceEndpoint(http, modelEndpoint);
        }

        return new Platform
        {
            Objects = objects,
            Uploads = new DiskUploadSessions(objects),
            Archive = new DiskImageArchive(Path.Combine(stateDirectory, "healthimaging"), time),
            Fhir = fhir,
            Records = records,
            Inference = inference,
            Workflow = workflow,
            Events = events,
            ReportSigner = LocalReportKey.OpenOrCreate(stateDirectory),
            Metrics = metrics,
            Time = time,
            Ids = ids,
            Options = new PipelineOptions { Routes = routes },
        };
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

    /// <summary>Every port on its embedded twin, kept in <paramref name="stateDirectory"/>.</summary>
    public static PipelineHost Create(
        string stateDirectory, TimeProvider? time = null, IIdGenerator? ids = null, Func<double>? random = null,
        Uri? modelEndpoint = null, ModelRoutingOptions? routes = null, ILoggerFactory? logs = null)
    {
        var t = time ?? TimeProvider.System;
        var i = ids ?? new UuidV7IdGenerator(t);
        var r = routes ?? ModelRoutingOptions.FromEnvironment(Environment.GetEnvironmentVariable(ModelRoutingOptions.EnvironmentVariable));
        return new PipelineHost(
            stateDirectory, t, random ?? Random.Shared.NextDouble,
            (workflow, events, metrics, owned) => LocalPorts(stateDirectory, t, i, modelEndpoint, r, workflow, events, metrics, owned), logs);
    }

    /// <summary>
    /// Every storage, inference and event port on its AWS adapter, configured by <paramref name="settings"/> (AWS or the
    /// local stand-ins of scripts/aws-local.sh); the state machine still runs here, its executions kept in
    /// <paramref name="stateDirectory"/>. Events go to EventBridge and to the in-process bus (progress lines).
    /// </summary>
    public static PipelineHost CreateAws(
        AwsSettings settings, string stateDirectory, TimeProvider? time = null, IIdGenerator? ids = null, Func<double>? random = null,
        ModelRoutingOptions? routes = null, ILoggerFactory? logs = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var t = time ?? TimeProvider.System;
        return new PipelineHost(
            stateDirectory, t, random ?? Random.Shared.NextDouble,
            (workflow, events, metrics, owned) =>
            {
                var aws = AwsPlatform.Create(settings, new AwsPlatformOptions
                {
                    Time = t,
                    Ids = ids,
                    Metrics = metrics,
                    Workflow = workflow,
                    Events = bridge => new TeeEvents(bridge, events),
                    Routes = routes,
                });
                owned.Add(aws);
                return aws.Platform;
            },
            logs);
    }

    /// <summary>Puts each event on EventBridge first (a failure there is the pipeline's), then shows it in process.</summary>
    private sealed class TeeEvents(IEventPublisher first, IEventPublisher second) : IEventPublisher
    {
        public async Task PublishAsync(PipelineEvent pipelineEvent, CancellationToken cancellationToken = default)
        {
            await first.PublishAsync(pipelineEvent, cancellationToken);
            await second.PublishAsync(pipelineEvent, cancellationToken);
        }
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
        foreach (var d in owned)
        {
            d.Dispose();
        }

        metricsFile.Dispose();
    }
}
