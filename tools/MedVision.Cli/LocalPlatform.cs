using System.Reflection;
using MedVision.Asl;
using MedVision.Core.Inference;
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

    private LocalPlatform(string stateDirectory, TimeProvider time, IIdGenerator ids, Func<double>? random)
    {
        Directory.CreateDirectory(stateDirectory);
        StateDirectory = stateDirectory;
        Time = time;
        Objects = new DiskObjectStore(Path.Combine(stateDirectory, "objects"));
        Archive = new DiskImageArchive(Path.Combine(stateDirectory, "healthimaging"), time);
        Records = new SqliteRecordStore(Path.Combine(stateDirectory, "records.db"));
        Fhir = new SqliteFhirStore(Path.Combine(stateDirectory, "fhir.db"), time);
        Events = new InProcessEventBus();
        var options = new PipelineOptions();
        Models = new InProcessModelHost(options.Endpoints, new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector());

        Stages = new PipelineStages(Objects, Archive, Fhir, Records, Models, Events, time, ids, options);
        var taskHandlers = HandlerCatalog.ForStateMachine(Stages);
        Definition = LoadDefinition();
        Workflow = new LocalWorkflow(Definition, new LambdaArnInvoker(taskHandlers), time, Path.Combine(stateDirectory, "workflow.db"), random);
        Uploads = new UploadService(Objects, Archive, Records, Workflow, Events, time, ids);
        Reviews = new ManualReviewService(Records, Workflow, Events, time, ids);
        Queries = new ImageQueries(Records, Objects, time, ids);
        Handlers = HandlerCatalog.ForAll(Stages, Uploads, Queries);
    }

    public string StateDirectory { get; }

    public TimeProvider Time { get; }

    public DiskObjectStore Objects { get; }

    public DiskImageArchive Archive { get; }

    public SqliteRecordStore Records { get; }

    public SqliteFhirStore Fhir { get; }

    public InProcessEventBus Events { get; }

    public InProcessModelHost Models { get; }

    public PipelineStages Stages { get; }

    public StateMachineDefinition Definition { get; }

    public LocalWorkflow Workflow { get; }

    public UploadService Uploads { get; }

    public ManualReviewService Reviews { get; }

    public ImageQueries Queries { get; }

    public HandlerCatalog Handlers { get; }

    public static LocalPlatform Create(string stateDirectory, TimeProvider? time = null, IIdGenerator? ids = null, Func<double>? random = null)
    {
        var t = time ?? TimeProvider.System;
        return new LocalPlatform(stateDirectory, t, ids ?? new UuidV7IdGenerator(t), random ?? Random.Shared.NextDouble);
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
    }
}
