using System.Text;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Dicom;
using MedVision.Testing;
using MedVision.Testing.Aws;
using MedVision.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>The HealthImaging adapter against the loopback twin: STOW-RS answers, runtime reads, request shape, faults.</summary>
public sealed class HealthImagingArchiveTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string PatientName = "Doe^Jane";
    private const string PatientId = "MRN-77";
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
    private readonly List<HttpClient> clients = [];
    private HealthImagingTwin twin = null!;
    private FaultyStandIn? proxy;
    private bool ready;

    public async Task InitializeAsync()
    {
        ready = Oracle.Available(output);
        if (ready)
        {
            twin = await HealthImagingTwin.StartAsync(temp.File("twin"), clock);
        }
    }

    public async Task DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }

        if (ready)
        {
            await twin.DisposeAsync();
        }

        temp.Dispose();
    }

    private HealthImagingArchive Archive(Uri? endpoint = null, TimeSpan? timeout = null, Func<HttpRequestMessage, Task>? tamper = null)
    {
        var http = AwsHttp.CreateClient(HealthImagingArchive.Service, twin.Region, HealthImagingTwin.Credentials, clock, new TamperHandler(tamper));
        if (timeout is { } t)
        {
            http.Timeout = t;
        }

        clients.Add(http);
        return new HealthImagingArchive(http, twin.Options with { Endpoint = endpoint ?? twin.Address });
    }

    private static byte[] Part10(string sopSuffix, string modality = "CT")
    {
        var file = DicomFile.Read(TestDicom.Image(modality, rows: 32, columns: 32));
        file.Dataset.SetString(new DicomTag(0x0008, 0x0018), DicomVR.UI, TestDicom.SopUid + "." + sopSuffix);
        return file.ToBytes();
    }

    [Fact]
    public void Options_WhenNoEndpointIsSet_ShouldNameTheThreeRegionalHosts()
    {
        var options = new HealthImagingOptions("us-east-1", HealthImagingTwin.DatastoreId);

        Assert.Equal("https://dicom-medical-imaging.us-east-1.amazonaws.com/", options.DicomBase.AbsoluteUri);
        Assert.Equal("https://runtime-medical-imaging.us-east-1.amazonaws.com/", options.RuntimeBase.AbsoluteUri);
        Assert.Equal("https://medical-imaging.us-east-1.amazonaws.com/", options.ControlBase.AbsoluteUri);
    }

    [Fact]
    public void Options_WhenEndpointIsSet_ShouldMapEveryHostToIt()
    {
        var options = new HealthImagingOptions("us-east-1", HealthImagingTwin.DatastoreId) { Endpoint = new Uri("http://127.0.0.1:4567") };

        Assert.All([options.DicomBase, options.RuntimeBase, options.ControlBase], u => Assert.Equal("http://127.0.0.1:4567/", u.AbsoluteUri));
    }

    [Fact]
    public async Task StoreAsync_WhenStored_ShouldSendOneSignedStowRequestOfTheDocumentedShape()
    {
        if (!ready)
        {
            return;
        }

        var part10 = Part10("10");

        var set = await Archive().StoreAsync("img-10", part10);

        var stow = Assert.Single(twin.Requests);
        Assert.True(stow.SignatureValid, stow.Reason);
        Assert.Equal("POST", stow.Method);
        Assert.Equal($"/datastore/{HealthImagingTwin.DatastoreId}/studies", stow.Target);
        Assert.StartsWith("multipart/related; type=\"application/dicom\"; boundary=", stow.Header("content-type"), StringComparison.Ordinal);
        Assert.Equal("application/dicom+json", stow.Header("accept"));
        Assert.Equal(HealthImagingTwin.DatastoreId, set.DatastoreId);
        Assert.True(stow.Body.AsSpan().IndexOf(part10) > 0, "the Part 10 file is one part of the body");
        Assert.EndsWith("--\r\n", Encoding.ASCII.GetString(stow.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_WhenStored_ShouldReadMetadataThenTheInstanceThroughWadoRs()
    {
        if (!ready)
        {
            return;
        }

        var part10 = Part10("11");
        var set = await Archive().StoreAsync("img-11", part10);

        // A fresh adapter knows no UIDs: it must ask GetImageSetMetadata first.
        var bytes = await Archive().GetAsync(set.ImageSetId);

        Assert.Equal(part10, bytes);
        var reads = twin.Requests.Skip(1).ToList();
        Assert.Equal(2, reads.Count);
        Assert.Equal($"POST /datastore/{HealthImagingTwin.DatastoreId}/imageSet/{set.ImageSetId}/getImageSetMetadata", $"{reads[0].Method} {reads[0].Target}");
        Assert.Equal(
            $"GET /datastore/{HealthImagingTwin.DatastoreId}/studies/{TestDicom.StudyUid}/series/{TestDicom.SeriesUid}/instances/{TestDicom.SopUid}.11?imageSetId={set.ImageSetId}",
            $"{reads[1].Method} {reads[1].Target}");
        Assert.All(reads, r => Assert.True(r.SignatureValid, r.Reason));
    }

    [Fact]
    public async Task GetImageSetMetadataAsync_WhenStored_ShouldGunzipTheMetadataAndGetImageFrameShouldReturnThePixels()
    {
        if (!ready)
        {
            return;
        }

        var part10 = Part10("12");
        var archive = Archive();
        var set = await archive.StoreAsync("img-12", part10);

        var metadata = await archive.GetImageSetMetadataAsync(set.ImageSetId);
        var frameId = HealthImagingArchive.FirstImageFrameId(metadata!);
        var frame = await archive.GetImageFrameAsync(set.ImageSetId, frameId!);

        Assert.Equal(set.ImageSetId, (string?)metadata!["ImageSetID"]);
        Assert.Equal(TestDicom.StudyUid, (string?)metadata["Study"]!["DICOM"]!["StudyInstanceUID"]);
        var pixels = DicomFile.Read(part10).Dataset[DicomTag.PixelData].Bytes.ToArray();
        Assert.Equal(pixels, frame);
        var frameRequest = twin.Requests.Last();
        Assert.Equal($"/datastore/{HealthImagingTwin.DatastoreId}/imageSet/{set.ImageSetId}/getImageFrame", frameRequest.Target);
        Assert.Equal(frameId, (string?)JsonNode.Parse(frameRequest.Body)!["imageFrameId"]);
        Assert.StartsWith("application/json", frameRequest.Header("content-type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetImageSetMetadataAsync_WhenImageSetDoesNotExist_ShouldReturnNullAndFramesNull()
    {
        if (!ready)
        {
            return;
        }

        var archive = Archive();
        var unknown = new string('a', 32);

        Assert.Null(await archive.GetImageSetMetadataAsync(unknown));
        Assert.Null(await archive.GetImageFrameAsync(unknown, new string('b', 32)));
    }

    [Fact]
    public async Task StoreAsync_WhenTheSopInstanceIsStoredAgainWithOtherContent_ShouldThrowNotPrimaryConflict()
    {
        if (!ready)
        {
            return;
        }

        var archive = Archive();
        await archive.StoreAsync("img-13", Part10("13", "CT"));

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => archive.StoreAsync("img-13b", Part10("13", "MR")));

        Assert.Equal(HealthImagingArchive.NotPrimaryCode, conflict.Code);
        Assert.Contains("non-primary", conflict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreAsync_WhenTheServiceAnswersNotPrimary_ShouldThrowNotPrimaryConflict()
    {
        if (!ready)
        {
            return;
        }

        twin.NextStore(StowAnswer.NotPrimary);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => Archive().StoreAsync("img-14", Part10("14")));

        Assert.Equal(HealthImagingArchive.NotPrimaryCode, conflict.Code);
    }

    [Fact]
    public async Task StoreAsync_WhenTheServiceAnswersAFailedSopSequence_ShouldThrowStowFailedValidation()
    {
        if (!ready)
        {
            return;
        }

        twin.NextStore(StowAnswer.Failure);

        var failed = await Assert.ThrowsAsync<ValidationException>(() => Archive().StoreAsync("img-15", Part10("15")));

        Assert.Equal(HealthImagingArchive.StowFailedCode, failed.Code);
        Assert.Contains("43264", failed.Message, StringComparison.Ordinal); // 0xA900
    }

    [Fact]
    public async Task StoreAsync_WhenTheServiceAnswersAWarning_ShouldThrowStowWarningValidation()
    {
        if (!ready)
        {
            return;
        }

        twin.NextStore(StowAnswer.Warning);

        var warned = await Assert.ThrowsAsync<ValidationException>(() => Archive().StoreAsync("img-16", Part10("16")));

        Assert.Equal(HealthImagingArchive.StowWarningCode, warned.Code);
        Assert.Contains("45056", warned.Message, StringComparison.Ordinal); // 0xB000
    }

    [Fact]
    public async Task StoreAsync_WhenTheRequestIsTamperedAfterSigning_ShouldBeRefusedByTheTwinAsUnavailable()
    {
        if (!ready)
        {
            return;
        }

        var archive = Archive(tamper: r =>
        {
            r.Headers.TryAddWithoutValidation("x-amz-meta-extra", "unsigned");
            return Task.CompletedTask;
        });

        await Assert.ThrowsAsync<StorageUnavailableException>(() => archive.StoreAsync("img-17", Part10("17")));
        Assert.False(Assert.Single(twin.Requests).SignatureValid);
    }

    [Theory]
    [InlineData(429, "ThrottlingException")]
    [InlineData(402, "ServiceQuotaExceededException")]
    [InlineData(500, "InternalServerException")]
    [InlineData(503, "")]
    public async Task StoreAsync_WhenTheServiceThrottlesOrFails_ShouldSendOneRequestAndThrowStorageUnavailable(int status, string errorType)
    {
        if (!ready)
        {
            return;
        }

        proxy = await FaultyStandIn.StartAsync(twin.Address);
        var headers = errorType.Length > 0 ? new Dictionary<string, string> { ["x-amzn-ErrorType"] = errorType } : null;
        proxy.Next(Fault.Answer(status, "application/json", "{\"message\":\"Rate exceeded\"}", headers));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Archive(proxy.Address).StoreAsync("img-18", Part10("18")));

        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task StoreAsync_WhenTheServiceTimesOut_ShouldSendOneRequestAndThrowStorageUnavailable()
    {
        if (!ready)
        {
            return;
        }

        proxy = await FaultyStandIn.StartAsync(twin.Address);
        proxy.Next(Fault.Delay(TimeSpan.FromMinutes(2)));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Archive(proxy.Address, TimeSpan.FromSeconds(2)).StoreAsync("img-19", Part10("19")));

        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task GetAsync_WhenTheConnectionDrops_ShouldSendOneRequestAndThrowStorageUnavailable()
    {
        if (!ready)
        {
            return;
        }

        var set = await Archive().StoreAsync("img-20", Part10("20"));
        proxy = await FaultyStandIn.StartAsync(twin.Address);
        proxy.Next(Fault.Drop());

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Archive(proxy.Address).GetAsync(set.ImageSetId));

        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task DeleteAsync_WhenTheServiceAnswersValidationException_ShouldThrowValidationOnce()
    {
        if (!ready)
        {
            return;
        }

        var set = await Archive().StoreAsync("img-21", Part10("21"));
        proxy = await FaultyStandIn.StartAsync(twin.Address);
        proxy.Next(Fault.Answer(400, "application/json", "{\"message\":\"1 validation error detected\"}", new Dictionary<string, string> { ["x-amzn-ErrorType"] = "ValidationException" }));

        var invalid = await Assert.ThrowsAsync<ValidationException>(() => Archive(proxy.Address).DeleteAsync(set.ImageSetId));

        Assert.Equal("archive.invalid", invalid.Code);
        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task DeleteAsync_WhenTheServiceAnswersConflict_ShouldThrowConflict()
    {
        if (!ready)
        {
            return;
        }

        var set = await Archive().StoreAsync("img-22", Part10("22"));
        twin.Script(409, "ConflictException", "The image set is being updated.");

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => Archive().DeleteAsync(set.ImageSetId));

        Assert.Equal("archive.conflict", conflict.Code);
    }

    [Fact]
    public async Task Requests_WhenStoringReadingAndDeleting_ShouldCarryNoPatientDataInUrlOrHeaders()
    {
        if (!ready)
        {
            return;
        }

        var part10 = Part10("23");
        Assert.Contains(PatientName, Encoding.ASCII.GetString(part10), StringComparison.Ordinal); // the file does hold it
        var archive = Archive();
        var set = await archive.StoreAsync("img-23", part10);
        await Archive().GetAsync(set.ImageSetId);
        var metadata = await archive.GetImageSetMetadataAsync(set.ImageSetId);
        await archive.GetImageFrameAsync(set.ImageSetId, HealthImagingArchive.FirstImageFrameId(metadata!)!);
        _ = Archive().UrlFor(set.ImageSetId);
        await archive.DeleteAsync(set.ImageSetId);

        Assert.True(twin.Requests.Count >= 6);
        foreach (var request in twin.Requests)
        {
            var visible = Uri.UnescapeDataString(request.Target) + "\n" + string.Join("\n", request.Headers.Select(h => $"{h.Key}: {h.Value}"));
            Assert.DoesNotContain("Doe", visible, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Jane", visible, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(PatientId, visible, StringComparison.OrdinalIgnoreCase);
        }
    }
}
