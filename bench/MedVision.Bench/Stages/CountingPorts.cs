using MedVision.Fhir;
using MedVision.Core.Images;
using MedVision.Core.Ports;
using Task = System.Threading.Tasks.Task;

namespace MedVision.Bench.Stages;

/// <summary>
/// Counts the port calls each stage makes (each maps to AWS requests: S3 PUT/GET, DynamoDB reads/writes, EventBridge
/// events, HealthLake transactions, KMS Sign), and the bytes written to the object store, for docs/cost-model.md.
/// </summary>
internal sealed class CallCounter
{
    private readonly Dictionary<(string Stage, string Call), long> counts = [];

    /// <summary>The stage the next calls are charged to.</summary>
    public string Stage { get; set; } = "upload";

    public IReadOnlyDictionary<(string Stage, string Call), long> Counts => counts;

    public void Add(string call, long n = 1) => counts[(Stage, call)] = counts.GetValueOrDefault((Stage, call)) + n;

    public void Clear() => counts.Clear();
}

internal sealed class CountingObjectStore(IObjectStore inner, CallCounter counter) : IObjectStore
{
    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        counter.Add("S3 PUT");
        counter.Add("S3 bytes written", content.Length);
        await inner.PutAsync(key, content, contentType, cancellationToken);
    }

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        counter.Add("S3 GET");
        var found = await inner.GetAsync(key, cancellationToken);
        counter.Add("S3 bytes read", found?.Content.Length ?? 0);
        return found;
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        counter.Add("S3 DELETE");
        return inner.DeleteAsync(key, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        counter.Add("S3 LIST");
        return inner.ListAsync(prefix, cancellationToken);
    }

    public string UrlFor(string key) => inner.UrlFor(key);

    public string S3UriFor(string key) => inner.S3UriFor(key);
}

internal sealed class CountingRecordStore(IRecordStore inner, CallCounter counter) : IRecordStore
{
    public Task CreateAsync(ImageRecord record, CancellationToken cancellationToken = default)
    {
        counter.Add("records.Create");
        return inner.CreateAsync(record, cancellationToken);
    }

    public Task<ImageRecord?> GetAsync(string imageId, CancellationToken cancellationToken = default)
    {
        counter.Add("records.Get");
        return inner.GetAsync(imageId, cancellationToken);
    }

    public Task<ImageRecord> UpdateAsync(string imageId, Func<ImageRecord, ImageRecord> update, CancellationToken cancellationToken = default)
    {
        counter.Add("records.Update");
        return inner.UpdateAsync(imageId, update, cancellationToken);
    }

    public Task<RecordPage> QueryByUserAsync(string userId, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        counter.Add("records.QueryByUser");
        return inner.QueryByUserAsync(userId, limit, cursor, cancellationToken);
    }

    public Task<bool> DeleteAsync(string imageId, CancellationToken cancellationToken = default)
    {
        counter.Add("records.Delete");
        return inner.DeleteAsync(imageId, cancellationToken);
    }

    public Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        counter.Add("records.AppendAudit");
        return inner.AppendAuditAsync(entry, cancellationToken);
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        counter.Add("records.ReadAudit");
        return inner.ReadAuditAsync(resourceId, cancellationToken);
    }

    public Task<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, CancellationToken cancellationToken = default)
    {
        counter.Add("records.ClaimIdempotencyKey");
        return inner.ClaimIdempotencyKeyAsync(candidate, cancellationToken);
    }

    public Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string userId, string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        counter.Add("records.GetIdempotencyRecord");
        return inner.GetIdempotencyRecordAsync(userId, key, now, cancellationToken);
    }
}

internal sealed class CountingEvents(IEventPublisher inner, CallCounter counter) : IEventPublisher
{
    public Task PublishAsync(PipelineEvent pipelineEvent, CancellationToken cancellationToken = default)
    {
        counter.Add("EventBridge event");
        return inner.PublishAsync(pipelineEvent, cancellationToken);
    }
}

internal sealed class CountingFhirStore(IFhirStore inner, CallCounter counter) : IFhirStore
{
    public Task<string> UpsertAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        counter.Add("FHIR upsert");
        return inner.UpsertAsync(resource, cancellationToken);
    }

    public Task<Resource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        counter.Add("FHIR read");
        return inner.ReadAsync(resourceType, id, cancellationToken);
    }

    public Task<IReadOnlyList<Resource>> SearchAsync(string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        counter.Add("FHIR search");
        return inner.SearchAsync(resourceType, parameters, cancellationToken);
    }

    public Task<bool> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        counter.Add("FHIR delete");
        return inner.DeleteAsync(resourceType, id, cancellationToken);
    }

    public Task<Bundle> TransactionAsync(Bundle bundle, CancellationToken cancellationToken = default)
    {
        counter.Add("FHIR transaction");
        counter.Add("FHIR transaction entries", bundle?.Entry?.Count ?? 0);
        return inner.TransactionAsync(bundle!, cancellationToken);
    }
}

internal sealed class CountingSigner(IReportSigner inner, CallCounter counter) : IReportSigner
{
    public Task<ReportSignatureValue> SignAsync(byte[] message, CancellationToken ct = default)
    {
        counter.Add("KMS Sign");
        return inner.SignAsync(message, ct);
    }

    public Task<bool> VerifyAsync(byte[] message, byte[] signature, string keyId, CancellationToken ct = default)
    {
        counter.Add("KMS Verify");
        return inner.VerifyAsync(message, signature, keyId, ct);
    }
}
