using System.Text;
using MedVision.Core;
using MedVision.Testing;

namespace MedVision.Aws.Tests.Configuration;

public sealed class AwsSettingsTests
{
    private static readonly Dictionary<string, string?> Complete = new()
    {
        ["AWS_REGION"] = "eu-west-1",
        ["MEDVISION_BUCKET"] = "images-bucket",
        ["MEDVISION_TABLE"] = "MedVisionImages",
        ["MEDVISION_HEALTHIMAGING_DATASTORE_ID"] = "0123456789abcdef0123456789abcdef",
        ["MEDVISION_HEALTHLAKE_DATASTORE_ID"] = "fedcba9876543210fedcba9876543210",
    };

    private static Func<string, string?> Env(Dictionary<string, string?> values) => name => values.GetValueOrDefault(name);

    private static Dictionary<string, string?> With(params (string Name, string? Value)[] changes)
    {
        var values = new Dictionary<string, string?>(Complete);
        foreach (var (name, value) in changes)
        {
            values[name] = value;
        }

        return values;
    }

    [Fact]
    public void FromEnvironment_WhenEveryRequiredVariableIsSet_ShouldReadThemAndDefaultTheRest()
    {
        var settings = AwsSettings.FromEnvironment(Env(Complete));

        Assert.Equal("eu-west-1", settings.Region);
        Assert.Equal("images-bucket", settings.Bucket);
        Assert.Equal("MedVisionImages", settings.Table);
        Assert.Equal("0123456789abcdef0123456789abcdef", settings.HealthImagingDatastoreId);
        Assert.Equal("fedcba9876543210fedcba9876543210", settings.HealthLakeDatastoreId);
        Assert.Equal("default", settings.EventBus);
        Assert.Equal("MedVisionAudit", settings.AuditTable);
        Assert.Equal("MedVisionIdempotency", settings.IdempotencyTable);
        Assert.Null(settings.KmsKeyId);
        Assert.Null(settings.StateMachineArn);
        Assert.Null(settings.ReportSigningKeyId);
        Assert.Empty(settings.Endpoints);
    }

