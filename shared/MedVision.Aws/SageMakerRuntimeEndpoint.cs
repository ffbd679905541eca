using MedVision.Core.Inference;
using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>
/// Where and how SageMaker Runtime is called. <see cref="Endpoint"/> overrides the regional URL (tests, VPC
/// endpoints, the local model server).
/// </summary>
public sealed record SageMakerRuntimeOptions(string Region)
{
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// One invocation's budget, connection to last byte (the spec's 30 s by default). Enforced with a linked
    /// CancellationTokenSource, so it holds whatever HttpClient.Timeout the composition root set.
    /// </summary>
    public TimeSpan Timeout { get; init; } = InferenceContract.InvocationBudget;

    /// <summary>InvokeEndpoint's real-time request limit (6 MB); a larger body is refused before sending.</summary>
    public long MaxRequestBytes { get; init; } = InferenceContract.RealTimeMaxPayloadBytes;

    /// <summary>The largest answer read; a larger one is <see cref="MedVision.Core.ModelOutputInvalidException"/>.</summary>
    public long MaxResponseBytes { get; init; } = InferenceContract.RealTimeMaxPayloadBytes;

    public Uri EndpointUri => Endpoint ?? new Uri($"https://runtime.sagemaker.{Region}.amazonaws.com/");
}

/// <summary>
/// The inference port over SageMaker Runtime InvokeEndpoint (REST-JSON, SigV4 service <c>sagemaker</c>, host
/// <c>runtime.sagemaker.{region}.amazonaws.com</c>): <c>POST /endpoints/{EndpointName}/invocations</c> with
/// Content-Type, Accept and X-Amzn-SageMaker-Target-Variant; the answer's X-Amzn-Invoked-Production-Variant
/// becomes <see cref="EndpointResponse.InvokedVariant"/>. The body is the model contract's JSON, passed through
/// as bytes (no wire body of its own to serialize; the error body is read by the source-generated context of
/// <see cref="HttpInferenceEndpoint"/>).
/// </summary>
/// <remarks>
/// The request, the answer and the error mapping are <see cref="HttpInferenceEndpoint"/>'s (one rule for the local
/// model server and SageMaker) over an HttpClient that signs: ModelUnavailableException for 5xx, 429, 424
/// ModelError, ThrottlingException, ModelNotReadyException, timeouts and connection failures;
/// ModelOutputInvalidException for other 4xx such as ValidationError and for an answer over
/// <see cref="SageMakerRuntimeOptions.MaxResponseBytes"/>; ValidationException (not retried) for a request over
/// <see cref="SageMakerRuntimeOptions.MaxRequestBytes"/>. Never retries: the state machine does. Replaceable by
/// the SDK's AmazonSageMakerRuntimeClient once the registry serves it.
/// </remarks>
public sealed class SageMakerRuntimeEndpoint : IInferenceEndpoint
{
    /// <summary>The SigV4 service name (the host says runtime.sagemaker, the signature says sagemaker).</summary>
    public const string Service = "sagemaker";

    private readonly HttpInferenceEndpoint endpoint;

    /// <param name="http">Signs for SageMaker in the region: <c>AwsHttp.CreateClient(SageMakerRuntimeEndpoint.Service, region, credentials, time)</c>.</param>
    public SageMakerRuntimeEndpoint(HttpClient http, SageMakerRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Region);
        endpoint = new HttpInferenceEndpoint(http, options.EndpointUri)
        {
            Timeout = options.Timeout,
            MaxRequestBytes = options.MaxRequestBytes,
            MaxResponseBytes = options.MaxResponseBytes,
        };
    }

    public Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default) =>
        endpoint.InvokeAsync(invocation, cancellationToken);
}
