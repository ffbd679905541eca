using System.Globalization;
using System.Net;
using MedVision.CommandLine;
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

    /// <summary>The name help and usage errors give the server (its image runs it as `dotnet MedVision.ModelServer.dll`).</summary>
    public const string CommandName = "medvision-model-server";

    public IPAddress Host { get; init; } = IPAddress.Loopback;

    public int Port { get; init; } = DefaultPort;

    public ModelRoutingOptions Routes { get; init; } = new();

    public string? ObjectRoot { get; init; }

    public string Bucket { get; init; } = DiskObjectLayout.DefaultBucket;

    /// <summary>The command line without SageMaker's leading `serve` (accepted and ignored there only).</summary>
    public static IReadOnlyList<string> WithoutServe(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args is [ServeArgument, ..] ? args.Skip(1).ToList() : args;
    }

    /// <summary>
    /// Parses the command line; <paramref name="environment"/> supplies the environment variables (injected so tests
    /// do not depend on the machine's). Command-line options win over the environment, which wins over the defaults.
    /// </summary>
    public static ModelServerOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var commandLine = new ModelServerCommandLine();
        var result = CommandLineApp.Parse(commandLine.Root, WithoutServe(args));
        return CommandLineApp.UsageError(result) is { } message
            ? throw new ModelServerUsageException(message)
            : commandLine.OptionsFrom(result, environment);
    }

    internal static string HostMessage(string source, string value) =>
        $"{source} must be an IP address such as 127.0.0.1 or 0.0.0.0, not '{value}'";

    internal static string PortMessage(string source, string value) =>
        $"{source} must be a port number from 0 to {IPEndPoint.MaxPort}, not '{value}'";

    internal static bool TryParsePort(string value, out int port) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= IPEndPoint.MaxPort;

    internal static IPAddress ParseHost(string value, string source) =>
        IPAddress.TryParse(value, out var address) ? address : throw new ModelServerUsageException(HostMessage(source, value));

    internal static int ParsePort(string value, string source) =>
        TryParsePort(value, out var port) ? port : throw new ModelServerUsageException(PortMessage(source, value));
}
