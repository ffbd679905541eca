using System.Text;
using MedVision.Core;

namespace MedVision.Aws.Tests;

/// <summary>The one mapping from AWS error answers to core exceptions, without a network.</summary>
public sealed class AwsErrorMapperTests
{
    private static readonly AwsErrorMapper Mapper = new(
        "Svc", AwsExceptions.Store("svc.invalid", "svc.not_found", "svc.conflict"),
        new Dictionary<string, AwsErrorKind> { ["KeyDisabledException"] = AwsErrorKind.Conflict, ["ThrottlingException"] = AwsErrorKind.Invalid });

    private static AwsError Error(int status, string? body, string? errorTypeHeader = null)
    {
        using var response = new HttpResponseMessage();
        if (errorTypeHeader is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", errorTypeHeader);
        }

        return AwsError.From(status, response.Headers, body is null ? [] : Encoding.UTF8.GetBytes(body));
    }

    [Theory]
    [InlineData("""{"__type":"com.amazonaws.kms#NotFoundException","message":"no key"}""", null, "NotFoundException", "no key")]
    [InlineData("""{"__type":"ResourceNotFoundException","Message":"gone"}""", null, "ResourceNotFoundException", "gone")]
    [InlineData("""{"message":"no such endpoint"}""", "ValidationError:http://internal.amazon.com/coral/com.amazon.sagemaker/", "ValidationError", "no such endpoint")]
    [InlineData("""{"code":"ConflictException","message":"busy"}""", "Ignored", "ConflictException", "busy")]
    [InlineData("<html>Bad Gateway</html>", null, "", null)]
    [InlineData(null, "ThrottlingException", "ThrottlingException", null)]
    public void From_WhenTheAnswerNamesItsErrorInBodyOrHeader_ShouldReadTheShortTypeAndMessage(string? body, string? header, string type, string? message)
    {
        var error = Error(400, body, header);

        Assert.Equal(type, error.Type);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData(400, "KeyDisabledException", AwsErrorKind.Conflict)] // the service's own type
    [InlineData(400, "ThrottlingException", AwsErrorKind.Invalid)] // the service's own table wins over the shared one
    [InlineData(400, "ExpiredTokenException", AwsErrorKind.Unavailable)]
    [InlineData(400, "InvalidSignatureException", AwsErrorKind.Unavailable)]
    [InlineData(400, "ResourceNotFoundException", AwsErrorKind.NotFound)]
    [InlineData(400, "ConflictException", AwsErrorKind.Conflict)]
    [InlineData(400, "", AwsErrorKind.Invalid)]
    [InlineData(422, "", AwsErrorKind.Invalid)]
    [InlineData(404, "", AwsErrorKind.NotFound)]
    [InlineData(410, "", AwsErrorKind.NotFound)]
    [InlineData(409, "", AwsErrorKind.Conflict)]
    [InlineData(412, "", AwsErrorKind.Conflict)]
    [InlineData(401, "", AwsErrorKind.Unavailable)]
    [InlineData(403, "", AwsErrorKind.Unavailable)]
    [InlineData(408, "", AwsErrorKind.Unavailable)]
    [InlineData(429, "", AwsErrorKind.Unavailable)]
    [InlineData(500, "", AwsErrorKind.Unavailable)]
    [InlineData(503, "SomethingNew", AwsErrorKind.Unavailable)]
    [InlineData(405, "", AwsErrorKind.Invalid)]
    public void Classify_WhenTypeOrStatusSaySo_ShouldGiveTheKind(int status, string type, AwsErrorKind kind) =>
        Assert.Equal(kind, Mapper.Classify(new AwsError(status, type, null)));

    [Fact]
    public void ToException_ForEachKind_ShouldBuildTheClientsExceptionNamingServiceOperationStatusTypeAndMessage()
    {
        var notFound = Assert.IsType<NotFoundException>(Mapper.ToException(new AwsError(400, "NotFoundException", "no key"), "Sign"));
        var conflict = Assert.IsType<ConflictException>(Mapper.ToException(new AwsError(409, "", null), "PUT Patient"));
        var invalid = Assert.IsType<ValidationException>(Mapper.ToException(new AwsError(400, "", "ignored"), "PUT Patient", "Patient.name is required"));
        Assert.IsType<StorageUnavailableException>(Mapper.ToException(new AwsError(503, "", null), "GET"));

        Assert.Equal(("svc.not_found", "Svc Sign failed with 400 NotFoundException: no key"), (notFound.Code, notFound.Message));
        Assert.Equal(("svc.conflict", "Svc PUT Patient failed with 409."), (conflict.Code, conflict.Message));
        Assert.Equal(("svc.invalid", "Svc PUT Patient failed with 400: Patient.name is required"), (invalid.Code, invalid.Message));
    }

    [Fact]
    public void Unavailable_WhenThereIsNoAnswer_ShouldBeTheClientsRetriedException()
    {
        var inner = new HttpRequestException("connection refused");

        var error = Assert.IsType<StorageUnavailableException>(Mapper.Unavailable("Sign", "connection refused", inner));

        Assert.Equal("Svc Sign: connection refused", error.Message);
        Assert.Same(inner, error.InnerException);
    }
}
