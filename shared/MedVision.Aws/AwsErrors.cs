using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using MedVision.Core;

namespace MedVision.Aws;

/// <summary>What an AWS error answer says: the HTTP status, the error type and its message.</summary>
/// <param name="Type">
/// The short error name ("ThrottlingException"): the JSON body's <c>__type</c> (JSON 1.0/1.1), else its <c>code</c>,
/// else the <c>x-amzn-ErrorType</c> header (REST-JSON); "com.amazonaws.kms#NotFoundException" and
/// "NotFoundException:http://…" both become "NotFoundException". Empty when the answer names none.
/// </param>
public sealed record AwsError(int Status, string Type, string? Message)
{
    public static AwsError From(int status, HttpResponseHeaders headers, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(body);
        AwsErrorBody? parsed = null;
        if (body.Length > 0 && body[0] == (byte)'{')
        {
            try
            {
                parsed = JsonSerializer.Deserialize(body, AwsErrorJsonContext.Default.AwsErrorBody);
            }
            catch (JsonException)
            {
                // Not JSON after all (a proxy's page): the status and the header still say something.
            }
        }

        var header = headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        var type = ShortName(parsed?.Type ?? parsed?.Code ?? parsed?.CodeUpper ?? header);
        return new AwsError(status, type, parsed?.Message ?? parsed?.MessageUpper);
    }

    private static string ShortName(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return "";
        }

        var type = raw[(raw.LastIndexOf('#') + 1)..];
        var colon = type.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? type : type[..colon];
    }
}

/// <summary>What a failure means for the caller: the request is wrong, the thing is not there, it is in the wrong state, or try again.</summary>
public enum AwsErrorKind
{
    Invalid,
    NotFound,
    Conflict,

    /// <summary>Transient (throttled, down, expired credentials, clock skew, network): retried by the state machine.</summary>
    Unavailable,
}

/// <summary>The core exception each <see cref="AwsErrorKind"/> becomes for one client.</summary>
public sealed record AwsExceptions(
    Func<string, MedVisionException> Invalid,
    Func<string, MedVisionException> NotFound,
    Func<string, MedVisionException> Conflict,
    Func<string, Exception?, MedVisionException> Unavailable)
{
    /// <summary>A store's exceptions: Validation, NotFound, Conflict with these codes; StorageUnavailable (retried).</summary>
    public static AwsExceptions Store(string invalidCode, string notFoundCode, string conflictCode) => new(
        message => new ValidationException(invalidCode, message),
        message => new NotFoundException(notFoundCode, message),
        message => new ConflictException(conflictCode, message),
        (message, inner) => new StorageUnavailableException(message, inner));
}

/// <summary>
/// The one mapping from an AWS error answer to the core exceptions. The error type decides first (the client's own
/// types, then the ones every AWS service shares); an answer without a known type falls back on its status.
/// </summary>
/// <remarks>
/// Shared types: throttling (ThrottlingException, ThrottledException, TooManyRequestsException,
/// RequestLimitExceeded), service faults (InternalFailure, InternalServerException, ServiceUnavailable[Exception]),
/// RequestTimeout[Exception], ExpiredTokenException and InvalidSignatureException (an expired session token or clock
/// skew: both heal on retry) are <see cref="AwsErrorKind.Unavailable"/>; ResourceNotFoundException and
/// NotFoundException are <see cref="AwsErrorKind.NotFound"/>; ConflictException is <see cref="AwsErrorKind.Conflict"/>.
/// Statuses: 404/410 not found, 409/412 conflict, 401/403/408/429 and 5xx unavailable, anything else invalid.
/// </remarks>
public sealed class AwsErrorMapper
{
    private static readonly Dictionary<string, AwsErrorKind> SharedTypes = new(StringComparer.Ordinal)
    {
        ["ThrottlingException"] = AwsErrorKind.Unavailable,
        ["ThrottledException"] = AwsErrorKind.Unavailable,
        ["TooManyRequestsException"] = AwsErrorKind.Unavailable,
        ["RequestLimitExceeded"] = AwsErrorKind.Unavailable,
        ["InternalFailure"] = AwsErrorKind.Unavailable,
        ["InternalServerException"] = AwsErrorKind.Unavailable,
        ["ServiceUnavailable"] = AwsErrorKind.Unavailable,
        ["ServiceUnavailableException"] = AwsErrorKind.Unavailable,
        ["RequestTimeout"] = AwsErrorKind.Unavailable,
        ["RequestTimeoutException"] = AwsErrorKind.Unavailable,
        ["ExpiredTokenException"] = AwsErrorKind.Unavailable,
        ["InvalidSignatureException"] = AwsErrorKind.Unavailable,
        ["ResourceNotFoundException"] = AwsErrorKind.NotFound,
        ["NotFoundException"] = AwsErrorKind.NotFound,
        ["ConflictException"] = AwsErrorKind.Conflict,
    };

