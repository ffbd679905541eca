using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Aws;
using MedVision.Testing;
using MedVision.Testing.Aws;
using MedVision.Twins;
using Xunit.Abstractions;

namespace MedVision.Bootstrap.Tests;

/// <summary>
/// The published Native AOT bootstrap on its AWS adapters (the default platform), against the local stand-ins of
/// scripts/aws-local.sh: S3, DynamoDB, Step Functions and EventBridge in moto_server, SageMaker Runtime in the model
/// server. It proves the AWS SDK and the signed clients work compiled ahead of time, not only under the JIT.
/// </summary>
public sealed class BootstrapOnAwsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly string dir = Directory.CreateTempSubdirectory("medvision-bootstrap-aws-").FullName;

    [Fact]
    public async Task Handlers_WhenRunOnTheAwsAdapters_ShouldUploadClassifyAndAnswerTheRecord()
    {
        if (!MotoServer.Available(output.WriteLine) || !ExternalTools.Require(output.WriteLine, "botocore"))
        {
            return;
        }

        using var standIns = AwsLocalStandIns.Up(Path.Combine(dir, "aws-local"), output.WriteLine);
        var environment = standIns.Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        environment["MEDVISION_STATE_MACHINE_ARN"] = await CreateStateMachineAsync(standIns.Environment);
        await using var api = await LambdaRuntimeApiTwin.StartAsync();

        // upload: S3 (SSE-KMS), DynamoDB, Step Functions StartExecution, EventBridge.
        string imageId;
        using (var upload = Start(api, "upload", environment))
        {
            var accepted = await api.InvokeAsync(
                Encoding.UTF8.GetBytes(TestEvents.Upload(Path.Combine(RepoPaths.Samples, "chest-xray-nodule-101.png"))), TimeSpan.FromSeconds(60)).WaitAsync(Wait);
            Assert.False(accepted.IsError, Encoding.UTF8.GetString(accepted.Body) + "\n" + upload.Output);
            var response = JsonNode.Parse(accepted.Body)!;
            Assert.True((int)response["statusCode"]! == 202, upload.Output);
            imageId = TestEvents.ImageIdOfUploadResponse(response);
            Assert.Equal(0, await upload.TerminateAsync(Wait));
        }

        // classify: the record and the preprocessed image from DynamoDB and S3, the model over SageMaker Runtime.
        using (var classify = Start(api, "classify", environment))
        {
            var classified = await api.InvokeAsync(Encoding.UTF8.GetBytes($$"""{"image_id":"{{imageId}}"}"""), TimeSpan.FromSeconds(60)).WaitAsync(Wait);
            Assert.False(classified.IsError, Encoding.UTF8.GetString(classified.Body) + "\n" + classify.Output);
            Assert.Equal("xray", (string?)JsonNode.Parse(classified.Body)!["modality"]);
            Assert.Equal(0, await classify.TerminateAsync(Wait));
        }

        // get-image: the API answers the record the two functions wrote.
        using var get = Start(api, "get-image", environment);
        var answered = await api.InvokeAsync(Encoding.UTF8.GetBytes(TestEvents.GetImage(imageId)), TimeSpan.FromSeconds(60)).WaitAsync(Wait);
        var record = JsonNode.Parse(answered.Body)!;
        Assert.True((int)record["statusCode"]! == 200, Encoding.UTF8.GetString(answered.Body));
        var body = JsonNode.Parse((string)record["body"]!)!;
        Assert.Equal(imageId, (string?)body["image_id"]);
        Assert.Equal("xray", (string?)body["modality"]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // a stand-in still closing its files; the temp folder is the OS's to clean
        }
    }

    private static BackgroundProcess Start(LambdaRuntimeApiTwin api, string handler, Dictionary<string, string?> environment)
    {
        var env = new Dictionary<string, string?>(environment)
        {
            ["AWS_LAMBDA_RUNTIME_API"] = api.Address,
            ["_HANDLER"] = handler,
            ["MEDVISION_PLATFORM"] = null, // the default: AWS
            ["MEDVISION_STATE_DIR"] = null,
        };
        return BackgroundProcess.Start(PublishedBootstrap.Executable, [], env);
    }

    /// <summary>A state machine in moto for uploads to start (moto records executions; it does not run their Lambda tasks).</summary>
    private static async Task<string> CreateStateMachineAsync(IReadOnlyDictionary<string, string> env)
    {
        var credentials = new AwsCredentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]);
        using var http = AwsHttp.CreateClient("states", env["AWS_REGION"], credentials, TimeProvider.System);
        var body = new JsonObject
        {
            ["name"] = "medvision-bootstrap-test",
            ["definition"] = """{"StartAt":"Accepted","States":{"Accepted":{"Type":"Pass","End":true}}}""",
            ["roleArn"] = "arn:aws:iam::123456789012:role/medvision-test",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(env["AWS_ENDPOINT_URL"]))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "AWSStepFunctions.CreateStateMachine");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"CreateStateMachine: {(int)response.StatusCode} {text}");
        return (string)JsonNode.Parse(text)!["stateMachineArn"]!;
    }
}
