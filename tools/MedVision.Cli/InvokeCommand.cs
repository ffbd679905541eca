using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Aws;
using MedVision.Core;
using MedVision.Hosting;

namespace MedVision.Cli;

public sealed record InvokeOptions(string Handler, string EventFile, PlatformKind Platform, string OutputDirectory, string? StateDirectory, Uri? ModelEndpoint)
{
    /// <summary>The environment the AWS settings are read from; the process's own when null.</summary>
    public Func<string, string?>? Environment { get; init; }
}

/// <summary>
/// `medvision invoke`: runs one handler once on a sample event, as the Lambda bootstrap would run it (like `sam local
/// invoke`). The result goes to stdout as JSON; a handler's error goes to stderr as Lambda reports it (errorType,
/// errorMessage). An upload's pipeline runs in this process and is waited for, so its results exist when it returns.
/// Exit 0 when the handler answered, 1 when it threw, 2 for usage errors.
/// </summary>
public sealed class InvokeCommand(TextWriter output, TextWriter error)
{
    // Relaxed escaping: an API response's body is itself JSON, and \u0022 for every quote would hide it from the reader.
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async Task<int> RunAsync(InvokeOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        JsonNode? input;
        try
        {
            input = JsonNode.Parse(await File.ReadAllTextAsync(options.EventFile, ct));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the event file {options.EventFile}: {ex.Message.TrimEnd('.')}");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"the event file {options.EventFile} is not JSON: {ex.Message.TrimEnd('.')}");
        }

        if (!PlatformChoice.TryAwsSettings(options.Platform, options.ModelEndpoint, options.Environment, error, out var aws))
        {
            return 2;
        }

        var stateDir = options.StateDirectory ?? Path.Combine(options.OutputDirectory, ".state");
        using var platform = aws is null
            ? PipelineHost.Create(stateDir, modelEndpoint: options.ModelEndpoint)
            : PipelineHost.CreateAws(aws, stateDir);
        if (!platform.Handlers.Names.Contains(options.Handler))
        {
            throw new UsageException(
                $"no handler named '{options.Handler}'; the handlers are {string.Join(", ", platform.Handlers.Names.Order(StringComparer.Ordinal))}");
        }

        JsonNode? result;
        try
        {
            result = await platform.Handlers.Get(options.Handler).HandleAsync(input, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // What the bootstrap would post to the Runtime API's error path.
            var report = new JsonObject { ["errorType"] = ex.GetType().Name, ["errorMessage"] = ex.Message };
            await error.WriteLineAsync(report.ToJsonString(Indented));
            return 1;
        }

        await output.WriteLineAsync(result?.ToJsonString(Indented) ?? "null");
        await WaitForPipelineAsync(platform, options.Handler, result, ct);
        return 0;
    }

    /// <summary>An accepted upload started its execution here; wait for it, so the run is not cut off when the command exits.</summary>
    private async Task WaitForPipelineAsync(PipelineHost platform, string handler, JsonNode? result, CancellationToken ct)
    {
        if (handler != Functions.HandlerNames.Upload || result?["statusCode"]?.GetValue<int>() != 202
            || result["body"]?.GetValue<string>() is not { } body || JsonNode.Parse(body)?["image_id"]?.GetValue<string>() is not { } imageId)
        {
            return;
        }

        await error.WriteLineAsync($"pipeline for image {imageId}: running in this process ...");
        var run = await platform.Workflow.WaitAsync(imageId, ct);
        await error.WriteLineAsync($"pipeline for image {imageId}: {run.Status}{(run.Error is { } e ? $" ({e})" : "")}");
    }
}
