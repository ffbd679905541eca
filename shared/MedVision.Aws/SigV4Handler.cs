using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace MedVision.Aws;

/// <summary>
/// Signs every request that passes through it with AWS Signature Version 4 (AWS4-HMAC-SHA256, header form) for one
/// service and region: the one signing path of the hand-written AWS clients. Written over
/// System.Security.Cryptography, so the clients need no SDK.
/// </summary>
/// <remarks>
/// <para>Per request it asks the credentials provider (so rotating role or STS credentials stay fresh) and the clock,
/// rewrites the query into SigV4 canonical form (<see cref="AwsQueryString.Canonical"/>) so what is sent is exactly
/// what is signed, and adds X-Amz-Date, X-Amz-Content-SHA256 (SHA-256 of the body; an empty body hashes the empty
/// string), X-Amz-Security-Token for temporary credentials, and Authorization. It signs host, content-type and every
/// x-amz-* header on the request (X-Amz-Target of the JSON 1.0/1.1 protocols included).</para>
/// <para>Paths are URI-encoded once more per segment, as SigV4 asks of every service but S3 (which is not signed
/// here). Signing again (a retry through the same handler) replaces the previous signature.</para>
/// </remarks>
public sealed class SigV4Handler : DelegatingHandler
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    private readonly Func<CancellationToken, ValueTask<AwsCredentials>> credentials;
    private readonly TimeProvider time;

    /// <param name="service">The signing name, e.g. <c>healthlake</c>, <c>kms</c>, <c>sagemaker</c>, <c>states</c>.</param>
    /// <param name="credentials">Asked before every request.</param>
    public SigV4Handler(string service, string region, Func<CancellationToken, ValueTask<AwsCredentials>> credentials, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(time);
        Service = service;
        Region = region;
        this.credentials = credentials;
        this.time = time;
    }

    public string Service { get; }

    public string Region { get; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Buffers the content once; the inner handler then sends these same bytes.
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var current = await credentials(cancellationToken);
        Sign(request, body, current, time.GetUtcNow());
        return await base.SendAsync(request, cancellationToken);
    }

    private void Sign(HttpRequestMessage request, byte[] body, AwsCredentials current, DateTimeOffset now)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        if (!uri.IsAbsoluteUri)
        {
            throw new InvalidOperationException("SigV4 signs absolute URIs only; set HttpClient.BaseAddress or give the full URI.");
        }

        var query = AwsQueryString.Canonical(AwsQueryString.Parse(uri.Query));
        if (query != uri.Query.TrimStart('?'))
        {
            uri = new Uri(uri.GetLeftPart(UriPartial.Path) + (query.Length == 0 ? "" : "?" + query));
            request.RequestUri = uri;
        }

        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var payloadHash = Hex(SHA256.HashData(body));

        request.Headers.Remove("X-Amz-Date");
        request.Headers.Remove("X-Amz-Content-SHA256");
        request.Headers.Remove("X-Amz-Security-Token");
        request.Headers.Authorization = null;
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("X-Amz-Content-SHA256", payloadHash);
        if (current.SessionToken is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", current.SessionToken);
        }

        // Host is what HttpClient will send: the authority, with the port only when it is not the scheme's default.
        var host = request.Headers.Host ?? (uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port.ToString(CultureInfo.InvariantCulture)}");
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = host };
        foreach (var (name, values) in request.Headers)
        {
            var lower = name.ToLowerInvariant();
            if (lower.StartsWith("x-amz-", StringComparison.Ordinal))
            {
                headers[lower] = CanonicalValue(values);
            }
        }

        if (request.Content?.Headers.ContentType is { } contentType)
        {
            headers["content-type"] = CanonicalValue([contentType.ToString()]);
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var canonicalRequest = string.Join('\n',
            request.Method.Method.ToUpperInvariant(),
            CanonicalPath(uri),
            query,
            string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n")),
            signedHeaders,
            payloadHash);

        var scope = $"{date}/{Region}/{Service}/aws4_request";
        var stringToSign = string.Join('\n', Algorithm, amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + current.SecretAccessKey), date);
        key = Hmac(key, Region);
        key = Hmac(key, Service);
        key = Hmac(key, "aws4_request");
        var signature = Hex(Hmac(key, stringToSign));

        request.Headers.Authorization = new AuthenticationHeaderValue(
            Algorithm, $"Credential={current.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    private static string CanonicalPath(Uri uri)
    {
        var path = uri.AbsolutePath;
        if (path.Length == 0)
        {
            return "/";
        }

        // AbsolutePath is percent-encoded once (a space is %20, é is %C3%A9); SigV4 (non-S3) encodes each segment again.
        return string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
    }

    /// <summary>Trimmed, inner runs of spaces collapsed to one, several values joined with commas.</summary>
    private static string CanonicalValue(IEnumerable<string> values) =>
        string.Join(',', values.Select(v => string.Join(' ', v.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}

/// <summary>Query strings the way SigV4 canonicalizes them.</summary>
public static class AwsQueryString
{
    /// <summary>
    /// The SigV4 canonical query string of decoded name/value pairs: each RFC 3986 encoded (unreserved characters
    /// kept, upper-case hex, UTF-8), sorted by encoded name then value.
    /// </summary>
    public static string Canonical(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return string.Join('&', parameters
            .Select(p => (Name: Uri.EscapeDataString(p.Key), Value: Uri.EscapeDataString(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));
    }

    /// <summary>Decodes a query string ("a=1&amp;b=x%7Cy") into name/value pairs; '+' stays a literal plus.</summary>
    public static List<KeyValuePair<string, string>> Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? "" : part[(equals + 1)..];
            pairs.Add(new(Uri.UnescapeDataString(name), Uri.UnescapeDataString(value)));
        }

        return pairs;
    }
}
