using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Pipeline;
using MedVision.Fhir;
using MedVision.Local.Fhir;
using MedVision.Local.Twins;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace MedVision.Twins.Fhir;

/// <summary>
/// The FHIR R4 RESTful API over <see cref="SqliteFhirStore"/>, JSON only: create, read, vread, update (create on
/// update allowed), delete, instance and type history, type search, atomic transaction Bundles and the
/// CapabilityStatement at <c>metadata</c>. Every error is an OperationOutcome. Unknown search parameters are refused
/// with 400 (strict handling), never silently ignored, so a client cannot mistake an unfiltered list for an answer.
/// </summary>
public sealed class FhirServer(SqliteFhirStore store, IIdGenerator ids, TimeProvider time)
{
    private readonly FhirTransaction transactions = new(store, ids);

    public const string MediaType = FhirRest.MediaType;
    private const string ContentType = MediaType + "; charset=utf-8";

    /// <summary>Handles a request whose path below the FHIR base is <paramref name="path"/> (e.g. "Patient/1/_history").</summary>
    public async Task HandleAsync(HttpContext context, string basePath)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var path = context.Request.Path.Value ?? "";
            path = path.Length >= basePath.Length ? path[basePath.Length..] : "";
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            await DispatchAsync(context, segments, BaseUrl(context.Request, basePath));
        }
        catch (FhirHttpException ex)
        {
            await WriteOutcomeAsync(context, ex.Status, ex.IssueCode, ex.Message);
        }
        catch (PreconditionFailedException ex)
        {
            await WriteOutcomeAsync(context, 412, "conflict", ex.Message);
        }
        catch (MedVisionException ex)
        {
            await WriteOutcomeAsync(context, ex.HttpStatus == 400 ? 422 : ex.HttpStatus, "processing", ex.Message);
        }
        catch (JsonException ex)
        {
            await WriteOutcomeAsync(context, 400, "structure", $"The body is not valid JSON: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Even a bug answers in FHIR; the type name is enough to find it, and carries no resource content.
            await WriteOutcomeAsync(context, 500, "exception", $"Internal error ({ex.GetType().Name}).");
        }
    }

    private static string BaseUrl(HttpRequest request, string basePath) => $"{request.Scheme}://{request.Host}{request.PathBase}{basePath}";

    private Task DispatchAsync(HttpContext context, string[] s, string baseUrl)
    {
        var method = context.Request.Method;
        return s switch
        {
            [] => method == "POST" ? TransactionAsync(context, baseUrl) : throw NotAllowed(method, "the base (POST a transaction Bundle)"),
            ["metadata"] => method == "GET" ? Write(context, 200, FhirCapability.Statement(time.GetUtcNow(), baseUrl)) : throw NotAllowed(method, "metadata (GET)"),
            [var type] => method switch
            {
                "GET" => SearchAsync(context, FhirRest.Supported(type), baseUrl),
                "POST" => CreateAsync(context, FhirRest.Supported(type), baseUrl),
                _ => throw NotAllowed(method, $"{type} (GET search, POST create)"),
            },
            [var type, "_history"] => method == "GET" ? HistoryAsync(context, FhirRest.Supported(type), null, baseUrl) : throw NotAllowed(method, "history (GET)"),
            [var type, var id] => method switch
            {
                "GET" => ReadAsync(context, FhirRest.Supported(type), FhirRest.Id(id)),
                "PUT" => UpdateAsync(context, FhirRest.Supported(type), FhirRest.Id(id), baseUrl),
                "DELETE" => DeleteAsync(context, FhirRest.Supported(type), FhirRest.Id(id)),
                _ => throw NotAllowed(method, $"{type}/{id} (GET read, PUT update, DELETE delete)"),
            },
            [var type, var id, "_history"] => method == "GET" ? HistoryAsync(context, FhirRest.Supported(type), FhirRest.Id(id), baseUrl) : throw NotAllowed(method, "history (GET)"),
            [var type, var id, "_history", var vid] => method == "GET" ? VReadAsync(context, FhirRest.Supported(type), FhirRest.Id(id), vid) : throw NotAllowed(method, "vread (GET)"),
            _ => throw new FhirHttpException(404, "not-found", $"No FHIR interaction at '{string.Join('/', s)}'."),
        };
    }

    private static FhirHttpException NotAllowed(string method, string what) =>
        new(405, "not-supported", $"{method} is not allowed on {what}.");

    // ---- instance and type interactions ----

    private async Task ReadAsync(HttpContext context, string type, string id)
    {
        var (state, resource) = await store.ReadStateAsync(type, id, context.RequestAborted);
        await WriteResourceAsync(context, Found(state, resource, $"{type}/{id}"), 200);
    }

    private async Task VReadAsync(HttpContext context, string type, string id, string vid)
    {
        if (!long.TryParse(vid, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new FhirHttpException(404, "not-found", $"{type}/{id} has no version '{vid}'.");
        }

        var (state, resource) = await store.ReadVersionAsync(type, id, version, context.RequestAborted);
        await WriteResourceAsync(context, Found(state, resource, $"{type}/{id}/_history/{vid}"), 200);
    }

    private static JsonObject Found(FhirReadState state, JsonObject? resource, string address) => state switch
    {
        FhirReadState.Found => resource!,
        FhirReadState.Deleted => throw new FhirHttpException(410, "deleted", $"{address} has been deleted."),
        _ => throw new FhirHttpException(404, "not-found", $"{address} is not known."),
    };

    private async Task CreateAsync(HttpContext context, string type, string baseUrl)
    {
        var resource = await ReadResourceAsync(context, type);

        // R4 create: the server assigns the id; one in the body is ignored.
        var id = ids.NewId();
        resource["id"] = id;
        var result = (await store.WriteAsync([new FhirWrite(type, id, resource, null)], context.RequestAborted))[0];
        context.Response.Headers.Location = $"{baseUrl}/{type}/{id}/_history/{result.VersionId}";
        await WriteResourceAsync(context, result.Resource!, 201);
    }

    private async Task UpdateAsync(HttpContext context, string type, string id, string baseUrl)
    {
        var resource = await ReadResourceAsync(context, type);
        var bodyId = resource["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (bodyId != id)
        {
            throw new FhirHttpException(400, "invalid", bodyId is null
                ? $"An update needs the resource's id in the body ({id})."
                : $"The body's id '{bodyId}' does not match the URL's '{id}'.");
        }

        var result = (await store.WriteAsync([new FhirWrite(type, id, resource, IfMatch(context.Request.Headers.IfMatch))], context.RequestAborted))[0];
        if (result.Created)
        {
            context.Response.Headers.Location = $"{baseUrl}/{type}/{id}/_history/{result.VersionId}";
        }

        await WriteResourceAsync(context, result.Resource!, result.Created ? 201 : 200);
    }

    private async Task DeleteAsync(HttpContext context, string type, string id)
    {
        var result = (await store.WriteAsync([new FhirWrite(type, id, null, IfMatch(context.Request.Headers.IfMatch))], context.RequestAborted))[0];
        if (result.Existed)
        {
            context.Response.Headers.ETag = FhirRest.ETag(result.VersionId);
        }

        // R4: 204 whether or not the resource existed; a later read answers 410 Gone.
        context.Response.StatusCode = 204;
    }

    private static long? IfMatch(StringValues header) => FhirRest.ParseIfMatch(StringValues.IsNullOrEmpty(header) ? null : header.ToString());

    private async Task HistoryAsync(HttpContext context, string type, string? id, string baseUrl)
    {
        if (context.Request.Query.Count > 0)
        {
            throw new FhirHttpException(400, "not-supported", $"History takes no parameters here (got {string.Join(", ", context.Request.Query.Keys)}).");
        }

        var versions = await store.VersionsAsync(type, id, context.RequestAborted);
        if (id is not null && versions.Count == 0)
        {
            throw new FhirHttpException(404, "not-found", $"{type}/{id} is not known.");
        }

        var entries = new JsonArray();
        foreach (var v in versions)
        {
            var entry = new JsonObject { ["fullUrl"] = $"{baseUrl}/{type}/{v.Id}" };
            if (v.Resource is not null)
            {
                entry["resource"] = v.Resource;
            }

            var created = v.Resource is not null && !versions.Any(o => o.Id == v.Id && o.VersionId < v.VersionId && o.Resource is not null);
            entry["request"] = new JsonObject
            {
                ["method"] = v.Resource is null ? "DELETE" : created ? "POST" : "PUT",
                ["url"] = created ? type : $"{type}/{v.Id}",
            };
            entry["response"] = new JsonObject
            {
                ["status"] = v.Resource is null ? "204 No Content" : created ? "201 Created" : "200 OK",
                ["etag"] = FhirRest.ETag(v.VersionId),
                ["lastModified"] = v.LastUpdated,
            };
            entries.Add((JsonNode)entry);
        }

        var self = $"{baseUrl}/{type}{(id is null ? "" : "/" + id)}/_history";
        await Write(context, 200, new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "history",
            ["total"] = versions.Count,
            ["link"] = new JsonArray(new JsonObject { ["relation"] = "self", ["url"] = self }),
            ["entry"] = entries,
        });
    }

    // ---- search ----

    private async Task SearchAsync(HttpContext context, string type, string baseUrl)
    {
        var query = context.Request.Query;
        foreach (var name in query.Keys)
        {
            FhirSearch.CheckParameter(type, name);
        }

        if (query.TryGetValue("_format", out var format) && format.Any(f => f is not ("json" or MediaType or "application/json")))
        {
            throw new FhirHttpException(400, "not-supported", "Only JSON is served (_format json, application/fhir+json).");
        }

        var count = WholeNumber(query, "_count", FhirSearch.DefaultCount, FhirSearch.MaxCount);
        var offset = WholeNumber(query, "_offset", 0, int.MaxValue);
        var include = false;
        foreach (var value in query.TryGetValue("_include", out var includes) ? includes : StringValues.Empty)
        {
            include = value == FhirSearch.IncludeResult && type == "DiagnosticReport"
                ? true
                : throw new FhirHttpException(400, "not-supported", $"_include={value} is not supported (only {FhirSearch.IncludeResult} on DiagnosticReport).");
        }

        var filters = query.Where(q => !FhirSearch.Control.Contains(q.Key)).SelectMany(q => q.Value.Select(v => (q.Key, Value: v ?? ""))).ToList();
        foreach (var (name, value) in filters)
        {
            FhirSearch.CheckValue(name, value);
        }

        var all = await store.AllAsync(type, context.RequestAborted);
        var matches = all.Where(r => filters.All(f => FhirSearch.Matches(r, type, f.Key, f.Value))).ToList();
        var page = matches.Skip(offset).Take(count).ToList();

        var entries = new JsonArray();
        foreach (var resource in page)
        {
            entries.Add((JsonNode)SearchEntry(baseUrl, resource, "match"));
        }

        if (include)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var reference in page.SelectMany(r => r["result"] as JsonArray ?? []).Select(r => r?["reference"]?.GetValue<string>()))
            {
                if (reference?.Split('/') is [.., "Observation", var id] && FhirId.IsValid(id) && seen.Add(id)
                    && await store.ReadJsonAsync("Observation", id, context.RequestAborted) is { } observation)
                {
                    entries.Add((JsonNode)SearchEntry(baseUrl, observation, "include"));
                }
            }
        }

        var kept = query.Where(q => q.Key is not ("_count" or "_offset")).SelectMany(q => q.Value.Select(v => (q.Key, Value: v ?? ""))).ToList();
        string Link(int at) => $"{baseUrl}/{type}?" + string.Join('&', kept.Append(("_count", count.ToString(CultureInfo.InvariantCulture)))
            .Append(("_offset", at.ToString(CultureInfo.InvariantCulture)))
            .Select(p => Uri.EscapeDataString(p.Item1) + "=" + Uri.EscapeDataString(p.Item2)));
        var links = new JsonArray(new JsonObject { ["relation"] = "self", ["url"] = Link(offset) });
        if (count > 0 && offset + count < matches.Count)
        {
            links.Add((JsonNode)new JsonObject { ["relation"] = "next", ["url"] = Link(offset + count) });
        }

        if (count > 0 && offset > 0)
        {
            links.Add((JsonNode)new JsonObject { ["relation"] = "previous", ["url"] = Link(Math.Max(0, offset - count)) });
        }

        await Write(context, 200, new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "searchset",
            ["total"] = matches.Count,
            ["link"] = links,
            ["entry"] = entries,
        });
    }

    private static JsonObject SearchEntry(string baseUrl, JsonObject resource, string mode) => new()
    {
        ["fullUrl"] = $"{baseUrl}/{resource["resourceType"]}/{resource["id"]}",
        ["resource"] = resource,
        ["search"] = new JsonObject { ["mode"] = mode },
    };

    private static int WholeNumber(IQueryCollection query, string name, int fallback, int max)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return fallback;
        }

        return values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? Math.Min(n, max)
            : throw new FhirHttpException(400, "invalid", $"{name} must be one whole number, not '{values}'.");
    }

    // ---- transaction ----

    private async Task TransactionAsync(HttpContext context, string baseUrl)
    {
        var bundle = await ReadResourceAsync(context, "Bundle");
        await Write(context, 200, await transactions.ExecuteAsync(bundle, baseUrl, context.RequestAborted));
    }

    // ---- request and response bodies ----

    private static async Task<JsonObject> ReadResourceAsync(HttpContext context, string expectedType)
    {
        var contentType = context.Request.ContentType?.Split(';')[0].Trim();
        if (contentType is not (MediaType or "application/json"))
        {
            throw new FhirHttpException(415, "not-supported", $"Send the resource as {MediaType} (got '{context.Request.ContentType ?? "no content type"}').");
        }

        var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var resource = node as JsonObject ?? throw new FhirHttpException(400, "structure", "The body must be a JSON object (a FHIR resource).");
        var type = Text(resource["resourceType"]) ?? throw new FhirHttpException(400, "structure", "The resource has no resourceType.");
        if (type != expectedType)
        {
            throw new FhirHttpException(400, "invalid", $"The body is a {type}, but this URL takes a {expectedType}.");
        }

        if (resource["meta"] is { } meta and not JsonObject)
        {
            throw new FhirHttpException(422, "structure", $"{type}.meta must be an object.");
        }

        return resource;
    }

    private static async Task WriteResourceAsync(HttpContext context, JsonObject resource, int status)
    {
        if (resource["meta"] is JsonObject meta)
        {
            if (Text(meta["versionId"]) is { } version)
            {
                context.Response.Headers.ETag = $"W/\"{version}\"";
            }

            if (Text(meta["lastUpdated"]) is { } updated && DateTimeOffset.TryParse(updated, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                context.Response.Headers.LastModified = at.ToString("R", CultureInfo.InvariantCulture);
            }
        }

        await Write(context, status, resource);
    }

    private static Task Write(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        return context.Response.WriteAsync(body.ToJsonString(), Encoding.UTF8, context.RequestAborted);
    }

    public static Task WriteOutcomeAsync(HttpContext context, int status, string issueCode, string diagnostics)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.Clear();
        return Write(context, status, FhirRest.Outcome("error", issueCode, diagnostics));
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
