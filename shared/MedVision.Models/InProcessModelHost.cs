using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Ports;

namespace MedVision.Models;

/// <summary>
/// The reference analyzers as an <see cref="IInferenceEndpoint"/> in this process: every endpoint the routing
/// configuration names is answered here, each checked against the job it was configured for.
/// </summary>
public sealed class InProcessModelHost : IInferenceEndpoint
{
    private readonly Dictionary<string, (InferenceTask Task, Modality? Modality)> _jobs;
    private readonly ReferenceModelHost _host;

    public InProcessModelHost(ModelRoutingOptions routes, ReferenceModelHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _jobs = ReferenceModelHost.EndpointJobs(routes);
        _host = host;
    }

    public InProcessModelHost()
        : this(new ModelRoutingOptions(), new ReferenceModelHost())
    {
    }

    /// <summary>The endpoint names this host answers on.</summary>
    public IReadOnlyCollection<string> EndpointNames => _jobs.Keys;

    public async Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (!_jobs.TryGetValue(invocation.EndpointName, out var job))
        {
            throw new ModelUnavailableException($"No model endpoint named '{invocation.EndpointName}' is hosted here.");
        }

        if (!InferenceContract.IsJsonMediaType(invocation.ContentType))
        {
            throw new ModelOutputInvalidException($"Endpoint {invocation.EndpointName} refused the request: it accepts {InferenceContract.ContentType}, not '{invocation.ContentType}'.");
        }

        try
        {
            var request = ReferenceModelHost.ParseRequest(invocation.Body.Span);
            if (request.Task != job.Task || (job.Modality is { } m && request.Modality != m))
            {
                throw new ModelRequestException("model.wrong_endpoint", $"Endpoint {invocation.EndpointName} serves {ReferenceModelHost.DescribeJob(job.Task, job.Modality)}, not {ReferenceModelHost.DescribeJob(request.Task, request.Modality)}.");
            }

            var response = await _host.AnswerAsync(request, cancellationToken);
            return new EndpointResponse(
                InferenceContract.ContentType,
                System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(response, Core.Json.MedVisionJsonContext.Default.ModelResponse),
                invocation.TargetVariant);
        }
        catch (ModelRequestException ex)
        {
            // What a remote endpoint's 400 becomes on the client side.
            throw new ModelOutputInvalidException($"Endpoint {invocation.EndpointName} refused the request ({ex.Code}): {ex.Message}");
        }
    }
}
