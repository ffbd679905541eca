using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Fhir;

namespace MedVision.Testing;

/// <summary>Ids "id-0001", "id-0002", … in call order.</summary>
public sealed class SequentialIds(string prefix = "id") : IIdGenerator
{
    private int next;

    public string NewId() => $"{prefix}-{Interlocked.Increment(ref next):D4}";
}

public sealed class InMemoryObjectStore : IObjectStore
{
    public ConcurrentDictionary<string, StoredObject> Objects { get; } = new(StringComparer.Ordinal);

    public Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        Objects[key] = new StoredObject(key, content.ToArray(), contentType);
        return Task.CompletedTask;
    }

    public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(Objects.TryGetValue(key, out var o) ? o : null);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => Task.FromResult(Objects.TryRemove(key, out _));

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(Objects.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList());

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult<Stream?>(Objects.TryGetValue(key, out var o) ? new MemoryStream(o.Content, writable: false) : null);

    public string UrlFor(string key) => $"memory://objects/{key}";

    public string S3UriFor(string key) => $"s3://memory/{key}";
}

/// <summary>Multipart uploads into an <see cref="InMemoryObjectStore"/>, with the same rules as the S3 and disk adapters.</summary>
public sealed class InMemoryUploadSessions(InMemoryObjectStore objects) : IUploadSessions
{
    private readonly ConcurrentDictionary<string, (string Key, string ContentType, ConcurrentDictionary<int, byte[]> Parts)> uploads = new(StringComparer.Ordinal);
    private int next;

    public Task<UploadSession> BeginAsync(string key, string contentType, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidateKey(key);
        var id = $"upload-{Interlocked.Increment(ref next):D4}";
        uploads[id] = (key, contentType, new ConcurrentDictionary<int, byte[]>());
        return Task.FromResult(new UploadSession(key, id));
    }

    public string PartUrl(UploadSession session, int partNumber)
    {
        MultipartUploads.ValidateSession(session);
        MultipartUploads.ValidatePartNumber(partNumber);
        return $"memory://uploads/{session.UploadId}/{partNumber}";
    }

    public Task<IReadOnlyList<UploadedPart>> ListPartsAsync(UploadSession session, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<UploadedPart>>(
            Find(session).Parts.OrderBy(p => p.Key).Select(p => new UploadedPart(p.Key, $"\"{p.Key}-{p.Value.Length}\"", p.Value.Length)).ToList());

    public async Task<UploadedPart> UploadPartAsync(UploadSession session, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidatePartNumber(partNumber);
        var upload = Find(session);
        MultipartUploads.ValidatePartSize(session, content.Length);
        upload.Parts[partNumber] = content.ToArray();
        return (await ListPartsAsync(session, cancellationToken)).Single(p => p.PartNumber == partNumber);
    }

    public async Task<CompletedUpload> CompleteAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        var upload = Find(session);
        var parts = await ListPartsAsync(session, cancellationToken);
        var total = MultipartUploads.CheckCompletable(session, parts);
        if (total > PipelineOptions.MaxUploadBytes)
        {
            await AbortAsync(session, cancellationToken);
            throw MultipartUploads.TooLarge(session, total);
        }

        var content = upload.Parts.OrderBy(p => p.Key).SelectMany(p => p.Value).ToArray();
        await objects.PutAsync(session.Key, content, upload.ContentType, cancellationToken);
        uploads.TryRemove(session.UploadId, out _);
        return new CompletedUpload(session.Key, total);
    }

    public Task<bool> AbortAsync(UploadSession session, CancellationToken cancellationToken = default) =>
        Task.FromResult(uploads.TryRemove(session.UploadId, out _));

    private (string Key, string ContentType, ConcurrentDictionary<int, byte[]> Parts) Find(UploadSession session)
    {
        MultipartUploads.ValidateSession(session);
        return uploads.TryGetValue(session.UploadId, out var upload) && upload.Key == session.Key
            ? upload
            : throw MultipartUploads.NotFound(session);
    }
}

public sealed class InMemoryArchive : IImageArchive
{
    public ConcurrentDictionary<string, byte[]> Sets { get; } = new(StringComparer.Ordinal);

    public Task<ArchivedImageSet> StoreAsync(string imageId, ReadOnlyMemory<byte> part10, CancellationToken cancellationToken = default)
    {
        var id = $"set-{imageId}";
        Sets[id] = part10.ToArray();
        return Task.FromResult(new ArchivedImageSet("memory-datastore", id));
    }

    public Task<byte[]?> GetAsync(string imageSetId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Sets.TryGetValue(imageSetId, out var b) ? b : null);

    public Task<bool> DeleteAsync(string imageSetId, CancellationToken cancellationToken = default) => Task.FromResult(Sets.TryRemove(imageSetId, out _));

