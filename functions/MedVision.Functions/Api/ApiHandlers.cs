using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MedVision.Core;
using MedVision.Core.Pipeline;

namespace MedVision.Functions.Api;

/// <summary>
/// Shared shape of every API handler: decode the API Gateway event, resolve the caller, run one service
/// call, and answer JSON — or problem+json for any <see cref="MedVisionException"/>.
/// </summary>
public abstract class ApiHandler : IJsonHandler
{
    public abstract string Name { get; }

    public async Task<JsonNode?> HandleAsync(JsonNode? input, CancellationToken cancellationToken)
    {
        ApiGatewayHttpRequest? request = null;
        ApiGatewayHttpResponse response;
        try
        {
            request = HandlerJson.Decode(input, ApiGatewayJsonContext.Default.ApiGatewayHttpRequest, Name);
            var userId = request.RequestContext?.Authorizer?.Jwt?.Claims?.GetValueOrDefault("sub");
            response = string.IsNullOrWhiteSpace(userId)
                ? Problem(401, "Unauthorized", "auth.missing", "The request carries no authenticated user (JWT 'sub' claim).", request)
                : await HandleAsync(request, userId, cancellationToken);
        }
        catch (MedVisionException ex)
        {
            response = Problem(ex.HttpStatus, TitleFor(ex.HttpStatus), ex.Code, ex.Message, request);
        }

        return HandlerJson.Encode(response, ApiGatewayJsonContext.Default.ApiGatewayHttpResponse);
    }

    protected abstract Task<ApiGatewayHttpResponse> HandleAsync(ApiGatewayHttpRequest request, string userId, CancellationToken ct);

    protected static ApiGatewayHttpResponse Json<T>(int status, T value, JsonTypeInfo<T> typeInfo) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, string> { ["content-type"] = "application/json" },
        Body = JsonSerializer.Serialize(value, typeInfo),
    };

    protected static string PathParameter(ApiGatewayHttpRequest request, string name) =>
        request.PathParameters?.GetValueOrDefault(name) is { Length: > 0 } v
            ? v
            : throw new ValidationException("request.missing_path_parameter", $"The path parameter '{name}' is missing.");

    public static ApiGatewayHttpResponse Problem(int status, string title, string code, string detail, ApiGatewayHttpRequest? request) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, string> { ["content-type"] = "application/problem+json" },
        Body = JsonSerializer.Serialize(
            new ProblemDetails
            {
                Type = $"https://medvision.dev/problems/{code}",
                Title = title,
                Status = status,
                Detail = detail,
                Code = code,
                Instance = request?.RawPath,
                RequestId = request?.RequestContext?.RequestId,
            },
            ApiJsonContext.Default.ProblemDetails),
    };

    private static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
}

/// <summary>POST /api/v1/images/upload — multipart/form-data with a 'file' part and optional metadata fields.</summary>
public sealed class UploadHandler(UploadService uploads) : ApiHandler
{
    public override string Name => HandlerNames.Upload;

    protected override async Task<ApiGatewayHttpResponse> HandleAsync(ApiGatewayHttpRequest request, string userId, CancellationToken ct)
    {
        var boundary = Multipart.Boundary(request.Header("content-type"));
        byte[] body;
        try
        {
            body = request.IsBase64Encoded ? Convert.FromBase64String(request.Body ?? string.Empty) : Encoding.UTF8.GetBytes(request.Body ?? string.Empty);
        }
        catch (FormatException)
        {
            throw new ValidationException("request.bad_body", "The request body is marked base64 but is not valid base64.");
        }

        var parts = Multipart.Parse(body, boundary);
        var file = parts.FirstOrDefault(p => p.Name == "file")
            ?? throw new ValidationException("request.file_missing", "The upload has no part named 'file'.");
        string? Field(string name) => parts.FirstOrDefault(p => p.Name == name) is { } p ? Encoding.UTF8.GetString(p.Content.Span).Trim() : null;

        var result = await uploads.UploadAsync(
            new UploadCommand
            {
                UserId = userId,
                Content = file.Content,
                FileName = file.FileName,
                PatientId = Field("patient_id"),
                AcquisitionDate = Field("acquisition_date"),
            },
            ct);
        return Json(
            202,
            new UploadResponse
            {
                ImageId = result.ImageId,
                Status = result.Status,
                FileFormat = result.FileFormat,
                FileSizeBytes = result.FileSizeBytes,
                PresignedUrl = result.RetrievalUrl,
            },
            ApiJsonContext.Default.UploadResponse);
    }
}

/// <summary>GET /api/v1/images/{image_id}</summary>
public sealed class GetImageHandler(ImageQueries queries) : ApiHandler
{
    public override string Name => HandlerNames.GetImage;

    protected override async Task<ApiGatewayHttpResponse> HandleAsync(ApiGatewayHttpRequest request, string userId, CancellationToken ct) =>
        Json(200, await queries.GetImageAsync(PathParameter(request, "image_id"), userId, ct), ApiJsonContext.Default.ImageRecord);
}

/// <summary>GET /api/v1/analyze/{image_id}</summary>
public sealed class GetAnalysisHandler(ImageQueries queries) : ApiHandler
{
    public override string Name => HandlerNames.GetAnalysis;

    protected override async Task<ApiGatewayHttpResponse> HandleAsync(ApiGatewayHttpRequest request, string userId, CancellationToken ct) =>
        Json(200, await queries.GetAnalysisAsync(PathParameter(request, "image_id"), userId, ct), ApiJsonContext.Default.AnalysisResult);
}

/// <summary>GET /api/v1/history?limit=N&amp;cursor=C</summary>
public sealed class HistoryHandler(ImageQueries queries) : ApiHandler
{
    public override string Name => HandlerNames.History;

    protected override async Task<ApiGatewayHttpResponse> HandleAsync(ApiGatewayHttpRequest request, string userId, CancellationToken ct)
    {
        int? limit = null;
        if (request.QueryStringParameters?.GetValueOrDefault("limit") is { } raw)
        {
            limit = int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ValidationException("request.bad_limit", $"limit '{raw}' is not a whole number.");
        }

        var page = await queries.HistoryAsync(userId, limit, request.QueryStringParameters?.GetValueOrDefault("cursor"), ct);
        return Json(200, new HistoryResponse { Items = page.Items, NextCursor = page.NextCursor }, ApiJsonContext.Default.HistoryResponse);
    }
}
