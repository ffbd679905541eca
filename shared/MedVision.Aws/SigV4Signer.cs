using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace MedVision.Aws;

/// <summary>
/// AWS Signature Version 4 for header-signed requests (AWS4-HMAC-SHA256), written over System.Security.Cryptography
/// so the adapters need no SDK. Signs host, x-amz-date, x-amz-content-sha256, x-amz-security-token, content-type and
/// every x-amz-* header already on the request.
/// </summary>
/// <remarks>
/// The request URI must already be in canonical form (see <see cref="CanonicalQuery"/>): the canonical query is taken
/// from the URI as sent, so what is signed and what the service canonicalizes agree. Paths are encoded once more per
/// segment, as SigV4 asks for every service but S3.
/// </remarks>
public static class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Adds X-Amz-Date, X-Amz-Content-SHA256, X-Amz-Security-Token (if any) and Authorization.</summary>
    public static void Sign(
        HttpRequestMessage request, ReadOnlySpan<byte> body, AwsCredentials credentials, string region, string service, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credentials);
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("The request URI must be absolute.", nameof(request));
        }

        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var payloadHash = Hex(SHA256.HashData(body));

        request.Headers.Remove("X-Amz-Date");
        request.Headers.Remove("X-Amz-Content-SHA256");
        request.Headers.Remove("X-Amz-Security-Token");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("X-Amz-Content-SHA256", payloadHash);
        if (credentials.SessionToken is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", credentials.SessionToken);
        }

        // Host is what HttpClient will send: the authority, with the port only when it is not the scheme's default.
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = uri.IsDefaultPort ? uri.Host : uri.Authority };
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
            uri.Query.TrimStart('?'),
            string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n")),
            signedHeaders,
            payloadHash);

        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = string.Join('\n', Algorithm, amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + credentials.SecretAccessKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var signature = Hex(Hmac(key, stringToSign));

        request.Headers.Authorization = new AuthenticationHeaderValue(
            Algorithm, $"Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    /// <summary>
    /// The SigV4 canonical query string of decoded name/value pairs: each RFC 3986 encoded (unreserved characters
    /// kept, upper-case hex), sorted by name then value. Send exactly this as the URI's query.
    /// </summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return string.Join('&', parameters
            .Select(p => (Name: Uri.EscapeDataString(p.Key), Value: Uri.EscapeDataString(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));
    }

    /// <summary>Decodes a query string ("a=1&amp;b=x%7Cy") into name/value pairs; '+' stays a literal plus.</summary>
    public static List<KeyValuePair<string, string>> ParseQuery(string query)
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

    private static string CanonicalPath(Uri uri)
    {
        var path = uri.AbsolutePath;
        if (path.Length == 0)
        {
            return "/";
        }

        // AbsolutePath is already percent-encoded once; SigV4 (non-S3) encodes each segment again.
        return string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
    }

    /// <summary>Trimmed, inner runs of spaces collapsed to one, several values joined with commas.</summary>
    private static string CanonicalValue(IEnumerable<string> values) =>
        string.Join(',', values.Select(v => string.Join(' ', v.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
