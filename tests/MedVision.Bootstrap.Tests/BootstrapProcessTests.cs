using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Testing;
using MedVision.Twins;

namespace MedVision.Bootstrap.Tests;

/// <summary>
/// The published Native AOT bootstrap as Lambda runs it: a process whose only contact is the Runtime API (here the
/// loopback twin), with MEDVISION_PLATFORM=local so its handlers run on the embedded twins in a temporary folder.
/// </summary>
public sealed class BootstrapProcessTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string state = Directory.CreateTempSubdirectory("medvision-bootstrap-state-").FullName;

    [Fact]
    public async Task Invoke_WhenHandlerAnswers_ShouldPostItsResponseAndLogOneJsonLinePerEntryWithIds()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "history");

        var outcome = await api.InvokeAsync(Event("api/history.json"), TimeSpan.FromSeconds(30), traceId: "Root=1-6751a2b3-0123456789abcdef01234567;Sampled=1").WaitAsync(Wait);

        Assert.False(outcome.IsError, Encoding.UTF8.GetString(outcome.Body));
        var response = JsonNode.Parse(outcome.Body)!;
        Assert.Equal(200, (int)response["statusCode"]!);
        Assert.Empty(JsonNode.Parse((string)response["body"]!)!["items"]!.AsArray());
        var completed = await bootstrap.WaitForLineAsync(l => l.Contains("\"InvocationCompleted\"", StringComparison.Ordinal), Wait);
        var line = JsonNode.Parse(completed)!;
        Assert.Equal(outcome.RequestId, (string?)line["requestId"]);
        Assert.Equal("Root=1-6751a2b3-0123456789abcdef01234567;Sampled=1", (string?)line["traceId"]);
        Assert.Equal(1003, (int)line["eventId"]!);
        Assert.Equal("INFO", (string?)line["level"]);
        Assert.All(bootstrap.Lines.Where(l => l.StartsWith('{')), l => JsonNode.Parse(l)); // every stdout line is one JSON object
    }

    // Feature: medvision-ai-platform, Property 40: a handler's error leaves an error log line with request id, image id and error type.
    [Fact]
    public async Task Invoke_WhenHandlerThrows_ShouldPostTheExceptionTypeAsErrorTypeWithItsMessage()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "classify");

        // No image with this id was ever uploaded into the fresh state folder.
        var outcome = await api.InvokeAsync(Event("stepfunctions/classify.json"), TimeSpan.FromSeconds(30)).WaitAsync(Wait);

        Assert.True(outcome.IsError);
        var error = JsonNode.Parse(outcome.Body)!;
        Assert.Equal("NotFoundException", (string?)error["errorType"]);
        Assert.Equal("NotFoundException", outcome.ErrorTypeHeader);
        Assert.Contains("0193a4f2-7c1e-7b2a-9d4e-1f2a3b4c5d6e", (string?)error["errorMessage"], StringComparison.Ordinal);
        var failed = JsonNode.Parse(await bootstrap.WaitForLineAsync(l => l.Contains("\"InvocationFailed\"", StringComparison.Ordinal), Wait))!;
        Assert.Equal("0193a4f2-7c1e-7b2a-9d4e-1f2a3b4c5d6e", (string?)failed["imageId"]);
        Assert.Equal(outcome.RequestId, (string?)failed["requestId"]);

        // The environment survives a failed invocation and serves the next one.
        var again = await api.InvokeAsync(Event("stepfunctions/classify.json"), TimeSpan.FromSeconds(30)).WaitAsync(Wait);
        Assert.Equal("NotFoundException", again.ErrorTypeHeader);
    }

    [Fact]
    public async Task Invoke_WhenEventIsNotJson_ShouldPostValidationError()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "classify");

        var outcome = await api.InvokeAsync("{\"image_id\":"u8.ToArray(), TimeSpan.FromSeconds(30)).WaitAsync(Wait);

        Assert.Equal("ValidationException", outcome.ErrorTypeHeader);
        Assert.Contains("not JSON", (string?)JsonNode.Parse(outcome.Body)!["errorMessage"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_WhenHandlerIsUnknown_ShouldPostInitErrorNamingTheKnownHandlersAndExit()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "no-such-handler");

        var init = await api.InitError.WaitAsync(Wait);

        Assert.Equal("Runtime.HandlerNotFound", init.ErrorTypeHeader);
        var message = (string?)JsonNode.Parse(init.Body)!["errorMessage"];
        Assert.Contains("no-such-handler", message, StringComparison.Ordinal);
        Assert.Contains("classify", message, StringComparison.Ordinal);
        Assert.Equal(1, await bootstrap.TerminateAfterExitAsync(Wait));
    }

    [Fact]
    public async Task Init_WhenLocalPlatformHasNoStateFolder_ShouldPostConfigurationError()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "history", new Dictionary<string, string?> { ["MEDVISION_STATE_DIR"] = null });

        var init = await api.InitError.WaitAsync(Wait);

        Assert.Equal("Runtime.ConfigurationError", init.ErrorTypeHeader);
        Assert.Contains("MEDVISION_STATE_DIR", (string?)JsonNode.Parse(init.Body)!["errorMessage"], StringComparison.Ordinal);
        Assert.Equal(1, await bootstrap.TerminateAfterExitAsync(Wait));
    }

    [Fact]
    public async Task Invoke_WhenDeadlinePassesDuringAModelCall_ShouldPostTimeoutAndServeTheNextEvent()
    {
        // A model endpoint that accepts connections and never answers.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var model = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/";
        var imageId = await UploadAsync();
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "classify", new Dictionary<string, string?> { ["MEDVISION_MODEL_ENDPOINT"] = model });

        var outcome = await api.InvokeAsync(
            Encoding.UTF8.GetBytes($$"""{"image_id":"{{imageId}}"}"""), TimeSpan.FromSeconds(2)).WaitAsync(Wait);

        Assert.Equal("Sandbox.Timedout", outcome.ErrorTypeHeader);
        Assert.Contains("timed out", (string?)JsonNode.Parse(outcome.Body)!["errorMessage"], StringComparison.Ordinal);
        await bootstrap.WaitForLineAsync(l => l.Contains("\"InvocationTimedOut\"", StringComparison.Ordinal), Wait);
        var next = await api.InvokeAsync(Event("stepfunctions/classify.json"), TimeSpan.FromSeconds(30)).WaitAsync(Wait);
        Assert.Equal("NotFoundException", next.ErrorTypeHeader);
    }

    [Fact]
    public async Task Invoke_WhenResponseIsOver6MB_ShouldPostResponseSizeErrorInsteadOfTheResponse()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "get-image");
        // The 404 problem+json names the request path as its instance: a 7 MB path makes a 7 MB response.
        var request = JsonNode.Parse(Event("api/get-image.json"))!;
        request["rawPath"] = "/api/v1/images/" + new string('x', 7 * 1024 * 1024);

        var outcome = await api.InvokeAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), TimeSpan.FromSeconds(30)).WaitAsync(Wait);

        Assert.Equal("Function.ResponseSizeTooLarge", outcome.ErrorTypeHeader);
        var message = (string?)JsonNode.Parse(outcome.Body)!["errorMessage"];
        Assert.Contains("6291456 bytes", message, StringComparison.Ordinal);
        Assert.Contains("get-image", message, StringComparison.Ordinal);
        var small = await api.InvokeAsync(Event("api/get-image.json"), TimeSpan.FromSeconds(30)).WaitAsync(Wait);
        Assert.Equal(404, (int)JsonNode.Parse(small.Body)!["statusCode"]!);
    }

    [Fact]
    public async Task Invoke_When1000EventsInOneProcess_ShouldKeepMemoryFlat()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "get-image");
        var payload = Event("api/get-image.json");

        async Task RunAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var outcome = await api.InvokeAsync(payload, TimeSpan.FromSeconds(30)).WaitAsync(Wait);
                Assert.False(outcome.IsError);
            }
        }

        await RunAsync(100); // warm: pools, caches and the GC's first budget settle
        var warm = ResidentKilobytes(bootstrap.Id);
        await RunAsync(900);
        var after = ResidentKilobytes(bootstrap.Id);

        // A leak of even 10 KB per invocation would add ~9 MB over these 900.
        Assert.True(after - warm < 6 * 1024, $"RSS grew from {warm} KB to {after} KB over 900 invocations");
    }

    [Fact]
    public async Task Sigterm_WhenWaitingForAnEvent_ShouldLogShutdownAndExitZero()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var bootstrap = Start(api, "history");
        await api.InvokeAsync(Event("api/history.json"), TimeSpan.FromSeconds(30)).WaitAsync(Wait);
        await bootstrap.WaitForLineAsync(l => l.Contains("\"InvocationCompleted\"", StringComparison.Ordinal), Wait);

        Assert.Equal(0, await bootstrap.TerminateAsync(Wait));
        Assert.Contains(bootstrap.Lines, l => l.Contains("\"ShutdownRequested\"", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(state, recursive: true);
        }
        catch (IOException)
        {
            // a process still closing its SQLite files; the temp folder is cleaned by the OS
        }
    }

    /// <summary>
    /// Uploads events/api/upload.json through the upload handler in its own bootstrap process, with a Runtime API of its
    /// own (a next-invocation poll of an exiting process must not take another process's event); returns the image id.
    /// </summary>
    private async Task<string> UploadAsync()
    {
        await using var api = await LambdaRuntimeApiTwin.StartAsync();
        using var uploader = Start(api, "upload", new Dictionary<string, string?> { ["MEDVISION_MODEL_ENDPOINT"] = "http://127.0.0.1:9/" });
        var outcome = await api.InvokeAsync(Event("api/upload.json"), TimeSpan.FromSeconds(30)).WaitAsync(Wait);
        Assert.False(outcome.IsError, Encoding.UTF8.GetString(outcome.Body));
        var body = JsonNode.Parse((string)JsonNode.Parse(outcome.Body)!["body"]!)!;
        await uploader.TerminateAsync(Wait);
        return (string)body["image_id"]!;
    }

    private BackgroundProcess Start(LambdaRuntimeApiTwin api, string handler, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = api.Address,
            ["_HANDLER"] = handler,
            ["MEDVISION_PLATFORM"] = "local",
            ["MEDVISION_STATE_DIR"] = state,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return BackgroundProcess.Start(PublishedBootstrap.Executable, [], environment);
    }

    private static byte[] Event(string relative) => File.ReadAllBytes(RepoPaths.Events(relative));

    private static long ResidentKilobytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
