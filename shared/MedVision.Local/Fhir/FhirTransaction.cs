using System.Text.Json.Nodes;
using MedVision.Core.Pipeline;
using MedVision.Fhir;
using MedVision.Local.Twins;

namespace MedVision.Local.Fhir;

/// <summary>
/// FHIR R4 transaction Bundle processing over <see cref="SqliteFhirStore"/>, independent of HTTP: the REST endpoint
/// (POST to the base, JSON) and <see cref="SqliteFhirStore.TransactionAsync"/> (typed) both run this, so the pipeline
/// and a FHIR client get the same outcome for the same Bundle. Every entry is checked and every urn reference resolved
/// before anything is written, then all writes go through the store's one atomic <see cref="SqliteFhirStore.WriteAsync"/>.
/// </summary>
/// <remarks>Errors are <see cref="FhirHttpException"/> (status and issue code as the REST API answers them) or, from
/// the store, <see cref="PreconditionFailedException"/> / <see cref="MedVision.Core.ValidationException"/>.</remarks>
public sealed class FhirTransaction(SqliteFhirStore store, IIdGenerator ids)
{
    /// <summary>Applies a transaction Bundle (JSON, as the REST API receives it) and returns its transaction-response Bundle.</summary>
    /// <param name="baseUrl">The server's FHIR base; when set, response entries carry absolute fullUrls (a store call has no base, so none).</param>
    public async Task<JsonObject> ExecuteAsync(JsonObject bundle, string? baseUrl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        CheckBundle(Text(bundle["resourceType"]), Text(bundle["type"]));
        var entries = (bundle["entry"] as JsonArray ?? []).Select((node, i) =>
        {
            var entry = node as JsonObject ?? throw Bad(i, "is not an object");
            var request = entry["request"] as JsonObject;
            // A copy: the caller's Bundle keeps its urn references.
            var resource = (entry["resource"] as JsonObject)?.DeepClone().AsObject();
            return new Entry(
                i, request is not null, Text(request?["method"]), Text(request?["url"]), Text(request?["ifMatch"]), Text(entry["fullUrl"]), resource);
        }).ToList();

        var responseEntries = new JsonArray();
        foreach (var (plan, result) in await RunAsync(entries, cancellationToken))
        {
            var answer = Answer(plan, result);
            var response = new JsonObject { ["status"] = answer.Status };
            if (answer.Location is not null)
            {
                response["location"] = answer.Location;
            }

            if (answer.ETag is not null)
            {
                response["etag"] = answer.ETag;
                response["lastModified"] = answer.LastModified;
            }

            var entry = new JsonObject();
            if (result.Resource is { } written)
            {
                if (baseUrl is not null)
                {
                    entry["fullUrl"] = $"{baseUrl}/{plan.Type}/{plan.Id}";
                }

                entry["resource"] = written;
            }

            entry["response"] = response;
            responseEntries.Add((JsonNode)entry);
        }

        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "transaction-response",
            ["entry"] = responseEntries,
        };
    }

    /// <summary>
    /// Applies a typed transaction Bundle (the pipeline's path): each entry's resource becomes JSON once, on its way
    /// into the store, and the answer is a typed transaction-response whose entries carry the response (status,
    /// location, etag, lastModified) only; the stored resources are read back when wanted.
    /// </summary>
    public async Task<Bundle> ExecuteAsync(Bundle bundle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        CheckBundle(bundle.ResourceType, bundle.Type);
        var entries = (bundle.Entry ?? []).Select((entry, i) => entry is null
            ? throw Bad(i, "is not an object")
            : new Entry(
                i, entry.Request is not null, entry.Request?.Method, entry.Request?.Url, entry.Request?.IfMatch, entry.FullUrl,
                entry.Resource is { } resource ? FhirJson.ToJsonObject(resource) : null)).ToList();

        var responses = new List<BundleEntry>();
        foreach (var (plan, result) in await RunAsync(entries, cancellationToken))
        {
            var answer = Answer(plan, result);
            responses.Add(new BundleEntry
            {
                Response = new BundleEntryResponse
                {
                    Status = answer.Status, Location = answer.Location, Etag = answer.ETag, LastModified = answer.LastModified,
                },
            });
        }

        return new Bundle { Type = "transaction-response", Entry = responses };
    }

    private static void CheckBundle(string? resourceType, string? bundleType)
    {
        if (resourceType != "Bundle")
        {
            throw new FhirHttpException(400, "invalid", $"A transaction is a Bundle, not a {resourceType ?? "resource without resourceType"}.");
        }

        if (bundleType != "transaction")
        {
            throw new FhirHttpException(400, "not-supported", $"POST to the base takes a Bundle of type transaction (got '{bundleType ?? "none"}'); batch is not supported.");
        }
    }

    /// <summary>
    /// Checks every entry and resolves every urn reference before anything is written, then writes all of it in the
    /// store's one atomic call. Answers (plan, result) per entry in request order.
    /// </summary>
    private async Task<List<(Plan Plan, FhirWriteResult Result)>> RunAsync(IReadOnlyList<Entry> entries, CancellationToken cancellationToken)
    {
        var plans = new List<Plan>();
        var fullUrls = new Dictionary<string, string>(StringComparer.Ordinal);
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var i = entry.Index;
            if (!entry.HasRequest)
            {
                throw Bad(i, "has no request (bdl-3)");
            }

            var method = entry.Method ?? throw Bad(i, "has no request.method");
            var url = entry.Url ?? throw Bad(i, "has no request.url");
            if (url.Contains('?', StringComparison.Ordinal))
            {
                throw new FhirHttpException(400, "not-supported", $"Bundle.entry[{i}]: conditional operations ({url}) are not supported.");
            }

            var resource = entry.Resource;
            var (type, id) = (method, url.Split('/')) switch
            {
                ("POST", [var t]) => (FhirRest.Supported(t), ids.NewId()),
                ("PUT" or "DELETE", [var t, var u]) => (FhirRest.Supported(t), FhirRest.Id(u)),
                ("POST" or "PUT" or "DELETE", _) => throw Bad(i, $"request.url '{url}' does not fit {method} (POST Type, PUT/DELETE Type/id)"),
                _ => throw new FhirHttpException(400, "not-supported", $"Bundle.entry[{i}]: method {method} is not supported in a transaction (POST, PUT, DELETE are)."),
            };
            if (method == "DELETE")
            {
                resource = null;
            }
            else
            {
                if (resource is null)
                {
                    throw Bad(i, $"{method} needs a resource");
                }

                if (Text(resource["resourceType"]) != type)
                {
                    throw Bad(i, $"resource type '{Text(resource["resourceType"])}' does not match request.url '{url}'");
                }

                if (method == "PUT" && Text(resource["id"]) != id)
                {
                    throw Bad(i, $"resource id does not match request.url '{url}'");
                }

                resource["id"] = id;
            }

            if (!targets.Add($"{type}/{id}"))
            {
                throw new FhirHttpException(409, "conflict", $"Bundle.entry[{i}]: {type}/{id} is the target of more than one entry of the transaction.");
            }

            if (entry.FullUrl is { } fullUrl && !fullUrls.TryAdd(fullUrl, $"{type}/{id}"))
            {
                throw Bad(i, $"fullUrl '{fullUrl}' appears more than once");
            }

            plans.Add(new Plan(i, method, type, id, resource, FhirRest.ParseIfMatch(entry.IfMatch)));
        }

        foreach (var plan in plans.Where(p => p.Resource is not null))
        {
            ResolveReferences(plan.Resource!, fullUrls, plan.Index);
        }

        // R4 processing order: deletes, then creates, then updates; the answer keeps the request order.
        var ordered = plans.OrderBy(p => p.Method switch { "DELETE" => 0, "POST" => 1, _ => 2 }).ToList();
        var results = await store.WriteAsync(ordered.Select(p => new FhirWrite(p.Type, p.Id, p.Resource, p.IfMatch)).ToList(), cancellationToken);
        var byIndex = ordered.Select((p, k) => (p.Index, Result: results[k])).ToDictionary(x => x.Index, x => x.Result);
        return plans.Select(p => (p, byIndex[p.Index])).ToList();
    }

    private static EntryAnswer Answer(Plan plan, FhirWriteResult result)
    {
        var status = plan.Method == "DELETE" ? "204 No Content" : result.Created ? "201 Created" : "200 OK";
        if (result.VersionId == 0)
        {
            return new EntryAnswer(status, null, null, null);
        }

        var location = plan.Method == "DELETE" ? null : $"{plan.Type}/{plan.Id}/_history/{result.VersionId}";
        return new EntryAnswer(status, location, FhirRest.ETag(result.VersionId), result.LastUpdated);
    }

    private static FhirHttpException Bad(int index, string what) => new(400, "invalid", $"Bundle.entry[{index}] {what}.");

    /// <summary>Rewrites every Reference.reference that names an entry's fullUrl to the id the server gave it.</summary>
    private static void ResolveReferences(JsonNode node, Dictionary<string, string> fullUrls, int index)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["reference"] is JsonValue value && value.TryGetValue<string>(out var reference))
                {
                    if (fullUrls.TryGetValue(reference, out var resolved))
                    {
                        obj["reference"] = resolved;
                    }
                    else if (reference.StartsWith("urn:uuid:", StringComparison.Ordinal) || reference.StartsWith("urn:oid:", StringComparison.Ordinal))
                    {
                        throw new FhirHttpException(422, "processing", $"Bundle.entry[{index}] references {reference}, which is no entry's fullUrl in this transaction.");
                    }
                }

                foreach (var child in obj.Select(p => p.Value).OfType<JsonNode>().ToList())
                {
                    ResolveReferences(child, fullUrls, index);
                }

                break;
            case JsonArray array:
                foreach (var child in array.OfType<JsonNode>().ToList())
                {
                    ResolveReferences(child, fullUrls, index);
                }

                break;
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>One request entry, whichever form the Bundle came in; <see cref="Resource"/> is the transaction's own copy.</summary>
    private sealed record Entry(int Index, bool HasRequest, string? Method, string? Url, string? IfMatch, string? FullUrl, JsonObject? Resource);

    private sealed record Plan(int Index, string Method, string Type, string Id, JsonObject? Resource, long? IfMatch);

    private sealed record EntryAnswer(string Status, string? Location, string? ETag, string? LastModified);
}
