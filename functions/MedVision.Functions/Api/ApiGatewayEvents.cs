using System.Text.Json.Serialization;

namespace MedVision.Functions.Api;

// The subset of the API Gateway HTTP API (payload format 2.0) event this service reads. Written here
// because the Amazon.Lambda.APIGatewayEvents package is not available.

public sealed record ApiGatewayHttpRequest
{
    public string? Version { get; init; }
    public string? RouteKey { get; init; }
    public string? RawPath { get; init; }
    public string? RawQueryString { get; init; }
    public Dictionary<string, string>? Headers { get; init; }
    public Dictionary<string, string>? QueryStringParameters { get; init; }
    public Dictionary<string, string>? PathParameters { get; init; }
    public ApiRequestContext? RequestContext { get; init; }
    public string? Body { get; init; }
    public bool IsBase64Encoded { get; init; }

    /// <summary>Header lookup; API Gateway lower-cases names but tests and proxies may not.</summary>
    public string? Header(string name)
    {
        if (Headers is null)
        {
            return null;
        }

        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}

public sealed record ApiRequestContext
{
    public string? RequestId { get; init; }
    public ApiHttpDescription? Http { get; init; }
    public ApiAuthorizer? Authorizer { get; init; }
}

public sealed record ApiHttpDescription
{
    public string? Method { get; init; }
    public string? Path { get; init; }
}

public sealed record ApiAuthorizer
{
    public ApiJwt? Jwt { get; init; }
}

public sealed record ApiJwt
{
    public Dictionary<string, string>? Claims { get; init; }
}

public sealed record ApiGatewayHttpResponse
{
    public required int StatusCode { get; init; }
    public required Dictionary<string, string> Headers { get; init; }
    public required string Body { get; init; }
    public bool IsBase64Encoded { get; init; }
}

/// <summary>RFC 9457 problem details with a stable machine-readable code; never a stack trace.</summary>
public sealed record ProblemDetails
{
    public required string Type { get; init; }
    public required string Title { get; init; }
    public required int Status { get; init; }
    public required string Detail { get; init; }
    public required string Code { get; init; }
    public string? Instance { get; init; }
    public string? RequestId { get; init; }
}

public sealed record UploadResponse
{
    public required string ImageId { get; init; }
    public required Core.Images.ImageStatus Status { get; init; }
    public required Core.Images.FileFormat FileFormat { get; init; }
    public required long FileSizeBytes { get; init; }
    public required string PresignedUrl { get; init; }
}

public sealed record HistoryResponse
{
    public required IReadOnlyList<Core.Images.ImageRecord> Items { get; init; }
    public string? NextCursor { get; init; }
}

/// <summary>The API Gateway event and the response to it: AWS's wire format, camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiGatewayHttpRequest))]
[JsonSerializable(typeof(ApiGatewayHttpResponse))]
public sealed partial class ApiGatewayJsonContext : JsonSerializerContext;

/// <summary>The API's own response bodies: snake_case, like every other MedVision document.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(Core.Json.UnixSecondsConverter)])]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(UploadResponse))]
[JsonSerializable(typeof(HistoryResponse))]
[JsonSerializable(typeof(Core.Images.ImageRecord))]
[JsonSerializable(typeof(Core.Analysis.AnalysisResult))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
