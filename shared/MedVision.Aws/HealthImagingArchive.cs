using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MedVision.Core;
using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>
/// Where a HealthImaging data store is. The service answers on three hosts: <c>dicom-medical-imaging</c> (DICOMweb
/// STOW-RS/WADO-RS), <c>runtime-medical-imaging</c> (image set metadata, frames, DeleteImageSet) and
/// <c>medical-imaging</c> (the control plane). <see cref="Endpoint"/>, when set, replaces all three (a local twin
/// or a VPC endpoint serves every path on one address).
/// </summary>
public sealed record HealthImagingOptions(string Region, string DatastoreId)
{
    public Uri? Endpoint { get; init; }

    /// <summary>The DICOMweb host's root, ending in '/'.</summary>
    public Uri DicomBase => Host("dicom-medical-imaging");

    /// <summary>The runtime host's root (GetImageSetMetadata, GetImageFrame, DeleteImageSet), ending in '/'.</summary>
    public Uri RuntimeBase => Host("runtime-medical-imaging");

    /// <summary>The control plane's root, ending in '/'.</summary>
    public Uri ControlBase => Host("medical-imaging");

    private Uri Host(string prefix)
    {
        var uri = Endpoint ?? new Uri($"https://{prefix}.{Region}.amazonaws.com/");
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}

/// <summary>The Study/Series/SOP Instance UIDs of an image set's instance: what a WADO-RS URL needs.</summary>
public sealed record DicomInstanceUids(string StudyInstanceUid, string SeriesInstanceUid, string SopInstanceUid);

/// <summary>
/// The image archive port over AWS HealthImaging, every request signed with SigV4 (service <c>medical-imaging</c>).
/// Stores with DICOMweb STOW-RS (StoreDICOM, synchronous), reads the instance with WADO-RS (GetDICOMInstance) after
/// GetImageSetMetadata told its UIDs, erases with DeleteImageSet; <see cref="GetImageSetMetadataAsync"/> and
/// <see cref="GetImageFrameAsync"/> expose the runtime reads the port does not need.
/// </summary>
/// <remarks>
/// <para>Store answers: the STOW-RS response (DICOM JSON) names the image set in <c>ImageSetResults.ImageSetsSummary</c>
/// (<c>ImageSetId</c>, <c>IsPrimary</c>). A Failed SOP Sequence (0008,1198) — in a 200, 202 or 409 answer — is
/// <see cref="ValidationException"/> <see cref="StowFailedCode"/>; a warning (Warning Reason (0008,1196) or 202
/// without failures) is <see cref="ValidationException"/> <see cref="StowWarningCode"/>; an instance that landed in a
/// non-primary image set (its metadata conflicts with the primary image set already holding that SOP instance) is
/// <see cref="ConflictException"/> <see cref="NotPrimaryCode"/>, carrying the non-primary image set id. None of them
/// is accepted silently: the user is told, the state machine does not retry them. Storing the same bytes again lands
/// in the same primary image set, so a retried store is idempotent. Input that is not Part 10 (no "DICM" at byte
/// 128) is refused before anything is sent (<see cref="NotPart10Code"/>).</para>
/// <para>Errors of the REST-JSON API (<c>x-amzn-ErrorType</c>) go through the shared <see cref="AwsErrorMapper"/>:
/// ValidationException (400) → <see cref="ValidationException"/> <c>archive.invalid</c>; ResourceNotFoundException
/// (404) → null from reads and false from <see cref="DeleteAsync"/>; ConflictException (409) →
/// <see cref="ConflictException"/> <c>archive.conflict</c>; ThrottlingException (429), ServiceQuotaExceededException
/// (402), AccessDeniedException (403), InternalServerException and any 5xx, timeouts and dropped connections →
/// <see cref="StorageUnavailableException"/>, which the state machine retries. This client never retries by itself
/// (<see cref="AwsHttp"/>). Messages carry ids and the service's error text, never patient data; requests carry only
/// ids (data store, image set, DICOM UIDs) in their URLs and headers.</para>
/// </remarks>
public sealed class HealthImagingArchive : IImageArchive
{
    public const string Service = "medical-imaging";

