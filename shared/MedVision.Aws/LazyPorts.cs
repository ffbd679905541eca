using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>An inference port whose client is built on the first call, so functions that never infer never build it.</summary>
internal sealed class LazyInferenceEndpoint(Func<IInferenceEndpoint> create) : IInferenceEndpoint
{
    private readonly Lazy<IInferenceEndpoint> endpoint = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<EndpointResponse> InvokeAsync(EndpointInvocation invocation, CancellationToken cancellationToken = default) =>
        endpoint.Value.InvokeAsync(invocation, cancellationToken);
}

/// <summary>A workflow port whose client is built on the first call (only uploads and reviews talk to Step Functions).</summary>
internal sealed class LazyWorkflow(Func<IWorkflow> create) : IWorkflow
{
    private readonly Lazy<IWorkflow> workflow = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<string> StartAsync(string executionName, string inputJson, CancellationToken cancellationToken = default) =>
        workflow.Value.StartAsync(executionName, inputJson, cancellationToken);

    public Task SendTaskSuccessAsync(string taskToken, string outputJson, CancellationToken cancellationToken = default) =>
        workflow.Value.SendTaskSuccessAsync(taskToken, outputJson, cancellationToken);

    public Task SendTaskFailureAsync(string taskToken, string error, string? cause, CancellationToken cancellationToken = default) =>
        workflow.Value.SendTaskFailureAsync(taskToken, error, cause, cancellationToken);
}
