using System.CommandLine;
using System.Net;
using MedVision.CommandLine;
using MedVision.Core.Inference;
using MedVision.Core.Storage;

namespace MedVision.ModelServer;

/// <summary>The model server's command line (System.CommandLine): the options, their help, and the options record they make.</summary>
public sealed class ModelServerCommandLine
{
    private readonly Option<IPAddress?> host = new("--host")
    {
        Description = $"IP address to bind (default {ModelServerOptions.DefaultHost}; env {ModelServerOptions.HostEnvironmentVariable})",
        HelpName = "ADDRESS",
        CustomParser = ValueParsers.Read<IPAddress?>(IPAddress.TryParse, raw => ModelServerOptions.HostMessage("--host", raw)),
    };

    private readonly Option<int?> port = new("--port")
    {
        Description = $"port (default {ModelServerOptions.DefaultPort}; env {ModelServerOptions.PortEnvironmentVariable}; 0 picks a free port)",
        HelpName = "N",
        CustomParser = ValueParsers.Read<int?>(
            (string raw, out int? value) => (value = ModelServerOptions.TryParsePort(raw, out var p) ? p : null) is not null,
            raw => ModelServerOptions.PortMessage("--port", raw)),
    };

    private readonly Option<string?> routes = new("--model-routes")
    {
        Description = $"routing JSON naming the endpoints served (default: env {ModelRoutingOptions.EnvironmentVariable}, else the built-in endpoint names)",
        HelpName = "FILE",
    };

    private readonly Option<string?> objectRoot = new("--object-root")
    {
        Description = "resolve s3://BUCKET/KEY inputs from this folder (the local object store's layout)",
        HelpName = "DIR",
    };

    private readonly Option<string> bucket = new("--bucket")
    {
        Description = "the bucket those URIs name",
        HelpName = "NAME",
        DefaultValueFactory = _ => DiskObjectLayout.DefaultBucket,
    };

    public ModelServerCommandLine()
    {
        Root = new RootCommand(
            "The SageMaker bring-your-own-container inference server hosting the reference analyzers: GET /ping and "
            + "POST /invocations (and POST /endpoints/{name}/invocations). A first argument `serve` (SageMaker starts the "
            + "container as `docker run IMAGE serve`) is accepted and ignored. Command-line options win over the "
            + "environment, which wins over the defaults.")
        {
            HelpName = ModelServerOptions.CommandName,
        };
        Root.Options.Add(host);
        Root.Options.Add(port);
        Root.Options.Add(routes);
        Root.Options.Add(objectRoot);
        Root.Options.Add(bucket);
        CommandLineApp.SetVersion(Root, typeof(ModelServerCommandLine).Assembly.GetName().Version?.ToString() ?? "0.0.0");
    }

    public RootCommand Root { get; }

    /// <summary>The options a parsed command line asks for, completed from <paramref name="environment"/>.</summary>
    public ModelServerOptions OptionsFrom(ParseResult result, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(environment);
        var options = new ModelServerOptions
        {
            Host = result.GetValue(host)
                ?? (environment(ModelServerOptions.HostEnvironmentVariable) is { Length: > 0 } envHost
                    ? ModelServerOptions.ParseHost(envHost, ModelServerOptions.HostEnvironmentVariable)
                    : IPAddress.Loopback),
            Port = result.GetValue(port)
                ?? (environment(ModelServerOptions.PortEnvironmentVariable) is { Length: > 0 } envPort
                    ? ModelServerOptions.ParsePort(envPort, ModelServerOptions.PortEnvironmentVariable)
                    : ModelServerOptions.DefaultPort),
            ObjectRoot = result.GetValue(objectRoot),
            Bucket = result.GetRequiredValue(bucket),
        };
        try
        {
            var routesFile = result.GetValue(routes);
            return options with
            {
                Routes = routesFile is not null
                    ? ModelRoutingOptions.Parse(File.ReadAllText(routesFile))
                    : ModelRoutingOptions.FromEnvironment(environment(ModelRoutingOptions.EnvironmentVariable)),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Core.ValidationException)
        {
            throw new ModelServerUsageException($"model routes: {ex.Message}");
        }
    }
}
