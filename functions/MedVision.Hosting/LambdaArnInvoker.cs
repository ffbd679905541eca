using System.Text.Json.Nodes;
using MedVision.Asl;
using MedVision.Functions;

namespace MedVision.Hosting;

/// <summary>Resolves a Task's Lambda ARN to the in-process handler of the same name, as Lambda would run it.</summary>
/// <remarks>The catalog is looked up on each call: it is built from services that need the workflow this invoker serves.</remarks>
public sealed class LambdaArnInvoker(Func<HandlerCatalog> catalog) : ITaskInvoker
{
    private const string FunctionPrefix = "medvision-";

    public static string ArnFor(string handlerName) => $"arn:aws:lambda:local:000000000000:function:{FunctionPrefix}{handlerName}";

    public Task<JsonNode?> InvokeAsync(string resource, JsonNode? input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var marker = resource.LastIndexOf(":function:", StringComparison.Ordinal);
        var function = marker < 0 ? resource : resource[(marker + ":function:".Length)..];
        var handlers = catalog();
        if (!function.StartsWith(FunctionPrefix, StringComparison.Ordinal) || !handlers.Names.Contains(function[FunctionPrefix.Length..]))
        {
            throw new TaskFailedException("Lambda.ResourceNotFoundException", $"Function not found: {resource}");
        }

        return handlers.Get(function[FunctionPrefix.Length..]).HandleAsync(input, cancellationToken);
    }
}
