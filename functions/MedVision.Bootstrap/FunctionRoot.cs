using MedVision.Aws;
using MedVision.Core.Observability;
using MedVision.Core.Pipeline;
using MedVision.Functions;
using MedVision.Hosting;
using Microsoft.Extensions.Logging;

namespace MedVision.Bootstrap;

/// <summary>
/// The bootstrap's composition root, built once per execution environment from its environment variables: every port
/// on its AWS adapter (the default; clients a handler does not use are built on first use, so an API function never
/// builds a model client), or with MEDVISION_PLATFORM=local on the embedded twins in MEDVISION_STATE_DIR, so the same
/// binary runs with no AWS at all.
/// </summary>
public sealed class FunctionRoot : IDisposable
{
    public const string PlatformVariable = "MEDVISION_PLATFORM";
    public const string StateDirectoryVariable = "MEDVISION_STATE_DIR";
    public const string ModelEndpointVariable = "MEDVISION_MODEL_ENDPOINT";
    public const string Aws = "aws";
    public const string Local = "local";

    private readonly IDisposable owned;

    private FunctionRoot(string platform, HandlerCatalog handlers, IDisposable owned, AwsPlatform? awsPlatform)
    {
        PlatformName = platform;
        Handlers = handlers;
        this.owned = owned;
        AwsPlatform = awsPlatform;
    }

    public string PlatformName { get; }

    public HandlerCatalog Handlers { get; }

    /// <summary>The AWS root when <see cref="PlatformName"/> is aws (its <see cref="AwsPlatform.ClientsBuilt"/> shows what was built).</summary>
    public AwsPlatform? AwsPlatform { get; }

    public static FunctionRoot Create(Func<string, string?> environment, TimeProvider time, ILoggerFactory logs, IMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var platform = environment(PlatformVariable) is { Length: > 0 } p ? p : Aws;
        switch (platform)
        {
            case Aws:
            {
                var aws = MedVision.Aws.AwsPlatform.Create(
                    AwsSettings.FromEnvironment(environment),
                    new AwsPlatformOptions { Time = time, Metrics = metrics, Logs = logs });
                return new FunctionRoot(platform, HandlerCatalog.Create(new PipelineServices(aws.Platform)), aws, aws);
            }

            case Local:
            {
                var state = environment(StateDirectoryVariable) is { Length: > 0 } s
                    ? s
                    : throw new Core.ValidationException(
                        "config.missing", $"{PlatformVariable}=local needs {StateDirectoryVariable}, the folder of the embedded twins' state.");
                Uri? model = null;
                if (environment(ModelEndpointVariable) is { Length: > 0 } m && !Uri.TryCreate(m, UriKind.Absolute, out model))
                {
                    throw new Core.ValidationException("config.invalid", $"{ModelEndpointVariable} is not an absolute URL.");
                }

                var host = PipelineHost.Create(state, time, modelEndpoint: model, logs: logs);
                return new FunctionRoot(platform, host.Handlers, host, null);
            }

            default:
                throw new Core.ValidationException(
                    "config.invalid", $"{PlatformVariable} is '{platform}'; it must be '{Aws}' (the default) or '{Local}'.");
        }
    }

    public void Dispose() => owned.Dispose();
}
