using System.Diagnostics;
using System.Text.Json;
using MedVision.CommandLine;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Storage;
using MedVision.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MedVision.ModelServer;

/// <summary>
/// The SageMaker bring-your-own-container inference server: GET /ping, POST /invocations (the container contract),
/// and POST /endpoints/{name}/invocations (SageMaker Runtime's path, so the pipeline's HttpInferenceEndpoint talks to
/// it unchanged). Built as a <see cref="WebApplication"/> so tests can start it in-process on 127.0.0.1:0.
/// </summary>
public static class ModelServerApp
{
    /// <summary>Builds the server from a command line and the process environment.</summary>
    public static WebApplication Build(string[] args, TextWriter? logOutput = null) =>
        Build(ModelServerOptions.Parse(args, Environment.GetEnvironmentVariable), logOutput);

    public static WebApplication Build(ModelServerOptions options, TextWriter? logOutput = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = new JsonLog(logOutput ?? Console.Out, time ?? TimeProvider.System);

        // Our own command line only: the framework must not read args or ASPNETCORE_URLS behind our back.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(ModelServerApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new JsonLogProvider(log));
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);

        // SIGTERM: stop accepting, let in-flight inferences finish within their budget, then exit.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = InferenceContract.InvocationBudget);
        builder.WebHost.UseUrls(UrlFor(options.Host, options.Port));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;

