using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace MedVision.Core.Observability;

/// <summary>
/// Writes each log entry as one JSON object per line (what CloudWatch Logs Insights parses without a pattern): time,
/// level, category, event id and name, the rendered message, every structured value of the message template
/// (camelCase), and the values of the enclosing scopes (the runtime puts the request id and image id there).
/// Messages carry ids only; nothing here adds patient data.
/// </summary>
public sealed class JsonLinesLoggerProvider(TextWriter output, TimeProvider time) : ILoggerProvider, ISupportExternalScope
{
    private readonly Lock gate = new();
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new JsonLinesLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose() => output.Flush();

    private void Write<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception, string message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", LevelName(level));
            json.WriteString("category", category);
            json.WriteNumber("eventId", eventId.Id);
            if (eventId.Name is { } name)
            {
                json.WriteString("event", name);
            }

            json.WriteString("message", message);
            var written = new HashSet<string>(StringComparer.Ordinal) { "timestamp", "level", "category", "eventId", "event", "message" };
            scopes.ForEachScope(
                static (scope, state) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> values)
                    {
                        WriteValues(state.json, values, state.written);
                    }
                },
                (json, written));
            if (state is IEnumerable<KeyValuePair<string, object?>> fields)
            {
                WriteValues(json, fields, written);
            }

            if (exception is not null)
            {
                // The type and message only: a stack trace can be long, and the handlers' messages are written to hold no patient data.
                if (written.Add("errorType"))
                {
                    json.WriteString("errorType", exception.GetType().Name);
                }

                if (written.Add("errorMessage"))
                {
                    json.WriteString("errorMessage", exception.Message);
                }
            }

            json.WriteEndObject();
        }

        // One WriteLine per entry: with a synchronized writer shared with the EMF metrics, lines never interleave.
        var line = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        lock (gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    private static void WriteValues(Utf8JsonWriter json, IEnumerable<KeyValuePair<string, object?>> values, HashSet<string> written)
    {
        foreach (var (key, value) in values)
        {
            if (key.Length == 0 || key[0] == '{' || value is null)
            {
                continue; // {OriginalFormat} is the template, already rendered into "message"; an unknown value is left out.
            }

            var name = char.ToLowerInvariant(key[0]) + key[1..];
            if (!written.Add(name))
            {
                continue; // the innermost value wins when a scope and the message name the same field
            }

            switch (value)
            {
                case int i:
                    json.WriteNumber(name, i);
                    break;
                case long l:
                    json.WriteNumber(name, l);
                    break;
                case double d:
                    json.WriteNumber(name, Math.Round(d, 3));
                    break;
                case bool b:
                    json.WriteBoolean(name, b);
                    break;
                default:
                    json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "FATAL",
        _ => "NONE",
    };

    private sealed class JsonLinesLogger(JsonLinesLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (IsEnabled(logLevel))
            {
                provider.Write(category, logLevel, eventId, state, exception, formatter(state, exception));
            }
        }
    }
}
