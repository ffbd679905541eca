using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace MedVision.Bootstrap;

/// <summary>One event from the Runtime API's next-invocation call, with the headers that describe it.</summary>
public sealed record Invocation(string RequestId, DateTimeOffset Deadline, string? InvokedFunctionArn, string? TraceId, byte[] Event);

/// <summary>What the runtime reports for a failed invocation or a failed init (the body Lambda shows and Step Functions matches).</summary>
public sealed record RuntimeError(string ErrorType, string ErrorMessage, IReadOnlyList<string> StackTrace);

/// <summary>
/// The Lambda Runtime API (2018-06-01) over HTTP: next invocation, response, invocation error and init error.
/// Lambda serves it at AWS_LAMBDA_RUNTIME_API inside the execution environment; the tests serve it on loopback.
/// </summary>
public sealed class RuntimeApiClient(HttpClient http, string runtimeApi)
{
    private const string Version = "2018-06-01";

    private readonly Uri baseUri = new($"http://{runtimeApi}/{Version}/runtime/", UriKind.Absolute);

    /// <summary>Waits for the next event (a long poll: the environment may be frozen in the meantime).</summary>
    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(baseUri, "invocation/next"), HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new RuntimeApiException($"The Runtime API answered {(int)response.StatusCode} to next invocation.");
        }

        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new RuntimeApiException("The Runtime API's next invocation carried no Lambda-Runtime-Aws-Request-Id.");
        var deadline = long.TryParse(Header(response, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new RuntimeApiException($"The Runtime API's invocation {requestId} carried no valid Lambda-Runtime-Deadline-Ms.");
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new Invocation(
            requestId, deadline, Header(response, "Lambda-Runtime-Invoked-Function-Arn"), Header(response, "Lambda-Runtime-Trace-Id"), body);
    }

    public Task PostResponseAsync(string requestId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        PostAsync($"invocation/{Uri.EscapeDataString(requestId)}/response", new ReadOnlyMemoryContent(payload), null, cancellationToken);

    public Task PostErrorAsync(string requestId, RuntimeError error, CancellationToken cancellationToken) =>
        PostAsync($"invocation/{Uri.EscapeDataString(requestId)}/error", ErrorContent(error), error.ErrorType, cancellationToken);

    public Task PostInitErrorAsync(RuntimeError error, CancellationToken cancellationToken) =>
        PostAsync("init/error", ErrorContent(error), error.ErrorType, cancellationToken);

    private async Task PostAsync(string path, HttpContent content, string? errorType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path)) { Content = content };
        if (errorType is not null)
        {
            request.Headers.TryAddWithoutValidation("Lambda-Runtime-Function-Error-Type", errorType);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // 413 for a payload over the limit, 400/403 for a request id that is no longer current.
            throw new RuntimeApiException($"The Runtime API answered {(int)response.StatusCode} to {path}.");
        }
    }

    private static ByteArrayContent ErrorContent(RuntimeError error)
    {
        var content = new ByteArrayContent(RuntimeJson.Error(error));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>The Runtime API refused or broke a call; the environment cannot go on.</summary>
public sealed class RuntimeApiException(string message) : Exception(message);