            // SageMaker real-time InvokeEndpoint never delivers more; Kestrel refuses larger bodies while reading.
            k.Limits.MaxRequestBodySize = InferenceContract.RealTimeMaxPayloadBytes;
        });

        var objects = options.ObjectRoot is { } root ? new DiskObjectLayout(root, options.Bucket) : null;
        var host = new ReferenceModelHost(
            new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector(),
            objects is null ? null : objects.ReadS3UriAsync);
        var handler = new InvocationHandler(host, ReferenceModelHost.EndpointJobs(options.Routes), log);

        var app = builder.Build();
        app.MapGet("/ping", (RequestDelegate)InvocationHandler.PingAsync);
        app.MapPost("/invocations", (RequestDelegate)handler.InvokeContainerAsync);
        app.MapPost("/endpoints/{name}/invocations", (RequestDelegate)handler.InvokeEndpointAsync);
        app.MapFallback((RequestDelegate)InvocationHandler.NotFoundAsync);

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() => log.Write(
            "info", "listening", ("url", ListeningUri(app).ToString().TrimEnd('/')), ("endpoints", handler.EndpointNames),
            ("object_root", objects?.Root), ("bucket", objects?.Bucket)));
        lifetime.ApplicationStopping.Register(() => log.Write("info", "stopping"));
        lifetime.ApplicationStopped.Register(() => log.Write("info", "stopped"));
        return app;
    }

    /// <summary>The address the started server answers on (the real port when 0 was asked for).</summary>
    public static Uri ListeningUri(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var url = app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("The model server is not listening yet.");
        return new Uri(url);
    }

    /// <summary>
    /// The process entry point: 0 after a clean shutdown (or for --help), 1 when the server cannot start, 2 for usage
    /// errors (one line on <paramref name="error"/>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var commandLine = new ModelServerCommandLine();
        commandLine.Root.SetAction((result, _) => ServeAsync(commandLine.OptionsFrom(result, Environment.GetEnvironmentVariable), output));
        var parsed = CommandLineApp.Parse(commandLine.Root, ModelServerOptions.WithoutServe(args));
        try
        {
            return await CommandLineApp.RunAsync(parsed, output, error);
        }
        catch (ModelServerUsageException ex)
        {
            // The environment or the routes file, read once the command line itself parsed.
            await error.WriteLineAsync(CommandLineApp.UsageLine(ex.Message, parsed.CommandResult));
            return CommandLineApp.UsageExitCode;
        }
    }

    private static async Task<int> ServeAsync(ModelServerOptions options, TextWriter output)
    {
        await using var app = Build(options, output);
        try
        {
            await app.StartAsync();
        }
        catch (IOException ex)
        {
            // Typically the port is taken: say so on one line rather than with a stack trace.
            new JsonLog(output, TimeProvider.System).Write("error", "start_failed", ("message", ex.Message));
            return 1;
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    private static string UrlFor(System.Net.IPAddress host, int port) =>
        host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"http://[{host}]:{port}" : $"http://{host}:{port}";
}

/// <summary>The request handlers, with every failure turned into problem+json and one log line per request.</summary>
internal sealed class InvocationHandler(ReferenceModelHost host, Dictionary<string, (InferenceTask Task, Modality? Modality)> jobs, JsonLog log)
{
    /// <summary>SageMaker's name for the variant of an endpoint created with a single production variant.</summary>
    public const string DefaultVariant = "AllTraffic";

    public IReadOnlyList<string> EndpointNames { get; } = jobs.Keys.Order(StringComparer.Ordinal).ToList();

    public static Task PingAsync(HttpContext context)
    {
        // The analyzers are constructed before the server starts listening, so answering at all means loaded.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = InferenceContract.ContentType;
        return context.Response.WriteAsync("{\"status\":\"healthy\"}", context.RequestAborted);
    }

    public static Task NotFoundAsync(HttpContext context) =>
        WriteProblemAsync(context, StatusCodes.Status404NotFound, "model.not_found",
            $"No route {context.Request.Method} {context.Request.Path}; the server answers GET /ping, POST /invocations and POST /endpoints/{{name}}/invocations.", null);

    /// <summary>The container contract: one image serves any job, the request's task and modality pick the analyzer.</summary>
    public Task InvokeContainerAsync(HttpContext context) => InvokeAsync(context, endpoint: null);

    public Task InvokeEndpointAsync(HttpContext context) =>
        InvokeAsync(context, (string?)context.Request.RouteValues["name"] ?? "");

    private async Task InvokeAsync(HttpContext context, string? endpoint)
    {
        var started = Stopwatch.GetTimestamp();
        var variant = context.Request.Headers[HttpInferenceEndpoint.TargetVariantHeader].FirstOrDefault();
        ModelRequest? request = null;
        try
        {
            (InferenceTask Task, Modality? Modality) job = default;
            if (endpoint is not null && !jobs.TryGetValue(endpoint, out job))
            {
                await ProblemAsync(StatusCodes.Status404NotFound, "model.unknown_endpoint",
                    $"No endpoint named '{endpoint}' is served here; known: {string.Join(", ", EndpointNames)}.");
                return;
            }

            if (variant is not null && !ModelRoutingOptions.IsSageMakerName(variant))
            {
                await ProblemAsync(StatusCodes.Status400BadRequest, "model.bad_variant", "The target variant is not a valid SageMaker variant name.");
                return;
            }

            if (!InferenceContract.IsJsonMediaType(context.Request.ContentType))
            {
                await ProblemAsync(StatusCodes.Status415UnsupportedMediaType, "model.unsupported_media_type",
                    $"The body must be {InferenceContract.ContentType} (contracts/inference.schema.json), not '{context.Request.ContentType}'.");
                return;
            }

            var body = await ReadBodyAsync(context);
            if (body is null)
            {
                await ProblemAsync(StatusCodes.Status413PayloadTooLarge, "model.payload_too_large",
                    $"The body exceeds {InferenceContract.RealTimeMaxPayloadBytes} bytes (SageMaker's real-time limit); send the image by s3_uri instead.");
                return;
            }

            request = ReferenceModelHost.ParseRequest(body);
            if (endpoint is not null && (request.Task != job.Task || (job.Modality is { } m && request.Modality != m)))
            {
                throw new ModelRequestException("model.wrong_endpoint",
                    $"Endpoint {endpoint} serves {ReferenceModelHost.DescribeJob(job.Task, job.Modality)}, not {ReferenceModelHost.DescribeJob(request.Task, request.Modality)}.");
            }

            var response = await host.AnswerAsync(request, context.RequestAborted);
            var json = JsonSerializer.SerializeToUtf8Bytes(response, MedVisionJsonContext.Default.ModelResponse);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = InferenceContract.ContentType;
            if (endpoint is not null)
            {
                context.Response.Headers[HttpInferenceEndpoint.InvokedVariantHeader] = variant ?? DefaultVariant;
            }

            await context.Response.Body.WriteAsync(json, context.RequestAborted);
            log.Write("info", "invocation", Fields(200, null,
                ("model", response.Model.ToString()),
                ("input_width", response.InputWidth),
                ("input_height", response.InputHeight),
                ("findings", response.Findings?.Count),
                ("by_s3_uri", request.Image.S3Uri is not null)));
        }
        catch (ModelRequestException ex)
        {
            await ProblemAsync(StatusCodes.Status400BadRequest, ex.Code, ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own refusals while reading the body: over MaxRequestBodySize (413), or a malformed/aborted body.
            var status = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ex.StatusCode : StatusCodes.Status400BadRequest;
            await ProblemAsync(status, status == 413 ? "model.payload_too_large" : "model.bad_request",
                status == 413 ? $"The body exceeds {InferenceContract.RealTimeMaxPayloadBytes} bytes (SageMaker's real-time limit); send the image by s3_uri instead." : "The request body could not be read.");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller hung up (its 30 s budget ran out, or it was cancelled): nobody is left to answer.
            log.Write("warn", "invocation_aborted", Fields(499, "model.client_closed"));
        }
        catch (Exception ex)
        {
            // Anything else is our bug: the log gets the details, the caller only a stable code, never a stack trace.
            log.Write("error", "invocation_failed", Fields(500, "model.internal_error", ("exception", ex.ToString())));
            if (!context.Response.HasStarted)
            {
                await WriteProblemAsync(context, StatusCodes.Status500InternalServerError, "model.internal_error",
                    $"The model failed on this request; the server log has the details under trace id {context.TraceIdentifier}.", request?.RequestId);
            }
        }

        async Task ProblemAsync(int status, string code, string detail)
        {
            log.Write(status >= 500 ? "error" : "warn", "invocation_refused", Fields(status, code, ("detail", detail)));
            await WriteProblemAsync(context, status, code, detail, request?.RequestId);
        }

        (string, object?)[] Fields(int status, string? code, params (string, object?)[] extra) =>
        [
            ("request_id", request?.RequestId),
            ("trace_id", context.TraceIdentifier),
            ("path", context.Request.Path.Value),
            ("endpoint", endpoint),
            ("variant", variant),
            ("task", request is null ? null : request.Task.WireName()),
            ("modality", request?.Modality?.WireName()),
            ("status", status),
            ("code", code),
            ("duration_ms", Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3)),
            .. extra,
        ];
    }

    /// <summary>The body, or null when it is over the real-time limit (checked on Content-Length before reading).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength is > InferenceContract.RealTimeMaxPayloadBytes)
        {
            return null;
        }

        // Kestrel's MaxRequestBodySize also stops chunked bodies mid-read (BadHttpRequestException, 413).
        using var buffer = new MemoryStream(context.Request.ContentLength is { } length ? (int)length : 64 * 1024);
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        return buffer.ToArray();
    }

    internal static async Task WriteProblemAsync(HttpContext context, int status, string code, string detail, string? requestId)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            // RFC 9457 members, plus the stable code and the contract's request id when the body had one.
            json.WriteStartObject();
            json.WriteString("type", $"https://medvision.dev/problems/{code}");
            json.WriteString("title", Title(status));
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("code", code);
            json.WriteString("instance", context.Request.Path.Value);
            if (requestId is not null)
            {
                json.WriteString("request_id", requestId);
            }

            json.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, CancellationToken.None);
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        404 => "Not found",
        413 => "Payload too large",
        415 => "Unsupported media type",
        _ => "Model error",
    };
}
