using System.Text.Json;
using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Imaging;

namespace MedVision.Models;

/// <summary>
/// Serves the reference analyzers behind the model endpoint contract, in process: the classifier on
/// <see cref="ModelEndpoints.Classifier"/> and the detector on each modality's detector endpoint.
/// </summary>
public sealed class InProcessModelHost : IInferenceEndpoint
{
    private readonly Dictionary<string, Func<Raster, byte[]>> _routes = new(StringComparer.Ordinal);

    public InProcessModelHost(ModelEndpoints endpoints, ReferenceModalityClassifier classifier, ReferenceAbnormalityDetector detector)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(detector);

        Add(endpoints.Classifier, image =>
            JsonSerializer.SerializeToUtf8Bytes(classifier.Classify(image), MedVisionJsonContext.Default.ClassifierResponse));
        foreach (var modality in Modalities.All)
        {
            Add(endpoints.DetectorFor(modality), image =>
                JsonSerializer.SerializeToUtf8Bytes(detector.Detect(image, modality), MedVisionJsonContext.Default.DetectorResponse));
        }
    }

    public InProcessModelHost()
        : this(new ModelEndpoints(), new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector())
    {
    }

    /// <summary>The endpoint names this host answers on.</summary>
    public IReadOnlyCollection<string> EndpointNames => _routes.Keys;

    public async Task<InferenceResponse> InvokeAsync(
        string endpointName, string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpointName);
        if (!_routes.TryGetValue(endpointName, out var route))
        {
            throw new ModelUnavailableException($"No model endpoint named '{endpointName}' is hosted here.");
        }

        if (!IsPng(contentType))
        {
            throw new ValidationException(
                "model.bad_content_type", $"Model endpoints accept {InferenceContract.RequestContentType}, not '{contentType}'.");
        }

        cancellationToken.ThrowIfCancellationRequested();

        // Decoding and analysis are CPU-bound; keep them off the caller's thread. Errors surface on the
        // returned task, like a remote endpoint's would.
        return await Task.Run(
            () =>
            {
                Raster image;
                try
                {
                    image = PngDecoder.Decode(body.Span);
                }
                catch (ImageDecodeException ex)
                {
                    throw new ValidationException("model.bad_image", $"The request body is not a valid PNG ({ex.Code}): {ex.Message}");
                }

                cancellationToken.ThrowIfCancellationRequested();
                return new InferenceResponse(InferenceContract.ResponseContentType, route(image));
            },
            cancellationToken);
    }

    private void Add(string name, Func<Raster, byte[]> handler)
    {
        if (!_routes.TryAdd(name, handler))
        {
            throw new ArgumentException($"Endpoint name '{name}' is configured for more than one model.", nameof(name));
        }
    }

    private static bool IsPng(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        // Media type parameters (e.g. "; charset=...") do not change what the body is.
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return string.Equals(mediaType, InferenceContract.RequestContentType, StringComparison.OrdinalIgnoreCase);
    }
}
