using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace MedVision.Aws;

/// <summary>An AWS answer read whole: status, headers and body (the response itself is already disposed).</summary>
public sealed record AwsAnswer(HttpStatusCode Status, HttpResponseHeaders Headers, byte[] Body)
{
    public bool IsSuccess => (int)Status is >= 200 and <= 299;

    public AwsError Error() => AwsError.From((int)Status, Headers, Body);
}

/// <summary>The JSON 1.0 and 1.1 protocols (POST / with X-Amz-Target): Step Functions speaks 1.0; KMS and EventBridge 1.1.</summary>
public enum AwsJsonProtocol
{
    Json10,
    Json11,
}

/// <summary>
/// The one send path of the hand-written AWS clients: requests go out through an <see cref="HttpClient"/> whose
/// pipeline signs them (<see cref="SigV4Handler"/>, see <see cref="CreateClient"/>), answers come back whole, and
/// transport failures and error answers become core exceptions through the client's <see cref="AwsErrorMapper"/>.
/// Never retries: the state machine owns retries.
/// </summary>
public sealed class AwsHttp
{
    public const string TargetHeader = "X-Amz-Target";

    private readonly HttpClient http;

    /// <param name="http">An HttpClient that signs for the service, e.g. from <see cref="CreateClient"/>.</param>
    public AwsHttp(HttpClient http, AwsErrorMapper errors)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(errors);
        this.http = http;
        Errors = errors;
    }

    public AwsErrorMapper Errors { get; }

    /// <summary>An HttpClient that signs every request for <paramref name="service"/> in <paramref name="region"/>.</summary>
    /// <param name="transport">What sends the signed request (a socket handler when null); tests put a tamperer here.</param>
    public static HttpClient CreateClient(
        string service, string region, Func<CancellationToken, ValueTask<AwsCredentials>> credentials, TimeProvider time,
        HttpMessageHandler? transport = null) =>
        new(new SigV4Handler(service, region, credentials, time) { InnerHandler = transport ?? new SocketsHttpHandler() });

    /// <inheritdoc cref="CreateClient(string, string, Func{CancellationToken, ValueTask{AwsCredentials}}, TimeProvider, HttpMessageHandler?)"/>
    public static HttpClient CreateClient(string service, string region, AwsCredentials credentials, TimeProvider time, HttpMessageHandler? transport = null) =>
        CreateClient(service, region, _ => ValueTask.FromResult(credentials), time, transport);

    /// <summary>
    /// Sends the request and reads the whole answer, whatever its status. No connection, an answer that breaks off
    /// and HttpClient's own timeout are the mapper's Unavailable; the caller giving up stays a cancellation.
    /// </summary>
    public async Task<AwsAnswer> SendAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Errors.Unavailable(operation, e.Message, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Errors.Unavailable(operation, "timed out.", e);
        }

        using (response)
        {
            try
            {
                return new AwsAnswer(response.StatusCode, response.Headers, await response.Content.ReadAsByteArrayAsync(cancellationToken));
            }
            catch (HttpRequestException e)
            {
                throw Errors.Unavailable(operation, $"the answer broke off ({(int)response.StatusCode}).", e);
            }
        }
    }

    /// <summary>
    /// One call of a JSON 1.0/1.1 API: POST <paramref name="endpoint"/> with <c>X-Amz-Target: {target}</c> and
    /// <c>application/x-amz-json-1.x</c>. Returns the answer whatever its status, so a client can read an error type
    /// that is an answer for it (KMS Verify's KMSInvalidSignatureException) before <see cref="Fail"/>.
    /// </summary>
    public Task<AwsAnswer> SendJsonAsync(
        Uri endpoint, AwsJsonProtocol protocol, string target, byte[] body, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        ArgumentNullException.ThrowIfNull(body);
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType(protocol));
        request.Headers.TryAddWithoutValidation(TargetHeader, target);
        return SendDisposingAsync(request, operation, cancellationToken);
    }

    /// <summary>The content type of a JSON protocol version.</summary>
    public static string ContentType(AwsJsonProtocol protocol) =>
        protocol == AwsJsonProtocol.Json10 ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";

    /// <summary>A successful answer's JSON body; one that is empty or not the expected JSON is Unavailable.</summary>
    public T ReadJson<T>(AwsAnswer answer, JsonTypeInfo<T> type, string operation)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(type);
        try
        {
            return JsonSerializer.Deserialize(answer.Body, type) ?? throw Errors.Unavailable(operation, "the answer is empty.");
        }
        catch (JsonException e)
        {
            throw Errors.Unavailable(operation, $"the answer is not the expected JSON ({e.Message}).", e);
        }
    }

    /// <summary>The exception for an error answer (see <see cref="AwsErrorMapper.ToException"/>).</summary>
    public Exception Fail(AwsAnswer answer, string operation, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return Errors.ToException(answer.Error(), operation, detail);
    }

    private async Task<AwsAnswer> SendDisposingAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        using (request)
        {
            return await SendAsync(request, operation, cancellationToken);
        }
    }
}