    public string UrlFor(string imageSetId) => $"memory://healthimaging/{imageSetId}";
}

/// <summary>
/// An in-memory FHIR store. Like the real adapters it keeps resources as JSON (<see cref="Resources"/>, by "Type/id"),
/// turning them into JSON on the way in and parsing them on the way out, so no caller shares an object with it.
/// <see cref="TransactionAsync"/> applies a Bundle's PUT/POST/DELETE entries all or none (staged on a copy,
/// committed under one lock) and resolves references to entries' fullUrls to Type/id, as a FHIR server does;
/// <see cref="FailTransactionEntry"/> lets a test fail one entry to prove nothing is left behind.
/// </summary>
public sealed class InMemoryFhirStore : IFhirStore
{
    private readonly Lock gate = new();
    private int nextId;

    public ConcurrentDictionary<string, JsonObject> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Asked for each transaction entry ("Type/id") while it is staged; an exception returned fails the whole transaction.</summary>
    public Func<string, Exception?>? FailTransactionEntry { get; set; }

    /// <summary>How many transactions were committed (a refused or failed one does not count).</summary>
    public int Transactions { get; private set; }

    public Task<string> UpsertAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        var (type, id) = FhirAddress.Of(resource);
        lock (gate)
        {
            var version = Put(Resources, $"{type}/{id}", FhirJson.ToJsonObject(resource));
            return Task.FromResult(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public Task<Resource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        FhirAddress.Validate(resourceType, id);
        return Task.FromResult(Resources.TryGetValue($"{resourceType}/{id}", out var r) ? FhirJson.Parse(r) : null);
    }

    /// <summary>Every resource of the type; the parameters are not evaluated (the adapters' contract tests cover search).</summary>
    public Task<IReadOnlyList<Resource>> SearchAsync(string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        FhirAddress.ValidateType(resourceType);
        return Task.FromResult<IReadOnlyList<Resource>>(
            Resources.Values.Where(r => (string?)r["resourceType"] == resourceType).Select(FhirJson.Parse).ToList());
    }

    public Task<bool> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(Resources.TryRemove($"{resourceType}/{id}", out _));
        }
    }

    public Task<Bundle> TransactionAsync(Bundle bundle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.Type != "transaction")
        {
            throw new ValidationException("fhir.invalid_transaction", "A transaction must be a Bundle of type transaction.");
        }

        lock (gate)
        {
            // Plan every entry (ids, fullUrl → Type/id) first, so references can point at entries later in the Bundle.
            var plans = new List<(string Method, string Key, JsonObject? Resource)>();
            var fullUrls = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (entry, i) in (bundle.Entry ?? []).Select((e, i) => (e, i)))
            {
                var method = entry.Request?.Method;
                var url = entry.Request?.Url ?? "";
                var resource = entry.Resource is { } typed ? FhirJson.ToJsonObject(typed) : null;
                var key = (method, url.Split('/')) switch
                {
                    ("POST", [var type]) => $"{type}/mem-{++nextId}",
                    ("PUT" or "DELETE", [var type, var id]) => $"{type}/{id}",
                    _ => throw new ValidationException("fhir.invalid_transaction", $"Bundle.entry[{i}]: {method} {url} is not a PUT/POST/DELETE this store takes."),
                };
                if (method == "DELETE")
                {
                    resource = null;
                }
                else
                {
                    if (resource is null || $"{resource["resourceType"]}" != key.Split('/')[0] || (method == "PUT" && $"{resource["resourceType"]}/{resource["id"]}" != key))
                    {
                        throw new ValidationException("fhir.invalid_transaction", $"Bundle.entry[{i}]: the resource does not match {method} {url}.");
                    }

                    resource["id"] = key.Split('/')[1];
                }

                if (plans.Any(p => p.Key == key))
                {
                    throw new ConflictException("fhir.conflict", $"Bundle.entry[{i}]: {key} is the target of more than one entry.");
                }

                if (entry.FullUrl is { } fullUrl)
                {
                    fullUrls[fullUrl] = key;
                }

                plans.Add((method!, key, resource));
            }

            var staged = new Dictionary<string, JsonObject>(Resources, StringComparer.Ordinal);
            var responses = new List<BundleEntry>();
            foreach (var (method, key, resource) in plans)
            {
                if (FailTransactionEntry?.Invoke(key) is { } failure)
                {
                    throw failure;
                }

                if (resource is null)
                {
                    staged.Remove(key);
                    responses.Add(new BundleEntry { Response = new BundleEntryResponse { Status = "204 No Content" } });
                    continue;
                }

                Resolve(resource, fullUrls);
                var created = !staged.ContainsKey(key);
                var version = Put(staged, key, resource);
                responses.Add(new BundleEntry
                {
                    Response = new BundleEntryResponse
                    {
                        Status = created ? "201 Created" : "200 OK",
                        Location = $"{key}/_history/{version}",
                        Etag = $"W/\"{version}\"",
                    },
                });
            }

            // Commit: every entry staged without error, so the store takes all of them at once.
            Resources.Clear();
            foreach (var (key, resource) in staged)
            {
                Resources[key] = resource;
            }

            Transactions++;
            return Task.FromResult(new Bundle { Type = "transaction-response", Entry = responses });
        }
    }

    private static int Put(IDictionary<string, JsonObject> into, string key, JsonObject resource)
    {
        var version = into.TryGetValue(key, out var old) ? int.Parse((string)old["meta"]!["versionId"]!, System.Globalization.CultureInfo.InvariantCulture) + 1 : 1;
        var copy = (JsonObject)resource.DeepClone();
        copy["meta"] = new JsonObject { ["versionId"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        into[key] = copy;
        return version;
    }

    /// <summary>Rewrites references to an entry's fullUrl (urn:uuid) to the Type/id it is stored at.</summary>
    private static void Resolve(JsonNode? node, Dictionary<string, string> fullUrls)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["reference"] is JsonValue v && v.TryGetValue<string>(out var reference))
                {
                    if (fullUrls.TryGetValue(reference, out var key))
                    {
                        obj["reference"] = key;
                    }
                    else if (reference.StartsWith("urn:", StringComparison.Ordinal))
                    {
                        throw new ValidationException("fhir.invalid_transaction", $"{reference} is no entry's fullUrl in this transaction.");
                    }
                }

                foreach (var child in obj.Select(p => p.Value).ToList())
                {
                    Resolve(child, fullUrls);
                }

                break;
            case JsonArray array:
                foreach (var child in array.ToList())
                {
                    Resolve(child, fullUrls);
                }

                break;
        }
    }
}

