using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace MedVision.ModelServer;

/// <summary>
/// One JSON object per line (CloudWatch Logs parses them), written whole under a lock so concurrent requests never
/// interleave. Callers pass ids, sizes and outcomes only: image data never reaches the log.
/// </summary>
public sealed class JsonLog(TextWriter output, TimeProvider time)
{
    // Log lines are read by machines and people, never embedded in HTML: keep '+' and non-ASCII readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock gate = new();

    public void Write(string level, string eventName, params (string Key, object? Value)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("ts", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", level);
            json.WriteString("event", eventName);
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null:
                        break;
                    case string s:
                        json.WriteString(key, s);
                        break;
                    case int i:
                        json.WriteNumber(key, i);
                        break;
                    case long l:
                        json.WriteNumber(key, l);
                        break;
                    case double d when double.IsFinite(d):
                        json.WriteNumber(key, d);
                        break;
                    case bool b:
                        json.WriteBoolean(key, b);
                        break;
                    case IEnumerable<string> list:
                        json.WriteStartArray(key);
                        foreach (var item in list)
                        {
                            json.WriteStringValue(item);
                        }

                        json.WriteEndArray();
                        break;
                    default:
                        json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }
            }

            json.WriteEndObject();
        }

        var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        lock (gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}

/// <summary>Routes the framework's own warnings and errors (Kestrel, hosting) into the same JSON lines.</summary>
internal sealed class JsonLogProvider(JsonLog log) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(log, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(JsonLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            log.Write(
                logLevel >= LogLevel.Error ? "error" : "warn",
                "framework",
                ("category", category),
                ("message", formatter(state, exception)),
                ("exception", exception?.ToString()));
        }
    }
}
