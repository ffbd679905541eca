using MedVision.Core;

namespace MedVision.Aws;

/// <summary>Which executables need a setting: every AWS root, or only the one whose workflow is Step Functions.</summary>
public enum AwsSettingUse
{
    /// <summary>Every AWS composition root refuses to start without it.</summary>
    Required,

    /// <summary>Has a default, or turns a feature off when unset.</summary>
    Optional,

    /// <summary>Required where Step Functions runs the pipeline (the Lambda functions); the CLI interprets the ASL in process.</summary>
    StepFunctions,
}

/// <summary>One environment variable the AWS composition root reads: the table docs/configuration.md shows and CDK sets.</summary>
public sealed record AwsSetting(string Variable, AwsSettingUse Use, string? Default, string Meaning);

/// <summary>
/// Everything the AWS composition root needs to know about the deployment, read from environment variables that the
/// CDK app sets on every function (and that scripts/aws-local.sh prints for the local stand-ins). Credentials are not
/// here: they come from the SDK's default chain. <see cref="Variables"/> is the one list of them; the docs page and
/// its test read it.
/// </summary>
public sealed record AwsSettings
{
    public const string BucketVariable = "MEDVISION_BUCKET";
    public const string KmsKeyVariable = "MEDVISION_KMS_KEY_ID";
    public const string TableVariable = "MEDVISION_TABLE";
    public const string AuditTableVariable = "MEDVISION_AUDIT_TABLE";
    public const string IdempotencyTableVariable = "MEDVISION_IDEMPOTENCY_TABLE";
    public const string HealthImagingVariable = "MEDVISION_HEALTHIMAGING_DATASTORE_ID";
    public const string HealthLakeVariable = "MEDVISION_HEALTHLAKE_DATASTORE_ID";
    public const string StateMachineVariable = "MEDVISION_STATE_MACHINE_ARN";
    public const string EventBusVariable = "MEDVISION_EVENT_BUS";
    public const string ReportSigningKeyVariable = "MEDVISION_REPORT_SIGNING_KEY_ID";
    public const string ModelRoutesVariable = Core.Inference.ModelRoutingOptions.EnvironmentVariable;
    public const string RegionVariable = "AWS_REGION";
    public const string DefaultRegionVariable = "AWS_DEFAULT_REGION";
    public const string DefaultEventBus = "default";
    public const string DefaultAuditTable = MedVisionTables.AuditDefaultName;
    public const string DefaultIdempotencyTable = MedVisionTables.IdempotencyDefaultName;

    /// <summary>Every variable, in the order docs/configuration.md lists them.</summary>
    public static IReadOnlyList<AwsSetting> Variables { get; } =
    [
        new(RegionVariable, AwsSettingUse.Required, null,
            $"The region of every data service (Lambda sets it); when unset, {DefaultRegionVariable}, then the AWS profile's region."),
        new(BucketVariable, AwsSettingUse.Required, null,
            "The S3 bucket of uploads and derived files (raw/, preprocessed/, heatmaps/, reports/, analysis/, uploads/)."),
        new(KmsKeyVariable, AwsSettingUse.Optional, null,
            "The KMS key id or ARN every S3 object is encrypted with (SSE-KMS); unset, the bucket's default encryption applies."),
        new(TableVariable, AwsSettingUse.Required, null,
            "The DynamoDB table of image records (the spec's MedVisionImages: image_id + timestamp, the user_id-timestamp-index GSI)."),
        new(AuditTableVariable, AwsSettingUse.Optional, DefaultAuditTable,
            "The DynamoDB table of audit entries (resource_id + entry_key)."),
        new(IdempotencyTableVariable, AwsSettingUse.Optional, DefaultIdempotencyTable,
            "The DynamoDB table of upload idempotency keys (user_id + idempotency_key, expiring by TTL)."),
        new(HealthImagingVariable, AwsSettingUse.Required, null,
            "The AWS HealthImaging data store that DICOM uploads are stored in (DICOMweb STOW-RS)."),
        new(HealthLakeVariable, AwsSettingUse.Required, null,
            "The AWS HealthLake FHIR R4 data store that reports, observations and imaging studies are written to."),
        new(StateMachineVariable, AwsSettingUse.StepFunctions, null,
            "The ARN of the analysis state machine that uploads start (Step Functions StartExecution)."),
        new(EventBusVariable, AwsSettingUse.Optional, DefaultEventBus,
            "The EventBridge bus pipeline status events are put on."),
        new(ReportSigningKeyVariable, AwsSettingUse.Optional, null,
            "A KMS asymmetric key (ECC_NIST_P256) that signs report.pdf and report.json; unset, reports go out unsigned."),
        new(ModelRoutesVariable, AwsSettingUse.Optional, "the built-in routes",
            "JSON routing each modality to its SageMaker endpoint (and variant); see docs/model-contract.md."),
        new(AwsEndpoints.GlobalVariable, AwsSettingUse.Optional, null,
            "Sends every AWS call to this URL instead of AWS (moto_server, the local twins)."),
        new(AwsEndpoints.GlobalVariable + "_<SERVICE>", AwsSettingUse.Optional, null,
            "Sends one service's calls elsewhere; SERVICE is " + string.Join(", ", AwsService.All.Select(s => s.EndpointKey)) + "."),
    ];