    /// <summary>The input is not a DICOM Part 10 file.</summary>
    public const string NotPart10Code = "archive.not_part10";

    /// <summary>STOW-RS refused the instance (Failed SOP Sequence).</summary>
    public const string StowFailedCode = "archive.stow_failed";

    /// <summary>STOW-RS stored the instance with a warning (e.g. coerced attributes).</summary>
    public const string StowWarningCode = "archive.stow_warning";

    /// <summary>The instance was stored in a non-primary image set.</summary>
    public const string NotPrimaryCode = "archive.not_primary";

    private const int MaxCachedUids = 4096;
    private static readonly Dictionary<string, AwsErrorKind> ServiceTypes = new(StringComparer.Ordinal)
    {
        // A quota or a missing permission is no fault of the request: the operator fixes it, then a retry succeeds.
        ["ServiceQuotaExceededException"] = AwsErrorKind.Unavailable,
        ["AccessDeniedException"] = AwsErrorKind.Unavailable,
        ["ValidationException"] = AwsErrorKind.Invalid,
        ["BadRequestException"] = AwsErrorKind.Invalid,
        ["NotAcceptableException"] = AwsErrorKind.Invalid,
    };

    private readonly AwsHttp aws;
    private readonly HealthImagingOptions options;

    // UrlFor is synchronous: the UIDs of image sets this instance stored or read are kept so it needs no call.
    private readonly ConcurrentDictionary<string, DicomInstanceUids> uids = new(StringComparer.Ordinal);

    /// <param name="http">Signs for HealthImaging in the data store's region: <c>AwsHttp.CreateClient(HealthImagingArchive.Service, region, credentials, time)</c>.</param>
    public HealthImagingArchive(HttpClient http, HealthImagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Region);
        CheckId(options.DatastoreId, "data store");
        aws = new AwsHttp(http, new AwsErrorMapper("HealthImaging", AwsExceptions.Store("archive.invalid", "archive.not_found", "archive.conflict"), ServiceTypes));
        this.options = options;
    }

    public async Task<ArchivedImageSet> StoreAsync(string imageId, ReadOnlyMemory<byte> part10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imageId);
        if (!IsPart10(part10.Span))
        {
            throw new ValidationException(NotPart10Code, $"Image {imageId} is not a DICOM Part 10 file (no DICM prefix at byte 128).");
        }

