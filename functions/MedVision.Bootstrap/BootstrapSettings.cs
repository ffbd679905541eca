using Microsoft.Extensions.Logging;

namespace MedVision.Bootstrap;

/// <summary>What Lambda's environment tells the bootstrap, and how an init failure is reported.</summary>
internal static class BootstrapSettings
{
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";
    public const string HandlerVariable = "_HANDLER";

    /// <summary>Lambda's advanced logging control (TRACE … FATAL); INFO when unset.</summary>
    public const string LogLevelVariable = "AWS_LAMBDA_LOG_LEVEL";

    public const string HandlerNotFoundError = "Runtime.HandlerNotFound";
    public const string ConfigurationError = "Runtime.ConfigurationError";
    public const string InitError = "Runtime.InitError";

    public static LogLevel LogLevel(string? value) => value?.ToUpperInvariant() switch
    {
        "TRACE" => Microsoft.Extensions.Logging.LogLevel.Trace,
        "DEBUG" => Microsoft.Extensions.Logging.LogLevel.Debug,
        "WARN" => Microsoft.Extensions.Logging.LogLevel.Warning,
        "ERROR" => Microsoft.Extensions.Logging.LogLevel.Error,
        "FATAL" => Microsoft.Extensions.Logging.LogLevel.Critical,
        _ => Microsoft.Extensions.Logging.LogLevel.Information,
    };

    /// <summary>The init error Lambda shows: an unknown handler, a missing or bad setting, or anything else.</summary>
    public static RuntimeError InitErrorOf(Exception exception) => exception switch
    {
        HandlerNotFoundException => new RuntimeError(HandlerNotFoundError, exception.Message, []),
        Core.ValidationException => new RuntimeError(ConfigurationError, exception.Message, []),
        _ => new RuntimeError(InitError, $"{exception.GetType().Name}: {exception.Message}", []),
    };

    public sealed class HandlerNotFoundException(string message) : Exception(message);
}
