using System.Globalization;
using System.Net;
using MedVision.Core.Inference;
using MedVision.Core.Storage;

namespace MedVision.ModelServer;

/// <summary>A command line the server cannot start with; the message says what to fix.</summary>
public sealed class ModelServerUsageException(string message) : Exception(message);

/// <summary>How the model server is started: where it listens, which endpoint names it serves, where s3:// inputs live.</summary>
public sealed record ModelServerOptions
{
    /// <summary>SageMaker's container contract: the inference server answers on port 8080.</summary>
    public const int DefaultPort = 8080;

    /// <summary>Loopback unless told otherwise, so a laptop run is never reachable from the network.</summary>
    public const string DefaultHost = "127.0.0.1";

    /// <summary>SageMaker sets this when the container must listen on another port (e.g. multi-container endpoints).</summary>
    public const string PortEnvironmentVariable = "SAGEMAKER_BIND_TO_PORT";

    /// <summary>The Dockerfile sets this to 0.0.0.0: inside a container the port must be reachable from outside it.</summary>
    public const string HostEnvironmentVariable = "MEDVISION_MODEL_SERVER_HOST";

    /// <summary>SageMaker starts a bring-your-own container as `docker run IMAGE serve`.</summary>
    public const string ServeArgument = "serve";

    public const string Usage = """
        usage: medvision-model-server [serve] [--host ADDRESS] [--port N] [--model-routes FILE]
                                      [--object-root DIR] [--bucket NAME]
          serve               accepted and ignored (SageMaker runs the container with this argument)
          --host ADDRESS      IP address to bind (default 127.0.0.1; env MEDVISION_MODEL_SERVER_HOST)
          --port N            port (default 8080; env SAGEMAKER_BIND_TO_PORT; 0 picks a free port)
          --model-routes FILE routing JSON naming the endpoints served (default: env MEDVISION_MODEL_ROUTES,
                              else the built-in endpoint names)
          --object-root DIR   resolve s3://BUCKET/KEY inputs from DIR (the local object store's layout)
          --bucket NAME       the bucket those URIs name (default medvision-local)
        """;

    public IPAddress Host { get; init; } = IPAddress.Loopback;

    public int Port { get; init; } = DefaultPort;

    public ModelRoutingOptions Routes { get; init; } = new();

    public string? ObjectRoot { get; init; }

    public string Bucket { get; init; } = DiskObjectLayout.DefaultBucket;

    public bool ShowHelp { get; init; }

    /// <summary>
    /// Parses the command line; <paramref name="environment"/> supplies the environment variables (injected so tests
    /// do not depend on the machine's). Command-line options win over the environment, which wins over the defaults.
    /// </summary>
    public static ModelServerOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var options = new ModelServerOptions();
        if (environment(HostEnvironmentVariable) is { Length: > 0 } envHost)
        {
            options = options with { Host = ParseHost(envHost, HostEnvironmentVariable) };
        }

        if (environment(PortEnvironmentVariable) is { Length: > 0 } envPort)
        {
            options = options with { Port = ParsePort(envPort, PortEnvironmentVariable) };
        }

        string? routesFile = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ModelServerUsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case ServeArgument when i == 0:
                    break;
                case "--host":
                    options = options with { Host = ParseHost(Value(), "--host") };
                    break;
                case "--port":
                    options = options with { Port = ParsePort(Value(), "--port") };
                    break;
                case "--model-routes":
                    routesFile = Value();
                    break;
                case "--object-root":
                    options = options with { ObjectRoot = Value() };
                    break;
                case "--bucket":
                    options = options with { Bucket = Value() };
                    break;
                case "--help" or "-h":
                    options = options with { ShowHelp = true };
                    break;
                default:
                    throw new ModelServerUsageException($"unknown argument '{args[i]}'");
            }
        }

        try
        {
            var routes = routesFile is not null
                ? ModelRoutingOptions.Parse(File.ReadAllText(routesFile))
                : ModelRoutingOptions.FromEnvironment(environment(ModelRoutingOptions.EnvironmentVariable));
            return options with { Routes = routes };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Core.ValidationException)
        {
            throw new ModelServerUsageException($"model routes: {ex.Message}");
        }
    }

    private static IPAddress ParseHost(string value, string source) =>
        IPAddress.TryParse(value, out var address)
            ? address
            : throw new ModelServerUsageException($"{source} must be an IP address such as 127.0.0.1 or 0.0.0.0, not '{value}'");

    private static int ParsePort(string value, string source) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= IPEndPoint.MaxPort
            ? port
            : throw new ModelServerUsageException($"{source} must be a port number from 0 to {IPEndPoint.MaxPort}, not '{value}'");
}
