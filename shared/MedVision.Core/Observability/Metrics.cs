using System.Text;
using System.Text.Json;

namespace MedVision.Core.Observability;

/// <summary>One metric with its values (EMF allows up to 100 values per metric in one line).</summary>
public sealed record MetricValue(string Name, string Unit, IReadOnlyList<double> Values)
{
    public MetricValue(string name, string unit, double value)
        : this(name, unit, [value])
    {
    }
}

/// <summary>One metrics record: the metrics, the dimensions they are aggregated by, and searchable properties (ids).</summary>
public sealed record MetricRecord(
    IReadOnlyList<MetricValue> Metrics,
    IReadOnlyDictionary<string, string> Dimensions,
    IReadOnlyDictionary<string, string>? Properties = null);

/// <summary>Where metrics go (CloudWatch through Embedded Metric Format lines on stdout; a file or memory locally).</summary>
public interface IMetrics
{
    void Emit(MetricRecord record);
}

/// <summary>Drops metrics (for composition roots that do not want them).</summary>
public sealed class NullMetrics : IMetrics
{
    public static NullMetrics Instance { get; } = new();

    public void Emit(MetricRecord record)
    {
    }
}

/// <summary>
/// Writes CloudWatch Embedded Metric Format: one JSON object per line whose "_aws" member declares the metrics, so
/// Lambda's log stream becomes metrics without a metrics SDK or API call.
/// </summary>
public sealed class EmfMetricsWriter(TextWriter output, TimeProvider time, string metricNamespace = EmfMetricsWriter.DefaultNamespace) : IMetrics
{
    public const string DefaultNamespace = "MedVision";

    /// <summary>EMF's cap on values per metric in one record.</summary>
    public const int MaxValuesPerMetric = 100;

    private readonly Lock _gate = new();

    public void Emit(MetricRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var line = Format(record, time.GetUtcNow(), metricNamespace);
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    public static string Format(MetricRecord record, DateTimeOffset timestamp, string metricNamespace = DefaultNamespace)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", timestamp.ToUnixTimeMilliseconds());
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", metricNamespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            foreach (var key in record.Dimensions.Keys.Order(StringComparer.Ordinal))
            {
                json.WriteStringValue(key);
            }

            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var m in record.Metrics)
            {
                json.WriteStartObject();
                json.WriteString("Name", m.Name);
                json.WriteString("Unit", m.Unit);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();

            foreach (var (key, value) in record.Dimensions.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            foreach (var (key, value) in (record.Properties ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!record.Dimensions.ContainsKey(key))
                {
                    json.WriteString(key, value);
                }
            }

            foreach (var m in record.Metrics)
            {
                // Non-finite numbers are not JSON; a metric value that is not a number is dropped, never the line.
                var values = m.Values.Where(double.IsFinite).Take(MaxValuesPerMetric).ToList();
                if (values.Count == 1)
                {
                    json.WriteNumber(m.Name, values[0]);
                }
                else
                {
                    json.WriteStartArray(m.Name);
                    foreach (var v in values)
                    {
                        json.WriteNumberValue(v);
                    }

                    json.WriteEndArray();
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>The metric names the pipeline emits (CloudWatch alarms and dashboards refer to these).</summary>
public static class MetricNames
{
    /// <summary>Property 44: every inference's latency, per endpoint variant.</summary>
    public const string InferenceLatency = "InferenceLatency";

    /// <summary>Property 45: the classifier's confidence of each prediction.</summary>
    public const string ClassificationConfidence = "ClassificationConfidence";

    /// <summary>Property 45: the confidence of every finding a detector returned (before the 0.5 threshold).</summary>
    public const string FindingConfidence = "FindingConfidence";

    /// <summary>A failed call to one endpoint variant (the run may still succeed on a fallback).</summary>
    public const string InferenceFailure = "InferenceFailure";

    public const string Milliseconds = "Milliseconds";
    public const string None = "None";
    public const string Count = "Count";
}
