using System.Text.Json.Nodes;
using MedVision.Core.Images;
using MedVision.Core.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests.Observability;

public sealed class JsonLinesLoggerTests
{
    private readonly StringWriter output = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 5, 8, 30, 0, 125, TimeSpan.Zero));

    [Fact]
    public void Log_WhenInsideAScope_ShouldWriteOneJsonObjectWithTheScopeIdsAndTheTemplateValues()
    {
        using var provider = new JsonLinesLoggerProvider(output, clock);
        var logger = provider.CreateLogger("MedVision.Pipeline");

        using (logger.BeginScope(new Dictionary<string, object?> { ["RequestId"] = "req-1", ["ImageId"] = null }))
        {
            logger.StageCompleted("img-7", PipelineStage.Classify);
        }

        var line = Assert.Single(Lines());
        Assert.Equal("2026-12-05T08:30:00.125Z", (string?)line["timestamp"]);
        Assert.Equal("INFO", (string?)line["level"]);
        Assert.Equal("MedVision.Pipeline", (string?)line["category"]);
        Assert.Equal(LogAreas.Pipeline + 2, (int)line["eventId"]!);
        Assert.Equal("StageCompleted", (string?)line["event"]);
        Assert.Equal("req-1", (string?)line["requestId"]);
        Assert.Equal("img-7", (string?)line["imageId"]); // the message's value; the scope's null one is left out
        Assert.Equal("Classify", (string?)line["stage"]);
        Assert.Equal("Stage Classify completed for image img-7", (string?)line["message"]);
        Assert.Null(line["{OriginalFormat}"]);
    }

    [Fact]
    public void Log_WhenTemplateAndExceptionBothNameErrorType_ShouldWriteTheKeyOnce()
    {
        // Regression: a template value named ErrorType and the exception's own errorType made a line JSON readers reject.
        using var provider = new JsonLinesLoggerProvider(output, clock);
        var logger = provider.CreateLogger("MedVision.Runtime");

        logger.Log(
            LogLevel.Error, new EventId(1004, "InvocationFailed"),
            new Dictionary<string, object?> { ["ErrorType"] = "NotFoundException", ["DurationMs"] = 1.5 },
            new InvalidOperationException("image img-7 not found"), (_, _) => "failed");

        var raw = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(1, CountOf(raw, "\"errorType\""));
        var line = JsonNode.Parse(raw)!.AsObject();
        Assert.Equal("NotFoundException", (string?)line["errorType"]);
        Assert.Equal("image img-7 not found", (string?)line["errorMessage"]);
        Assert.Equal(1.5, (double)line["durationMs"]!);
        Assert.Equal("ERROR", (string?)line["level"]);
    }

    private List<JsonObject> Lines() =>
        [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