public sealed class InMemoryRecordStore : IRecordStore
{
    private readonly Lock gate = new();

    public Dictionary<string, ImageRecord> Records { get; } = new(StringComparer.Ordinal);

    public List<AuditEntry> Audit { get; } = [];

    public Task CreateAsync(ImageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (gate)
        {
            if (!Records.TryAdd(record.ImageId, record with { Version = 1 }))
            {
                throw new ConflictException("image.exists", $"Image {record.ImageId} exists.");
            }
        }

        return Task.CompletedTask;
    }

    public Task<ImageRecord?> GetAsync(string imageId, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(Records.TryGetValue(imageId, out var r) ? r : null);
        }
    }

    public Task<ImageRecord> UpdateAsync(string imageId, Func<ImageRecord, ImageRecord> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (gate)
        {
            if (!Records.TryGetValue(imageId, out var current))
            {
                throw new NotFoundException("image.not_found", $"Image {imageId} was not found.");
            }

            var next = update(current) with { Version = current.Version + 1 };
            Records[imageId] = next;
            return Task.FromResult(next);
        }
    }

    public Task<RecordPage> QueryByUserAsync(string userId, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            var all = Records.Values.Where(r => r.UserId == userId).OrderByDescending(r => r.UploadTimestamp).ThenByDescending(r => r.ImageId, StringComparer.Ordinal).ToList();
            var start = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
            var page = all.Skip(start).Take(limit).ToList();
            var next = start + page.Count < all.Count ? (start + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            return Task.FromResult(new RecordPage(page, next));
        }
    }

    public Task<bool> DeleteAsync(string imageId, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(Records.Remove(imageId));
        }
    }

    public Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            Audit.Add(entry);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<AuditEntry>>(Audit.Where(a => a.ResourceId == resourceId).ToList());
        }
    }

    public Dictionary<(string UserId, string Key), IdempotencyRecord> IdempotencyRecords { get; } = [];

    public Task<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        lock (gate)
        {
            var key = (candidate.UserId, candidate.Key);
            if (!IdempotencyRecords.TryGetValue(key, out var stored) || stored.ExpiresAt <= candidate.CreatedAt)
            {
                IdempotencyRecords[key] = stored = candidate;
            }

            return Task.FromResult(stored);
        }
    }

    public Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string userId, string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(IdempotencyRecords.TryGetValue((userId, key), out var stored) && stored.ExpiresAt > now ? stored : null);
        }
    }
}

/// <summary>Records started executions instead of running them.</summary>
public sealed class RecordingWorkflow : IWorkflow
{
    public ConcurrentDictionary<string, string> Started { get; } = new(StringComparer.Ordinal);

    public Task<string> StartAsync(string executionName, string inputJson, CancellationToken cancellationToken = default)
    {
        Started[executionName] = inputJson;
        return Task.FromResult($"execution:{executionName}");
    }

    public ConcurrentQueue<(string Token, string Output)> TaskSuccesses { get; } = new();

