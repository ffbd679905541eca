using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Aws;
using MedVision.Core;
using MedVision.Dicom;
using MedVision.Local.Twins;
using Microsoft.AspNetCore.Http;

namespace MedVision.Twins;

/// <summary>What the twin's next STOW-RS answer is told to be, so a client's handling of each can be tested.</summary>
public enum StowAnswer
{
    /// <summary>Store and answer as HealthImaging does.</summary>
    Normal,

    /// <summary>Store in a non-primary image set and say so (<c>IsPrimary: false</c>).</summary>
    NotPrimary,

    /// <summary>Store nothing; 409 with a Failed SOP Sequence (Failure Reason 0xA900: data set does not match SOP class).</summary>
    Failure,

    /// <summary>Store, then answer 202 with a Warning Reason 0xB000 (coercion of data elements).</summary>
    Warning,
}

/// <summary>
/// A loopback stand-in for the AWS HealthImaging subset MedVision uses, on a <see cref="SigV4LoopbackServer"/> (every
/// request's SigV4 signature checked by botocore for service <c>medical-imaging</c>; a bad one is 403
/// InvalidSignatureException), storing image sets in a <see cref="DiskImageArchive"/> under the state folder.
/// </summary>
/// <remarks>
/// <para>One address serves the three hosts' paths: StoreDICOM (<c>POST /datastore/{id}/studies</c>, multipart/related;
/// type="application/dicom", answered in DICOM JSON with <c>ImageSetResults.ImageSetsSummary</c>), GetDICOMInstance
/// (<c>GET /datastore/{id}/studies/{study}/series/{series}/instances/{sop}[?imageSetId=]</c>), GetImageSetMetadata
/// (gzip JSON in HealthImaging's Patient/Study/Series/Instances/ImageFrames layout), GetImageFrame (the frame's stored
/// bytes: uncompressed frames come back as application/octet-stream as the service does for Explicit VR Little Endian;
/// the twin does not encode HTJ2K) and DeleteImageSet.</para>
/// <para>Image set ids are derived like <see cref="DiskImageArchive"/> does: the primary image set of a SOP instance is
/// <c>ImageSetIdFor(SOPInstanceUID)</c>, so storing the same file again lands in the same set. Storing different bytes
/// under a SOP Instance UID that already has a primary set makes a non-primary set
/// <c>ImageSetIdFor(SOPInstanceUID#sha256)</c>, as HealthImaging does when metadata conflicts.</para>
/// <para>Errors answer in the REST-JSON shape: the status, <c>x-amzn-ErrorType</c> and <c>{"message": ...}</c>.</para>
/// </remarks>
public sealed class HealthImagingTwin : IAsyncDisposable
{
    public const string DatastoreId = "0123456789abcdef0123456789abcdef";
    public const string DefaultRegion = "eu-west-2";
    public static readonly AwsCredentials Credentials = new("AKIDTWINEXAMPLE", "twin/secret+key", "twin-session-token");

    private const string ExplicitVrLittleEndian = "1.2.840.10008.1.2.1";
    private static readonly DicomTag SopClassUid = new(0x0008, 0x0016);
    private static readonly DicomTag SopInstanceUid = new(0x0008, 0x0018);
    private static readonly DicomTag StudyInstanceUid = new(0x0020, 0x000D);
    private static readonly DicomTag SeriesInstanceUid = new(0x0020, 0x000E);
    private static readonly DicomTag Rows = new(0x0028, 0x0010);
    private static readonly DicomTag Columns = new(0x0028, 0x0011);
    private static readonly DicomTag SamplesPerPixel = new(0x0028, 0x0002);
    private static readonly DicomTag BitsAllocated = new(0x0028, 0x0100);
    private static readonly DicomTag NumberOfFrames = new(0x0028, 0x0008);

