using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MedVision.Testing.Aws;

/// <summary>
/// A <c>moto_server</c> (on the machine image) started for a test class on 127.0.0.1 and a free port, killed on
/// dispose. The stand-in for S3, DynamoDB, SQS, KMS, EventBridge, Step Functions and SageMaker Runtime. Tests keep
/// out of each other's way by naming their own bucket, table or queue, not by restarting it.
/// </summary>
public sealed class MotoServer : IAsyncDisposable, IDisposable
{
    /// <summary>The credentials and region every test client signs with; moto accepts any.</summary>
    public const string AccessKeyId = "AKIDMOTOTEST";
    public const string SecretAccessKey = "moto-test-secret";
    public const string Region = "us-east-1";

    private readonly BackgroundProcess process;

    private MotoServer(BackgroundProcess process, Uri endpoint)
    {
        this.process = process;
        Endpoint = endpoint;
    }

    /// <summary>e.g. http://127.0.0.1:41234/ — every service answers on it.</summary>
    public Uri Endpoint { get; }

    /// <summary>True when moto_server is installed; skips, or throws under MEDVISION_REQUIRE_ORACLES=1.</summary>
    public static bool Available(Action<string> log) => ExternalTools.Require(log, "moto_server");

    public static async Task<MotoServer> StartAsync()
    {
        var port = FreePort();
        var process = BackgroundProcess.Start("moto_server", ["-H", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)]);
        var endpoint = new Uri($"http://127.0.0.1:{port}/");
        var server = new MotoServer(process, endpoint);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var answer = await http.GetAsync(new Uri(endpoint, "moto-api/"));
                if (answer.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy machine: ask again.
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                server.Dispose();
                throw new InvalidOperationException($"moto_server did not start on port {port}:\n{process.Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Turns on moto's Step Functions execution engine, so a state machine really runs (task tokens included). moto
    /// 5.2.1 loads its Step Functions backend on first use and that resets the setting, so the backend is touched
    /// (ListStateMachines) first. Its engine runs one execution per server: once an execution has run, every later
    /// StartExecution that starts a new one answers 500 (it deep-copies the running execution's lock), so a test
    /// that executes state machines needs a server of its own per execution.
    /// </summary>
    public async Task EnableStepFunctionsExecutionAsync()
    {
        using (var http = new HttpClient())
        using (var list = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new StringContent("{}", Encoding.UTF8) })
        {
            list.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.0");
            list.Headers.TryAddWithoutValidation("X-Amz-Target", "AWSStepFunctions.ListStateMachines");
            // moto routes on the credential scope's service and does not check the signature.
            list.Headers.TryAddWithoutValidation(
                "Authorization", $"AWS4-HMAC-SHA256 Credential={AccessKeyId}/20260101/{Region}/states/aws4_request, SignedHeaders=host, Signature=0");
            using var answer = await http.SendAsync(list);
            answer.EnsureSuccessStatusCode();
        }

        await PostMotoApiAsync("moto-api/config", """{"stepfunctions":{"execute_state_machine":true}}""");
    }

    /// <summary>POSTs JSON to a moto-api path (config, static SageMaker endpoint results, reset).</summary>
    public async Task PostMotoApiAsync(string path, string json)
    {
        using var http = new HttpClient();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var answer = await http.PostAsync(new Uri(Endpoint, path), content);
        answer.EnsureSuccessStatusCode();
    }

    /// <summary>The environment an SDK or `medvision` process needs to talk to this server.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["AWS_ENDPOINT_URL"] = Endpoint.AbsoluteUri.TrimEnd('/'),
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
        ["AWS_REGION"] = Region,
    };

    public void Dispose() => process.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
