using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedVision.Twins;

/// <summary>One request as a loopback server saw it, with botocore's verdict on its signature.</summary>
public sealed record TwinRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body, bool SignatureValid, string Reason)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}

/// <summary>
/// The HTTP side every AWS twin shares: Kestrel on 127.0.0.1 (in-process), each request read whole, its SigV4
/// signature recomputed by botocore (sigv4_verify.py, an implementation independent of the adapters' signer) from the
/// raw target and headers as they arrived, the request recorded, then handed to the twin with the verdict.
/// </summary>
public sealed class SigV4LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private SigV4LoopbackServer(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    /// <summary>The server's root, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; }

    public ConcurrentQueue<TwinRequest> Requests { get; } = new();

    /// <param name="clock">The server's clock, which the signature's date must be within 5 minutes of.</param>
    /// <param name="handle">Answers a request; its signature may be bad (see <see cref="TwinRequest.SignatureValid"/>).</param>
    /// <param name="port">The loopback port; 0 lets the OS pick a free one.</param>
    /// <exception cref="InvalidOperationException">No python with botocore (the signature oracle) is found.</exception>
    public static async Task<SigV4LoopbackServer> StartAsync(
        AwsCredentials credentials, string region, string service, TimeProvider clock, Func<HttpContext, TwinRequest, Task> handle, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(handle);
        _ = SigV4Oracle.Python; // fail before listening, with the reason, when botocore is missing
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        SigV4LoopbackServer? server = null;
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            var headerPairs = context.Request.Headers.SelectMany(h => h.Value.Select(v => new JsonArray(h.Key, v))).ToArray();
            var (valid, reason) = await Task.Run(() => SigV4Oracle.Verify(
                context.Request.Method, $"http://{context.Request.Host}{target}", headerPairs, body, credentials, region, service, clock.GetUtcNow()));
            var request = new TwinRequest(
                context.Request.Method, target,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
                body, valid, reason);
            server!.Requests.Enqueue(request);
            await handle(context, request);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new SigV4LoopbackServer(app, new Uri($"{address}/"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>botocore's verdict (sigv4_verify.py, embedded in this assembly) on one request's SigV4 signature.</summary>
public static class SigV4Oracle
{
    private static readonly Lazy<string?> PythonPath = new(FindPython);
    private static readonly Lazy<string> Script = new(() =>
    {
        using var stream = typeof(SigV4Oracle).Assembly.GetManifestResourceStream("sigv4_verify.py")
            ?? throw new InvalidOperationException("sigv4_verify.py is not embedded in MedVision.Twins.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    /// <summary>True when a python with botocore is there.</summary>
    public static bool Available => PythonPath.Value is not null;

    /// <summary>The python with botocore, or a clear error saying how to get one.</summary>
    public static string Python => PythonPath.Value ?? throw new InvalidOperationException(
        "The twins check every request's SigV4 signature with botocore, and no python with botocore was found "
        + "(tried $MEDVISION_BOTOCORE_PYTHON, python3 on PATH, /usr/bin/python3). Install it (apt-get install python3-botocore, "
        + "or pip install botocore) or point MEDVISION_BOTOCORE_PYTHON at a python that has it.");

    public static (bool Valid, string Reason) Verify(
        string method, string url, JsonArray[] headers, byte[] body, AwsCredentials credentials, string region, string service, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(credentials);
        var input = new JsonObject
        {
            ["method"] = method,
            ["url"] = url,
            ["headers"] = new JsonArray(headers.Select(JsonNode? (h) => h).ToArray()),
            ["body_b64"] = Convert.ToBase64String(body),
            ["access_key"] = credentials.AccessKeyId,
            ["secret_key"] = credentials.SecretAccessKey,
            ["session_token"] = credentials.SessionToken,
            ["region"] = region,
            ["service"] = service,
            ["now"] = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture),
        };
        var (exit, stdout, stderr) = Run(Python, ["-c", Script.Value], Encoding.UTF8.GetBytes(input.ToJsonString()));
        if (exit != 0)
        {
            throw new InvalidOperationException($"sigv4_verify.py failed ({exit}): {stderr}");
        }

        var verdict = JsonNode.Parse(stdout)!;
        return ((bool)verdict["ok"]!, (string?)verdict["reason"] ?? "");
    }

    // Debian's python may lack botocore while a pyenv python on PATH has it: ask each for its real executable.
    private static string? FindPython()
    {
        string[] candidates = [Environment.GetEnvironmentVariable("MEDVISION_BOTOCORE_PYTHON") ?? "", "python3", "/usr/bin/python3"];
        foreach (var candidate in candidates.Where(c => c.Length > 0))
        {
            try
            {
                var (exit, stdout, _) = Run(candidate, ["-c", "import sys, botocore.auth; print(sys.executable)"], null);
                var executable = stdout.Trim();
                if (exit == 0 && File.Exists(executable))
                {
                    return executable;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under that name: try the next.
            }
        }

        return null;
    }

    private static (int Exit, string StdOut, string StdErr) Run(string file, string[] arguments, byte[]? stdin)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try
            {
                process.StandardInput.BaseStream.Write(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The script exited without reading its input; its exit code says why.
            }
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s.");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