    private readonly IReadOnlyDictionary<string, AwsErrorKind> serviceTypes;
    private readonly AwsExceptions exceptions;

    /// <param name="service">How messages name the service ("HealthLake", "KMS").</param>
    /// <param name="serviceTypes">The service's own error types, checked before the shared ones.</param>
    public AwsErrorMapper(string service, AwsExceptions exceptions, IReadOnlyDictionary<string, AwsErrorKind>? serviceTypes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentNullException.ThrowIfNull(exceptions);
        Service = service;
        this.exceptions = exceptions;
        this.serviceTypes = serviceTypes ?? new Dictionary<string, AwsErrorKind>();
    }

    public string Service { get; }

    public AwsErrorKind Classify(AwsError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (serviceTypes.TryGetValue(error.Type, out var own))
        {
            return own;
        }

        if (SharedTypes.TryGetValue(error.Type, out var shared))
        {
            return shared;
        }

        return error.Status switch
        {
            404 or 410 => AwsErrorKind.NotFound,
            409 or 412 => AwsErrorKind.Conflict,
            401 or 403 or 408 or 429 or >= 500 => AwsErrorKind.Unavailable,
            _ => AwsErrorKind.Invalid,
        };
    }

    /// <summary>
    /// The exception for an error answer: "{Service} {operation} failed with {status} {type}: {detail}", where the
    /// detail is <paramref name="detail"/> when the client read one from the body (a FHIR OperationOutcome), else
    /// the AWS error message. Messages never carry request content.
    /// </summary>
    public MedVisionException ToException(AwsError error, string operation, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        var text = string.IsNullOrEmpty(detail) ? error.Message : detail;
        var message = $"{Service} {operation} failed with {error.Status}" + (error.Type.Length > 0 ? $" {error.Type}" : "")
            + (string.IsNullOrEmpty(text) ? "." : $": {text}");
        return Classify(error) switch
        {
            AwsErrorKind.NotFound => exceptions.NotFound(message),
            AwsErrorKind.Conflict => exceptions.Conflict(message),
            AwsErrorKind.Unavailable => exceptions.Unavailable(message, null),
            _ => exceptions.Invalid(message),
        };
    }

    /// <summary>A failure with no answer to map (no connection, a broken answer, a timeout, an answer that is not what the API returns).</summary>
    public MedVisionException Unavailable(string operation, string what, Exception? inner = null) =>
        exceptions.Unavailable($"{Service} {operation}: {what}", inner);
}

/// <summary>AWS error bodies: <c>__type</c> and <c>message</c> (JSON 1.0/1.1), <c>code</c>/<c>Code</c> and <c>Message</c> from REST-JSON services and emulators.</summary>
internal sealed record AwsErrorBody(
    [property: JsonPropertyName("__type")] string? Type,
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("Code")] string? CodeUpper,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("Message")] string? MessageUpper);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AwsErrorBody))]
internal sealed partial class AwsErrorJsonContext : JsonSerializerContext;
