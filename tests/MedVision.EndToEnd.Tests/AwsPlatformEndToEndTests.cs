using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using MedVision.Aws;
using MedVision.Core.Ports;
using MedVision.Fhir;
using MedVision.Testing;
using MedVision.Testing.Aws;
using Xunit.Abstractions;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// The whole pipeline on its AWS adapters, offline: scripts/aws-local.sh starts moto_server, the model server and both
/// twins on 127.0.0.1 and creates the bucket, tables, keys and event bus; `medvision analyze samples --platform aws`
/// runs as its own process with the environment the script printed; the test then looks into each stand-in through
/// its own clients, and `down` stops exactly what `up` started.
/// </summary>
public sealed class AwsPlatformEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "medvision-aws-e2e-" + Guid.NewGuid().ToString("N"));

    private static string Script => Path.Combine(RepoPaths.Root, "scripts", "aws-local.sh");

    private static string Cli => Path.Combine(RepoPaths.Root, "tools", "MedVision.Cli", "bin", "Release", "net10.0", "medvision");

    public void Dispose()
    {
        // Whatever happened, nothing the script started outlives the test.
        ExternalTools.Run("bash", [Script, "down"], environment: new Dictionary<string, string?> { ["MEDVISION_AWS_LOCAL_DIR"] = dir });
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail the test.
        }
    }

    // Feature: medvision-ai-platform, Property 18: the original and the heatmap of every analysed PNG/JPEG image are fetchable from their report's URLs.
    [Fact]
    public async Task AnalyzeOnAws_WhenEveryServiceIsALocalStandIn_ShouldCompleteEverySampleAndStoreEachResultInItsService()
    {
        if (!MotoServer.Available(output.WriteLine) || !ExternalTools.Require(output.WriteLine, "botocore"))
        {
            return;
        }

        Assert.True(File.Exists(Cli), $"Build the CLI first (dotnet build tools/MedVision.Cli -c Release): {Cli}");
        var scriptEnv = new Dictionary<string, string?> { ["MEDVISION_AWS_LOCAL_DIR"] = dir };
        var (upExit, upOut, upErr) = ExternalTools.Run("bash", [Script, "up", "--no-build"], environment: scriptEnv);
        output.WriteLine(upErr);
        Assert.True(upExit == 0, $"aws-local.sh up failed ({upExit}):\n{upErr}");
        var env = AwsLocalStandIns.ParseExports(Encoding.UTF8.GetString(upOut));
        foreach (var name in new[] { "MEDVISION_BUCKET", "MEDVISION_TABLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
                     "AWS_ENDPOINT_URL_MEDICAL_IMAGING", "AWS_ENDPOINT_URL_HEALTHLAKE", "MEDVISION_KMS_KEY_ID", "MEDVISION_REPORT_SIGNING_KEY_ID" })
        {
            Assert.True(env.ContainsKey(name), $"aws-local.sh up printed no {name}.");
        }

        var settings = AwsSettings.FromEnvironment(name => env.GetValueOrDefault(name));
        var credentials = new BasicAWSCredentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]);
        using var s3 = new AmazonS3Client(credentials, AwsPlatform.S3Config(settings));
        using var dynamo = new AmazonDynamoDBClient(credentials, AwsPlatform.DynamoConfig(settings));

        // Whatever lands on the event bus, caught in a queue so the test can read it.
        var events = await EventCatcher.StartAsync(settings, credentials);

        var outDir = Path.Combine(dir, "out");
        var processEnv = env.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        var (exit, stdout, stderr) = ExternalTools.Run(
            Cli, ["analyze", RepoPaths.Samples, "--out", outDir, "--platform", "aws", "--parallel", "2"],
            environment: processEnv, timeout: TimeSpan.FromMinutes(8));
        var printed = Encoding.UTF8.GetString(stdout);
        output.WriteLine(printed);
        output.WriteLine(stderr);
        Assert.True(exit == 0, $"analyze --platform aws exited {exit}:\n{printed}\n{stderr}");

        var samples = Directory.GetFiles(RepoPaths.Samples).Length;
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        var images = summary["results"]!.AsArray();
        Assert.Equal(samples, images.Count);
        Assert.All(images, i => Assert.Contains((string)i!["status"]!, new[] { "completed", "manual_review" }));
        var ids = images.Select(i => (string)i!["image_id"]!).ToList();

        // S3: every image's derived files in the moto bucket, encrypted with the stack's key.
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = settings.Bucket, ContinuationToken = token });
            keys.AddRange(page.S3Objects?.Select(o => o.Key) ?? []);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        var completed = images.Where(i => (string)i!["status"]! == "completed").Select(i => (string)i!["image_id"]!).ToList();
        Assert.NotEmpty(completed);
        foreach (var id in completed)
        {
            Assert.Contains(keys, k => k.StartsWith("heatmaps/", StringComparison.Ordinal) && k.Contains(id, StringComparison.Ordinal));
        }

        Assert.Contains(keys, k => k.StartsWith("reports/", StringComparison.Ordinal));
        var head = await s3.GetObjectMetadataAsync(settings.Bucket, keys.First(k => k.StartsWith("heatmaps/", StringComparison.Ordinal)));
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);

        // The report's URLs are presigned S3 GETs anyone holding them can fetch for an hour: the original as uploaded and
        // the heatmap as exported (a DICOM original is a HealthImaging WADO-RS URL, which needs a signed request).
        using var plain = new HttpClient();
        foreach (var result in images.Where(i => (string)i!["status"]! == "completed" && !((string)i["input"]!).EndsWith(".dcm", StringComparison.Ordinal)))
        {
            var folder = (string)result!["output_directory"]!;
            var visualizations = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "report.json")))!["visualizations"]!;
            var original = await plain.GetByteArrayAsync(new Uri((string)visualizations["original_image_url"]!));
            Assert.Equal(File.ReadAllBytes((string)result["input"]!), original);
            var heatmap = await plain.GetByteArrayAsync(new Uri((string)visualizations["heatmap_image_url"]!));
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "heatmap.png")), heatmap);
        }

        // DynamoDB: one record per image, each at its final status.
        var store = new DynamoDbRecordStore(dynamo, AwsPlatform.RecordStoreOptions(settings));
        foreach (var id in ids)
        {
            var record = await store.GetAsync(id);
            Assert.NotNull(record);
            Assert.Contains(record.Status, new[] { Core.Images.ImageStatus.Completed, Core.Images.ImageStatus.ManualReview });
        }

        var dicom = await store.GetAsync((string)images.First(i => ((string)i!["input"]!).EndsWith(".dcm", StringComparison.Ordinal))!["image_id"]!);
        Assert.NotNull(dicom);

        // HealthImaging twin: the DICOM upload, read back through the archive adapter, is the file uploaded.
        using var chainHttp = AwsHttp.CreateClient(AwsService.HealthImaging.SigningName, settings.Region, ToAws(env), TimeProvider.System);
        var archive = new HealthImagingArchive(
            chainHttp, new HealthImagingOptions(settings.Region, settings.HealthImagingDatastoreId) { Endpoint = settings.EndpointOf(AwsService.HealthImaging) });
        var stored = await archive.GetAsync(dicom.StorageLocation!);
        Assert.NotNull(stored);
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Samples, "abdomen-ct-mass-301-dicom.dcm")), stored);

        // HealthLake twin: a DiagnosticReport per completed image.
        using var fhirHttp = AwsHttp.CreateClient(AwsService.HealthLake.SigningName, settings.Region, ToAws(env), TimeProvider.System);
        var fhir = new HealthLakeFhirStore(
            fhirHttp, new HealthLakeOptions(settings.Region, settings.HealthLakeDatastoreId) { Endpoint = settings.EndpointOf(AwsService.HealthLake) });
        foreach (var id in completed)
        {
            var record = await store.GetAsync(id);
            var reportIds = record!.ReservedReport;
            Assert.NotNull(reportIds);
            Assert.NotNull(await fhir.ReadAsync<DiagnosticReport>(reportIds.DiagnosticReportId));
        }

        // EventBridge: the completion of every completed image reached the bus.
        var delivered = await events.ReceiveAsync(expectedAtLeast: completed.Count);
        foreach (var id in completed)
        {
            Assert.Contains(delivered, e => e.DetailType == "image.completed" && e.Detail.Contains(id, StringComparison.Ordinal));
        }

        // No patient data in any URL, header or log line of the stand-ins (the DICOM sample's name and id).
        var logs = string.Join('\n', Directory.GetFiles(dir, "*.log").Select(File.ReadAllText));
        Assert.DoesNotContain("Sample^Synthetic", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("Sample^Synthetic", printed, StringComparison.Ordinal);

        var (downExit, _, downErr) = ExternalTools.Run("bash", [Script, "down"], environment: scriptEnv);
        Assert.True(downExit == 0, downErr);
        Assert.False(File.Exists(Path.Combine(dir, "pids")));
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Assert.ThrowsAnyAsync<Exception>(() => probe.GetAsync(new Uri(env["AWS_ENDPOINT_URL"] + "/moto-api/")));
    }

    [Fact]
    public async Task AnalyzeOnAws_WhenSettingsAreMissing_ShouldNameEachMissingVariableExit2AndTouchNothing()
    {
        var outDir = Path.Combine(dir, "out");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await new MedVision.Cli.AnalyzeCommand(stdout, stderr).RunAsync(
            new MedVision.Cli.AnalyzeOptions([RepoPaths.Samples], outDir, 1, "u", null, Platform: MedVision.Cli.PlatformKind.Aws)
            {
                Environment = name => name == "MEDVISION_BUCKET" ? "b" : null,
            });

        Assert.Equal(2, exit);
        Assert.Contains("AWS_REGION, MEDVISION_TABLE, MEDVISION_HEALTHIMAGING_DATASTORE_ID, MEDVISION_HEALTHLAKE_DATASTORE_ID", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("MEDVISION_BUCKET", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task Analyze_WhenPlatformIsAwsWithAModelEndpoint_ShouldRefuseAsAUsageError()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await MedVision.Cli.CliApp.RunAsync(
            ["analyze", RepoPaths.Samples, "--out", Path.Combine(dir, "out"), "--platform", "aws", "--model-endpoint", "http://127.0.0.1:8080"],
            stdout, stderr);

        Assert.Equal(2, exit);
        Assert.Contains("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", stderr.ToString(), StringComparison.Ordinal);
    }

    private static Func<CancellationToken, ValueTask<AwsCredentials>> ToAws(Dictionary<string, string> env)
    {
        var credentials = new AwsCredentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]);
        return _ => ValueTask.FromResult(credentials);
    }
}

