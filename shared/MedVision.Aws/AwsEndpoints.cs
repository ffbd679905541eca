namespace MedVision.Aws;

/// <summary>
/// The services MedVision calls, each with its SigV4 signing name and its identifier in the SDKs' service-specific
/// endpoint variables (<c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, from the AWS SDKs and Tools reference guide's table of
/// identifiers).
/// </summary>
public sealed record AwsService(string Name, string SigningName, string EndpointKey)
{
    public static readonly AwsService S3 = new("Amazon S3", "s3", "S3");
    public static readonly AwsService DynamoDb = new("Amazon DynamoDB", "dynamodb", "DYNAMODB");
    public static readonly AwsService Sqs = new("Amazon SQS", "sqs", "SQS");
    public static readonly AwsService Kms = new("AWS KMS", "kms", "KMS");
    public static readonly AwsService StepFunctions = new("AWS Step Functions", "states", "SFN");
    public static readonly AwsService EventBridge = new("Amazon EventBridge", "events", "EVENTBRIDGE");
    public static readonly AwsService SageMakerRuntime = new("Amazon SageMaker Runtime", "sagemaker", "SAGEMAKER_RUNTIME");
    public static readonly AwsService HealthImaging = new("AWS HealthImaging", "medical-imaging", "MEDICAL_IMAGING");
    public static readonly AwsService HealthLake = new("AWS HealthLake", "healthlake", "HEALTHLAKE");

    public static IReadOnlyList<AwsService> All { get; } =
        [S3, DynamoDb, Sqs, Kms, StepFunctions, EventBridge, SageMakerRuntime, HealthImaging, HealthLake];

    /// <summary>The variable that points this one service elsewhere, e.g. AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME.</summary>
    public string EndpointVariable => AwsEndpoints.GlobalVariable + "_" + EndpointKey;
}

/// <summary>
/// Endpoint overrides by the SDKs' standard rule, for the SDK clients and the hand-written ones alike:
/// <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c> wins over <c>AWS_ENDPOINT_URL</c>; <c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true</c>
/// turns both off; with neither, the service's regional AWS address is used. This is how one build talks to AWS or to
/// the local stand-ins (moto_server, the twins, the model server).
/// </summary>
public static class AwsEndpoints
{
    public const string GlobalVariable = "AWS_ENDPOINT_URL";
    public const string IgnoreVariable = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

    /// <summary>The configured endpoint of <paramref name="service"/>, or null for the regional AWS address.</summary>
    /// <exception cref="Core.ValidationException">The variable is set but is not an absolute http(s) URL.</exception>
    public static Uri? Override(AwsService service, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(environment);
        if (string.Equals(environment(IgnoreVariable)?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var variable in new[] { service.EndpointVariable, GlobalVariable })
        {
            var value = environment(variable);
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new Core.ValidationException("config.invalid", $"{variable} is not an http(s) URL: '{value}'.");
            }

            return uri;
        }

        return null;
    }
}
