using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using MedVision.Bootstrap;
using MedVision.Core.Observability;
using MedVision.Functions;
using Microsoft.Extensions.Logging;

var initStarted = Stopwatch.GetTimestamp();
var time = TimeProvider.System;
Func<string, string?> environment = Environment.GetEnvironmentVariable;

// Logs and EMF metrics share one synchronized stdout writer, so their lines never interleave (Lambda sends stdout to CloudWatch).
var stdout = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true });
using var logs = new LoggerFactory(
    [new JsonLinesLoggerProvider(stdout, time)],
    new LoggerFilterOptions { MinLevel = BootstrapSettings.LogLevel(environment(BootstrapSettings.LogLevelVariable)) });
var logger = logs.CreateLogger("MedVision.Runtime");

if (environment(BootstrapSettings.RuntimeApiVariable) is not { Length: > 0 } runtimeApi)
{
    await Console.Error.WriteLineAsync(
        $"bootstrap: {BootstrapSettings.RuntimeApiVariable} is not set. This program is the Lambda runtime of every MedVision function; "
        + "to run a handler once on this machine, use `medvision invoke <handler> --event FILE`.");
    return 2;
}

// The long poll for the next event may wait for minutes; the deadline of each invocation is the runtime's own business.
using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = Timeout.InfiniteTimeSpan };
var api = new RuntimeApiClient(http, runtimeApi);

FunctionRoot root;
IJsonHandler handler;
try
{
    var handlerName = environment(BootstrapSettings.HandlerVariable) is { Length: > 0 } h
        ? h
        : throw new BootstrapSettings.HandlerNotFoundException($"{BootstrapSettings.HandlerVariable} is not set: the function's handler setting names the handler to run.");
    root = FunctionRoot.Create(environment, time, logs, new EmfMetricsWriter(stdout, time));
    try
    {
        handler = root.Handlers.Get(handlerName);
    }
    catch (KeyNotFoundException ex)
    {
        root.Dispose();
        throw new BootstrapSettings.HandlerNotFoundException(ex.Message);
    }
}
catch (Exception ex)
{
    var error = BootstrapSettings.InitErrorOf(ex);
    logger.InitFailed(error.ErrorType, ex);
    try
    {
        await api.PostInitErrorAsync(error, CancellationToken.None);
    }
    catch (Exception post) when (post is HttpRequestException or RuntimeApiException)
    {
        logger.RuntimeApiFailed(post.Message);
    }

    return 1;
}

using (root)
{
    using var stopping = new CancellationTokenSource();
    void Stop(PosixSignalContext context)
    {
        // Finish the invocation in flight, then leave; the default action would kill it half-written.
        context.Cancel = true;
        logger.Shutdown(context.Signal);
        stopping.Cancel();
    }

    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    var initMs = Math.Round(Stopwatch.GetElapsedTime(initStarted).TotalMilliseconds, 2);
    logger.Ready(handler.Name, root.PlatformName, initMs);
    return await new LambdaRuntime(api, handler, logger, time).RunAsync(stopping.Token);
}