/// <summary>A queue behind a rule on the pipeline's event bus, so a test can read what was put on it.</summary>
internal sealed class EventCatcher(AmazonSQSClient sqs, string queueUrl)
{
    public static async Task<EventCatcher> StartAsync(AwsSettings settings, AWSCredentials credentials)
    {
        var config = new AmazonSQSConfig();
        AwsPlatform.Point(config, settings, AwsService.Sqs);
        var sqs = new AmazonSQSClient(credentials, config);
        var queue = await sqs.CreateQueueAsync("medvision-e2e-events");
        var arn = (await sqs.GetQueueAttributesAsync(queue.QueueUrl, ["QueueArn"])).QueueARN;
        await CallAsync(settings, credentials, "PutRule", new JsonObject
        {
            ["Name"] = "e2e-pipeline",
            ["EventBusName"] = settings.EventBus,
            ["EventPattern"] = new JsonObject { ["source"] = new JsonArray(EventBridgePublisher.DefaultSource) }.ToJsonString(),
        });
        await CallAsync(settings, credentials, "PutTargets", new JsonObject
        {
            ["Rule"] = "e2e-pipeline",
            ["EventBusName"] = settings.EventBus,
            ["Targets"] = new JsonArray(new JsonObject { ["Id"] = "queue", ["Arn"] = arn }),
        });
        return new EventCatcher(sqs, queue.QueueUrl);
    }

