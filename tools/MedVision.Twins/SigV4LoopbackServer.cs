using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedVision.Aws.Tests;

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
    public static async Task<SigV4LoopbackServer> StartAsync(
        AwsCredentials credentials, string region, string service, TimeProvider clock, Func<HttpContext, TwinRequest, Task> handle)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
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