    public required string Region { get; init; }

    public required string Bucket { get; init; }

    public string? KmsKeyId { get; init; }

    public required string Table { get; init; }

    public string AuditTable { get; init; } = DefaultAuditTable;

    public string IdempotencyTable { get; init; } = DefaultIdempotencyTable;

    public required string HealthImagingDatastoreId { get; init; }

    public required string HealthLakeDatastoreId { get; init; }

    public string? StateMachineArn { get; init; }

    public string EventBus { get; init; } = DefaultEventBus;

    public string? ReportSigningKeyId { get; init; }

    public string? ModelRoutes { get; init; }

    /// <summary>Endpoint overrides by service; a service not in here goes to its regional AWS address.</summary>
    public IReadOnlyDictionary<AwsService, Uri> Endpoints { get; init; } = new Dictionary<AwsService, Uri>();

    /// <summary>Where <paramref name="service"/>'s calls go when they do not go to AWS.</summary>
    public Uri? EndpointOf(AwsService service) => Endpoints.TryGetValue(service, out var uri) ? uri : null;

    /// <summary>Reads the process environment.</summary>
    public static AwsSettings FromEnvironment(bool requireStateMachine = false) =>
        FromEnvironment(Environment.GetEnvironmentVariable, requireStateMachine, () => AwsRegionChain.Resolve());

    /// <summary>
    /// Reads the settings; every problem (each missing or malformed variable) is named in one
    /// <see cref="ValidationException"/> with code <c>config.missing</c> or <c>config.invalid</c>.
    /// </summary>
    /// <param name="regionFallback">Asked when neither region variable is set (the process root asks the SDK's profile files).</param>
    public static AwsSettings FromEnvironment(
        Func<string, string?> environment, bool requireStateMachine = false, Func<string?>? regionFallback = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Read(string name) => environment(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var missing = new List<string>();
        string Need(string name)
        {
            var value = Read(name);
            if (value is null)
            {
                missing.Add(name);
            }

            return value ?? "";
        }

        var region = Read(RegionVariable) ?? Read(DefaultRegionVariable) ?? regionFallback?.Invoke();
        if (region is null)
        {
            missing.Add(RegionVariable);
        }

        var settings = new AwsSettings
        {
            Region = region ?? "",
            Bucket = Need(BucketVariable),
            KmsKeyId = Read(KmsKeyVariable),
            Table = Need(TableVariable),
            AuditTable = Read(AuditTableVariable) ?? DefaultAuditTable,
            IdempotencyTable = Read(IdempotencyTableVariable) ?? DefaultIdempotencyTable,
            HealthImagingDatastoreId = Need(HealthImagingVariable),
            HealthLakeDatastoreId = Need(HealthLakeVariable),
            StateMachineArn = requireStateMachine ? Need(StateMachineVariable) : Read(StateMachineVariable),
            EventBus = Read(EventBusVariable) ?? DefaultEventBus,
            ReportSigningKeyId = Read(ReportSigningKeyVariable),
            ModelRoutes = Read(ModelRoutesVariable),
            Endpoints = AwsService.All
                .Select(s => (Service: s, Uri: AwsEndpoints.Override(s, environment)))
                .Where(e => e.Uri is not null)
                .ToDictionary(e => e.Service, e => e.Uri!),
        };
        if (missing.Count > 0)
        {
            throw new ValidationException(
                "config.missing",
                $"The AWS platform needs {string.Join(", ", missing)} (see docs/configuration.md; scripts/aws-local.sh up prints them for the local stand-ins).");
        }

        return settings;
    }
}
