using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedVision.Twins;

/// <summary>What a runtime posted for one invocation: its response, or its error with the Lambda-Runtime-Function-Error-Type header.</summary>
/// <param name="PostedAtTimestamp">The <see cref="Stopwatch"/> timestamp at which the posted body had been read.</param>
/// <param name="DispatchedAtTimestamp">The <see cref="Stopwatch"/> timestamp at which the event was handed to the runtime (0 for an init error).</param>
public sealed record RuntimeOutcome(string RequestId, bool IsError, string? ErrorTypeHeader, byte[] Body, long PostedAtTimestamp, long DispatchedAtTimestamp = 0);

/// <summary>
/// The Lambda Runtime API (2018-06-01) on 127.0.0.1, as the execution environment serves it to a custom runtime: events
/// are queued by <see cref="InvokeAsync"/>, handed out by the long-polled next-invocation call with the request id,
/// deadline, function ARN and trace id headers, and completed by the response or error the runtime posts. A response
/// over 6 MB is refused with 413, as Lambda refuses it. Used by the bootstrap's tests and its start-up benchmark.
/// </summary>
public sealed class LambdaRuntimeApiTwin : IAsyncDisposable
{
    /// <summary>Lambda's limit on a synchronous response payload.</summary>
    public const int MaxResponseBytes = 6 * 1024 * 1024;

    private const string Prefix = "/2018-06-01/runtime/";

    private readonly WebApplication app;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>();
    private readonly ConcurrentDictionary<string, Pending> inFlight = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<RuntimeOutcome> initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<long> firstPoll = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long sequence;

    private LambdaRuntimeApiTwin(WebApplication app) => this.app = app;

    /// <summary>host:port, the value of AWS_LAMBDA_RUNTIME_API.</summary>
    public string Address { get; private set; } = "";

    /// <summary>Completes with the init error the runtime posted, if it posts one.</summary>
    public Task<RuntimeOutcome> InitError => initError.Task;

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp of the runtime's first next-invocation call.</summary>
    public Task<long> FirstPoll => firstPoll.Task;

    /// <summary>How many next-invocation calls have arrived (a runtime polls once per event, then once more to wait).</summary>
    public int Polls => (int)Interlocked.Read(ref polls);

    private long polls;

    public static async Task<LambdaRuntimeApiTwin> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Limits.MaxRequestBodySize = 4L * MaxResponseBytes; // read an oversized response whole, then refuse it as Lambda does
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var twin = new LambdaRuntimeApiTwin(app);
        app.Run(twin.HandleAsync);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        twin.Address = $"{address.Host}:{address.Port}";
        return twin;
    }

    /// <summary>Queues one event and waits for what the runtime posts for it.</summary>
    /// <param name="timeout">The invocation's timeout: its deadline header is now + this.</param>
    public Task<RuntimeOutcome> InvokeAsync(byte[] payload, TimeSpan timeout, string? traceId = null, string functionArn = "arn:aws:lambda:us-east-1:123456789012:function:medvision")
    {
        ArgumentNullException.ThrowIfNull(payload);
        var id = $"req-{Interlocked.Increment(ref sequence):D6}-{Guid.NewGuid():N}";
        var pending = new Pending(id, payload, DateTimeOffset.UtcNow + timeout, traceId, functionArn);
        inFlight[id] = pending;
        queue.Writer.TryWrite(pending);
        return pending.Outcome.Task;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var rest = path[Prefix.Length..];
        if (rest == "invocation/next" && HttpMethods.IsGet(context.Request.Method))
        {
            firstPoll.TrySetResult(Stopwatch.GetTimestamp());
            Interlocked.Increment(ref polls);
            Pending next;
            try
            {
                next = await queue.Reader.ReadAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the runtime went away while waiting
            }

            var headers = context.Response.Headers;
            headers["Lambda-Runtime-Aws-Request-Id"] = next.Id;
            headers["Lambda-Runtime-Deadline-Ms"] = next.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            headers["Lambda-Runtime-Invoked-Function-Arn"] = next.FunctionArn;
            if (next.TraceId is not null)
            {
                headers["Lambda-Runtime-Trace-Id"] = next.TraceId;
            }

            context.Response.ContentType = "application/json";
            next.DispatchedAt = Stopwatch.GetTimestamp();
            await context.Response.Body.WriteAsync(next.Payload);
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var posted = Stopwatch.GetTimestamp();
        if (rest == "init/error" && HttpMethods.IsPost(context.Request.Method))
        {
            initError.TrySetResult(new RuntimeOutcome("", true, context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault(), body, posted));
            context.Response.StatusCode = 202;
            return;
        }

        var parts = rest.Split('/');
        if (parts.Length == 3 && parts[0] == "invocation" && parts[2] is "response" or "error" && HttpMethods.IsPost(context.Request.Method))
        {
            if (!inFlight.TryRemove(Uri.UnescapeDataString(parts[1]), out var pending))
            {
                context.Response.StatusCode = 400; // not a request id the runtime holds
                return;
            }

            if (parts[2] == "response" && body.Length > MaxResponseBytes)
            {
                pending.Outcome.TrySetResult(new RuntimeOutcome(pending.Id, true, "Function.ResponseSizeTooLarge", body, posted, pending.DispatchedAt));
                context.Response.StatusCode = 413;
                return;
            }

            var isError = parts[2] == "error";
            pending.Outcome.TrySetResult(new RuntimeOutcome(
                pending.Id, isError, isError ? context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault() : null, body, posted, pending.DispatchedAt));
            context.Response.StatusCode = 202;
            return;
        }

        context.Response.StatusCode = 404;
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private sealed record Pending(string Id, byte[] Payload, DateTimeOffset Deadline, string? TraceId, string FunctionArn)
    {
        public TaskCompletionSource<RuntimeOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set when the next-invocation call hands this event out.</summary>
        public long DispatchedAt { get; set; }
    }
}
