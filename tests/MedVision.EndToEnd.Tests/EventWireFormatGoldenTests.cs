using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MedVision.Core.Json;
using MedVision.Functions;
using MedVision.Functions.Api;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// The sample events in events/ decoded with the JsonTypeInfo their handler decodes them with, and encoded again:
/// the bytes must match Golden/events/, and the JSON must still say what the event file says. A refactor of the
/// payload types (renames, a naming policy instead of attributes) must leave both unchanged.
/// </summary>
public sealed class EventWireFormatGoldenTests
{
    private static Func<JsonNode, byte[]> RoundTrip<T>(JsonTypeInfo<T> typeInfo, string handler) =>
        node => JsonSerializer.SerializeToUtf8Bytes(HandlerJson.Decode(node, typeInfo, handler), typeInfo);

    /// <summary>Each event file and the payload type its handler reads (ApiHandler / StageHandlers / UploadService).</summary>
    private static readonly Dictionary<string, Func<JsonNode, byte[]>> Payloads = new(StringComparer.Ordinal)
    {
        ["api/get-analysis.json"] = RoundTrip(ApiGatewayJsonContext.Default.ApiGatewayHttpRequest, HandlerNames.GetAnalysis),
        ["api/get-image.json"] = RoundTrip(ApiGatewayJsonContext.Default.ApiGatewayHttpRequest, HandlerNames.GetImage),
        ["api/history.json"] = RoundTrip(ApiGatewayJsonContext.Default.ApiGatewayHttpRequest, HandlerNames.History),
        ["api/upload-not-an-image.json"] = RoundTrip(ApiGatewayJsonContext.Default.ApiGatewayHttpRequest, HandlerNames.Upload),
        ["api/upload.json"] = RoundTrip(ApiGatewayJsonContext.Default.ApiGatewayHttpRequest, HandlerNames.Upload),
        ["stepfunctions/analyze.json"] = RoundTrip(MedVisionJsonContext.Default.AnalyzeRequest, HandlerNames.Analyze),
        ["stepfunctions/classify.json"] = RoundTrip(MedVisionJsonContext.Default.StageRequest, HandlerNames.Classify),
        // The execution input UploadService starts the state machine with; the ASL file hands parts of it to the tasks.
        ["stepfunctions/execution-input.json"] = RoundTrip(MedVisionJsonContext.Default.PipelineInput, "execution input"),
        ["stepfunctions/finalize.json"] = RoundTrip(MedVisionJsonContext.Default.StageRequest, HandlerNames.Finalize),
        ["stepfunctions/heatmap.json"] = RoundTrip(MedVisionJsonContext.Default.StageRequest, HandlerNames.Heatmap),
        ["stepfunctions/manual-review.json"] = RoundTrip(MedVisionJsonContext.Default.ManualReviewRequest, HandlerNames.ManualReview),
        ["stepfunctions/mark-failed.json"] = RoundTrip(MedVisionJsonContext.Default.FailureRequest, HandlerNames.MarkFailed),
        ["stepfunctions/record-degraded.json"] = RoundTrip(MedVisionJsonContext.Default.FailureRequest, HandlerNames.RecordDegraded),
        ["stepfunctions/report.json"] = RoundTrip(MedVisionJsonContext.Default.StageRequest, HandlerNames.Report),
    };

    private static List<string> EventFiles() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "events"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(RepoPaths.Root, "events"), f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void EventFiles_WhenListed_ShouldEachHaveTheirHandlersPayloadType()
    {
        // A new event file fails here until it is given its payload type (and so a golden copy).
        Assert.Equal(Payloads.Keys.Order(StringComparer.Ordinal), EventFiles());
    }

    [Fact]
    public void EventFiles_WhenDecodedAndEncodedWithTheProductionTypes_ShouldMatchTheGoldenBytesAndTheEvent()
    {
        var encoded = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var meaningChanged = new List<string>();
        foreach (var file in EventFiles().Where(Payloads.ContainsKey))
        {
            var source = JsonNode.Parse(File.ReadAllBytes(RepoPaths.Events(file)))!;
            var bytes = Payloads[file](source);
            encoded[file] = bytes;

            // The only expected difference: both contexts write with WhenWritingNull, so a property the event sets to
            // null (queryStringParameters, pathParameters, body) is left out when encoded again. Null and absent read
            // the same into every payload type, so that loses nothing.
            var expected = WithoutNullProperties(source);
            var actual = JsonNode.Parse(bytes);
            if (!JsonNode.DeepEquals(expected, actual))
            {
                meaningChanged.Add($"{file}:\n    event:      {expected!.ToJsonString()}\n    re-encoded: {actual!.ToJsonString()}");
            }
        }

        Assert.True(meaningChanged.Count == 0, "Decoding and encoding changed the JSON of:\n" + string.Join("\n", meaningChanged));
        GoldenFiles.Check("events", encoded);
    }

    [Fact]
    public void Difference_WhenOneByteDiffers_ShouldNameItsPositionLineAndBothSides()
    {
        // The comparison every golden check relies on: it must see a one-byte change and say where it is.
        var expected = Encoding.UTF8.GetBytes("{\n  \"image_id\": \"abc\",\n  \"status\": \"completed\"\n}\n");
        var actual = (byte[])expected.Clone();
        actual[27] = (byte)'T'; // "status" → "sTatus"

        var difference = GoldenFiles.Difference(expected, actual);

        Assert.Null(GoldenFiles.Difference(expected, (byte[])expected.Clone()));
        Assert.NotNull(difference);
        Assert.StartsWith("first difference at byte 27 (line 3, column 5)", difference, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"completed\"", difference, StringComparison.Ordinal);
        Assert.Contains("\"sTatus\": \"completed\"", difference, StringComparison.Ordinal);
        Assert.NotNull(GoldenFiles.Difference(expected, expected[..^1]));
    }

    private static JsonNode? WithoutNullProperties(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (name, value) in o)
                {
                    if (value is not null)
                    {
                        copy[name] = WithoutNullProperties(value);
                    }
                }

                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(WithoutNullProperties).ToArray());
            default:
                return node?.DeepClone();
        }
    }
}
