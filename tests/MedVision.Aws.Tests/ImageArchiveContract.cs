using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Dicom;
using MedVision.Local.Twins;
using MedVision.Testing;
using MedVision.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>
/// One contract for every <see cref="IImageArchive"/> adapter: the disk twin and HealthImaging (over the loopback twin)
/// must both pass it, so the pipeline sees the same archive whichever adapter it is given.
/// </summary>
public abstract class ImageArchiveContract : IAsyncLifetime
{
    protected TempDirectory Temp { get; } = new();

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));

    protected IImageArchive Archive { get; set; } = null!;

    /// <summary>An image set id nothing was stored under (32 lowercase hex characters, valid for both adapters).</summary>
    protected static string UnknownImageSetId => DiskImageArchive.ImageSetIdFor("never-stored");

    /// <summary>False when the adapter's oracle is missing (the test then passes as skipped, with a note).</summary>
    protected abstract Task<bool> StartAsync();

    public Task InitializeAsync() => StartAsync();

    public virtual Task DisposeAsync()
    {
        Temp.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A Part 10 file with its own SOP Instance UID, so tests do not share image sets.</summary>
    protected static byte[] Part10(string sopSuffix, string modality = "CT")
    {
        var file = DicomFile.Read(TestDicom.Image(modality, rows: 32, columns: 32));
        file.Dataset.SetString(new DicomTag(0x0008, 0x0018), DicomVR.UI, TestDicom.SopUid + "." + sopSuffix);
        return file.ToBytes();
    }

    [Fact]
    public async Task StoreAsync_WhenStoredThenRead_ShouldReturnTheSameBytes()
    {
        if (!await StartAsync())
        {
            return;
        }

        var part10 = Part10("1");

        var set = await Archive.StoreAsync("img-1", part10);

        Assert.Matches("^[0-9a-z]{32}$", set.ImageSetId);
        Assert.Equal(part10, await Archive.GetAsync(set.ImageSetId));
    }

    [Fact]
    public async Task StoreAsync_WhenTheSameFileIsStoredAgain_ShouldLandInTheSameImageSet()
    {
        if (!await StartAsync())
        {
            return;
        }

        var part10 = Part10("2");

        var first = await Archive.StoreAsync("img-2", part10);
        var second = await Archive.StoreAsync("img-2", part10);

        Assert.Equal(first, second);
        Assert.Equal(part10, await Archive.GetAsync(second.ImageSetId));
    }

    [Fact]
    public async Task StoreAsync_WhenTwoImagesAreStored_ShouldKeepThemInDifferentImageSets()
    {
        if (!await StartAsync())
        {
            return;
        }

        var a = Part10("3");
        var b = Part10("4");

        var setA = await Archive.StoreAsync("img-3", a);
        var setB = await Archive.StoreAsync("img-4", b);

        Assert.NotEqual(setA.ImageSetId, setB.ImageSetId);
        Assert.Equal(a, await Archive.GetAsync(setA.ImageSetId));
        Assert.Equal(b, await Archive.GetAsync(setB.ImageSetId));
    }

    [Fact]
    public async Task GetAsync_WhenImageSetDoesNotExist_ShouldReturnNull()
    {
        if (!await StartAsync())
        {
            return;
        }

        Assert.Null(await Archive.GetAsync(UnknownImageSetId));
    }

    [Fact]
    public async Task DeleteAsync_WhenStored_ShouldRemoveItAndReportFalseTheSecondTime()
    {
        if (!await StartAsync())
        {
            return;
        }

        var set = await Archive.StoreAsync("img-5", Part10("5"));

        Assert.True(await Archive.DeleteAsync(set.ImageSetId));
        Assert.Null(await Archive.GetAsync(set.ImageSetId));
        Assert.False(await Archive.DeleteAsync(set.ImageSetId));
    }

    [Fact]
    public async Task DeleteAsync_WhenImageSetDoesNotExist_ShouldReturnFalse()
    {
        if (!await StartAsync())
        {
            return;
        }

        Assert.False(await Archive.DeleteAsync(UnknownImageSetId));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(131)]
    [InlineData(2048)]
    public async Task StoreAsync_WhenInputIsNotPart10_ShouldRefuseWithValidationException(int length)
    {
        if (!await StartAsync())
        {
            return;
        }

        var notDicom = new byte[length];
        new Random(length).NextBytes(notDicom);

        var refused = await Assert.ThrowsAsync<ValidationException>(() => Archive.StoreAsync("img-6", notDicom));

        Assert.Equal("archive.not_part10", refused.Code);
    }

    [Fact]
    public async Task UrlFor_WhenStored_ShouldNameTheImageSetAndBeAnAbsoluteUrl()
    {
        if (!await StartAsync())
        {
            return;
        }

        var set = await Archive.StoreAsync("img-7", Part10("7"));

        var url = new Uri(Archive.UrlFor(set.ImageSetId));

        Assert.True(url.IsAbsoluteUri);
        Assert.Contains(set.ImageSetId, url.AbsoluteUri, StringComparison.Ordinal);
    }
}

public sealed class DiskImageArchiveContractTests : ImageArchiveContract
{
    protected override Task<bool> StartAsync()
    {
        Archive ??= new DiskImageArchive(Temp.File("archive"), Clock);
        return Task.FromResult(true);
    }
}

public sealed class HealthImagingArchiveContractTests(ITestOutputHelper output) : ImageArchiveContract
{
    private HealthImagingTwin? twin;
    private HttpClient? http;

    protected override async Task<bool> StartAsync()
    {
        if (!Oracle.Available(output))
        {
            return false;
        }

        if (twin is null)
        {
            twin = await HealthImagingTwin.StartAsync(Temp.File("twin"), Clock);
            http = AwsHttp.CreateClient(HealthImagingArchive.Service, twin.Region, HealthImagingTwin.Credentials, Clock);
            Archive = new HealthImagingArchive(http, twin.Options);
        }

        return true;
    }

    public override async Task DisposeAsync()
    {
        // Every request of the contract run was signed correctly, checked by botocore.
        var bad = twin?.Requests.Where(r => !r.SignatureValid).Select(r => $"{r.Method} {r.Target}: {r.Reason}").ToList() ?? [];
        http?.Dispose();
        if (twin is not null)
        {
            await twin.DisposeAsync();
        }

        await base.DisposeAsync();
        Assert.Empty(bad);
    }
}
