using FsCheck.Xunit;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Analysis;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Functions.Api;
using MedVision.Testing;

namespace MedVision.Functions.Tests;

public class HandlerTests
{
    private readonly InMemoryObjectStore objects = new();
    private readonly InMemoryRecordStore records = new();
    private readonly RecordingWorkflow workflow = new();
    private readonly HandlerCatalog catalog;

    public HandlerTests()
    {
        var endpoint = new ScriptedEndpoint((name, r) => name == "medvision-modality-classifier"
            ? ModelAnswers.Scores(r, 0.97)
            : ModelAnswers.Findings(r, name));
        catalog = HandlerCatalog.Create(new TestPlatform { Objects = objects, Records = records, Workflow = workflow, Inference = endpoint }.Build());
    }

    private static JsonNode Event(string name) => JsonNode.Parse(File.ReadAllText(RepoPaths.Events(name)))!;

    private async Task<(int Status, JsonObject Body, string ContentType)> CallAsync(string handler, JsonNode input)
    {
        var response = (await catalog.Get(handler).HandleAsync(input, CancellationToken.None))!;
        return ((int)response["statusCode"]!, JsonNode.Parse((string)response["body"]!)!.AsObject(), (string)response["headers"]!["content-type"]!);
    }

    // Feature: medvision-ai-platform, Property 5: the upload's patient id and acquisition date are kept on the record.
    [Fact]
    public async Task Upload_WhenEventCarriesAPng_ShouldAnswer202WithTheImageIdAndStartTheExecution()
    {
        var (status, body, _) = await CallAsync(HandlerNames.Upload, Event("api/upload.json"));

        Assert.Equal(202, status);
        var id = (string)body["image_id"]!;
        Assert.Equal("uploaded", (string)body["status"]!);
        Assert.Equal("PNG", (string)body["file_format"]!);
        Assert.True(workflow.Started.ContainsKey(id));
        var record = (await records.GetAsync(id))!;
        Assert.Equal("anon-0042", record.PatientId); // Property 5: metadata preserved
        Assert.Equal("2026-11-01", record.AcquisitionDate);
        Assert.Equal("user-7f3c", record.UserId);
    }

    // Feature: medvision-ai-platform, Property 2: a PDF named .png is refused with a problem+json naming the format.
    // Feature: medvision-ai-platform, Property 41: the caller gets a clear error message and no stack trace.
    [Fact]
    public async Task Upload_WhenFileIsAPdfDeclaredAsPng_ShouldAnswer400ProblemJsonNamingTheFormat()
    {
        var (status, body, contentType) = await CallAsync(HandlerNames.Upload, Event("api/upload-not-an-image.json"));

        Assert.Equal(400, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal("image.unsupported_format", (string)body["code"]!);
        Assert.Contains("not DICOM, PNG or JPEG", (string)body["detail"]!, StringComparison.Ordinal);
        Assert.Null(body["stack_trace"]);
        Assert.Empty(workflow.Started);
    }

    // Feature: medvision-ai-platform, Property 25: an API request without an authenticated user is refused.
    [Fact]
    public async Task AnyApiHandler_WhenRequestHasNoAuthenticatedUser_ShouldAnswer401()
    {
        var e = Event("api/history.json");
        e["requestContext"]!["authorizer"] = null;
        var (status, body, _) = await CallAsync(HandlerNames.History, e);
        Assert.Equal(401, status);
        Assert.Equal("auth.missing", (string)body["code"]!);
    }

    [Fact]
    public async Task GetImage_WhenImageDoesNotExist_ShouldAnswer404()
    {
        var (status, body, _) = await CallAsync(HandlerNames.GetImage, Event("api/get-image.json"));
        Assert.Equal(404, status);
        Assert.Equal("image.not_found", (string)body["code"]!);
    }

    [Fact]
    public async Task GetAnalysis_WhenPipelineHasNotRun_ShouldAnswer409NotReady()
    {
        var (_, upload, _) = await CallAsync(HandlerNames.Upload, Event("api/upload.json"));
        var e = Event("api/get-analysis.json");
        e["pathParameters"]!["image_id"] = (string)upload["image_id"]!;
        var (status, body, _) = await CallAsync(HandlerNames.GetAnalysis, e);
        Assert.Equal(409, status);
        Assert.Equal("analysis.not_ready", (string)body["code"]!);
    }

    [Fact]
    public async Task StageHandlers_WhenFedTheSampleEventsInPipelineOrder_ShouldCompleteTheImage()
    {
        var (_, upload, _) = await CallAsync(HandlerNames.Upload, Event("api/upload.json"));
        var imageId = (string)upload["image_id"]!;
        async Task<JsonNode?> Run(string handler, string file)
        {
            var input = Event(file);
            input["image_id"] = imageId;
            return await catalog.Get(handler).HandleAsync(input, CancellationToken.None);
        }

        var classification = await Run(HandlerNames.Classify, "stepfunctions/classify.json");
        Assert.Equal("xray", (string)classification!["modality"]!);
        var analysis = await Run(HandlerNames.Analyze, "stepfunctions/analyze.json");
        Assert.Equal("normal", (string)analysis!["overall_assessment"]!);
        await Run(HandlerNames.Heatmap, "stepfunctions/heatmap.json");
        await Run(HandlerNames.Report, "stepfunctions/report.json");
        var final = await Run(HandlerNames.Finalize, "stepfunctions/finalize.json");
        Assert.Equal("completed", (string)final!["status"]!);

        var e = Event("api/history.json");
        var (status, history, _) = await CallAsync(HandlerNames.History, e);
        Assert.Equal(200, status);
        Assert.Equal(imageId, (string)history["items"]![0]!["image_id"]!);
    }

    [Fact]
    public async Task ManualReviewHandler_WhenGivenTheSampleTaskTokenPayload_ShouldParkTheImageWithItsToken()
    {
        var (_, upload, _) = await CallAsync(HandlerNames.Upload, Event("api/upload.json"));
        var imageId = (string)upload["image_id"]!;
        var input = Event("stepfunctions/manual-review.json");
        input["image_id"] = imageId;

        var result = await catalog.Get(HandlerNames.ManualReview).HandleAsync(input, CancellationToken.None);

        Assert.Equal("manual_review", (string)result!["status"]!);
        var record = (await records.GetAsync(imageId))!;
        Assert.Equal(ImageStatus.ManualReview, record.Status);
        Assert.Equal((string)input["task_token"]!, record.ReviewTaskToken);

        // The API never hands the token out: it is a capability to resume the run.
        var e = Event("api/get-image.json");
        e["pathParameters"]!["image_id"] = imageId;
        var (status, body, _) = await CallAsync(HandlerNames.GetImage, e);
        Assert.Equal(200, status);
        Assert.Equal("manual_review", (string)body["status"]!);
        Assert.False(body.ContainsKey("review_task_token"));
    }

    [Fact]
    public async Task ManualReviewHandler_WhenThePayloadHasNoTaskToken_ShouldRejectTheEvent()
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            catalog.Get(HandlerNames.ManualReview).HandleAsync(new JsonObject { ["image_id"] = "x" }, CancellationToken.None));
        Assert.Equal("event.invalid", ex.Code);
    }

    [Fact]
    public async Task MarkFailedHandler_WhenGivenTheSampleCatchOutput_ShouldRecordTheLambdaErrorMessage()
    {
        var (_, upload, _) = await CallAsync(HandlerNames.Upload, Event("api/upload.json"));
        var input = Event("stepfunctions/mark-failed.json");
        input["image_id"] = (string)upload["image_id"]!;
        var result = await catalog.Get(HandlerNames.MarkFailed).HandleAsync(input, CancellationToken.None);
        Assert.Equal("failed", (string)result!["status"]!);
        var record = (await records.GetAsync((string)upload["image_id"]!))!;
        Assert.Equal(ImageStatus.Failed, record.Status);
        Assert.StartsWith("Endpoint medvision-xray-detector timed out", record.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StageHandler_WhenEventIsMissingRequiredFields_ShouldThrowValidationException()
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            catalog.Get(HandlerNames.Analyze).HandleAsync(new JsonObject { ["image_id"] = "x" }, CancellationToken.None));
        Assert.Equal("event.invalid", ex.Code);
    }

    [Fact]
    public void Catalog_WhenBuilt_ShouldHostEveryStateMachineFunctionAndTheApi()
    {
        foreach (var handler in HandlerNames.StateMachineFunctions.Values)
        {
            Assert.Equal(handler, catalog.Get(handler).Name);
        }

        foreach (var api in new[] { HandlerNames.Upload, HandlerNames.GetImage, HandlerNames.GetAnalysis, HandlerNames.History })
        {
            Assert.Equal(api, catalog.Get(api).Name);
        }

        Assert.Throws<KeyNotFoundException>(() => catalog.Get("nope"));
    }

    [Fact]
    public void StateMachineFunctions_WhenComparedWithTheAslFile_ShouldCoverEveryPlaceholderExactly()
    {
        var text = File.ReadAllText(RepoPaths.StateMachine);
        var placeholders = System.Text.RegularExpressions.Regex.Matches(text, @"\$\{(\w+)\}").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(placeholders.Order(), HandlerNames.StateMachineFunctions.Keys.Order());
    }
}

