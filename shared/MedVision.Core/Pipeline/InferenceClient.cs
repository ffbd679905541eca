using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MedVision.Core.Inference;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>Calls an endpoint and decodes its JSON answer, turning contract violations into typed errors.</summary>
internal static class InferenceClient
{
    public static async Task<T> InvokeJsonAsync<T>(
        IInferenceEndpoint endpoint, string endpointName, byte[] png, JsonTypeInfo<T> typeInfo, CancellationToken ct)
        where T : class
    {
        var response = await endpoint.InvokeAsync(endpointName, InferenceContract.RequestContentType, png, ct);
        if (!response.ContentType.StartsWith(InferenceContract.ResponseContentType, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelOutputInvalidException($"Endpoint {endpointName} answered {response.ContentType}, expected {InferenceContract.ResponseContentType}.");
        }

        try
        {
            return JsonSerializer.Deserialize(response.Body, typeInfo)
                ?? throw new ModelOutputInvalidException($"Endpoint {endpointName} answered null.");
        }
        catch (JsonException ex)
        {
            throw new ModelOutputInvalidException($"Endpoint {endpointName} answered JSON outside the model contract: {ex.Message}", ex);
        }
    }
}