    public ConcurrentQueue<(string Token, string Error, string? Cause)> TaskFailures { get; } = new();

    /// <summary>Tokens whose task is no longer waiting (timed out): answering them throws, as Step Functions does.</summary>
    public ConcurrentDictionary<string, bool> ClosedTokens { get; } = new(StringComparer.Ordinal);

    public Task SendTaskSuccessAsync(string taskToken, string outputJson, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed(taskToken);
        TaskSuccesses.Enqueue((taskToken, outputJson));
        return Task.CompletedTask;
    }

    public Task SendTaskFailureAsync(string taskToken, string error, string? cause, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed(taskToken);
        TaskFailures.Enqueue((taskToken, error, cause));
        return Task.CompletedTask;
    }

    private void ThrowIfClosed(string taskToken)
    {
        if (ClosedTokens.ContainsKey(taskToken))
        {
            throw new ConflictException("workflow.task_token_closed", "The task of this task token was already answered or timed out.");
        }
    }
}

public sealed class RecordingEvents : IEventPublisher
{
    public ConcurrentQueue<PipelineEvent> Events { get; } = new();

    public Task PublishAsync(PipelineEvent pipelineEvent, CancellationToken cancellationToken = default)
    {
        Events.Enqueue(pipelineEvent);
        return Task.CompletedTask;
    }
}

/// <summary>An inference endpoint answering from a function of the endpoint name and the parsed request; records calls.</summary>
public sealed class ScriptedEndpoint(Func<string, ModelRequest, EndpointResponse> answer) : IInferenceEndpoint
{
    /// <summary>Endpoint names called, with "/variant" when a variant was targeted.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    public ConcurrentQueue<ModelRequest> Requests { get; } = new();

    public Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        Calls.Enqueue(invocation.TargetVariant is null ? invocation.EndpointName : $"{invocation.EndpointName}/{invocation.TargetVariant}");
        var request = JsonSerializer.Deserialize(invocation.Body.Span, MedVisionJsonContext.Default.ModelRequest)
            ?? throw new InvalidOperationException("The pipeline sent a null model request.");
        Requests.Enqueue(request);
        return Task.FromResult(answer(invocation.EndpointName, request));
    }
}

/// <summary>Contract-conforming model answers for scripted endpoints.</summary>
public static class ModelAnswers
{
    /// <summary>A confident X-ray classification, and no findings from any detector (named after its endpoint).</summary>
    public static EndpointResponse Default(string endpoint, ModelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Task == InferenceTask.Classify ? Scores(request, 0.95) : Findings(request, endpoint);
    }

    public static EndpointResponse Json(ModelResponse response) =>
        new(InferenceContract.ContentType, JsonSerializer.SerializeToUtf8Bytes(response, MedVisionJsonContext.Default.ModelResponse));

    /// <summary>A classification with <paramref name="top"/> for <paramref name="modality"/> and the rest spread evenly.</summary>
    public static EndpointResponse Scores(ModelRequest request, double top, Modality modality = Modality.XRay)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Json(new ModelResponse
        {
            ContractVersion = InferenceContract.Version,
            Model = new ModelIdentity("scripted-classifier", "1"),
            Task = InferenceTask.Classify,
            InputWidth = request.Image.Width,
            InputHeight = request.Image.Height,
            ModalityScores = Modalities.All.ToDictionary(m => m.WireName(), m => m == modality ? top : (1 - top) / 3),
        });
    }

    public static EndpointResponse Findings(ModelRequest request, string model, params ModelFinding[] findings)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Json(new ModelResponse
        {
            ContractVersion = InferenceContract.Version,
            Model = new ModelIdentity(model, "1"),
            Task = InferenceTask.Detect,
            InputWidth = request.Image.Width,
            InputHeight = request.Image.Height,
            Findings = findings,
        });
    }

    public static ModelFinding Finding(AbnormalityType type, double confidence, Severity severity, double x, double y, double width, double height) =>
        new() { Type = type, Confidence = confidence, Severity = severity, BoundingBox = new ModelBox(x, y, width, height) };
}

/// <summary>Keeps every metrics record in memory.</summary>
public sealed class RecordingMetrics : Core.Observability.IMetrics
{
    public ConcurrentQueue<Core.Observability.MetricRecord> Records { get; } = new();

    public void Emit(Core.Observability.MetricRecord record) => Records.Enqueue(record);

    /// <summary>Every value of the named metric, with the record's dimensions.</summary>
    public IReadOnlyList<(IReadOnlyList<double> Values, IReadOnlyDictionary<string, string> Dimensions, IReadOnlyDictionary<string, string>? Properties)> Of(string name) =>
        Records.SelectMany(r => r.Metrics.Where(m => m.Name == name).Select(m => (m.Values, r.Dimensions, r.Properties))).ToList();
}
