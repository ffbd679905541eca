using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Aws;
using MedVision.Core;
using MedVision.Local.Twins;
using Microsoft.AspNetCore.Http;

namespace MedVision.Twins;

/// <summary>
/// A loopback stand-in for HealthLake's FHIR REST API on a <see cref="SigV4LoopbackServer"/>, storing resources in a
/// <see cref="SqliteFhirStore"/>. Every request's SigV4 signature is recomputed by botocore and a bad one is answered
/// 403. POST creates require a UUID
/// <c>x-amz-fhir-idempotency-key</c> and answer a replayed key with 409 and the original resource, as HealthLake
/// documents. Search pages by <c>_count</c> (default <see cref="PageSize"/>) with <c>next</c> links whose query is
/// deliberately not in canonical order or encoding.
/// </summary>
public sealed class HealthLakeTwin : IAsyncDisposable
{
    public const string DatastoreId = "0123456789abcdef0123456789abcdef";
    public const string Region = "eu-west-2";
    public static readonly AwsCredentials Credentials = new("AKIDTWINEXAMPLE", "twin/secret+key", "twin-session-token");

    private readonly SqliteFhirStore backend;
    private readonly AwsCredentials credentials;
    private readonly string region;
    private readonly ConcurrentQueue<(int Status, string? Body)> scripted = new();
    private readonly ConcurrentDictionary<string, (string Type, string Id)> createdByKey = new();
    private SigV4LoopbackServer server = null!;
    private int nextId;

    private HealthLakeTwin(SqliteFhirStore backend, AwsCredentials credentials, string region)
    {
        this.backend = backend;
        this.credentials = credentials;
        this.region = region;
    }

    public ConcurrentQueue<TwinRequest> Requests => server.Requests;

    public int PageSize { get; set; } = 100;

    public Uri Endpoint { get; private set; } = null!;

    public HealthLakeOptions Options => new(region, DatastoreId) { Endpoint = server.Address };

    /// <summary>The signing region requests must name.</summary>
    public string SigningRegion => region;

    /// <summary>The server's root, e.g. http://127.0.0.1:41234/ (the FHIR base is <see cref="Endpoint"/>).</summary>
    public Uri Address => server.Address;

    /// <summary>The credentials requests must be signed with.</summary>
    public AwsCredentials SigningCredentials => credentials;

    /// <param name="databasePath">The SQLite file that holds the resources (created when missing).</param>
    /// <param name="credentials">The key requests must be signed with; <see cref="Credentials"/> when null.</param>
    /// <param name="port">The loopback port; 0 lets the OS pick.</param>
    /// <param name="region">The signing region requests must name; <see cref="Region"/> when null.</param>
    public static async Task<HealthLakeTwin> StartAsync(string databasePath, TimeProvider clock, AwsCredentials? credentials = null, int port = 0, string? region = null)
    {
        var twin = new HealthLakeTwin(new SqliteFhirStore(databasePath, clock), credentials ?? Credentials, region ?? Region);
        try
        {
            twin.server = await SigV4LoopbackServer.StartAsync(twin.credentials, twin.region, HealthLakeFhirStore.Service, clock, twin.HandleAsync, port);
        }
        catch
        {
            twin.backend.Dispose();
            throw;
        }

        twin.Endpoint = new Uri(twin.server.Address, $"datastore/{DatastoreId}/r4/");
        return twin;
    }

    /// <summary>The next request is answered with this status and body (after its signature passed).</summary>
    public void Script(int status, string? body = null) => scripted.Enqueue((status, body));

