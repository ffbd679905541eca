using MedVision.Aws;
using MedVision.Core.Observability;
using MedVision.Core.Ports;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedVision.Bootstrap.Tests;

public sealed class FunctionRootTests
{
    // Every AWS endpoint points at a closed loopback port: nothing here may reach a network.
    private static readonly Dictionary<string, string?> AwsEnvironment = new()
    {
        ["AWS_REGION"] = "us-east-1",
        ["MEDVISION_BUCKET"] = "medvision-test-images",
        ["MEDVISION_TABLE"] = "MedVisionImages",
        ["MEDVISION_HEALTHIMAGING_DATASTORE_ID"] = "0123456789abcdef0123456789abcdef",
        ["MEDVISION_HEALTHLAKE_DATASTORE_ID"] = "0123456789abcdef0123456789abcdef",
        ["MEDVISION_STATE_MACHINE_ARN"] = "arn:aws:states:us-east-1:123456789012:stateMachine:medvision",
        ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9",
    };

    [Fact]
    public void Create_WhenPlatformIsAws_ShouldBuildNeitherTheModelNorTheWorkflowClient()
    {
        using var root = FunctionRoot.Create(Env(AwsEnvironment), TimeProvider.System, NullLoggerFactory.Instance, NullMetrics.Instance);

        Assert.Equal(FunctionRoot.Aws, root.PlatformName);
        Assert.NotNull(root.Handlers.Get("get-image"));
        Assert.DoesNotContain(AwsService.SageMakerRuntime.SigningName, root.AwsPlatform!.ClientsBuilt);
        Assert.DoesNotContain(AwsService.StepFunctions.SigningName, root.AwsPlatform.ClientsBuilt);
    }

    [Fact]
    public async Task Inference_WhenFirstCalled_ShouldBuildTheModelClientThen()
    {
        using var root = FunctionRoot.Create(Env(AwsEnvironment), TimeProvider.System, NullLoggerFactory.Instance, NullMetrics.Instance);

        // The closed port refuses the call; what matters is that the client exists only from this first use.
        await Assert.ThrowsAnyAsync<Exception>(() => root.AwsPlatform!.Platform.Inference.InvokeAsync(
            new EndpointInvocation("medvision-classify", null, "application/json", "{}"u8.ToArray())));

        Assert.Contains(AwsService.SageMakerRuntime.SigningName, root.AwsPlatform!.ClientsBuilt);
    }

    [Fact]
    public void Create_WhenPlatformIsUnknown_ShouldRefuseNamingTheChoices()
    {
        var error = Assert.Throws<Core.ValidationException>(() =>
            FunctionRoot.Create(Env(new() { ["MEDVISION_PLATFORM"] = "azure" }), TimeProvider.System, NullLoggerFactory.Instance, NullMetrics.Instance));

        Assert.Contains("'aws'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'local'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenAwsSettingIsMissing_ShouldNameIt()
    {
        var partial = new Dictionary<string, string?>(AwsEnvironment) { ["MEDVISION_BUCKET"] = null };

        var error = Assert.Throws<Core.ValidationException>(() =>
            FunctionRoot.Create(Env(partial), TimeProvider.System, NullLoggerFactory.Instance, NullMetrics.Instance));

        Assert.Contains("MEDVISION_BUCKET", error.Message, StringComparison.Ordinal);
    }

    private static Func<string, string?> Env(Dictionary<string, string?> values) => name => values.GetValueOrDefault(name);
}