    private static readonly (string Level, string Keyword, DicomTag Tag)[] MetadataAttributes =
    [
        ("Patient", "PatientName", new(0x0010, 0x0010)),
        ("Patient", "PatientID", new(0x0010, 0x0020)),
        ("Patient", "PatientBirthDate", new(0x0010, 0x0030)),
        ("Patient", "PatientSex", new(0x0010, 0x0040)),
        ("Study", "StudyInstanceUID", StudyInstanceUid),
        ("Study", "StudyDate", new(0x0008, 0x0020)),
        ("Study", "StudyTime", new(0x0008, 0x0030)),
        ("Study", "AccessionNumber", new(0x0008, 0x0050)),
        ("Study", "StudyDescription", new(0x0008, 0x1030)),
        ("Series", "SeriesInstanceUID", SeriesInstanceUid),
        ("Series", "Modality", new(0x0008, 0x0060)),
        ("Series", "SeriesNumber", new(0x0020, 0x0011)),
        ("Series", "BodyPartExamined", new(0x0018, 0x0015)),
        ("Instance", "SOPClassUID", SopClassUid),
        ("Instance", "SOPInstanceUID", SopInstanceUid),
        ("Instance", "InstanceNumber", new(0x0020, 0x0013)),
        ("Instance", "PhotometricInterpretation", new(0x0028, 0x0004)),
        ("Instance", "Rows", Rows),
        ("Instance", "Columns", Columns),
        ("Instance", "BitsAllocated", BitsAllocated),
        ("Instance", "BitsStored", new(0x0028, 0x0101)),
        ("Instance", "PixelRepresentation", new(0x0028, 0x0103)),
    ];

    private readonly DiskImageArchive archive;
    private readonly string? ownedState;
    private readonly AwsCredentials credentials;
    private readonly string region;
    private readonly SemaphoreSlim storeLock = new(1, 1);
    private readonly ConcurrentQueue<StowAnswer> stowAnswers = new();
    private readonly ConcurrentQueue<(int Status, string ErrorType, string Message)> scripted = new();
    private SigV4LoopbackServer server = null!;

    private HealthImagingTwin(DiskImageArchive archive, string? ownedState, AwsCredentials credentials, string region)
    {
        this.archive = archive;
        this.ownedState = ownedState;
        this.credentials = credentials;
        this.region = region;
    }

    /// <summary>The twin's root, e.g. http://127.0.0.1:41234/: the one endpoint for all three HealthImaging hosts.</summary>
    public Uri Address => server.Address;

    public ConcurrentQueue<TwinRequest> Requests => server.Requests;

    /// <summary>Options that point a <see cref="HealthImagingArchive"/> at this twin.</summary>
    public HealthImagingOptions Options => new(region, DatastoreId) { Endpoint = Address };

    public string Region => region;

    /// <summary>The credentials requests must be signed with.</summary>
    public AwsCredentials SigningCredentials => credentials;

    /// <param name="stateDirectory">Where the image sets are kept (survives restarts); a temporary folder, deleted on dispose, when null.</param>
    /// <param name="clock">The clock signatures are checked against and stores are stamped with.</param>
    /// <param name="credentials">The key requests must be signed with; <see cref="Credentials"/> when null.</param>
    /// <param name="port">The loopback port; 0 lets the OS pick.</param>
    /// <param name="region">The signing region requests must name; <see cref="DefaultRegion"/> when null.</param>
    public static async Task<HealthImagingTwin> StartAsync(
        string? stateDirectory, TimeProvider clock, AwsCredentials? credentials = null, int port = 0, string? region = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var owned = stateDirectory is null ? Path.Combine(Path.GetTempPath(), "medvision-healthimaging-" + Guid.NewGuid().ToString("N")) : null;
        var twin = new HealthImagingTwin(new DiskImageArchive(stateDirectory ?? owned!, clock, DatastoreId), owned, credentials ?? Credentials, region ?? DefaultRegion);
        twin.server = await SigV4LoopbackServer.StartAsync(twin.credentials, twin.region, HealthImagingArchive.Service, clock, twin.HandleAsync, port);
        return twin;
    }

    /// <summary>The next StoreDICOM request is answered this way (after its signature and shape passed).</summary>
    public void NextStore(StowAnswer answer) => stowAnswers.Enqueue(answer);