    public static string Outcome(string code, string diagnostics) => new JsonObject
    {
        ["resourceType"] = "OperationOutcome",
        ["issue"] = new JsonArray(new JsonObject { ["severity"] = "error", ["code"] = code, ["diagnostics"] = diagnostics }),
    }.ToJsonString();

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        backend.Dispose();
    }

    private async Task HandleAsync(HttpContext context, TwinRequest request)
    {
        if (!request.SignatureValid)
        {
            await AnswerAsync(context, 403, Outcome("security", "The request signature we calculated does not match the signature you provided."));
            return;
        }

        if (scripted.TryDequeue(out var canned))
        {
            await AnswerAsync(context, canned.Status, canned.Body);
            return;
        }

        try
        {
            await RouteAsync(context, request.Target, request.Body);
        }
        catch (ValidationException e)
        {
            await AnswerAsync(context, 400, Outcome("invalid", e.Message));
        }
    }

    private async Task RouteAsync(HttpContext context, string target, byte[] body)
    {
        var prefix = $"/datastore/{DatastoreId}/r4/";
        var path = target.Split('?', 2)[0];
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            await AnswerAsync(context, 404, Outcome("not-found", "Unknown data store."));
            return;
        }

        var segments = path[prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = context.Request.Method;
        switch (segments.Length, method)
        {
            case (0, "POST"):
                await TransactionAsync(context, body);
                break;
            case (1, "GET"):
                await SearchAsync(context, segments[0], target);
                break;
            case (1, "POST"):
                await CreateAsync(context, segments[0], body);
                break;
            case (2, "GET"):
                var found = await backend.ReadJsonAsync(segments[0], segments[1]);
                if (found is null)
                {
                    var gone = (await backend.HistoryAsync(segments[0], segments[1])).Count > 0;
                    await AnswerAsync(context, gone ? 410 : 404, Outcome(gone ? "deleted" : "not-found", $"{segments[0]}/{segments[1]} is {(gone ? "deleted" : "not known")}."));
                }
                else
                {
                    await AnswerAsync(context, 200, found.ToJsonString());
                }

                break;
            case (2, "PUT"):
                var resource = Parse(body);
                if ((string?)resource["resourceType"] != segments[0] || (string?)resource["id"] != segments[1])
                {
                    await AnswerAsync(context, 400, Outcome("invalid", "resourceType and id must match the URL."));
                    break;
                }

                var written = await PutAsync(resource);
                context.Response.Headers.ETag = $"W/\"{written.VersionId}\"";
                await AnswerAsync(context, written.Created ? 201 : 200, written.Resource!.ToJsonString());
                break;
            case (2, "DELETE"):
                var deleted = await backend.DeleteAsync(segments[0], segments[1]);
                await AnswerAsync(context, deleted ? 204 : 404, deleted ? null : Outcome("not-found", "Nothing to delete."));
                break;
            default:
                await AnswerAsync(context, 405, Outcome("not-supported", $"{method} is not supported here."));
                break;
        }
    }

    private async Task CreateAsync(HttpContext context, string resourceType, byte[] body)
    {
        if (await KeyProblemAsync(context) is { } key)
        {
            if (createdByKey.TryGetValue(key, out var original))
            {
                await AnswerAsync(context, 409, (await backend.ReadJsonAsync(original.Type, original.Id))!.ToJsonString());
                return;
            }

            var resource = Parse(body);
            resource["id"] = $"hl-{Interlocked.Increment(ref nextId)}";
            var written = await PutAsync(resource);
            createdByKey[key] = (resourceType, written.Id);
            await AnswerAsync(context, 201, written.Resource!.ToJsonString());
        }
    }

    private async Task TransactionAsync(HttpContext context, byte[] body)
    {
        if (await KeyProblemAsync(context) is not { } key)
        {
            return;
        }

        if (createdByKey.TryGetValue(key, out _))
        {
            await AnswerAsync(context, 409, new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction-response" }.ToJsonString());
            return;
        }

        var responses = new JsonArray();
        foreach (var entry in (Parse(body)["entry"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var written = await PutAsync(entry["resource"]!.AsObject());
            responses.Add((JsonNode)new JsonObject { ["response"] = new JsonObject { ["status"] = "200 OK", ["etag"] = $"W/\"{written.VersionId}\"" } });
        }

        createdByKey[key] = ("Bundle", key);
        await AnswerAsync(context, 200, new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction-response", ["entry"] = responses }.ToJsonString());
    }

    /// <summary>The idempotency key when it is a UUID; otherwise answers 400 (HealthLake: "Malformed UUID") and returns null.</summary>
    private static async Task<string?> KeyProblemAsync(HttpContext context)
    {
        var key = context.Request.Headers[HealthLakeFhirStore.IdempotencyKeyHeader].ToString();
        if (Guid.TryParseExact(key, "D", out _))
        {
            return key;
        }

        await AnswerAsync(context, 400, Outcome("invalid", "x-amz-fhir-idempotency-key must be a UUID."));
        return null;
    }

    private async Task SearchAsync(HttpContext context, string resourceType, string target)
    {
        var query = target.Contains('?', StringComparison.Ordinal) ? target[(target.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        var pairs = AwsQueryString.Parse(query);
        var count = pairs.Where(p => p.Key == "_count").Select(p => int.Parse(p.Value, CultureInfo.InvariantCulture)).FirstOrDefault(PageSize);
        var page = pairs.Where(p => p.Key == "_page").Select(p => int.Parse(p.Value, CultureInfo.InvariantCulture)).FirstOrDefault(0);
        var filters = pairs.Where(p => p.Key is not ("_count" or "_page")).ToDictionary(p => p.Key, p => p.Value);
        var matches = await backend.SearchJsonAsync(resourceType, filters);
        var entries = new JsonArray(matches.Skip(page * count).Take(count)
            .Select(JsonNode? (r) => new JsonObject { ["resource"] = r, ["search"] = new JsonObject { ["mode"] = "match" } }).ToArray());
        var bundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "searchset", ["total"] = matches.Count, ["entry"] = entries };
        if ((page + 1) * count < matches.Count)
        {
            // Not canonical on purpose: _page first, '|' and '/' left raw. The client must re-canonicalize to sign it.
            var rest = string.Join('&', filters.Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value).Replace("%7C", "|", StringComparison.Ordinal).Replace("%2F", "/", StringComparison.Ordinal)}"));
            var next = $"{Endpoint}{resourceType}?_page={page + 1}&_count={count}" + (rest.Length > 0 ? "&" + rest : "");
            bundle["link"] = new JsonArray(new JsonObject { ["relation"] = "next", ["url"] = next });
        }

        await AnswerAsync(context, 200, bundle.ToJsonString());
    }

    /// <summary>Create or replace at the resource's own type and id, as stored (JSON).</summary>
    private async Task<FhirWriteResult> PutAsync(JsonObject resource)
    {
        if (resource["resourceType"] is not JsonValue t || !t.TryGetValue<string>(out var type)
            || resource["id"] is not JsonValue i || !i.TryGetValue<string>(out var id))
        {
            throw new ValidationException("fhir.invalid_resource", "A resource needs a string resourceType and id.");
        }

        return (await backend.WriteAsync([new FhirWrite(type, id, resource, IfMatch: null)]))[0];
    }

    private static JsonObject Parse(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new ValidationException("fhir.invalid_resource", "The body is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ValidationException("fhir.invalid_resource", "The body is not JSON: " + e.Message);
        }
    }

    private static async Task AnswerAsync(HttpContext context, int status, string? body)
    {
        context.Response.StatusCode = status;
        if (body is not null)
        {
            context.Response.ContentType = "application/fhir+json";
            await context.Response.WriteAsync(body);
        }
    }
}