    /// <summary>Reads the queue until it is empty (at least <paramref name="expectedAtLeast"/> events, or 60 s).</summary>
    public async Task<List<(string DetailType, string Detail)>> ReceiveAsync(int expectedAtLeast)
    {
        var events = new List<(string, string)>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var page = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 });
            var messages = page.Messages ?? [];
            foreach (var message in messages)
            {
                var envelope = JsonNode.Parse(message.Body)!;
                events.Add(((string)envelope["detail-type"]!, envelope["detail"]!.ToJsonString()));
                await sqs.DeleteMessageAsync(queueUrl, message.ReceiptHandle);
            }

            if (messages.Count == 0 && events.Count >= expectedAtLeast)
            {
                break;
            }
        }

        return events;
    }

    private static async Task CallAsync(AwsSettings settings, AWSCredentials credentials, string operation, JsonObject body)
    {
        var immutable = await credentials.GetCredentialsAsync();
        using var http = AwsHttp.CreateClient(
            AwsService.EventBridge.SigningName, settings.Region, new AwsCredentials(immutable.AccessKey, immutable.SecretKey), TimeProvider.System);
        var aws = new AwsHttp(http, new AwsErrorMapper("EventBridge", AwsExceptions.Store("test.invalid", "test.not_found", "test.conflict")));
        var answer = await aws.SendJsonAsync(
            settings.EndpointOf(AwsService.EventBridge)!, AwsJsonProtocol.Json11, "AWSEvents." + operation,
            Encoding.UTF8.GetBytes(body.ToJsonString()), operation, CancellationToken.None);
        if (!answer.IsSuccess)
        {
            throw aws.Fail(answer, operation);
        }
    }
}
