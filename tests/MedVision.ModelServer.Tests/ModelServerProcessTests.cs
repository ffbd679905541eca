using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Testing;

namespace MedVision.ModelServer.Tests;

/// <summary>
/// The model server as a real process (`dotnet MedVision.ModelServer.dll serve --port 0`), on 127.0.0.1 only, always
/// killed at the end; `medvision analyze --model-endpoint` runs against it through HttpInferenceEndpoint.
/// </summary>
public sealed class ModelServerProcessTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string work = Directory.CreateTempSubdirectory("medvision-ms-e2e-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    /// <summary>The server's build output is copied next to this test assembly (project reference to an Exe).</summary>
    private static string ServerDll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "MedVision.ModelServer.dll");
            Assert.True(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")), $"{dll} has no runtimeconfig next to it");
            return dll;
        }
    }

    private static BackgroundProcess StartServer(params string[] arguments) =>
        BackgroundProcess.Start(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [ServerDll, "serve", "--host", "127.0.0.1", .. arguments],
            new Dictionary<string, string?>
            {
                // The machine's settings must not leak in: loopback, the port we ask for, the routes we pass.
                [ModelServerOptions.HostEnvironmentVariable] = null,
                [ModelServerOptions.PortEnvironmentVariable] = null,
                [Core.Inference.ModelRoutingOptions.EnvironmentVariable] = null,
            });

    private static async Task<Uri> ListeningUrlAsync(BackgroundProcess server)
    {
        var line = await server.WaitForLineAsync(l => l.Contains("\"event\":\"listening\"", StringComparison.Ordinal), StartTimeout);
        var url = new Uri((string)JsonNode.Parse(line)!["url"]!);
        Assert.Equal("127.0.0.1", url.Host);
        return url;
    }

    private static async Task<(int Code, string Out, string Err)> AnalyzeAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["analyze", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>What must not differ between runs: the findings without their generated ids, and the classification.</summary>
    private static JsonObject Outcome(string dir)
    {
        var analysis = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "analysis.json")))!;
        var findings = analysis["abnormalities"]!.AsArray().Select(f =>
        {
            var copy = f!.DeepClone().AsObject();
            copy.Remove("abnormality_id");
            return (JsonNode)copy;
        }).ToArray();
        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "record.json")))!;
        var classification = record["classification"]!.DeepClone().AsObject();
        classification.Remove("image_id");
        classification.Remove("classification_timestamp");
        return new JsonObject
        {
            ["status"] = (string)record["status"]!,
            ["classification"] = classification,
            ["model"] = analysis["model_version"]!.DeepClone(),
            ["findings"] = new JsonArray(findings),
        };
    }

    [Fact]
    public async Task Analyze_WhenModelServerRunsAsAProcess_ShouldFindWhatTheInProcessRunFinds()
    {
        // A 64 KB payload budget sends the larger model inputs by s3:// URI, so that path is crossed too: the server
        // reads them from the CLI's object store folder, as SageMaker's container would read S3.
        var routes = Path.Combine(work, "routes.json");
        File.WriteAllText(routes, """{"max_payload_bytes": 65536}""");
        var inProcessOut = Path.Combine(work, "in-process");
        var httpOut = Path.Combine(work, "http");

        var inProcess = await AnalyzeAsync(RepoPaths.Samples, "--out", inProcessOut, "--parallel", "2", "--model-routes", routes);
        using var server = StartServer("--port", "0", "--model-routes", routes, "--object-root", Path.Combine(httpOut, ".state", "objects"));
        var url = await ListeningUrlAsync(server);
        var overHttp = await AnalyzeAsync(RepoPaths.Samples, "--out", httpOut, "--parallel", "2", "--model-routes", routes, "--model-endpoint", url.ToString());

        Assert.True(inProcess.Code == 0, inProcess.Out + inProcess.Err);
        Assert.True(overHttp.Code == 0, overHttp.Out + overHttp.Err + server.Output);
        Assert.Contains($"models: over HTTP at {url}", overHttp.Out, StringComparison.Ordinal);
        var labels = Directory.GetFiles(RepoPaths.Samples).Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.True(labels.Count >= 5);
        foreach (var label in labels)
        {
            var expected = Outcome(Path.Combine(inProcessOut, label!));
            var actual = Outcome(Path.Combine(httpOut, label!));
            Assert.Equal("completed", (string)actual["status"]!);
            Assert.True(JsonNode.DeepEquals(expected, actual), $"{label}:\nin-process {expected.ToJsonString()}\nover HTTP {actual.ToJsonString()}");
        }

        // Every model call went to the server process, some of them by S3 URI.
        var invocations = server.Lines.Where(l => l.Contains("\"event\":\"invocation\"", StringComparison.Ordinal)).ToList();
        Assert.True(invocations.Count >= labels.Count, server.Output);
        Assert.Contains(invocations, l => l.Contains("\"by_s3_uri\":true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_WhenSigtermArrives_ShouldStopGracefullyWithExitCode0()
    {
        using var server = StartServer("--port", "0");
        var url = await ListeningUrlAsync(server);
        using (var http = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(url, "ping"))).StatusCode);
        }

        var exit = await server.TerminateAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exit);
        Assert.Contains(server.Lines, l => l.Contains("\"event\":\"stopped\"", StringComparison.Ordinal));
        Assert.All(server.Lines, l => JsonNode.Parse(l));
    }

    [Fact]
    public async Task Server_WhenThePortIsTaken_ShouldExit1WithOneLogLine()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        using var server = StartServer("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var line = await server.WaitForLineAsync(l => l.Contains("start_failed", StringComparison.Ordinal), StartTimeout);
        var exit = await server.TerminateAfterExitAsync(StartTimeout);

        Assert.Equal(1, exit);
        Assert.Equal("error", (string)JsonNode.Parse(line)!["level"]!);
    }

    [Fact]
    public async Task Server_WhenArgumentsAreBad_ShouldExit2WithOneLine()
    {
        using var server = StartServer("--port", "not-a-port");

        var exit = await server.TerminateAfterExitAsync(StartTimeout);

        Assert.Equal(2, exit);
        var line = Assert.Single(server.Lines, l => l.Length > 0);
        Assert.StartsWith("error: --port must be a port number", line, StringComparison.Ordinal);
        Assert.EndsWith("--help' for usage", line, StringComparison.Ordinal);
    }
}
