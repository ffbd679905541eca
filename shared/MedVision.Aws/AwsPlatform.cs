using Amazon;
using Amazon.DynamoDBv2;
using Amazon.S3;
using MedVision.Core.Observability;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>What an executable adds to the AWS root: its clock, ids, metrics, and the workflow when it is not Step Functions.</summary>
public sealed record AwsPlatformOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>UUIDv7 ids from <see cref="Time"/> when null.</summary>
    public IIdGenerator? Ids { get; init; }

    public IMetrics Metrics { get; init; } = NullMetrics.Instance;

    public Microsoft.Extensions.Logging.ILoggerFactory Logs { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>
    /// The workflow port; Step Functions (MEDVISION_STATE_MACHINE_ARN) when null. The CLI passes its in-process ASL
    /// interpreter, because Step Functions cannot run the pipeline's Lambda tasks offline.
    /// </summary>
    public IWorkflow? Workflow { get; init; }

    /// <summary>Wraps the EventBridge publisher, e.g. to also show progress in process; unchanged when null.</summary>
    public Func<IEventPublisher, IEventPublisher>? Events { get; init; }

    /// <summary>Limits and rules of the pipeline; its model routes are replaced by <see cref="Routes"/> or MEDVISION_MODEL_ROUTES.</summary>
    public PipelineOptions Pipeline { get; init; } = new();

    /// <summary>Model routes given by the executable (e.g. `--model-routes FILE`); MEDVISION_MODEL_ROUTES, else the built-in ones, when null.</summary>
    public Core.Inference.ModelRoutingOptions? Routes { get; init; }
}

/// <summary>
/// The AWS composition root: builds every port of the <see cref="Core.Ports.Platform"/> from its AWS adapter once, from
/// <see cref="AwsSettings"/> (the environment CDK sets) — S3 and DynamoDB through the SDK, HealthImaging, HealthLake,
/// SageMaker Runtime, Step Functions, EventBridge and KMS through the signed hand-written clients — each pointed at AWS or
/// at its <c>AWS_ENDPOINT_URL[_SERVICE]</c> override. Nothing else news up an AWS adapter. Disposing it disposes the
/// clients it made.
/// </summary>
public sealed class AwsPlatform : IDisposable
{
    private readonly List<IDisposable> owned = [];
    private readonly HashSet<string> built = new(StringComparer.Ordinal);

