using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using MedVision.Core.Ports;

namespace MedVision.Core.Inference;

/// <summary>
/// InvokeEndpoint over HTTP: POST {base}/endpoints/{name}/invocations with SageMaker Runtime's headers. Pointed at
/// the local model server it runs as is; pointed at runtime.sagemaker.{region}.amazonaws.com it runs over an
/// HttpClient whose pipeline signs (the AWS adapter, SageMakerRuntimeEndpoint), or with a <paramref name="signer"/>.
/// This class is the one place that maps InvokeEndpoint's outcomes onto the pipeline's typed errors; it never
/// retries (the state machine does).
/// </summary>
/// <remarks>
/// <para>Errors: no connection, a dropped connection (before or during the answer), no answer within
/// <see cref="Timeout"/>, 5xx, 408, 429, 424 (SageMaker's ModelError: the container failed) and the error types
/// ThrottlingException, ModelNotReadyException, ModelError, InternalFailure, InternalDependencyException,
/// ServiceUnavailable, ExpiredTokenException and InvalidSignatureException (the last two heal on retry) →
/// <see cref="ModelUnavailableException"/>. Any other 4xx (ValidationError, an unknown endpoint, a refused body)
/// and an answer over <see cref="MaxResponseBytes"/> → <see cref="ModelOutputInvalidException"/>. A request body over
/// <see cref="MaxRequestBytes"/> is refused before sending with <see cref="ValidationException"/>
/// (<c>model.request_too_large</c>), which the state machine does not retry: the same body can never fit.</para>
/// <para>The error type is read from the <c>x-amzn-ErrorType</c> header or the JSON body's <c>__type</c> (or the
/// model server's problem <c>code</c>); messages carry the endpoint name, the status, the type and the error's own
/// message, never the request or a non-JSON body.</para>
/// <para>Timeout: a linked CancellationTokenSource cancels the call after <see cref="Timeout"/> (the spec's 30 s
/// inference budget by default), whatever HttpClient.Timeout is; the caller's own cancellation stays an
/// <see cref="OperationCanceledException"/>.</para>
/// </remarks>
public sealed class HttpInferenceEndpoint(
    HttpClient http, Uri baseAddress, Func<HttpRequestMessage, CancellationToken, Task>? signer = null) : IInferenceEndpoint
{
    /// <summary>SageMaker Runtime's header selecting a production variant.</summary>
    public const string TargetVariantHeader = "X-Amzn-SageMaker-Target-Variant";

    /// <summary>SageMaker Runtime's header naming the variant that answered.</summary>
    public const string InvokedVariantHeader = "X-Amzn-Invoked-Production-Variant";

    /// <summary>REST-JSON services (SageMaker Runtime among them) name the error type in this header.</summary>
    public const string ErrorTypeHeader = "x-amzn-ErrorType";

    private static readonly HashSet<string> UnavailableTypes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "ModelNotReadyException", "ModelError", "InternalFailure", "InternalDependencyException",
        "ServiceUnavailable", "ExpiredTokenException", "InvalidSignatureException",
    };

    private readonly Uri baseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");

    /// <summary>How long one call may take, connection to last byte of the answer.</summary>
    public TimeSpan Timeout { get; init; } = InferenceContract.InvocationBudget;

    /// <summary>Request bodies larger than this are refused before sending (SageMaker real-time: 6 MB).</summary>
    public long MaxRequestBytes { get; init; } = InferenceContract.RealTimeMaxPayloadBytes;

    /// <summary>Answers larger than this are not read (a misbehaving model cannot flood us).</summary>
    public long MaxResponseBytes { get; init; } = InferenceContract.RealTimeMaxPayloadBytes;

    public async Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (invocation.Body.Length > MaxRequestBytes)
        {
            throw new ValidationException(
                "model.request_too_large",
                $"The request for endpoint {invocation.EndpointName} is {invocation.Body.Length} bytes, over the {MaxRequestBytes}-byte limit.");
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Timeout);
        try
        {
            return await SendAsync(invocation, budget.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Our budget or HttpClient.Timeout ran out, not the caller's patience: the endpoint is too slow.
            throw new ModelUnavailableException($"Endpoint {invocation.EndpointName} gave no answer within {Timeout.TotalSeconds:0.###} s.", ex);
        }
    }

    private async Task<EndpointResponse> SendAsync(EndpointInvocation invocation, CancellationToken ct)
    {
        var uri = new Uri(baseAddress, $"endpoints/{Uri.EscapeDataString(invocation.EndpointName)}/invocations");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new ReadOnlyMemoryContent(invocation.Body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(invocation.ContentType);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(InferenceContract.ContentType));
        if (invocation.TargetVariant is { } variant)
        {
            request.Headers.Add(TargetVariantHeader, variant);
        }

        if (signer is not null)
        {
            await signer(request, ct);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new ModelUnavailableException($"Endpoint {invocation.EndpointName} at {baseAddress} cannot be reached: {ex.Message}", ex);
        }

        using (response)
        {
            byte[] body;
            try
            {
                body = await ReadBoundedAsync(response, invocation.EndpointName, ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new ModelUnavailableException($"Endpoint {invocation.EndpointName}'s answer broke off (HTTP {(int)response.StatusCode}): {ex.Message}", ex);
            }

            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var contentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
                var invoked = response.Headers.TryGetValues(InvokedVariantHeader, out var values) ? values.FirstOrDefault() : null;
                return new EndpointResponse(contentType, body, invoked ?? invocation.TargetVariant);
            }

            var (type, message) = ReadError(response, body);
            var detail = (type.Length > 0 ? $" {type}" : "") + $": {message ?? "(no error message)"}";
            if (status >= 500 || status is 408 or 424 or 429 || UnavailableTypes.Contains(type))
            {
                throw new ModelUnavailableException($"Endpoint {invocation.EndpointName} answered HTTP {status}{detail}");
            }

            throw new ModelOutputInvalidException($"Endpoint {invocation.EndpointName} refused the request with HTTP {status}{detail}");
        }
    }

    private async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, string endpointName, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength is { } length && length > MaxResponseBytes)
        {
            throw new ModelOutputInvalidException($"Endpoint {endpointName} answered {length} bytes, over the {MaxResponseBytes}-byte limit.");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                throw new ModelOutputInvalidException($"Endpoint {endpointName} answered more than the {MaxResponseBytes}-byte limit.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The error type (short name) and message of an error answer; only JSON bodies are read.</summary>
    private static (string Type, string? Message) ReadError(HttpResponseMessage response, byte[] body)
    {
        InferenceErrorBody? parsed = null;
        if (body.Length > 0 && body[0] == (byte)'{')
        {
            try
            {
                parsed = JsonSerializer.Deserialize(body, InferenceErrorJsonContext.Default.InferenceErrorBody);
            }
            catch (JsonException)
            {
                // Not JSON after all (a proxy's page): the status and the header still say something.
            }
        }

        var header = response.Headers.TryGetValues(ErrorTypeHeader, out var values) ? values.FirstOrDefault() : null;
        var raw = header ?? parsed?.Type ?? parsed?.Code ?? "";
        var type = raw[(raw.LastIndexOf('#') + 1)..];
        var colon = type.IndexOf(':', StringComparison.Ordinal);
        return (colon < 0 ? type : type[..colon], parsed?.Message ?? parsed?.MessageUpper ?? parsed?.Detail);
    }
}

/// <summary>InvokeEndpoint error bodies: SageMaker's <c>__type</c>/<c>message</c>, the model server's problem <c>code</c>/<c>detail</c>.</summary>
internal sealed record InferenceErrorBody(
    [property: JsonPropertyName("__type")] string? Type,
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("Message")] string? MessageUpper,
    [property: JsonPropertyName("detail")] string? Detail);

[JsonSerializable(typeof(InferenceErrorBody))]
internal sealed partial class InferenceErrorJsonContext : JsonSerializerContext;