    [Fact]
    public void FromEnvironment_WhenVariablesAreMissing_ShouldNameEveryOneInOneError()
    {
        var ex = Assert.Throws<ValidationException>(() => AwsSettings.FromEnvironment(Env(With(("MEDVISION_BUCKET", null), ("AWS_REGION", " ")))));

        Assert.Equal("config.missing", ex.Code);
        Assert.Contains("AWS_REGION", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MEDVISION_BUCKET", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MEDVISION_TABLE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_WhenOnlyAwsDefaultRegionIsSet_ShouldUseIt()
    {
        var settings = AwsSettings.FromEnvironment(Env(With(("AWS_REGION", null), ("AWS_DEFAULT_REGION", "ap-southeast-2"))));

        Assert.Equal("ap-southeast-2", settings.Region);
    }

    [Fact]
    public void FromEnvironment_WhenTheStateMachineIsRequiredButUnset_ShouldRefuse()
    {
        var ex = Assert.Throws<ValidationException>(() => AwsSettings.FromEnvironment(Env(Complete), requireStateMachine: true));

        Assert.Contains("MEDVISION_STATE_MACHINE_ARN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_WhenAServiceSpecificEndpointIsSet_ShouldWinOverTheGlobalOne()
    {
        var settings = AwsSettings.FromEnvironment(Env(With(
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "http://127.0.0.1:8080/"),
            ("AWS_ENDPOINT_URL_MEDICAL_IMAGING", "http://localhost:9001"))));

        Assert.Equal(new Uri("http://127.0.0.1:8080/"), settings.EndpointOf(AwsService.SageMakerRuntime));
        Assert.Equal(new Uri("http://localhost:9001"), settings.EndpointOf(AwsService.HealthImaging));
        Assert.Equal(new Uri("http://127.0.0.1:5000"), settings.EndpointOf(AwsService.S3));
        Assert.Equal(new Uri("http://127.0.0.1:5000"), settings.EndpointOf(AwsService.StepFunctions));
        Assert.Equal(AwsService.All.Count, settings.Endpoints.Count);
    }

    [Fact]
    public void FromEnvironment_WhenConfiguredEndpointsAreIgnored_ShouldGoToAws()
    {
        var settings = AwsSettings.FromEnvironment(Env(With(
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"), ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5001"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"))));

        Assert.Empty(settings.Endpoints);
        Assert.Null(settings.EndpointOf(AwsService.S3));
    }

    [Theory]
    [InlineData("127.0.0.1:5000")]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("not a url")]
    public void FromEnvironment_WhenAnEndpointIsNotAnHttpUrl_ShouldRefuseNamingTheVariable(string value)
    {
        var ex = Assert.Throws<ValidationException>(() => AwsSettings.FromEnvironment(Env(With(("AWS_ENDPOINT_URL_DYNAMODB", value)))));

        Assert.Equal("config.invalid", ex.Code);
        Assert.Contains("AWS_ENDPOINT_URL_DYNAMODB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EndpointVariable_ForEveryService_ShouldFollowTheSdkIdentifierTable()
    {
        // The identifiers of the SDKs and Tools reference guide's table, for the services MedVision calls.
        var expected = new Dictionary<string, string>
        {
            ["s3"] = "AWS_ENDPOINT_URL_S3",
            ["dynamodb"] = "AWS_ENDPOINT_URL_DYNAMODB",
            ["sqs"] = "AWS_ENDPOINT_URL_SQS",
            ["kms"] = "AWS_ENDPOINT_URL_KMS",
            ["states"] = "AWS_ENDPOINT_URL_SFN",
            ["events"] = "AWS_ENDPOINT_URL_EVENTBRIDGE",
            ["sagemaker"] = "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
            ["medical-imaging"] = "AWS_ENDPOINT_URL_MEDICAL_IMAGING",
            ["healthlake"] = "AWS_ENDPOINT_URL_HEALTHLAKE",
        };

        Assert.Equal(expected, AwsService.All.ToDictionary(s => s.SigningName, s => s.EndpointVariable));
    }
}

/// <summary>docs/configuration.md's table of variables is written from <see cref="AwsSettings.Variables"/>.</summary>
public sealed class ConfigurationDocTests
{
    private const string Start = "<!-- settings-table:start";
    private const string End = "<!-- settings-table:end -->";

    private static string DocPath => Path.Combine(RepoPaths.Root, "docs", "configuration.md");

    public static string RenderTable()
    {
        var text = new StringBuilder();
        text.Append("| variable | needed | default | what it is |\n|---|---|---|---|\n");
        foreach (var setting in AwsSettings.Variables)
        {
            var needed = setting.Use switch
            {
                AwsSettingUse.Required => "required",
                AwsSettingUse.StepFunctions => "required by the Lambda functions",
                _ => "optional",
            };
            text.Append($"| `{setting.Variable}` | {needed} | {(setting.Default is null ? "" : setting.Default)} | {setting.Meaning} |\n");
        }

        return text.ToString();
    }

    [Fact]
    public void ConfigurationDoc_WhenRead_ShouldListExactlyTheVariablesTheRootReads()
    {
        var doc = File.ReadAllText(DocPath).ReplaceLineEndings("\n");
        var start = doc.IndexOf(Start, StringComparison.Ordinal);
        var end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/configuration.md lost its settings-table markers.");
        var afterStart = doc.IndexOf('\n', start) + 1;
        var current = doc[afterStart..end];
        var expected = RenderTable();
        if (current != expected && Environment.GetEnvironmentVariable("MEDVISION_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(DocPath, doc[..afterStart] + expected + doc[end..]);
            return;
        }

        Assert.Equal(expected, current);
    }
}
