namespace MedVision.Aws;

/// <summary>Where <see cref="S3ObjectStore"/> and <see cref="S3UploadSessions"/> keep objects and how they hand them out.</summary>
public sealed record S3ObjectStoreOptions
{
    /// <summary>The spec's one bucket.</summary>
    public required string Bucket { get; init; }

    /// <summary>
    /// The stack's KMS key (id, ARN or alias): every PutObject and CreateMultipartUpload asks for SSE-KMS with it. Null
    /// leaves encryption to the bucket's default.
    /// </summary>
    public string? KmsKeyId { get; init; }

    /// <summary>How long a presigned GET or part PUT URL stays valid. Spec: one hour; SigV4 allows at most seven days.</summary>
    public TimeSpan PresignedUrlLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Keys per ListObjectsV2 page (S3's maximum is 1000); smaller only to make tests page.</summary>
    public int ListPageSize { get; init; } = 1000;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Bucket);
        if (PresignedUrlLifetime <= TimeSpan.Zero || PresignedUrlLifetime > TimeSpan.FromDays(7))
        {
            throw new ArgumentOutOfRangeException(nameof(PresignedUrlLifetime), PresignedUrlLifetime, "A presigned URL lives between 1 s and 7 days.");
        }

        if (ListPageSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(ListPageSize), ListPageSize, "S3 lists 1 to 1000 keys per page.");
        }
    }
}
