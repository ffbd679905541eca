using MedVision.Core.Images;
using MedVision.Fhir;

namespace MedVision.Core.Ports;

/// <summary>Blob storage with S3's key layout (raw/, preprocessed/, heatmaps/, reports/, analysis/).</summary>
public interface IObjectStore
{
    Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>Returns null when the key does not exist.</summary>
    Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens the object for reading without holding all of it in memory (large uploads); null when the key does not
    /// exist. The caller disposes the stream. The default reads the whole object through <see cref="GetAsync"/>, so a
    /// decorator that only overrides GetAsync still sees every read; the adapters stream.
    /// </summary>
    async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default) =>
        await GetAsync(key, cancellationToken) is { } found ? new MemoryStream(found.Content, writable: false) : null;

    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>A URL a client can fetch the object from (presigned in AWS, file:// or local host locally).</summary>
    string UrlFor(string key);

    /// <summary>The object's s3://bucket/key URI, as a model endpoint is given it for inputs over the payload limit.</summary>
    string S3UriFor(string key);
}

public sealed record StoredObject(string Key, byte[] Content, string ContentType);

/// <summary>DICOM archive (HealthImaging). Stores Part 10 files and hands back an image set id.</summary>
public interface IImageArchive
{
    Task<ArchivedImageSet> StoreAsync(string imageId, ReadOnlyMemory<byte> part10, CancellationToken cancellationToken = default);

    /// <summary>Returns null when the image set does not exist.</summary>
    Task<byte[]?> GetAsync(string imageSetId, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string imageSetId, CancellationToken cancellationToken = default);

    /// <summary>Where a client retrieves the image set's instance (DICOMweb in AWS, a file locally).</summary>
    string UrlFor(string imageSetId);
}

public sealed record ArchivedImageSet(string DatastoreId, string ImageSetId);

/// <summary>
/// FHIR R4 store (HealthLake), over the typed R4 model of MedVision.Fhir: resources go in and come out as their
/// <see cref="Resource"/> classes, and each adapter turns them into JSON only at its own edge (a SQL row, an HTTP
/// body). Types the model does not know, and ids outside the R4 rule, are refused with
/// <see cref="ValidationException"/> (see <see cref="FhirAddress"/>).
/// </summary>
public interface IFhirStore
{
    /// <summary>Create or replace (FHIR update semantics) and return the new version id. The caller's object is not changed.</summary>
    Task<string> UpsertAsync(Resource resource, CancellationToken cancellationToken = default);

    /// <summary>The current version (meta.versionId set), or null when it does not exist or was deleted.</summary>
    Task<Resource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default);

    /// <summary>Search by exact match on simple top-level parameters, e.g. subject=Patient/123.</summary>
    Task<IReadOnlyList<Resource>> SearchAsync(string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a FHIR transaction Bundle atomically (all entries or none) and returns the transaction-response Bundle
    /// (one entry per request entry, in order, each with its response status, location and etag).
    /// References to an entry's fullUrl (urn:uuid) are stored as the Type/id the entry was written to; the caller's
    /// Bundle keeps its urns. Refusals are <see cref="ValidationException"/> or <see cref="ConflictException"/>; a
    /// store that is not reachable is <see cref="StorageUnavailableException"/> (retried).
    /// </summary>
    Task<Bundle> TransactionAsync(Bundle bundle, CancellationToken cancellationToken = default);
}

/// <summary>Typed reads over <see cref="IFhirStore"/>: the resource type comes from <typeparamref name="T"/>.</summary>
public static class FhirStoreReads
{
    public static async Task<T?> ReadAsync<T>(this IFhirStore store, string id, CancellationToken cancellationToken = default)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(store);
        var type = FhirJson.ResourceTypeOf<T>();
        return await store.ReadAsync(type, id, cancellationToken) switch
        {
            null => null,
            T found => found,
            var other => throw new StorageUnavailableException($"The FHIR store answered a read of {type}/{id} with a {other.ResourceType}."),
        };
    }

    public static async Task<IReadOnlyList<T>> SearchAsync<T>(
        this IFhirStore store, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(store);
        var found = await store.SearchAsync(FhirJson.ResourceTypeOf<T>(), parameters, cancellationToken);
        return found.OfType<T>().ToList();
    }
}

