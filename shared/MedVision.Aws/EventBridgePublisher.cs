using System.Text.Json;
using System.Text.Json.Serialization;
using MedVision.Core;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>Where pipeline events go. <see cref="Endpoint"/> overrides the regional URL (tests, VPC endpoints).</summary>
/// <param name="EventBusName">The bus name or ARN ("default" for the account's default bus).</param>
/// <param name="Source">The events' Source, which rules match on (e.g. <see cref="EventBridgePublisher.DefaultSource"/>).</param>
public sealed record EventBridgeOptions(string Region, string EventBusName, string Source = EventBridgePublisher.DefaultSource)
{
    public Uri? Endpoint { get; init; }

    public Uri EndpointUri => Endpoint ?? new Uri($"https://events.{Region}.amazonaws.com/");
}

/// <summary>
/// The event port over Amazon EventBridge PutEvents (JSON 1.1, SigV4 service <c>events</c>, target
/// <c>AWSEvents.PutEvents</c>): one entry per pipeline event, with <see cref="EventBridgeOptions.Source"/>, DetailType
/// = the event type's wire name (<c>image.completed</c>), Detail = the <see cref="PipelineEvent"/> JSON (ids and stage
/// facts only), Time = the event's timestamp, and the configured bus.
/// </summary>
/// <remarks>
/// <para>PutEvents answers 200 even when it drops an entry: <c>FailedEntryCount &gt; 0</c> is read from the body and the
/// entry's ErrorCode/ErrorMessage become the exception. ThrottlingException and InternalFailure (the entry may go
/// through on another try) → <see cref="StorageUnavailableException"/>, which the state machine retries; any other
/// entry error (InvalidArgument, MalformedDetail, AccessDeniedException, NotAuthorizedForSourceException, …: the
/// configuration is wrong and a retry sends the same entry) → <see cref="ValidationException"/>
/// (<c>events.entry_rejected</c>), not retried.</para>
/// <para>Call errors through the shared <see cref="AwsErrorMapper"/>: ResourceNotFoundException (no such bus) →
/// <see cref="NotFoundException"/>; throttling (400 ThrottlingException), InternalException, 5xx, timeouts and network
/// failures → StorageUnavailableException; other 4xx → ValidationException. Never retries itself; a retried publish
/// may deliver an event twice (EventBridge is at-least-once anyway: consumers key on image id, type and timestamp).</para>
/// </remarks>
public sealed class EventBridgePublisher : IEventPublisher
{
    public const string Service = "events";
    public const string PutEventsTarget = "AWSEvents.PutEvents";
    public const string DefaultSource = "medvision.pipeline";

    private static readonly Dictionary<string, AwsErrorKind> ErrorTypes = new(StringComparer.Ordinal)
    {
        ["InternalException"] = AwsErrorKind.Unavailable,
    };

    private static readonly HashSet<string> TransientEntryErrors = new(StringComparer.Ordinal) { "ThrottlingException", "InternalFailure" };

    private readonly AwsHttp aws;
    private readonly EventBridgeOptions options;

    /// <param name="http">Signs for EventBridge in the region: <c>AwsHttp.CreateClient(EventBridgePublisher.Service, region, credentials, time)</c>.</param>
    public EventBridgePublisher(HttpClient http, EventBridgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.EventBusName);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Source);
        aws = new AwsHttp(http, new AwsErrorMapper(
            "EventBridge", AwsExceptions.Store("events.invalid_request", "events.bus_not_found", "events.conflict"), ErrorTypes));
        this.options = options;
    }

    public async Task PublishAsync(PipelineEvent pipelineEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipelineEvent);
        var entry = new PutEventsRequestEntry(
            options.Source, pipelineEvent.Type.WireName(), Detail(pipelineEvent), options.EventBusName,
            pipelineEvent.Timestamp.ToUnixTimeMilliseconds() / 1000.0);
        var body = JsonSerializer.SerializeToUtf8Bytes(new PutEventsRequest([entry]), EventBridgeJsonContext.Default.PutEventsRequest);
        var answer = await aws.SendJsonAsync(options.EndpointUri, AwsJsonProtocol.Json11, PutEventsTarget, body, "PutEvents", cancellationToken);
        if (!answer.IsSuccess)
        {
            throw aws.Fail(answer, "PutEvents");
        }

        var result = aws.ReadJson(answer, EventBridgeJsonContext.Default.PutEventsResponse, "PutEvents");
        if (result.FailedEntryCount is > 0)
        {
            var failed = result.Entries?.FirstOrDefault(e => !string.IsNullOrEmpty(e.ErrorCode));
            var code = failed?.ErrorCode ?? "";
            var message = $"EventBridge PutEvents rejected the {pipelineEvent.Type.WireName()} event of image {pipelineEvent.ImageId}: "
                + $"{(code.Length > 0 ? code : "no error code")}{(failed?.ErrorMessage is { } m ? $": {m}" : "")}";
            throw TransientEntryErrors.Contains(code) ? new StorageUnavailableException(message) : new ValidationException("events.entry_rejected", message);
        }
    }

    /// <summary>The event as compact JSON: the writer's formatting wins over the shared context's indentation.</summary>
    private static string Detail(PipelineEvent pipelineEvent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            JsonSerializer.Serialize(writer, pipelineEvent, MedVisionJsonContext.Default.PipelineEvent);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

internal sealed record PutEventsRequest(PutEventsRequestEntry[] Entries);

/// <param name="Time">Seconds since the epoch (JSON 1.1 timestamps are numbers).</param>
internal sealed record PutEventsRequestEntry(string Source, string DetailType, string Detail, string EventBusName, double Time);

internal sealed record PutEventsResponse(int? FailedEntryCount, PutEventsResultEntry[]? Entries);

internal sealed record PutEventsResultEntry(string? EventId, string? ErrorCode, string? ErrorMessage);

/// <summary>PutEvents' members are PascalCase, as the C# names.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PutEventsRequest))]
[JsonSerializable(typeof(PutEventsResponse))]
internal sealed partial class EventBridgeJsonContext : JsonSerializerContext;
