using MedVision.Core.Images;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>Appends audit entries: who did what to which resource, with an id and a time, never patient data.</summary>
public sealed class AuditTrail(IRecordStore records, TimeProvider time, IIdGenerator ids)
{
    public Task WriteAsync(string actor, string action, string resourceType, string resourceId, string? detail, CancellationToken ct) =>
        records.AppendAuditAsync(
            new AuditEntry
            {
                AuditId = ids.NewId(),
                Timestamp = time.GetUtcNow(),
                Actor = actor,
                Action = action,
                ResourceType = resourceType,
                ResourceId = resourceId,
                Detail = detail,
            },
            ct);
}
