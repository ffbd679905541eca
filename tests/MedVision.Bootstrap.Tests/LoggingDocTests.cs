using System.Reflection;
using System.Text.RegularExpressions;
using MedVision.Core.Observability;
using MedVision.Testing;
using Microsoft.Extensions.Logging;

namespace MedVision.Bootstrap.Tests;

public sealed partial class LoggingDocTests
{
    [Fact]
    public void LoggingDoc_EventTable_ShouldListEveryLoggerMessageWithItsIdNameAndLevel()
    {
        var declared = new[] { typeof(PipelineLog).Assembly, typeof(FunctionRoot).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .Select(a => $"{a.EventId} {a.EventName} {a.Level}")
            .Order(StringComparer.Ordinal)
            .ToList();

        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "logging.md"));
        var table = doc[doc.IndexOf("<!-- log-events:start -->", StringComparison.Ordinal)..doc.IndexOf("<!-- log-events:end -->", StringComparison.Ordinal)];
        var documented = Row().Matches(table).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value} {m.Groups[3].Value}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(declared);
        Assert.Equal(declared, documented);
    }

    [Fact]
    public void LoggerMessages_EventIds_ShouldSitInTheirAreasRange()
    {
        foreach (var method in typeof(PipelineLog).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } a)
            {
                Assert.InRange(a.EventId, LogAreas.Pipeline + 1, LogAreas.Reviews + 999);
            }
        }

        foreach (var method in typeof(FunctionRoot).Assembly.GetTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)))
        {
            if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } a)
            {
                Assert.InRange(a.EventId, LogAreas.Runtime + 1, LogAreas.Runtime + 999);
            }
        }
    }

    [GeneratedRegex(@"^\| (\d+) \| (\w+) \| (\w+) \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