    /// <summary>The next request is answered with this REST-JSON error (after its signature passed).</summary>
    public void Script(int status, string errorType, string message) => scripted.Enqueue((status, errorType, message));

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        storeLock.Dispose();
        if (ownedState is not null && Directory.Exists(ownedState))
        {
            Directory.Delete(ownedState, recursive: true);
        }
    }

    private async Task HandleAsync(HttpContext context, TwinRequest request)
    {
        if (!request.SignatureValid)
        {
            await ErrorAsync(context, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
            return;
        }

        if (scripted.TryDequeue(out var canned))
        {
            await ErrorAsync(context, canned.Status, canned.ErrorType, canned.Message);
            return;
        }

        var path = request.Target.Split('?', 2)[0];
        var query = request.Target.Contains('?', StringComparison.Ordinal) ? request.Target[(request.Target.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length < 2 || segments[0] != "datastore")
        {
            await ErrorAsync(context, 404, "ResourceNotFoundException", "Unknown operation.");
            return;
        }

        if (segments[1] != DatastoreId)
        {
            await ErrorAsync(context, 404, "ResourceNotFoundException", $"Data store {segments[1]} does not exist.");
            return;
        }

        var method = request.Method;
        switch (segments.Length)
        {
            case 3 when segments[2] == "studies" && method == "POST":
                await StoreAsync(context, request);
                break;
            case 8 when segments[2] == "studies" && segments[4] == "series" && segments[6] == "instances" && method == "GET":
                await GetInstanceAsync(context, request, segments[3], segments[5], segments[7], QueryValue(query, "imageSetId"));
                break;
            case 5 when segments[2] == "imageSet" && method == "POST":
                await RuntimeAsync(context, request, segments[3], segments[4], query);
                break;
            default:
                await ErrorAsync(context, 404, "ResourceNotFoundException", $"{method} {path} is not an operation of this twin.");
                break;
        }
    }

    private async Task StoreAsync(HttpContext context, TwinRequest request)
    {
        var contentType = request.Header("content-type") ?? "";
        var parameters = contentType.Split(';').Select(p => p.Trim()).ToArray();
        var boundary = parameters.Where(p => p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase)).Select(p => p["boundary=".Length..].Trim('"')).FirstOrDefault();
        if (!parameters[0].Equals("multipart/related", StringComparison.OrdinalIgnoreCase)
            || !parameters.Any(p => p.Equals("type=\"application/dicom\"", StringComparison.OrdinalIgnoreCase) || p.Equals("type=application/dicom", StringComparison.OrdinalIgnoreCase))
            || string.IsNullOrEmpty(boundary))
        {
            await ErrorAsync(context, 415, "ValidationException", "StoreDICOM takes multipart/related; type=\"application/dicom\" with a boundary.");
            return;
        }

        var accept = request.Header("accept");
        if (accept is not null && !accept.Contains("application/dicom+json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            await ErrorAsync(context, 406, "NotAcceptableException", "StoreDICOM answers application/dicom+json.");
            return;
        }

        var parts = Multipart.Split(request.Body, boundary);
        if (parts is null || parts.Count == 0)
        {
            await ErrorAsync(context, 400, "ValidationException", "The multipart body has no parts or is not terminated.");
            return;
        }

        var baseUri = $"http://{context.Request.Host}/datastore/{DatastoreId}";
        var answer = stowAnswers.TryDequeue(out var next) ? next : StowAnswer.Normal;
        var referenced = new JsonArray();
        var failed = new JsonArray();
        var summaries = new JsonArray();
        string? studyUid = null;
        await storeLock.WaitAsync();
        try
        {
            foreach (var part in parts)
            {
                var file = ParsePart10(part.Content);
                var sop = file?.Dataset.GetString(SopInstanceUid);
                var sopClass = file?.Dataset.GetString(SopClassUid) ?? "";
                var study = file?.Dataset.GetString(StudyInstanceUid);
                var series = file?.Dataset.GetString(SeriesInstanceUid);
                if (!part.ContentType.StartsWith("application/dicom", StringComparison.OrdinalIgnoreCase) || file is null
                    || sop is null || study is null || series is null || answer == StowAnswer.Failure)
                {
                    // 0xC000: cannot understand; 0xA900: data set does not match SOP class (the scripted failure).
                    failed.Add((JsonNode)Item(sopClass, sop ?? "", null, answer == StowAnswer.Failure ? 0xA900 : 0xC000, null));
                    continue;
                }

                studyUid ??= study;
                var primaryId = DiskImageArchive.ImageSetIdFor(sop);
                var existing = await archive.GetAsync(primaryId);
                var primary = answer != StowAnswer.NotPrimary && (existing is null || existing.AsSpan().SequenceEqual(part.Content));
                var imageSetId = primary ? primaryId : DiskImageArchive.ImageSetIdFor($"{sop}#{Convert.ToHexStringLower(SHA256.HashData(part.Content))}");
                await archive.StoreAsync(primary ? sop : $"{sop}#{Convert.ToHexStringLower(SHA256.HashData(part.Content))}", part.Content);
                var retrieve = $"{baseUri}/studies/{study}/series/{series}/instances/{sop}?imageSetId={imageSetId}";
                referenced.Add((JsonNode)Item(sopClass, sop, retrieve, null, answer == StowAnswer.Warning ? 0xB000 : null));
                summaries.Add((JsonNode)new JsonObject
                {
                    ["ImageSetId"] = imageSetId,
                    ["Version"] = 1,
                    ["IsPrimary"] = primary,
                    ["NumberOfMatchedSOPInstances"] = 1,
                });
            }
        }
        finally
        {
            storeLock.Release();
        }

        var body = new JsonObject();
        if (studyUid is not null)
        {
            body["00081190"] = Attribute("UR", JsonValue.Create($"{baseUri}/studies/{studyUid}"));
        }

        if (failed.Count > 0)
        {
            body["00081198"] = new JsonObject { ["vr"] = "SQ", ["Value"] = failed };
        }

        if (referenced.Count > 0)
        {
            body["00081199"] = new JsonObject { ["vr"] = "SQ", ["Value"] = referenced };
            body["ImageSetResults"] = new JsonObject { ["ImageSetsSummary"] = summaries };
        }

        // DICOMweb: 200 all stored, 202 stored with warnings or some failed, 409 none stored.
        var status = referenced.Count == 0 ? 409 : failed.Count > 0 || answer == StowAnswer.Warning ? 202 : 200;
        await JsonAsync(context, status, "application/dicom+json", body);
    }

    private async Task GetInstanceAsync(HttpContext context, TwinRequest request, string study, string series, string sop, string? imageSetId)
    {
        var accept = request.Header("accept") ?? "";
        if (!accept.Contains("application/dicom", StringComparison.OrdinalIgnoreCase) || accept.Contains("application/dicom+json", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(context, 406, "NotAcceptableException", "GetDICOMInstance answers application/dicom.");
            return;
        }

        if (imageSetId is not null && !HealthImagingArchive.IsId(imageSetId))
        {
            await ErrorAsync(context, 400, "ValidationException", "imageSetId must match [0-9a-z]{32}.");
            return;
        }

        var id = imageSetId ?? DiskImageArchive.ImageSetIdFor(sop);
        var bytes = await archive.GetAsync(id);
        var file = bytes is null ? null : ParsePart10(bytes);
        if (file is null || file.Dataset.GetString(StudyInstanceUid) != study || file.Dataset.GetString(SeriesInstanceUid) != series
            || file.Dataset.GetString(SopInstanceUid) != sop)
        {
            await ErrorAsync(context, 404, "ResourceNotFoundException", "No such instance in the image set.");
            return;
        }

        var stored = file.TransferSyntax.Uid;
        var wanted = accept.Split(';').Select(p => p.Trim()).Where(p => p.StartsWith("transfer-syntax=", StringComparison.OrdinalIgnoreCase))
            .Select(p => p["transfer-syntax=".Length..].Trim('"')).FirstOrDefault() ?? ExplicitVrLittleEndian;
        if (wanted != "*" && wanted != stored)
        {
            // The twin does not transcode: it serves the stored syntax, as asked with '*' or by its UID.
            await ErrorAsync(context, 406, "NotAcceptableException", $"The instance is stored as {stored}; ask for it or '*'.");
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = $"application/dicom; transfer-syntax={stored}";
        await context.Response.Body.WriteAsync(bytes);
    }

    private async Task RuntimeAsync(HttpContext context, TwinRequest request, string imageSetId, string action, string query)
    {
        if (!HealthImagingArchive.IsId(imageSetId))
        {
            await ErrorAsync(context, 400, "ValidationException", "imageSetId must match [0-9a-z]{32}.");
            return;
        }

        if (action is "getImageSetMetadata" or "deleteImageSet" && request.Body.Length > 0)
        {
            await ErrorAsync(context, 400, "ValidationException", $"{action} takes no request body.");
            return;
        }

        var bytes = await archive.GetAsync(imageSetId);
        var file = bytes is null ? null : ParsePart10(bytes);
        if (file is null)
        {
            await ErrorAsync(context, 404, "ResourceNotFoundException", $"Image set {imageSetId} does not exist.");
            return;
        }

        switch (action)
        {
            case "getImageSetMetadata":
                var version = QueryValue(query, "version");
                if (version is not null and not "1")
                {
                    await ErrorAsync(context, 404, "ResourceNotFoundException", $"Image set {imageSetId} has no version {version}.");
                    return;
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.Headers.ContentEncoding = "gzip";
                await context.Response.Body.WriteAsync(Gzip(Encoding.UTF8.GetBytes(Metadata(imageSetId, file).ToJsonString())));
                break;
            case "getImageFrame":
                await FrameAsync(context, request, imageSetId, file);
                break;
            case "deleteImageSet":
                await archive.DeleteAsync(imageSetId);
                await JsonAsync(context, 200, "application/json", new JsonObject
                {
                    ["datastoreId"] = DatastoreId,
                    ["imageSetId"] = imageSetId,
                    ["imageSetState"] = "LOCKED",
                    ["imageSetWorkflowStatus"] = "DELETING",
                });
                break;
            default:
                await ErrorAsync(context, 404, "ResourceNotFoundException", $"{action} is not an operation of this twin.");
                break;
        }
    }

    private static async Task FrameAsync(HttpContext context, TwinRequest request, string imageSetId, DicomFile file)
    {
        string? frameId = null;
        try
        {
            frameId = (request.Header("content-type") ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                ? (string?)JsonNode.Parse(request.Body)?["imageFrameId"]
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not the documented body: answered below.
        }

        if (frameId is null)
        {
            await ErrorAsync(context, 400, "ValidationException", "getImageFrame takes an application/json body {\"imageFrameId\": \"...\"}.");
            return;
        }

        var frames = Frames(imageSetId, file);
        var index = frames.FindIndex(f => f.Id == frameId);
        if (index < 0)
        {
            await ErrorAsync(context, 404, "ResourceNotFoundException", $"Image set {imageSetId} has no frame {frameId}.");
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(frames[index].Bytes);
    }

    /// <summary>HealthImaging's metadata layout (schema 1.1): Patient, Study, Series by UID, Instances by UID, ImageFrames.</summary>
    private static JsonObject Metadata(string imageSetId, DicomFile file)
    {
        JsonObject Level(string level) => new(MetadataAttributes.Where(a => a.Level == level && file.Dataset.GetString(a.Tag) is not null)
            .Select(a => KeyValuePair.Create(a.Keyword, (JsonNode?)JsonValue.Create(file.Dataset.GetString(a.Tag)))));
        var frames = new JsonArray(Frames(imageSetId, file).Select(JsonNode? (f) => new JsonObject
        {
            ["ID"] = f.Id,
            ["FrameSizeInBytes"] = f.Bytes.Length,
        }).ToArray());
        var instance = new JsonObject { ["DICOM"] = Level("Instance"), ["StoredTransferSyntaxUID"] = file.TransferSyntax.Uid, ["ImageFrames"] = frames };
        var series = new JsonObject
        {
            ["DICOM"] = Level("Series"),
            ["Instances"] = new JsonObject { [file.Dataset.GetString(SopInstanceUid)!] = instance },
        };
        return new JsonObject
        {
            ["SchemaVersion"] = "1.1",
            ["DatastoreID"] = DatastoreId,
            ["ImageSetID"] = imageSetId,
            ["Patient"] = new JsonObject { ["DICOM"] = Level("Patient") },
            ["Study"] = new JsonObject
            {
                ["DICOM"] = Level("Study"),
                ["Series"] = new JsonObject { [file.Dataset.GetString(SeriesInstanceUid)!] = series },
            },
        };
    }

    /// <summary>The instance's frames: native pixel data cut per frame; encapsulated pixel data one fragment per frame.</summary>
    private static List<(string Id, byte[] Bytes)> Frames(string imageSetId, DicomFile file)
    {
        var result = new List<(string, byte[])>();
        if (!file.Dataset.TryGet(DicomTag.PixelData, out var pixels))
        {
            return result;
        }

        string FrameId(int i) => DiskImageArchive.ImageSetIdFor($"{imageSetId}/frame/{i.ToString(CultureInfo.InvariantCulture)}");
        if (pixels.Fragments is { } fragments)
        {
            for (var i = 0; i < fragments.Fragments.Count; i++)
            {
                result.Add((FrameId(i), fragments.Fragments[i].ToArray()));
            }

            return result;
        }

        var count = Math.Max(1, file.Dataset.GetInt32OrDefault(NumberOfFrames, 1));
        var size = file.Dataset.TryGetUInt16(Rows, out var rows) && file.Dataset.TryGetUInt16(Columns, out var columns)
            ? rows * columns * Math.Max(1, file.Dataset.GetInt32OrDefault(SamplesPerPixel, 1)) * (file.Dataset.GetInt32OrDefault(BitsAllocated, 16) / 8)
            : pixels.Length;
        for (var i = 0; i < count && (i + 1) * size <= pixels.Length; i++)
        {
            result.Add((FrameId(i), pixels.Bytes.Slice(i * size, size).ToArray()));
        }

        return result;
    }

    private static DicomFile? ParsePart10(byte[] bytes)
    {
        if (!HealthImagingArchive.IsPart10(bytes))
        {
            return null;
        }

        try
        {
            return DicomFile.Read(bytes);
        }
        catch (DicomFormatException)
        {
            return null;
        }
    }

    private static JsonObject Item(string sopClass, string sop, string? retrieveUrl, int? failureReason, int? warningReason)
    {
        var item = new JsonObject
        {
            ["00081150"] = Attribute("UI", JsonValue.Create(sopClass)),
            ["00081155"] = Attribute("UI", JsonValue.Create(sop)),
        };
        if (retrieveUrl is not null)
        {
            item["00081190"] = Attribute("UR", JsonValue.Create(retrieveUrl));
        }

        if (failureReason is { } failure)
        {
            item["00081197"] = Attribute("US", JsonValue.Create(failure));
        }

        if (warningReason is { } warning)
        {
            item["00081196"] = Attribute("US", JsonValue.Create(warning));
        }

        return item;
    }

    private static JsonObject Attribute(string vr, JsonNode? value) => new() { ["vr"] = vr, ["Value"] = new JsonArray(value) };

    private static string? QueryValue(string query, string name) =>
        AwsQueryString.Parse(query).Where(p => p.Key == name).Select(p => p.Value).FirstOrDefault();

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    private static async Task JsonAsync(HttpContext context, int status, string contentType, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task ErrorAsync(HttpContext context, int status, string errorType, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = errorType;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject { ["message"] = message }.ToJsonString());
    }

    /// <summary>multipart/related bodies: the parts between <c>--boundary</c> lines, each with its Content-Type.</summary>
    private static class Multipart
    {
        public static List<(string ContentType, byte[] Content)>? Split(byte[] body, string boundary)
        {
            var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
            var parts = new List<(string, byte[])>();
            var at = IndexOf(body, delimiter, 0);
            if (at < 0)
            {
                return null;
            }

            while (true)
            {
                var afterDelimiter = at + delimiter.Length;
                if (body.AsSpan(afterDelimiter).StartsWith("--"u8))
                {
                    return parts; // the closing delimiter
                }

                var headersEnd = IndexOf(body, "\r\n\r\n"u8.ToArray(), afterDelimiter);
                var next = IndexOf(body, [.. "\r\n"u8, .. delimiter], afterDelimiter);
                if (headersEnd < 0 || next < 0 || headersEnd > next)
                {
                    return null;
                }

                var headers = Encoding.ASCII.GetString(body, afterDelimiter, headersEnd - afterDelimiter);
                var contentType = headers.Split("\r\n").Where(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
                    .Select(h => h["Content-Type:".Length..].Trim()).FirstOrDefault() ?? "";
                parts.Add((contentType, body[(headersEnd + 4)..next]));
                at = next + 2;
            }
        }

        private static int IndexOf(byte[] haystack, byte[] needle, int from)
        {
            var found = haystack.AsSpan(from).IndexOf(needle);
            return found < 0 ? -1 : from + found;
        }
    }
}