/// <summary>Image tracking records and the audit trail (DynamoDB).</summary>
public interface IRecordStore
{
    /// <summary>Creates the record; throws <see cref="ConflictException"/> if the id exists.</summary>
    Task CreateAsync(ImageRecord record, CancellationToken cancellationToken = default);

    Task<ImageRecord?> GetAsync(string imageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Read-modify-write with optimistic concurrency: <paramref name="update"/> may run more than once.
    /// Throws <see cref="NotFoundException"/> when the record does not exist.
    /// </summary>
    Task<ImageRecord> UpdateAsync(string imageId, Func<ImageRecord, ImageRecord> update, CancellationToken cancellationToken = default);

    /// <summary>A user's images, newest first (the user_id-timestamp GSI).</summary>
    Task<RecordPage> QueryByUserAsync(string userId, int limit, string? cursor, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string imageId, CancellationToken cancellationToken = default);

    Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(string resourceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims an upload's Idempotency-Key for <see cref="IdempotencyRecord.UserId"/> (first claim wins) and returns the
    /// record now stored under it: <paramref name="candidate"/> when the key is new (or its earlier record expired as of
    /// the candidate's <see cref="IdempotencyRecord.CreatedAt"/>), otherwise the earlier, unchanged record. Safe to retry:
    /// a replayed claim of the same candidate returns the candidate.
    /// </summary>
    Task<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, CancellationToken cancellationToken = default);

    /// <summary>The record stored under the user's key, or null when there is none or it expired as of <paramref name="now"/>.</summary>
    Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string userId, string key, DateTimeOffset now, CancellationToken cancellationToken = default);
}

public sealed record RecordPage(IReadOnlyList<ImageRecord> Items, string? NextCursor);

/// <summary>
/// What an upload's Idempotency-Key stands for: the user's key, a hash of the request it came with (a reused key
/// with a different request is the client's error) and the image the upload was given. Kept until
/// <see cref="ExpiresAt"/> (stores may keep times to the whole second: the DynamoDB TTL attribute is in seconds).
/// Ids and a hash only, never request content.
/// </summary>
public sealed record IdempotencyRecord
{
    public required string UserId { get; init; }
    public required string Key { get; init; }
    public required string RequestHash { get; init; }
    public required string ImageId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>A model endpoint (SageMaker Runtime InvokeEndpoint).</summary>
public interface IInferenceEndpoint
{
    /// <summary>
    /// Sends one request. Throws <see cref="ModelUnavailableException"/> when the endpoint cannot answer (down, 5xx,
    /// throttled, timed out) and <see cref="ModelOutputInvalidException"/> when it refuses the request (4xx).
    /// Never retries: the state machine owns retries.
    /// </summary>
    Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default);
}

/// <summary>InvokeEndpoint's inputs: EndpointName, TargetVariant, ContentType and Body.</summary>
public sealed record EndpointInvocation(string EndpointName, string? TargetVariant, string ContentType, ReadOnlyMemory<byte> Body);

/// <summary>InvokeEndpoint's outputs: ContentType, Body and InvokedProductionVariant.</summary>
public sealed record EndpointResponse(string ContentType, byte[] Body, string? InvokedVariant = null);

/// <summary>Starts pipeline executions and answers their task tokens (Step Functions StartExecution, SendTask*).</summary>
public interface IWorkflow
{
    /// <summary>
    /// Starts an execution named <paramref name="executionName"/>. Starting the same name with the same
    /// input again is a no-op that returns the same execution id, so uploads can be retried safely.
    /// </summary>
    Task<string> StartAsync(string executionName, string inputJson, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes the task waiting on <paramref name="taskToken"/> with <paramref name="outputJson"/> as its result.
    /// Throws <see cref="NotFoundException"/> for an unknown token and <see cref="ConflictException"/> when the task
    /// is no longer waiting (already answered, timed out).
    /// </summary>
    Task SendTaskSuccessAsync(string taskToken, string outputJson, CancellationToken cancellationToken = default);

    /// <summary>Fails the task waiting on <paramref name="taskToken"/>; <paramref name="error"/> is what Retry/Catch match.
    /// Same exceptions as <see cref="SendTaskSuccessAsync"/>.</summary>
    Task SendTaskFailureAsync(string taskToken, string error, string? cause, CancellationToken cancellationToken = default);
}

/// <summary>Pipeline notifications (EventBridge PutEvents).</summary>
public interface IEventPublisher
{
    Task PublishAsync(PipelineEvent pipelineEvent, CancellationToken cancellationToken = default);
}
