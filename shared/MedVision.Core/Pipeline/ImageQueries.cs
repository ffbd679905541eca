using System.Text.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>The read side of the API: image metadata, analysis results and a user's history.</summary>
public sealed class ImageQueries(IRecordStore records, IObjectStore objects, AuditTrail audit)
{
    public const int DefaultHistoryLimit = 20;
    public const int MaxHistoryLimit = 100;

    public async Task<ImageRecord> GetImageAsync(string imageId, string userId, CancellationToken ct = default)
    {
        var record = await records.GetAsync(imageId, ct);

        // Another user's image is reported as missing, so ids cannot be probed.
        if (record is null || record.UserId != userId)
        {
            throw new NotFoundException("image.not_found", $"Image {imageId} was not found.");
        }

        await AuditReadAsync(userId, "image.read", imageId, ct);
        return Public(record);
    }

    /// <summary>The analysis result, or a <see cref="ConflictException"/> while the image is still being processed.</summary>
    public async Task<AnalysisResult> GetAnalysisAsync(string imageId, string userId, CancellationToken ct = default)
    {
        var record = await GetImageAsync(imageId, userId, ct);
        var stored = await objects.GetAsync(ObjectKeys.Analysis(imageId), ct);
        if (stored is null)
        {
            throw record.Status switch
            {
                ImageStatus.Failed => new ConflictException("analysis.failed", $"Analysis of image {imageId} failed: {record.ErrorMessage}"),
                ImageStatus.ManualReview => new ConflictException("analysis.manual_review", $"Image {imageId} awaits manual modality review."),
                _ => new ConflictException("analysis.not_ready", $"Analysis of image {imageId} is not ready (status {record.Status.WireName()}, stage {record.Stage?.WireName()})."),
            };
        }

        return JsonSerializer.Deserialize(stored.Content, MedVisionJsonContext.Default.AnalysisResult)!;
    }

    public async Task<RecordPage> HistoryAsync(string userId, int? limit, string? cursor, CancellationToken ct = default)
    {
        var n = limit ?? DefaultHistoryLimit;
        if (n is < 1 or > MaxHistoryLimit)
        {
            throw new ValidationException("request.bad_limit", $"limit must be between 1 and {MaxHistoryLimit}.");
        }

        var page = await records.QueryByUserAsync(userId, n, cursor, ct);
        await AuditReadAsync(userId, "history.read", userId, ct);
        return page with { Items = [.. page.Items.Select(Public)] };
    }

    /// <summary>The API view: a pending review's task token could resume the run, so it never leaves the record store.</summary>
    private static ImageRecord Public(ImageRecord record) => record.ReviewTaskToken is null ? record : record with { ReviewTaskToken = null };

    private Task AuditReadAsync(string userId, string action, string resourceId, CancellationToken ct) =>
        audit.WriteAsync(userId, action, action.StartsWith("history", StringComparison.Ordinal) ? "history" : "image", resourceId, null, ct);
}
