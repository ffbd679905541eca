using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedVision.Testing.Aws;

/// <summary>One scripted misbehaviour of a stand-in, applied to one request.</summary>
public abstract record Fault
{
    /// <summary>Answers with this status, content type and body (a throttling or 5xx error in the service's own shape).</summary>
    public static Fault Answer(int status, string contentType, string body, IReadOnlyDictionary<string, string>? headers = null) =>
        new AnswerFault(status, contentType, body, headers ?? new Dictionary<string, string>());

    /// <summary>Holds the request this long before answering from upstream (longer than the client's timeout = a timeout).</summary>
    public static Fault Delay(TimeSpan delay) => new DelayFault(delay);

    /// <summary>Reads the request, then closes the connection without an answer.</summary>
    public static Fault Drop() => new DropFault();

    /// <summary>Forwards the request upstream, then closes the connection without the answer: the work was done, the client cannot know.</summary>
    public static Fault DropAnswer() => new DropAnswerFault();

    internal sealed record AnswerFault(int Status, string ContentType, string Body, IReadOnlyDictionary<string, string> Headers) : Fault;

    internal sealed record DelayFault(TimeSpan Time) : Fault;

    internal sealed record DropFault : Fault;

    internal sealed record DropAnswerFault : Fault;
}

/// <summary>
/// A loopback HTTP proxy in front of a stand-in (moto_server, a twin, the model server) that misbehaves on cue:
/// each request takes the next queued <see cref="Fault"/>, or, with none queued, is forwarded to the upstream
/// unchanged (Host header included, so a SigV4 signature still verifies behind it). Counts what it saw, so a test
/// can tell whether an adapter retried.
/// </summary>
public sealed class FaultyStandIn : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    private readonly WebApplication app;
    private readonly ConcurrentQueue<Fault> faults = new();
    private readonly ConcurrentQueue<string> seen = new();
    private readonly HttpClient upstreamClient = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    // Held around each forward when the stand-in serialises (see StartAsync); otherwise never waited on.
    private readonly SemaphoreSlim oneAtATime = new(1, 1);
    private bool serialise;

    private FaultyStandIn(WebApplication app) => this.app = app;

    /// <summary>The proxy's root, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>"METHOD /path?query" of every request that reached the proxy, faulted or not.</summary>
    public IReadOnlyList<string> Requests => seen.ToList();

    /// <param name="serialise">
    /// Forward one request at a time. moto 5.2.1 checks a DynamoDB ConditionExpression and then writes without a lock,
    /// so under its threaded server two conditional writes on the same version can both pass (a contract run once lost
    /// one of 20 parallel updates that way); DynamoDB applies each conditional write atomically. Serialised, moto's check
    /// and write are atomic too, while the clients' read-modify-write races still interleave.
    /// </param>
    public static async Task<FaultyStandIn> StartAsync(Uri upstream, bool serialise = false)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new FaultyStandIn(app) { serialise = serialise };
        app.Run(context => proxy.HandleAsync(context, upstream));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        return proxy;
    }

    /// <summary>Queues <paramref name="fault"/> for the next <paramref name="times"/> requests.</summary>
    public void Next(Fault fault, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            faults.Enqueue(fault);
        }
    }

    /// <summary>Forgets queued faults and seen requests.</summary>
    public void Reset()
    {
        faults.Clear();
        seen.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        upstreamClient.Dispose();
        oneAtATime.Dispose();
    }

    private async Task HandleAsync(HttpContext context, Uri upstream)
    {
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        seen.Enqueue($"{context.Request.Method} {target}");
        // One connection per request: a client never resends on a reused connection that died (SocketsHttpHandler
        // does that by itself, unseen by the SDK), so Requests counts the adapter's own retries.
        context.Response.Headers.Connection = "close";
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        faults.TryDequeue(out var fault);
        switch (fault)
        {
            case Fault.AnswerFault answer:
                context.Response.StatusCode = answer.Status;
                context.Response.ContentType = answer.ContentType;
                foreach (var (name, value) in answer.Headers)
                {
                    context.Response.Headers[name] = value;
                }

                await context.Response.WriteAsync(answer.Body, context.RequestAborted);
                return;
            case Fault.DropFault:
                context.Abort();
                return;
            case Fault.DelayFault delay:
                try
                {
                    await Task.Delay(delay.Time, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return; // The client gave up, as the test wanted.
                }

                break;
        }

        await ForwardAsync(context, upstream, target, body, dropAnswer: fault is Fault.DropAnswerFault);
    }

    private async Task ForwardAsync(HttpContext context, Uri upstream, string target, byte[] body, bool dropAnswer)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(upstream, target));
        if (body.Length > 0 || context.Request.ContentLength is not null)
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        // Keep the client's Host: the SigV4 signature covers it.
        request.Headers.Host = context.Request.Host.Value;
        HttpResponseMessage response;
        if (serialise)
        {
            await oneAtATime.WaitAsync(context.RequestAborted);
        }

        try
        {
            response = await upstreamClient.SendAsync(request, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
        }
        finally
        {
            if (serialise)
            {
                oneAtATime.Release();
            }
        }

        using var owned = response;
        if (dropAnswer)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        context.Response.ContentLength = answer.Length;
        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }
}
