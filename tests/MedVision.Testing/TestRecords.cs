using MedVision.Core.Images;

namespace MedVision.Testing;

/// <summary>A freshly uploaded PNG image record, for the record store tests of every adapter.</summary>
public static class TestRecords
{
    public static readonly DateTimeOffset Epoch = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static ImageRecord New(string imageId, string userId = "user-1", DateTimeOffset? uploaded = null)
    {
        var at = uploaded ?? Epoch;
        return new ImageRecord
        {
            ImageId = imageId,
            UserId = userId,
            UploadTimestamp = at,
            FileFormat = FileFormat.Png,
            FileSizeBytes = 1234,
            StorageType = StorageType.S3,
            StorageLocation = $"raw/{imageId}.png",
            Status = ImageStatus.Uploaded,
            Stage = PipelineStage.Upload,
            CreatedAt = at,
            UpdatedAt = at,
        };
    }
}