public class MultipartTests
{
    private static byte[] Body(string boundary, params (string Name, string? File, string Content)[] parts)
    {
        var sb = new StringBuilder();
        foreach (var (name, file, content) in parts)
        {
            sb.Append($"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"");
            if (file is not null)
            {
                sb.Append($"; filename=\"{file}\"");
            }

            sb.Append($"\r\n\r\n{content}\r\n");
        }

        sb.Append($"--{boundary}--\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Fact]
    public void Parse_WhenBodyHasFieldsAndAFile_ShouldReturnEachPartWithItsExactContent()
    {
        var parts = Multipart.Parse(Body("b1", ("patient_id", null, "p-1"), ("file", "x.png", "ab\r\ncd")), "b1");
        Assert.Equal(2, parts.Count);
        Assert.Equal("x.png", parts[1].FileName);
        Assert.Equal("ab\r\ncd", Encoding.UTF8.GetString(parts[1].Content.Span));
    }

    [Theory]
    [InlineData("--b1\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")] // no closing boundary
    [InlineData("no boundary here")]
    [InlineData("--b1\r\nContent-Disposition: form-data; name=\"file\"")] // headers never end
    [InlineData("--b1\r\nContent-Type: text/plain\r\n\r\nabc\r\n--b1--")] // no name
    public void Parse_WhenBodyIsMalformed_ShouldThrowValidationExceptionNotCrash(string body)
    {
        var ex = Assert.Throws<ValidationException>(() => Multipart.Parse(Encoding.ASCII.GetBytes(body), "b1"));
        Assert.Equal("request.bad_multipart", ex.Code);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("multipart/form-data")]
    [InlineData(null)]
    public void Boundary_WhenContentTypeIsNotMultipartWithBoundary_ShouldReject(string? contentType) =>
        Assert.Throws<ValidationException>(() => Multipart.Boundary(contentType));

    [Property]
    public void Parse_WhenFedRandomBytes_ShouldOnlyEverThrowValidationException(byte[] bytes)
    {
        try
        {
            Multipart.Parse(Encoding.ASCII.GetBytes("--b1\r\n").Concat(bytes).ToArray(), "b1");
        }
        catch (ValidationException)
        {
        }
    }
}
