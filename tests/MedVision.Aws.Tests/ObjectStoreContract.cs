using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using MedVision.Core;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Local.Twins;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests;

/// <summary>
/// One contract for every <see cref="IObjectStore"/> and <see cref="IUploadSessions"/> adapter: the disk twin and S3 (on
/// moto_server) must both pass it, so the pipeline and the upload API see the same store whichever adapter they get.
/// </summary>
public abstract class ObjectStoreContract : IAsyncLifetime
{
    protected const int MiB = 1024 * 1024;

    protected TempDirectory Temp { get; } = new();

    protected IObjectStore Store { get; set; } = null!;

    protected IUploadSessions Uploads { get; set; } = null!;

    /// <summary>False when the adapter's stand-in is missing (the test then passes as skipped, with a note).</summary>
    protected abstract Task<bool> StartAsync();

    /// <summary>Fetches what <see cref="IObjectStore.UrlFor"/> handed out, as a client would.</summary>
    protected abstract Task<byte[]> FetchAsync(string url);

    /// <summary>Sends a part's bytes to what <see cref="IUploadSessions.PartUrl"/> handed out, as a client would.</summary>
    protected abstract Task PutToPartUrlAsync(string url, byte[] content);

    public Task InitializeAsync() => StartAsync();

    public virtual Task DisposeAsync()
    {
        Temp.Dispose();
        return Task.CompletedTask;
    }

    protected static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task PutAsync_WhenReadBack_ShouldReturnTheBytesAndTheContentType()
    {
        if (!await StartAsync())
        {
            return;
        }

        var png = Bytes(1000, 1);
        await Store.PutAsync("raw/img-1.png", png, "image/png");
        await Store.PutAsync("reports/r-1/report.json", Encoding.UTF8.GetBytes("{}"), "application/json");

        var read = await Store.GetAsync("raw/img-1.png");
        var json = await Store.GetAsync("reports/r-1/report.json");

        Assert.Equal(png, read!.Content);
        Assert.Equal("image/png", read.ContentType);
        Assert.Equal("raw/img-1.png", read.Key);
        Assert.Equal("application/json", json!.ContentType);
    }

    [Fact]
    public async Task PutAsync_WhenTheKeyExists_ShouldReplaceTheObject()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.PutAsync("heatmaps/img-1/overlay.png", Bytes(100, 1), "image/png");
        await Store.PutAsync("heatmaps/img-1/overlay.png", Bytes(50, 2), "image/jpeg");

