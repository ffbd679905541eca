using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Fhir;

namespace MedVision.Aws;

/// <summary>
/// Where a HealthLake data store is. <see cref="Endpoint"/> replaces the regional host (AWS_ENDPOINT_URL_HEALTHLAKE, a
/// twin, a VPC endpoint); the data store's path stays.
/// </summary>
public sealed record HealthLakeOptions(string Region, string DatastoreId)
{
    public Uri? Endpoint { get; init; }

    /// <summary>Search stops following <c>next</c> links after this many pages, so a runaway query cannot loop forever.</summary>
    public int MaxSearchPages { get; init; } = 50;

    /// <summary>The data store's FHIR base, always ending in '/'.</summary>
    public Uri BaseUri
    {
        get
        {
            var host = Endpoint ?? new Uri($"https://healthlake.{Region}.amazonaws.com/");
            var root = host.AbsoluteUri.EndsWith('/') ? host : new Uri(host.AbsoluteUri + "/");
            return new Uri(root, $"datastore/{DatastoreId}/r4/");
        }
    }
}

/// <summary>
/// The FHIR store port over AWS HealthLake's FHIR R4 REST API, every request signed with SigV4 (service
/// <c>healthlake</c>).
/// </summary>
/// <remarks>
/// <para><see cref="UpsertAsync"/> is a FHIR update (PUT Type/id, which HealthLake treats as create when the id is
/// new): a PUT to a fixed id is idempotent by itself, so it carries no idempotency key. Server-assigned creates
/// (<see cref="CreateAsync"/>) and transaction Bundles (<see cref="TransactionAsync"/>) are POSTs and carry
/// <c>x-amz-fhir-idempotency-key</c>, a UUID derived from the body, so a retry replays the same key; HealthLake
/// answers a replay with 409 and the original resource, which counts as success.</para>
/// <para>Requests go through <see cref="AwsHttp"/> (signed by its <see cref="SigV4Handler"/>); errors through the shared
/// <see cref="AwsErrorMapper"/>: 400/422 → <see cref="ValidationException"/>, 404/410 → <see cref="NotFoundException"/>
/// (null/false for read/delete), 409/412 → <see cref="ConflictException"/>, 401/403/429/5xx and network failures →
/// <see cref="StorageUnavailableException"/> (retried by the state machine: an expired session token heals on retry).
/// Messages carry the OperationOutcome's diagnostics, never a resource body.</para>
/// </remarks>
public sealed class HealthLakeFhirStore : IFhirStore
{
    public const string Service = "healthlake";
    public const string IdempotencyKeyHeader = "x-amz-fhir-idempotency-key";
    private const string FhirMediaType = "application/fhir+json";

    private readonly AwsHttp aws;
    private readonly HealthLakeOptions options;
    private readonly Uri baseUri;

    /// <param name="http">Signs for HealthLake in the data store's region: <c>AwsHttp.CreateClient(HealthLakeFhirStore.Service, region, credentials, time)</c>.</param>
    public HealthLakeFhirStore(HttpClient http, HealthLakeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        aws = new AwsHttp(http, new AwsErrorMapper("HealthLake", AwsExceptions.Store("fhir.invalid_resource", "fhir.not_found", "fhir.conflict")));
        this.options = options;
        baseUri = options.BaseUri;
    }

    public async Task<string> UpsertAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        var (resourceType, id) = FhirAddress.Of(resource);
        var operation = $"PUT {resourceType}";
        var answer = await SendAsync(HttpMethod.Put, Relative($"{resourceType}/{id}"), FhirJson.SerializeToUtf8Bytes(resource), null, operation, cancellationToken);
        if (!answer.IsSuccess)
        {
            throw Fail(answer, operation);
        }

