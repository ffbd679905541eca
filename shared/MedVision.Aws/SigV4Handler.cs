using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using Amazon.Util;

namespace MedVision.Aws;

/// <summary>
/// Signs every request that passes through it with AWS Signature Version 4 (AWS4-HMAC-SHA256, header form) for one
/// service and region: the one signing path of the hand-written AWS clients. AWSSDK.Core's <see cref="AWS4Signer"/>
/// canonicalizes the path and headers, builds the canonical request and computes the signature (ADR 6); the canonical
/// query string is ours (<see cref="AwsQueryString"/>), because the SDK's sorts parameters before encoding them and
/// so disagrees with AWS and botocore whenever encoding changes their order (a repeated name with a non-ASCII value,
/// <c>a-b</c> next to <c>a/b</c>).
/// </summary>
/// <remarks>
/// <para>Per request it asks the credentials provider (so rotating role or STS credentials stay fresh) and the injected
/// clock (the signing time is <see cref="TimeProvider.GetUtcNow"/>, never the SDK's clock-skew-corrected now), rewrites
/// the query into SigV4 canonical form so what is sent is exactly what is signed, and adds X-Amz-Date,
/// X-Amz-Content-SHA256 (SHA-256 of the body; an empty body hashes the empty string), X-Amz-Security-Token for
/// temporary credentials, and Authorization. It signs host, content-type and every x-amz-* header on the request
/// (X-Amz-Target of the JSON 1.0/1.1 protocols included) and nothing else, so a header the transport adds or changes
/// (Content-Length, User-Agent) cannot break the signature.</para>
/// <para>Paths are URI-encoded once more per segment, as SigV4 asks of every service but S3 (which is not signed
/// here). Signing again (a retry through the same handler) replaces the previous signature. A credentials provider
/// that fails (no credentials, the container or instance credential endpoint down) surfaces as an
/// <see cref="HttpRequestException"/>, the failure <see cref="AwsHttp"/> maps to the service being unavailable.</para>
/// </remarks>
public sealed class SigV4Handler : DelegatingHandler
{
    // The signing headers of a previous pass, removed so a re-signed request carries each once.
    private static readonly string[] SigningHeaders = ["Authorization", "X-Amz-Date", "X-Amz-Content-SHA256", "X-Amz-Security-Token"];

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
        var current = await CredentialsAsync(cancellationToken);
        Sign(request, body, current, time.GetUtcNow());
        return await base.SendAsync(request, cancellationToken);
    }

    private async ValueTask<AwsCredentials> CredentialsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await credentials(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not HttpRequestException)
        {
            throw new HttpRequestException($"No AWS credentials to sign with: {e.Message}", e);
        }
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

        foreach (var name in SigningHeaders)
        {
            request.Headers.Remove(name);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (request.Headers.Host is { } host)
        {
            headers["host"] = host;
        }

        foreach (var (name, values) in request.Headers)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                headers[name] = string.Join(',', values.Select(v => v.Trim()));
            }
        }

        if (request.Content?.Headers.ContentType is { } contentType)
        {
            headers["content-type"] = contentType.ToString();
        }

        var signed = SdkSigV4.Sign(uri, request.Method.Method, headers, query, body, current, Region, Service, now.UtcDateTime);
        foreach (var (name, value) in signed)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>
    /// The SDK's SigV4 steps with our canonical query: a subclass only to reach AWS4Signer's protected canonicalization
    /// (its public SignRequest and the AWSSigV4Signer facade canonicalize the query themselves).
    /// </summary>
    private sealed class SdkSigV4 : AWS4Signer
    {
        /// <summary>The headers to add: X-Amz-Date, X-Amz-Content-SHA256, X-Amz-Security-Token when set, Authorization.</summary>
        public static List<KeyValuePair<string, string>> Sign(
            Uri uri, string method, Dictionary<string, string> headers, string canonicalQuery, byte[] body,
            AwsCredentials credentials, string region, string service, DateTime signedAt)
        {
            var endpoint = new Uri(uri.GetLeftPart(UriPartial.Authority));
            // Adds host (the authority, with a port only when it is not the scheme's default) and x-amz-date.
            InitializeHeaders(headers, endpoint, signedAt);
            var payloadHash = AWSSDKUtils.ToHex(ComputeHash(body), lowercase: true);
            headers[HeaderKeys.XAmzContentSha256Header] = payloadHash;
            if (credentials.SessionToken is { } token)
            {
                headers[HeaderKeys.XAmzSecurityTokenHeader] = token;
            }

            var sorted = SortAndPruneHeaders(headers);
            // uri.AbsolutePath is encoded once already; one more pass (doubleEncode false) is the non-S3 canonical path.
            var canonicalRequest = CanonicalizeRequest(endpoint, uri.AbsolutePath, method, sorted, canonicalQuery, payloadHash, null, false);
            var result = ComputeSignature(
                new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken),
                region, signedAt, service, CanonicalizeHeaderNames(sorted), canonicalRequest);

            List<KeyValuePair<string, string>> added =
            [
                new(HeaderKeys.XAmzDateHeader, headers[HeaderKeys.XAmzDateHeader]),
                new(HeaderKeys.XAmzContentSha256Header, payloadHash),
                new(HeaderKeys.AuthorizationHeader, result.ForAuthorizationHeader),
            ];
            if (credentials.SessionToken is { } sessionToken)
            {
                added.Add(new(HeaderKeys.XAmzSecurityTokenHeader, sessionToken));
            }

            return added;
        }
    }
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
