using System.Text.Json.Serialization;

namespace MedVision.Functions.Api;

// The subset of the API Gateway HTTP API (payload format 2.0) event this service reads. Written here
// because the Amazon.Lambda.APIGatewayEvents package is not available.

public sealed record ApiGatewayHttpRequest
{
    [JsonPropertyName("version")] public string? Version { get; init; }
    [JsonPropertyName("routeKey")] public string? RouteKey { get; init; }
    [JsonPropertyName("rawPath")] public string? RawPath { get; init; }
    [JsonPropertyName("rawQueryString")] public string? RawQueryString { get; init; }
    [JsonPropertyName("headers")] public Dictionary<string, string>? Headers { get; init; }
    [JsonPropertyName("queryStringParameters")] public Dictionary<string, string>? QueryStringParameters { get; init; }
    [JsonPropertyName("pathParameters")] public Dictionary<string, string>? PathParameters { get; init; }
    [JsonPropertyName("requestContext")] public ApiRequestContext? RequestContext { get; init; }
    [JsonPropertyName("body")] public string? Body { get; init; }
    [JsonPropertyName("isBase64Encoded")] public bool IsBase64Encoded { get; init; }

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
    [JsonPropertyName("requestId")] public string? RequestId { get; init; }
    [JsonPropertyName("http")] public ApiHttpDescription? Http { get; init; }
    [JsonPropertyName("authorizer")] public ApiAuthorizer? Authorizer { get; init; }
}

public sealed record ApiHttpDescription
{
    [JsonPropertyName("method")] public string? Method { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
}

public sealed record ApiAuthorizer
{
    [JsonPropertyName("jwt")] public ApiJwt? Jwt { get; init; }
}

public sealed record ApiJwt
{
    [JsonPropertyName("claims")] public Dictionary<string, string>? Claims { get; init; }
}

public sealed record ApiGatewayHttpResponse
{
    [JsonPropertyName("statusCode")] public required int StatusCode { get; init; }
    [JsonPropertyName("headers")] public required Dictionary<string, string> Headers { get; init; }
    [JsonPropertyName("body")] public required string Body { get; init; }
    [JsonPropertyName("isBase64Encoded")] public bool IsBase64Encoded { get; init; }
}

/// <summary>RFC 9457 problem details with a stable machine-readable code; never a stack trace.</summary>
public sealed record ProblemDetails
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("title")] public required string Title { get; init; }
    [JsonPropertyName("status")] public required int Status { get; init; }
    [JsonPropertyName("detail")] public required string Detail { get; init; }
    [JsonPropertyName("code")] public required string Code { get; init; }
    [JsonPropertyName("instance")] public string? Instance { get; init; }
    [JsonPropertyName("request_id")] public string? RequestId { get; init; }
}

public sealed record UploadResponse
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("status")] public required Core.Images.ImageStatus Status { get; init; }
    [JsonPropertyName("file_format")] public required Core.Images.FileFormat FileFormat { get; init; }
    [JsonPropertyName("file_size_bytes")] public required long FileSizeBytes { get; init; }
    [JsonPropertyName("presigned_url")] public required string PresignedUrl { get; init; }
}

public sealed record HistoryResponse
{
    [JsonPropertyName("items")] public required IReadOnlyList<Core.Images.ImageRecord> Items { get; init; }
    [JsonPropertyName("next_cursor")] public string? NextCursor { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = [typeof(Core.Json.UnixSecondsConverter)])]
[JsonSerializable(typeof(ApiGatewayHttpRequest))]
[JsonSerializable(typeof(ApiGatewayHttpResponse))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(UploadResponse))]
[JsonSerializable(typeof(HistoryResponse))]
[JsonSerializable(typeof(Core.Images.ImageRecord))]
[JsonSerializable(typeof(Core.Analysis.AnalysisResult))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