    private AwsPlatform(AwsSettings settings, AwsPlatformOptions options)
    {
        var time = options.Time;
        // The SDK's default chain, shared by the hand-written clients (the SDK clients find it themselves).
        var chain = Own(new AwsCredentialChain());

        HttpClient Signed(AwsService service)
        {
            var client = AwsHttp.CreateClient(service.SigningName, settings.Region, chain.GetAsync, time);
            lock (owned)
            {
                owned.Add(client);
                built.Add(service.SigningName);
            }

            return client;
        }

        var s3 = Own(new AmazonS3Client(S3Config(settings)));
        var dynamo = Own(new AmazonDynamoDBClient(DynamoConfig(settings)));
        var objectOptions = new S3ObjectStoreOptions { Bucket = settings.Bucket, KmsKeyId = settings.KmsKeyId };
        // Built on first use: only the upload and review paths start executions or answer task tokens, and only
        // classify and analyze call a model, so the other functions never build these clients (cold start).
        var workflow = options.Workflow ?? new LazyWorkflow(() => new StepFunctionsWorkflow(
            Signed(AwsService.StepFunctions),
            new StepFunctionsOptions(settings.Region, settings.StateMachineArn
                ?? throw new Core.ValidationException("config.missing", $"The AWS platform needs {AwsSettings.StateMachineVariable} to start executions."))
            { Endpoint = settings.EndpointOf(AwsService.StepFunctions) }));
        IEventPublisher events = new EventBridgePublisher(
            Signed(AwsService.EventBridge),
            new EventBridgeOptions(settings.Region, settings.EventBus) { Endpoint = settings.EndpointOf(AwsService.EventBridge) });
        var routes = options.Routes ?? Core.Inference.ModelRoutingOptions.FromEnvironment(settings.ModelRoutes);

        Platform = new Platform
        {
            Objects = new S3ObjectStore(s3, objectOptions),
            Uploads = new S3UploadSessions(s3, objectOptions),
            Archive = new HealthImagingArchive(
                Signed(AwsService.HealthImaging),
                new HealthImagingOptions(settings.Region, settings.HealthImagingDatastoreId) { Endpoint = settings.EndpointOf(AwsService.HealthImaging) }),
            Fhir = new HealthLakeFhirStore(
                Signed(AwsService.HealthLake),
                new HealthLakeOptions(settings.Region, settings.HealthLakeDatastoreId) { Endpoint = settings.EndpointOf(AwsService.HealthLake) }),
            Records = new DynamoDbRecordStore(dynamo, RecordStoreOptions(settings)),
            Inference = new LazyInferenceEndpoint(() => new SageMakerRuntimeEndpoint(
                Signed(AwsService.SageMakerRuntime),
                new SageMakerRuntimeOptions(settings.Region) { Endpoint = settings.EndpointOf(AwsService.SageMakerRuntime) })),
            Workflow = workflow,
            Events = options.Events?.Invoke(events) ?? events,
            ReportSigner = settings.ReportSigningKeyId is { } keyId
                ? new KmsReportSigner(Signed(AwsService.Kms), new KmsOptions(settings.Region, keyId) { Endpoint = settings.EndpointOf(AwsService.Kms) })
                : null,
            Metrics = options.Metrics,
            Logs = options.Logs,
            Time = time,
            Ids = options.Ids ?? new UuidV7IdGenerator(time),
            Options = options.Pipeline with { Routes = routes },
        };
    }

    public Platform Platform { get; }

    /// <summary>The signing names of the hand-written clients built so far (the lazy ones appear on first use).</summary>
    public IReadOnlyCollection<string> ClientsBuilt
    {
        get
        {
            lock (owned)
            {
                return [.. built];
            }
        }
    }

    public static AwsPlatform Create(AwsSettings settings, AwsPlatformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new AwsPlatform(settings, options ?? new AwsPlatformOptions());
    }

    /// <summary>The S3 client's configuration: the region, or the override with path-style addressing (what moto and most stand-ins serve).</summary>
    public static AmazonS3Config S3Config(AwsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var config = new AmazonS3Config();
        Point(config, settings, AwsService.S3);
        config.ForcePathStyle = settings.EndpointOf(AwsService.S3) is not null;
        return config;
    }

    /// <summary>The record store's three tables, named by the settings.</summary>
    public static DynamoDbRecordStoreOptions RecordStoreOptions(AwsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new DynamoDbRecordStoreOptions
        {
            TableName = settings.Table,
            AuditTableName = settings.AuditTable,
            IdempotencyTableName = settings.IdempotencyTable,
        };
    }

    public static AmazonDynamoDBConfig DynamoConfig(AwsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var config = new AmazonDynamoDBConfig();
        Point(config, settings, AwsService.DynamoDb);
        return config;
    }

    /// <summary>
    /// Points an SDK client at the region, or at the configured override signed for the region, with the SDK's standard
    /// retry mode (3 attempts with backoff for throttling, 5xx and broken connections; the adapters keep every write
    /// conditional or idempotent, so a replay is safe).
    /// </summary>
    public static void Point(Amazon.Runtime.ClientConfig config, AwsSettings settings, AwsService service)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(settings);
        config.RetryMode = Amazon.Runtime.RequestRetryMode.Standard;
        if (settings.EndpointOf(service) is { } endpoint)
        {
            config.ServiceURL = endpoint.AbsoluteUri;
            config.AuthenticationRegion = settings.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region);
        }
    }

    public void Dispose()
    {
        List<IDisposable> all;
        lock (owned)
        {
            all = [.. owned];
        }

        foreach (var d in all)
        {
            d.Dispose();
        }
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        lock (owned)
        {
            owned.Add(disposable);
        }

        return disposable;
    }
}
