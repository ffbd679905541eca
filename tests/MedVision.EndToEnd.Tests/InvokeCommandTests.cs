using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Functions;
using MedVision.Hosting;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>`medvision invoke`: one handler, one sample event, the bootstrap's code path on this machine.</summary>
public sealed class InvokeCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("medvision-invoke-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task Invoke_WhenUploadThenGetImage_ShouldRunThePipelineAndAnswerWithItsRecord()
    {
        var upload = Path.Combine(dir, "upload.json");
        await File.WriteAllTextAsync(upload, TestEvents.Upload(Path.Combine(RepoPaths.Samples, "chest-xray-nodule-101.png")));

        var (code, output, error) = await RunCliAsync("invoke", "upload", "--event", upload, "--out", dir);

        Assert.True(code == 0, error);
        var accepted = JsonNode.Parse(output)!;
        Assert.Equal(202, (int)accepted["statusCode"]!);
        var imageId = TestEvents.ImageIdOfUploadResponse(accepted);
        Assert.Contains($"pipeline for image {imageId}: Succeeded", error, StringComparison.Ordinal);

        var getFile = Path.Combine(dir, "get-image.json");
        await File.WriteAllTextAsync(getFile, TestEvents.GetImage(imageId));
        (code, output, error) = await RunCliAsync("invoke", "get-image", "--event", getFile, "--out", dir);

        Assert.True(code == 0, error);
        var response = JsonNode.Parse(output)!;
        Assert.Equal(200, (int)response["statusCode"]!);
        var record = JsonNode.Parse((string)response["body"]!)!;
        Assert.Equal(imageId, (string?)record["image_id"]);
        Assert.Equal("completed", (string?)record["status"]);
    }

    [Fact]
    public async Task Invoke_WhenHandlerThrows_ShouldPrintTheErrorAsLambdaReportsItAndExit1()
    {
        var (code, output, error) = await RunCliAsync(
            "invoke", "classify", "--event", RepoPaths.Events("stepfunctions/classify.json"), "--out", dir);

        Assert.Equal(1, code);
        Assert.Empty(output);
        var report = JsonNode.Parse(error)!;
        Assert.Equal("NotFoundException", (string?)report["errorType"]);
        Assert.Contains("0193a4f2-7c1e-7b2a-9d4e-1f2a3b4c5d6e", (string?)report["errorMessage"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_WhenHandlerIsUnknown_ShouldExit2NamingTheHandlers()
    {
        var (code, _, error) = await RunCliAsync("invoke", "resize", "--event", RepoPaths.Events("stepfunctions/classify.json"), "--out", dir);

        Assert.Equal(2, code);
        Assert.Contains("no handler named 'resize'", error, StringComparison.Ordinal);
        Assert.Contains("get-image", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_WhenEventFileIsNotJson_ShouldExit2NamingTheFile()
    {
        var bad = Path.Combine(dir, "bad.json");
        await File.WriteAllTextAsync(bad, "{\"image_id\":");

        var (code, _, error) = await RunCliAsync("invoke", "classify", "--event", bad, "--out", dir);

        Assert.Equal(2, code);
        Assert.Contains($"the event file {bad} is not JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public void HandlerNames_All_ShouldBeExactlyTheHandlersTheCatalogHosts()
    {
        using var platform = PipelineHost.Create(Path.Combine(dir, ".state"));

        Assert.Equal(platform.Handlers.Names.Order(StringComparer.Ordinal), HandlerNames.All.Order(StringComparer.Ordinal));
    }

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
