using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using MedVision.Aws;
using MedVision.Core;

namespace MedVision.Cli;

/// <summary>
/// `medvision aws init`: creates in the local stand-ins (moto_server) the resources the environment names — the bucket,
/// the table from <see cref="MedVisionTables"/> (the description the CDK app uses too), the S3 encryption key, the report
/// signing key and the event bus — and prints `export` lines for the key ids it made. Refuses to run against AWS
/// itself: there, `cdk deploy` creates them. Running it again changes nothing.
/// </summary>
public sealed class AwsInitCommand(TextWriter output, TextWriter error)
{
    private static readonly AwsService[] Touched = [AwsService.S3, AwsService.DynamoDb, AwsService.Kms, AwsService.EventBridge];

    public async Task<int> RunAsync(Func<string, string?> environment, CancellationToken ct = default)
    {
        AwsSettings settings;
        try
        {
            settings = AwsSettings.FromEnvironment(environment, regionFallback: () => AwsRegionChain.Resolve());
        }
        catch (ValidationException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }

        var notLocal = Touched.Where(s => settings.EndpointOf(s) is not { IsLoopback: true }).Select(s => s.EndpointVariable).ToList();
        if (notLocal.Count > 0)
        {
            await error.WriteLineAsync(
                $"error: aws init only creates resources in local stand-ins, but {string.Join(", ", notLocal)} (or AWS_ENDPOINT_URL) "
                + "does not point at 127.0.0.1; in an AWS account `cdk deploy` creates them.");
            return 2;
        }

        using var credentials = new AwsCredentialChain();
        try
        {
            using var s3 = new AmazonS3Client(AwsPlatform.S3Config(settings));
            await CreateBucketAsync(s3, settings.Bucket, ct);
            using var dynamo = new AmazonDynamoDBClient(AwsPlatform.DynamoConfig(settings));
            foreach (var table in MedVisionTables.For(AwsPlatform.RecordStoreOptions(settings)))
            {
                await CreateTableAsync(dynamo, table, ct);
            }

            var kmsConfig = new AmazonKeyManagementServiceConfig();
            AwsPlatform.Point(kmsConfig, settings, AwsService.Kms);
            using var kms = new AmazonKeyManagementServiceClient(kmsConfig);
            if (settings.KmsKeyId is null)
            {
                var key = await kms.CreateKeyAsync(
                    new CreateKeyRequest { Description = "MedVision local: S3 objects (SSE-KMS)", KeyUsage = KeyUsageType.ENCRYPT_DECRYPT }, ct);
                await output.WriteLineAsync($"export {AwsSettings.KmsKeyVariable}={key.KeyMetadata.KeyId}");
                await error.WriteLineAsync($"created the S3 encryption key {key.KeyMetadata.KeyId}");
            }

            if (settings.ReportSigningKeyId is null)
            {
                var key = await kms.CreateKeyAsync(
                    new CreateKeyRequest
                    {
                        Description = "MedVision local: report signing",
                        KeySpec = KeySpec.ECC_NIST_P256,
                        KeyUsage = KeyUsageType.SIGN_VERIFY,
                    },
                    ct);
                await output.WriteLineAsync($"export {AwsSettings.ReportSigningKeyVariable}={key.KeyMetadata.KeyId}");
                await error.WriteLineAsync($"created the report signing key {key.KeyMetadata.KeyId}");
            }

            await CreateEventBusAsync(settings, credentials.GetAsync, ct);
            return 0;
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or HttpRequestException or MedVisionException)
        {
            await error.WriteLineAsync($"error: aws init: {ex.Message}");
            return 1;
        }
    }

    private async Task CreateBucketAsync(AmazonS3Client s3, string bucket, CancellationToken ct)
    {
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, ct);
            await error.WriteLineAsync($"created the bucket {bucket}");
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            await error.WriteLineAsync($"the bucket {bucket} is there");
        }
    }

    private async Task CreateTableAsync(AmazonDynamoDBClient dynamo, DynamoTable table, CancellationToken ct)
    {
        try
        {
            await table.CreateAsync(dynamo, ct);
            await error.WriteLineAsync($"created the table {table.Name}");
        }
        catch (ResourceInUseException)
        {
            await error.WriteLineAsync($"the table {table.Name} is there");
        }
    }

    private async Task CreateEventBusAsync(AwsSettings settings, Func<CancellationToken, ValueTask<AwsCredentials>> credentials, CancellationToken ct)
    {
        if (settings.EventBus == AwsSettings.DefaultEventBus)
        {
            return;
        }

        using var http = AwsHttp.CreateClient(AwsService.EventBridge.SigningName, settings.Region, credentials, TimeProvider.System);
        var aws = new AwsHttp(http, new AwsErrorMapper("EventBridge", AwsExceptions.Store("config.invalid", "config.not_found", "config.conflict")));
        var body = Encoding.UTF8.GetBytes($$"""{"Name":"{{settings.EventBus}}"}""");
        var answer = await aws.SendJsonAsync(settings.EndpointOf(AwsService.EventBridge)!, AwsJsonProtocol.Json11, "AWSEvents.CreateEventBus", body, "CreateEventBus", ct);
        if (answer.IsSuccess)
        {
            await error.WriteLineAsync($"created the event bus {settings.EventBus}");
        }
        else if (answer.Error().Type.EndsWith("ResourceAlreadyExistsException", StringComparison.Ordinal))
        {
            await error.WriteLineAsync($"the event bus {settings.EventBus} is there");
        }
        else
        {
            throw aws.Fail(answer, "CreateEventBus");
        }
    }
}