        const string operation = "StoreDICOM";
        var boundary = "medvision-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.DicomBase, $"datastore/{options.DatastoreId}/studies"))
        {
            Content = new ByteArrayContent(MultipartRelated(boundary, part10.Span)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/related; type=\"application/dicom\"; boundary={boundary}");
        request.Headers.Accept.ParseAdd("application/dicom+json");
        var answer = await aws.SendAsync(request, operation, cancellationToken);

        var stow = answer.Body.Length > 0 && answer.Body[0] == (byte)'{' ? TryParse(answer.Body) : null;
        if (stow is not null && FailureReasons(stow) is { Count: > 0 } failures)
        {
            throw new ValidationException(StowFailedCode, $"HealthImaging {operation} refused image {imageId} ({(int)answer.Status}): failure reason {string.Join(", ", failures)}.");
        }

        if (!answer.IsSuccess)
        {
            throw aws.Fail(answer, operation);
        }

        if (stow is null)
        {
            throw aws.Errors.Unavailable(operation, "the answer is not a DICOM JSON STOW-RS response.");
        }

        if (answer.Status == HttpStatusCode.Accepted || WarningReasons(stow) is { Count: > 0 })
        {
            var reasons = WarningReasons(stow);
            throw new ValidationException(StowWarningCode, $"HealthImaging {operation} stored image {imageId} with a warning"
                + (reasons.Count > 0 ? $" (warning reason {string.Join(", ", reasons)})." : " (202 Accepted)."));
        }

        var summary = (stow["ImageSetResults"]?["ImageSetsSummary"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault()
            ?? throw aws.Errors.Unavailable(operation, "the answer names no image set (ImageSetResults.ImageSetsSummary).");
        var imageSetId = Text(summary["ImageSetId"]);
        if (imageSetId is null || !IsId(imageSetId))
        {
            throw aws.Errors.Unavailable(operation, "the answer's ImageSetId is not a HealthImaging id.");
        }

        if (summary["IsPrimary"] is not JsonValue primaryValue || !primaryValue.TryGetValue<bool>(out var primary))
        {
            throw aws.Errors.Unavailable(operation, $"the answer does not say whether image set {imageSetId} is primary.");
        }

        if (!primary)
        {
            throw new ConflictException(NotPrimaryCode, $"HealthImaging stored image {imageId} in non-primary image set {imageSetId}: "
                + "its metadata conflicts with the primary image set that already holds this SOP instance. Resolve it in the data store (CopyImageSet with promoteToPrimary, or delete one of them).");
        }

        if (RetrievedUids(stow) is { } stored)
        {
            Remember(imageSetId, stored);
        }

        return new ArchivedImageSet(options.DatastoreId, imageSetId);
    }

    public async Task<byte[]?> GetAsync(string imageSetId, CancellationToken cancellationToken = default)
    {
        CheckId(imageSetId, "image set");
        var instance = await GetInstanceUidsAsync(imageSetId, cancellationToken);
        if (instance is null)
        {
            return null;
        }

        const string operation = "GetDICOMInstance";
        using var request = new HttpRequestMessage(HttpMethod.Get, InstanceUri(imageSetId, instance));
        // '*' asks for the stored transfer syntax: the bytes come back as they were stored.
        request.Headers.TryAddWithoutValidation("Accept", "application/dicom; transfer-syntax=*");
        var answer = await aws.SendAsync(request, operation, cancellationToken);
        if (answer.Status == HttpStatusCode.NotFound)
        {
            Forget(imageSetId);
            return null;
        }

        if (!answer.IsSuccess)
        {
            throw aws.Fail(answer, operation);
        }

        return IsPart10(answer.Body) ? answer.Body : throw aws.Errors.Unavailable(operation, $"the answer for image set {imageSetId} is not a Part 10 file.");
    }

    public async Task<bool> DeleteAsync(string imageSetId, CancellationToken cancellationToken = default)
    {
        CheckId(imageSetId, "image set");
        const string operation = "DeleteImageSet";
        using var request = new HttpRequestMessage(HttpMethod.Post, RuntimeUri(imageSetId, "deleteImageSet"));
        var answer = await aws.SendAsync(request, operation, cancellationToken);
        Forget(imageSetId);
        if (answer.IsSuccess)
        {
            return true;
        }

        return aws.Errors.Classify(answer.Error()) == AwsErrorKind.NotFound ? false : throw aws.Fail(answer, operation);
    }

    /// <summary>
    /// The WADO-RS URL of the image set's instance (GetDICOMInstance, with <c>imageSetId</c> so a non-primary set is
    /// addressed too). The port's UrlFor is synchronous: for an image set this instance has not stored or read, the
    /// UIDs are read with one GetImageSetMetadata call, blocking.
    /// </summary>
    public string UrlFor(string imageSetId)
    {
        CheckId(imageSetId, "image set");
        var instance = uids.TryGetValue(imageSetId, out var known)
            ? known
            : Task.Run(() => GetInstanceUidsAsync(imageSetId, CancellationToken.None)).GetAwaiter().GetResult()
                ?? throw new NotFoundException("archive.not_found", $"HealthImaging image set {imageSetId} does not exist.");
        return InstanceUri(imageSetId, instance).AbsoluteUri;
    }

    /// <summary>
    /// GetImageSetMetadata: the image set's metadata document (HealthImaging's JSON: Patient, Study, Series, Instances,
    /// ImageFrames), gunzipped. Null when the image set does not exist. The document holds patient data: keep it out
    /// of logs.
    /// </summary>
    /// <param name="versionId">A version of the image set; the latest when null.</param>
    public async Task<JsonObject?> GetImageSetMetadataAsync(string imageSetId, string? versionId = null, CancellationToken cancellationToken = default)
    {
        CheckId(imageSetId, "image set");
        const string operation = "GetImageSetMetadata";
        var uri = RuntimeUri(imageSetId, "getImageSetMetadata");
        if (versionId is not null)
        {
            uri = new Uri(uri.AbsoluteUri + "?version=" + Uri.EscapeDataString(versionId));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        var answer = await aws.SendAsync(request, operation, cancellationToken);
        if (!answer.IsSuccess)
        {
            return aws.Errors.Classify(answer.Error()) == AwsErrorKind.NotFound ? null : throw aws.Fail(answer, operation);
        }

        try
        {
            // The blob is gzip (Content-Encoding: gzip); read the magic bytes rather than trust a header a proxy may drop.
            var json = answer.Body is [0x1F, 0x8B, ..] ? Gunzip(answer.Body) : answer.Body;
            return JsonNode.Parse(json) as JsonObject ?? throw aws.Errors.Unavailable(operation, "the metadata is not a JSON object.");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw aws.Errors.Unavailable(operation, $"the metadata of image set {imageSetId} is not gzip JSON ({e.GetType().Name}).", e);
        }
    }

    /// <summary>
    /// GetImageFrame: one frame's pixel data as the service returns it (HTJ2K for lossless frames, the stored bytes for
    /// others). Null when the image set or the frame does not exist. <paramref name="imageFrameId"/> is an
    /// <c>ImageFrames[].ID</c> from <see cref="GetImageSetMetadataAsync"/>.
    /// </summary>
    public async Task<byte[]?> GetImageFrameAsync(string imageSetId, string imageFrameId, CancellationToken cancellationToken = default)
    {
        CheckId(imageSetId, "image set");
        ArgumentException.ThrowIfNullOrWhiteSpace(imageFrameId);
        const string operation = "GetImageFrame";
        using var request = new HttpRequestMessage(HttpMethod.Post, RuntimeUri(imageSetId, "getImageFrame"))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new ImageFrameInformation(imageFrameId), HealthImagingJsonContext.Default.ImageFrameInformation)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var answer = await aws.SendAsync(request, operation, cancellationToken);
        if (!answer.IsSuccess)
        {
            return aws.Errors.Classify(answer.Error()) == AwsErrorKind.NotFound ? null : throw aws.Fail(answer, operation);
        }

        return answer.Body;
    }

    /// <summary>The instance's UIDs from the image set's metadata (the first instance of the first series); null when the image set does not exist.</summary>
    public async Task<DicomInstanceUids?> GetInstanceUidsAsync(string imageSetId, CancellationToken cancellationToken = default)
    {
        if (uids.TryGetValue(imageSetId, out var known))
        {
            return known;
        }

        var metadata = await GetImageSetMetadataAsync(imageSetId, null, cancellationToken);
        if (metadata is null)
        {
            return null;
        }

        var study = Text(metadata["Study"]?["DICOM"]?["StudyInstanceUID"]);
        var series = (metadata["Study"]?["Series"] as JsonObject)?.FirstOrDefault();
        var sop = (series?.Value?["Instances"] as JsonObject)?.FirstOrDefault().Key;
        if (study is null || series?.Key is null || sop is null)
        {
            throw aws.Errors.Unavailable("GetImageSetMetadata", $"the metadata of image set {imageSetId} names no Study/Series/SOP Instance UID.");
        }

        var found = new DicomInstanceUids(study, series.Value.Key, sop);
        Remember(imageSetId, found);
        return found;
    }

    /// <summary>The first frame id of the image set's instance (for <see cref="GetImageFrameAsync"/>), from its metadata.</summary>
    public static string? FirstImageFrameId(JsonObject metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var series = (metadata["Study"]?["Series"] as JsonObject)?.FirstOrDefault().Value;
        var instance = (series?["Instances"] as JsonObject)?.FirstOrDefault().Value;
        return Text((instance?["ImageFrames"] as JsonArray)?.FirstOrDefault()?["ID"]);
    }

    private Uri InstanceUri(string imageSetId, DicomInstanceUids instance) => new(options.DicomBase,
        $"datastore/{options.DatastoreId}/studies/{Uri.EscapeDataString(instance.StudyInstanceUid)}/series/{Uri.EscapeDataString(instance.SeriesInstanceUid)}"
        + $"/instances/{Uri.EscapeDataString(instance.SopInstanceUid)}?imageSetId={imageSetId}");

    private Uri RuntimeUri(string imageSetId, string action) => new(options.RuntimeBase, $"datastore/{options.DatastoreId}/imageSet/{imageSetId}/{action}");

    private void Remember(string imageSetId, DicomInstanceUids instance)
    {
        if (uids.Count >= MaxCachedUids)
        {
            uids.Clear(); // a bound, not an LRU: forgetting only costs one metadata call later
        }

        uids[imageSetId] = instance;
    }

    private void Forget(string imageSetId) => uids.TryRemove(imageSetId, out _);

    /// <summary>The UIDs named by the first Referenced SOP Sequence item's Retrieve URL (…/studies/S/series/R/instances/I).</summary>
    private static DicomInstanceUids? RetrievedUids(JsonObject stow)
    {
        var url = DicomFirstValue(DicomItems(stow, "00081199").FirstOrDefault(), "00081190");
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var studies = Array.IndexOf(segments, "studies");
        if (studies < 0 || segments.Length < studies + 6 || segments[studies + 2] != "series" || segments[studies + 4] != "instances")
        {
            return null;
        }

        return new DicomInstanceUids(
            Uri.UnescapeDataString(segments[studies + 1]), Uri.UnescapeDataString(segments[studies + 3]), Uri.UnescapeDataString(segments[studies + 5]));
    }

    private static List<string> FailureReasons(JsonObject stow) =>
        DicomItems(stow, "00081198").Select(i => DicomFirstValue(i, "00081197") ?? "unknown").ToList();

    private static List<string> WarningReasons(JsonObject stow)
    {
        var reasons = DicomItems(stow, "00081199").Select(i => DicomFirstValue(i, "00081196")).OfType<string>().ToList();
        if (DicomFirstValue(stow, "00081196") is { } top)
        {
            reasons.Add(top);
        }

        return reasons;
    }

    private static IEnumerable<JsonObject> DicomItems(JsonObject? dataset, string tag) =>
        (dataset?[tag]?["Value"] as JsonArray)?.OfType<JsonObject>() ?? [];

    /// <summary>The first value of a DICOM JSON attribute as text (numbers such as a failure reason included).</summary>
    private static string? DicomFirstValue(JsonObject? dataset, string tag) => Text((dataset?[tag]?["Value"] as JsonArray)?.FirstOrDefault());

    private static string? Text(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<string>(out var s) ? s
        : value.TryGetValue<long>(out var n) ? n.ToString(CultureInfo.InvariantCulture)
        : null
        : null;

    private static JsonObject? TryParse(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Gunzip(byte[] body)
    {
        using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] MultipartRelated(string boundary, ReadOnlySpan<byte> part10)
    {
        var head = Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        var body = new byte[head.Length + part10.Length + tail.Length];
        head.CopyTo(body, 0);
        part10.CopyTo(body.AsSpan(head.Length));
        tail.CopyTo(body, head.Length + part10.Length);
        return body;
    }

    /// <summary>A Part 10 file: 128-byte preamble, then "DICM".</summary>
    public static bool IsPart10(ReadOnlySpan<byte> bytes) => bytes.Length >= 132 && bytes.Slice(128, 4).SequenceEqual("DICM"u8);

    /// <summary>HealthImaging ids: 32 characters of [0-9a-z].</summary>
    public static bool IsId(string? id) => id is { Length: 32 } && id.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c));

    private static void CheckId(string id, string what)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!IsId(id))
        {
            throw new ArgumentException($"'{id}' is not a HealthImaging {what} id (32 characters of [0-9a-z]).", nameof(id));
        }
    }
}

/// <summary>GetImageFrame's body: <c>{"imageFrameId": "..."}</c>.</summary>
internal sealed record ImageFrameInformation([property: JsonPropertyName("imageFrameId")] string ImageFrameId);

[JsonSerializable(typeof(ImageFrameInformation))]
internal sealed partial class HealthImagingJsonContext : JsonSerializerContext;
