using System.Net;
using System.Net.Http.Headers;
using MedVision.Core.Ports;

namespace MedVision.Core.Inference;

/// <summary>
/// InvokeEndpoint over HTTP: POST {base}/endpoints/{name}/invocations with SageMaker Runtime's headers. Pointed at
/// the local model server it runs as is; pointed at runtime.sagemaker.{region}.amazonaws.com it needs the AWS
/// adapter's SigV4 signer, passed in as <paramref name="signer"/>. It maps HTTP outcomes onto the pipeline's typed
/// errors and never retries (the state machine does).
/// </summary>
public sealed class HttpInferenceEndpoint(
    HttpClient http, Uri baseAddress, Func<HttpRequestMessage, CancellationToken, Task>? signer = null) : IInferenceEndpoint
{
    /// <summary>SageMaker Runtime's header selecting a production variant.</summary>
    public const string TargetVariantHeader = "X-Amzn-SageMaker-Target-Variant";

    /// <summary>SageMaker Runtime's header naming the variant that answered.</summary>
    public const string InvokedVariantHeader = "X-Amzn-Invoked-Production-Variant";

    /// <summary>Answers larger than SageMaker's real-time limit are not read (a misbehaving model cannot flood us).</summary>
    public const long MaxResponseBytes = InferenceContract.RealTimeMaxPayloadBytes;

    public async Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
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
            await signer(request, cancellationToken);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new ModelUnavailableException($"Endpoint {invocation.EndpointName} at {baseAddress} cannot be reached: {ex.Message}", ex);
        }

        using (response)
        {
            var body = await ReadBoundedAsync(response, invocation.EndpointName, cancellationToken);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var contentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
                var invoked = response.Headers.TryGetValues(InvokedVariantHeader, out var values) ? values.FirstOrDefault() : null;
                return new EndpointResponse(contentType, body, invoked ?? invocation.TargetVariant);
            }

            var detail = Snippet(body);

            // 5xx, throttling, request timeout and SageMaker's 424 ModelError (the container failed) are the
            // endpoint's trouble and worth retrying; any other 4xx means the request itself was refused.
            if (status >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout or HttpStatusCode.FailedDependency)
            {
                throw new ModelUnavailableException($"Endpoint {invocation.EndpointName} answered HTTP {status}: {detail}");
            }

            throw new ModelOutputInvalidException($"Endpoint {invocation.EndpointName} refused the request with HTTP {status}: {detail}");
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, string endpointName, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength is > MaxResponseBytes)
        {
            throw new ModelOutputInvalidException($"Endpoint {endpointName} answered {response.Content.Headers.ContentLength} bytes, over the {MaxResponseBytes}-byte limit.");
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

    private static string Snippet(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "(empty body)" : text;
    }
}