        return VersionOf(answer)
            ?? throw aws.Errors.Unavailable(operation, "the answer carried no version (no ETag, no meta.versionId).");
    }

    /// <summary>
    /// FHIR create (POST Type): the server assigns the id. Returns the stored resource. A retry with the same content
    /// sends the same idempotency key, and HealthLake's 409 replay of the original resource is returned as success.
    /// </summary>
    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        return await PostAsync(resource.ResourceType, Relative(resource.ResourceType), resource, cancellationToken);
    }

    /// <summary>
    /// Posts a transaction (or batch) Bundle to the base and returns the response Bundle. HealthLake runs a
    /// transaction atomically; the idempotency key makes a retried POST replay instead of applying twice.
    /// </summary>
    public async Task<Bundle> TransactionAsync(Bundle bundle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.Type is not ("transaction" or "batch"))
        {
            throw new ValidationException("fhir.invalid_resource", "A transaction must be a Bundle of type transaction or batch.");
        }

        return await PostAsync("Bundle", baseUri, bundle, cancellationToken);
    }

    public async Task<Resource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        FhirAddress.Validate(resourceType, id);
        var operation = $"GET {resourceType}";
        var answer = await SendAsync(HttpMethod.Get, Relative($"{resourceType}/{id}"), null, null, operation, cancellationToken);
        if (answer.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return null;
        }

        return answer.IsSuccess ? Parse<Resource>(answer, operation) : throw Fail(answer, operation);
    }

    /// <summary>
    /// GET Type?params, following the Bundle's <c>next</c> links (same origin only: a signed request never leaves the
    /// data store) up to <see cref="HealthLakeOptions.MaxSearchPages"/> pages. Returns the <c>match</c> entries, not
    /// <c>_include</c>d ones.
    /// </summary>
    public async Task<IReadOnlyList<Resource>> SearchAsync(
        string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        FhirAddress.ValidateType(resourceType);

        var operation = $"search {resourceType}";
        var results = new List<Resource>();
        var query = AwsQueryString.Canonical(parameters);
        Uri? next = new(Relative(resourceType).AbsoluteUri + (query.Length == 0 ? "" : "?" + query));
        for (var page = 0; next is not null; page++)
        {
            if (page == options.MaxSearchPages)
            {
                throw aws.Errors.Unavailable(operation, $"more than {options.MaxSearchPages} pages; narrow the search.");
            }

            var answer = await SendAsync(HttpMethod.Get, next, null, null, operation, cancellationToken);
            if (!answer.IsSuccess)
            {
                throw Fail(answer, operation);
            }

            var bundle = Parse<Bundle>(answer, operation);
            foreach (var entry in bundle.Entry ?? [])
            {
                if (entry.Resource is { } found && entry.Search?.Mode is null or "match")
                {
                    results.Add(found);
                }
            }

            next = NextLink(bundle, operation);
        }

        return results;
    }

    /// <summary>DELETE Type/id: true when it existed (2xx), false on 404/410.</summary>
    public async Task<bool> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        FhirAddress.Validate(resourceType, id);
        var operation = $"DELETE {resourceType}";
        var answer = await SendAsync(HttpMethod.Delete, Relative($"{resourceType}/{id}"), null, null, operation, cancellationToken);
        if (answer.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return false;
        }

        return answer.IsSuccess ? true : throw Fail(answer, operation);
    }

    /// <summary>
    /// The idempotency key for a POST: an RFC 9562 version-8 UUID from SHA-256 over the resource type and the body, so
    /// the same create retried gives the same key and a different body never collides.
    /// </summary>
    public static string IdempotencyKeyFor(string resourceType, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        var typeBytes = Encoding.UTF8.GetBytes(resourceType + "\n");
        var input = new byte[typeBytes.Length + body.Length];
        typeBytes.CopyTo(input, 0);
        body.CopyTo(input.AsSpan(typeBytes.Length));
        var hash = SHA256.HashData(input);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC variant
        var hex = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    private async Task<T> PostAsync<T>(string resourceType, Uri uri, T resource, CancellationToken cancellationToken)
        where T : Resource
    {
        var operation = $"POST {resourceType}";
        var body = FhirJson.SerializeToUtf8Bytes(resource);
        var answer = await SendAsync(HttpMethod.Post, uri, body, IdempotencyKeyFor(resourceType, body), operation, cancellationToken);
        if (answer.IsSuccess)
        {
            return Parse<T>(answer, operation);
        }

        // A replay of our key comes back as 409 with the original resource; any other 409 carries an OperationOutcome.
        if (answer.Status == HttpStatusCode.Conflict && TryParse(answer.Body) is T original)
        {
            return original;
        }

        throw Fail(answer, operation);
    }

    private async Task<AwsAnswer> SendAsync(
        HttpMethod method, Uri uri, byte[]? body, string? idempotencyKey, string operation, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirMediaType));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(FhirMediaType);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, idempotencyKey);
        }

        return await aws.SendAsync(request, operation, cancellationToken);
    }

    private Uri Relative(string path) => new(baseUri, path);

    /// <summary>The next page; the signing handler puts its query into canonical form before it is signed and sent.</summary>
    private Uri? NextLink(Bundle bundle, string operation)
    {
        if (bundle.Link?.FirstOrDefault(l => l.Relation == "next")?.Url is not { } url)
        {
            return null;
        }

        if (!Uri.TryCreate(baseUri, url, out var next)
            || Uri.Compare(next, baseUri, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            throw aws.Errors.Unavailable(operation, "the next link leaves the data store's origin.");
        }

        return next;
    }

    /// <summary>meta.versionId of the stored resource in the answer, else the ETag (W/"3").</summary>
    private static string? VersionOf(AwsAnswer answer) =>
        TryParse(answer.Body)?.Meta?.VersionId ?? answer.Headers.ETag?.Tag.Trim('"');

    /// <summary>The mapped error, with the OperationOutcome's diagnostics as its detail.</summary>
    private Exception Fail(AwsAnswer answer, string operation) => aws.Fail(answer, operation, Diagnostics(answer.Body));

    /// <summary>issue[].diagnostics (or details.text) of an OperationOutcome body; empty when the body is not one.</summary>
    private static string Diagnostics(byte[] content)
    {
        if (TryParse(content) is not OperationOutcome outcome)
        {
            return "";
        }

        var texts = (outcome.Issue ?? [])
            .Select(issue => issue.Diagnostics ?? issue.Details?.Text)
            .Where(text => !string.IsNullOrWhiteSpace(text));
        return string.Join("; ", texts);
    }

    private T Parse<T>(AwsAnswer answer, string operation)
        where T : Resource =>
        TryParse(answer.Body) as T ?? throw aws.Errors.Unavailable(operation, $"the answer is not a {typeof(T).Name} this model reads.");

    private static Resource? TryParse(byte[] content)
    {
        if (content.Length == 0)
        {
            return null;
        }

        try
        {
            return FhirJson.Parse(content);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