        var read = await Store.GetAsync("heatmaps/img-1/overlay.png");
        Assert.Equal(Bytes(50, 2), read!.Content);
        Assert.Equal("image/jpeg", read.ContentType);
    }

    [Fact]
    public async Task Reads_WhenTheKeyIsMissing_ShouldAnswerNullAndFalse()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.PutAsync("raw/present.png", Bytes(10, 1), "image/png");

        Assert.Null(await Store.GetAsync("raw/missing.png"));
        Assert.Null(await Store.OpenReadAsync("raw/missing.png"));
        Assert.False(await Store.DeleteAsync("raw/missing.png"));
        Assert.Empty(await Store.ListAsync("raw/missing"));
    }

    [Fact]
    public async Task DeleteAsync_WhenStored_ShouldRemoveTheObjectAndAnswerTrueOnlyOnce()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.PutAsync("preprocessed/img-1.png", Bytes(10, 1), "image/png");
        await Store.PutAsync("preprocessed/img-2.png", Bytes(10, 2), "image/png");

        Assert.True(await Store.DeleteAsync("preprocessed/img-1.png"));
        Assert.False(await Store.DeleteAsync("preprocessed/img-1.png"));
        Assert.Null(await Store.GetAsync("preprocessed/img-1.png"));
        Assert.Equal(["preprocessed/img-2.png"], await Store.ListAsync("preprocessed/"));
    }

    [Fact]
    public async Task ListAsync_WhenManyKeysShareAPrefix_ShouldListExactlyThoseInOrdinalOrder()
    {
        if (!await StartAsync())
        {
            return;
        }

        string[] reports = ["reports/r-1/report.json", "reports/r-1/report.pdf", "reports/r-2/report.json", "reports/r-10/report.json", "reports/r-2/fhir-bundle.json"];
        foreach (var key in reports)
        {
            await Store.PutAsync(key, Bytes(5, key.Length), "application/octet-stream");
        }

        await Store.PutAsync("raw/r-1.png", Bytes(5, 0), "image/png");

        Assert.Equal(reports.Order(StringComparer.Ordinal), await Store.ListAsync("reports/"));
        Assert.Equal(["reports/r-1/report.json", "reports/r-1/report.pdf", "reports/r-10/report.json"], await Store.ListAsync("reports/r-1"));
        Assert.Equal(reports.Append("raw/r-1.png").Order(StringComparer.Ordinal), await Store.ListAsync(""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/raw/abs.png")]
    [InlineData("raw//double.png")]
    [InlineData("raw/../escape.png")]
    [InlineData("raw/./dot.png")]
    [InlineData("raw\\back.png")]
    [InlineData("raw/.mv-meta-x.json")]
    [InlineData("raw/control\u0001.png")]
    public async Task Operations_WhenTheKeyIsNotAPlainRelativeKey_ShouldRefuseItWithArgumentException(string key)
    {
        if (!await StartAsync())
        {
            return;
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutAsync(key, Bytes(1, 1), "image/png"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetAsync(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.OpenReadAsync(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(key));
        Assert.ThrowsAny<ArgumentException>(() => Store.UrlFor(key));
        Assert.ThrowsAny<ArgumentException>(() => Store.S3UriFor(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Uploads.BeginAsync("uploads/" + key, "image/png"));
    }

    [Theory]
    [InlineData("/raw")]
    [InlineData("../raw")]
    [InlineData("raw\\x")]
    public async Task ListAsync_WhenThePrefixNavigatesFolders_ShouldRefuseItWithArgumentException(string prefix)
    {
        if (!await StartAsync())
        {
            return;
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ListAsync(prefix));
    }

    [Fact]
    public async Task OpenReadAsync_WhenTheObjectIsLarge_ShouldStreamEveryByte()
    {
        if (!await StartAsync())
        {
            return;
        }

        var large = Bytes(12 * MiB, 7);
        await Store.PutAsync("raw/large.dcm", large, "application/dicom");

        await using var stream = await Store.OpenReadAsync("raw/large.dcm");
        Assert.NotNull(stream);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        Assert.Equal(large.Length, total);
        Assert.Equal(SHA256.HashData(large), hash.GetHashAndReset());
    }

    [Fact]
    public async Task UrlFor_WhenFetchedByAClient_ShouldReturnTheBytes()
    {
        if (!await StartAsync())
        {
            return;
        }

        var png = Bytes(3000, 3);
        await Store.PutAsync("heatmaps/img-1/overlay.png", png, "image/png");

        Assert.Equal(png, await FetchAsync(Store.UrlFor("heatmaps/img-1/overlay.png")));
        Assert.EndsWith("/heatmaps/img-1/overlay.png", Store.S3UriFor("heatmaps/img-1/overlay.png"), StringComparison.Ordinal);
        Assert.StartsWith("s3://", Store.S3UriFor("heatmaps/img-1/overlay.png"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multipart_WhenPartsAreUploadedAndCompleted_ShouldJoinThemAtTheKey()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await Uploads.BeginAsync("uploads/u-1.dcm", "application/dicom");
        var first = Bytes(5 * MiB, 1);
        var last = Bytes(MiB + 17, 2);
        var two = await Uploads.UploadPartAsync(session, 2, last);
        var one = await Uploads.UploadPartAsync(session, 1, first);

        var listed = await Uploads.ListPartsAsync(session);
        Assert.Null(await Store.GetAsync("uploads/u-1.dcm")); // nothing visible before completion
        var completed = await Uploads.CompleteAsync(session);

        Assert.Equal([(1, (long)first.Length, one.ETag), (2, (long)last.Length, two.ETag)], listed.Select(p => (p.PartNumber, p.Size, p.ETag)));
        Assert.Equal(new CompletedUpload("uploads/u-1.dcm", first.Length + last.Length), completed);
        var stored = await Store.GetAsync("uploads/u-1.dcm");
        Assert.Equal(first.Concat(last), stored!.Content);
        Assert.Equal("application/dicom", stored.ContentType);
        await Assert.ThrowsAsync<NotFoundException>(() => Uploads.ListPartsAsync(session));
        Assert.DoesNotContain(await Store.ListAsync(""), k => !k.StartsWith("uploads/u-1.dcm", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Multipart_WhenAPartIsSentToItsUrl_ShouldBeListedForResumeAndJoined()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await Uploads.BeginAsync("uploads/u-2.png", "image/png");
        var first = Bytes(5 * MiB, 3);
        var last = Bytes(1000, 4);
        await PutToPartUrlAsync(Uploads.PartUrl(session, 1), first);

        // The client lost track: it asks what arrived and sends only the rest.
        var arrived = await Uploads.ListPartsAsync(session);
        await Uploads.UploadPartAsync(session, 2, last);
        await Uploads.CompleteAsync(session);

        Assert.Equal([(1, (long)first.Length)], arrived.Select(p => (p.PartNumber, p.Size)));
        Assert.Equal(first.Concat(last), (await Store.GetAsync("uploads/u-2.png"))!.Content);
    }

    [Fact]
    public async Task Multipart_WhenAborted_ShouldLeaveNothingAndForgetTheUpload()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await Uploads.BeginAsync("uploads/u-3.png", "image/png");
        await Uploads.UploadPartAsync(session, 1, Bytes(100, 1));

        Assert.True(await Uploads.AbortAsync(session));
        Assert.False(await Uploads.AbortAsync(session));
        await Assert.ThrowsAsync<NotFoundException>(() => Uploads.ListPartsAsync(session));
        // (UploadPart to an aborted upload is not asserted: S3 answers NoSuchUpload, moto 5.2.1 a bare 500.)
        await Assert.ThrowsAsync<NotFoundException>(() => Uploads.CompleteAsync(session));
        Assert.Null(await Store.GetAsync("uploads/u-3.png"));
        Assert.Empty(await Store.ListAsync(""));
    }

    [Fact]
    public async Task Multipart_WhenThePartsTotalOver50MB_ShouldAbortAndRefuseAsTooLarge()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await Uploads.BeginAsync("uploads/u-4.dcm", "application/dicom");
        var part = Bytes(5 * MiB, 5);
        for (var number = 1; number <= 11; number++)
        {
            await Uploads.UploadPartAsync(session, number, part);
        }

        var refused = await Assert.ThrowsAsync<PayloadTooLargeException>(() => Uploads.CompleteAsync(session));

        Assert.True(11L * part.Length > PipelineOptions.MaxUploadBytes);
        Assert.Equal("image.too_large", refused.Code);
        Assert.Null(await Store.GetAsync("uploads/u-4.dcm"));
        await Assert.ThrowsAsync<NotFoundException>(() => Uploads.ListPartsAsync(session)); // aborted, parts gone
    }

    [Fact]
    public async Task Multipart_WhenExactlyAt50MB_ShouldComplete()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await Uploads.BeginAsync("uploads/u-5.dcm", "application/dicom");
        var part = Bytes(10 * MiB, 6);
        for (var number = 1; number <= 5; number++)
        {
            await Uploads.UploadPartAsync(session, number, part);
        }

        var completed = await Uploads.CompleteAsync(session);

        Assert.Equal(PipelineOptions.MaxUploadBytes, completed.Size);
        await using var stream = await Store.OpenReadAsync("uploads/u-5.dcm");
        Assert.Equal(PipelineOptions.MaxUploadBytes, await LengthOfAsync(stream!));
    }

    [Fact]
    public async Task Multipart_WhenAPartOtherThanTheLastIsUnder5MiB_ShouldRefuseWithValidationAndKeepTheUpload()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await Uploads.BeginAsync("uploads/u-6.png", "image/png");
        await Uploads.UploadPartAsync(session, 1, Bytes((5 * MiB) - 1, 1));
        await Uploads.UploadPartAsync(session, 2, Bytes(10, 2));

        var refused = await Assert.ThrowsAsync<ValidationException>(() => Uploads.CompleteAsync(session));

        Assert.Equal("upload.part_too_small", refused.Code);
        Assert.Null(await Store.GetAsync("uploads/u-6.png"));
        // Still open: the client can resend part 1 and complete.
        await Uploads.UploadPartAsync(session, 1, Bytes(5 * MiB, 3));
        await Uploads.CompleteAsync(session);
        Assert.Equal((5 * MiB) + 10, (await Store.GetAsync("uploads/u-6.png"))!.Content.Length);
    }

    [Fact]
    public async Task Multipart_WhenAPartIsMissingOrNumberedOutOfRange_ShouldRefuseWithValidation()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await Uploads.BeginAsync("uploads/u-7.png", "image/png");
        await Uploads.UploadPartAsync(session, 2, Bytes(10, 2));

        Assert.Equal("upload.part_missing", (await Assert.ThrowsAsync<ValidationException>(() => Uploads.CompleteAsync(session))).Code);
        Assert.Equal("upload.part_number_invalid", (await Assert.ThrowsAsync<ValidationException>(() => Uploads.UploadPartAsync(session, 0, Bytes(1, 1)))).Code);
        Assert.Throws<ValidationException>(() => Uploads.PartUrl(session, 10_001));
        Assert.True(await Uploads.AbortAsync(session));
        var empty = await Uploads.BeginAsync("uploads/u-8.png", "image/png");
        Assert.Equal("upload.no_parts", (await Assert.ThrowsAsync<ValidationException>(() => Uploads.CompleteAsync(empty))).Code);
    }

    [Fact]
    public async Task BeginAsync_WhenTheKeyIsOutsideUploads_ShouldRefuseWithArgumentException()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Uploads.BeginAsync("raw/u-1.png", "image/png"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Uploads.BeginAsync("uploads/", "image/png"));
    }

    protected static async Task<long> LengthOfAsync(Stream stream)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }
}

public sealed class DiskObjectStoreContractTests : ObjectStoreContract
{
    protected override Task<bool> StartAsync()
    {
        if (Store is null)
        {
            var disk = new DiskObjectStore(Temp.File("objects"));
            Store = disk;
            Uploads = new DiskUploadSessions(disk);
        }

        return Task.FromResult(true);
    }

    protected override Task<byte[]> FetchAsync(string url) => File.ReadAllBytesAsync(new Uri(url).LocalPath);

    protected override Task PutToPartUrlAsync(string url, byte[] content) => File.WriteAllBytesAsync(new Uri(url).LocalPath, content);
}

public sealed class S3ObjectStoreContractTests(S3MotoFixture moto, ITestOutputHelper output) : ObjectStoreContract, IClassFixture<S3MotoFixture>
{
    private static readonly HttpClient Plain = new();
    private AmazonS3Client? s3;
    private string bucket = "";

    protected override async Task<bool> StartAsync()
    {
        if (await moto.StartAsync(output) is not { } server)
        {
            return false;
        }

        if (s3 is null)
        {
            s3 = S3Clients.Create(server.Endpoint);
            bucket = await S3Clients.NewBucketAsync(s3);
            // Pages of two keys, so every listing here follows continuation tokens.
            var options = new S3ObjectStoreOptions { Bucket = bucket, KmsKeyId = moto.KmsKeyArn, ListPageSize = 2 };
            Store = new S3ObjectStore(s3, options);
            Uploads = new S3UploadSessions(s3, options);
        }

        return true;
    }

    public override Task DisposeAsync()
    {
        s3?.Dispose();
        return base.DisposeAsync();
    }

    protected override Task<byte[]> FetchAsync(string url) => Plain.GetByteArrayAsync(new Uri(url));

    protected override async Task PutToPartUrlAsync(string url, byte[] content)
    {
        using var body = new ByteArrayContent(content);
        using var answer = await Plain.PutAsync(new Uri(url), body);
        Assert.True(answer.IsSuccessStatusCode, $"part PUT answered {(int)answer.StatusCode}");
        Assert.NotNull(answer.Headers.ETag);
    }

    [Fact]
    public async Task PutAsync_WhenTheStackHasAKmsKey_ShouldStoreTheObjectWithSseKms()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.PutAsync("raw/img-kms.png", Bytes(100, 1), "image/png");
        var session = await Uploads.BeginAsync("uploads/u-kms.png", "image/png");
        await Uploads.UploadPartAsync(session, 1, Bytes(100, 2));
        await Uploads.CompleteAsync(session);

        foreach (var key in new[] { "raw/img-kms.png", "uploads/u-kms.png" })
        {
            var head = await s3!.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key });
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
            Assert.Equal(moto.KmsKeyArn, head.ServerSideEncryptionKeyManagementServiceKeyId);
        }
    }

    [Fact]
    public async Task UrlFor_WhenPresigned_ShouldBeAGetValidForOneHour()
    {
        if (!await StartAsync())
        {
            return;
        }

        var url = new Uri(Store.UrlFor("raw/img-1.png"));
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);

        // One hour, or a second less when the clock ticks between taking the time and signing (never more).
        Assert.Contains(query["X-Amz-Expires"], new[] { "3600", "3599" });
        Assert.Equal("AWS4-HMAC-SHA256", query["X-Amz-Algorithm"]);
        Assert.Equal($"/{bucket}/raw/img-1.png", url.AbsolutePath);
        Assert.Equal($"s3://{bucket}/raw/img-1.png", Store.S3UriFor("raw/img-1.png"));
    }
}
