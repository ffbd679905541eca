using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace MedVision.Aws;

/// <summary>
/// Credentials for the hand-written clients (<see cref="SigV4Handler"/>, <see cref="AwsHttp.CreateClient(string, string, Func{CancellationToken, ValueTask{AwsCredentials}}, TimeProvider, HttpMessageHandler?)"/>)
/// from AWSSDK.Core's default credential chain, the one the SDK clients use: environment variables
/// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: what Lambda provides), web identity
/// (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), the shared credentials and config files' profile (AWS_PROFILE or
/// <c>default</c>; AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), then container (ECS/EKS) or EC2 instance credentials.
/// </summary>
/// <remarks>
/// <para>Caching is the SDK's: the chain keeps the source it found until the environment or the credentials files
/// change, and temporary credentials (web identity, container, instance profile) are kept until shortly before they
/// expire (<see cref="RefreshingAWSCredentials.PreemptExpiryTime"/>) and then fetched anew, so a long-lived process
/// signs with fresh credentials. <see cref="GetAsync"/> is cheap enough to call before every request, which is how
/// <see cref="SigV4Handler"/> uses it.</para>
/// <para>When nothing in the chain has credentials, <see cref="GetAsync"/> throws the SDK's
/// <see cref="AmazonClientException"/> (its message lists what each source said; no secrets); through
/// <see cref="SigV4Handler"/> that becomes the service being unavailable.</para>
/// </remarks>
public sealed class AwsCredentialChain : IDisposable
{
    private readonly DefaultAWSCredentialsIdentityResolver resolver = new();
    private volatile Mapped? last;

    /// <summary>The current credentials; pass the method group as the provider: <c>chain.GetAsync</c>.</summary>
    public async ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken)
    {
        var source = await SourceAsync(cancellationToken);
        var current = await source.GetCredentialsAsync().WaitAsync(cancellationToken);
        // The SDK hands out the same object until it refreshes; keep ours for it too.
        if (last is { } known && ReferenceEquals(known.Sdk, current))
        {
            return known.Ours;
        }

        var ours = new AwsCredentials(current.AccessKey, current.SecretKey, current.UseToken ? current.Token : null);
        last = new Mapped(current, ours);
        return ours;
    }

    /// <summary>The SDK's credentials object the chain resolved, for the SDK clients (S3, DynamoDB, SQS) built alongside.</summary>
    public Task<AWSCredentials> SourceAsync(CancellationToken cancellationToken) =>
        resolver.ResolveIdentityAsync(null, cancellationToken);

    public void Dispose() => resolver.Dispose();

    private sealed record Mapped(ImmutableCredentials Sdk, AwsCredentials Ours);
}

/// <summary>The AWS region the way the SDK and the AWS CLI find it.</summary>
public static class AwsRegionChain
{
    /// <summary>
    /// AWS_REGION, else AWS_DEFAULT_REGION, else the region of the active profile in the shared config or credentials
    /// file (AWS_PROFILE or <c>default</c>), else, when asked, the EC2 instance metadata; null when none has one.
    /// </summary>
    /// <param name="includeInstanceMetadata">Ask the EC2 instance metadata service last (off by default: off EC2 the
    /// probe only costs time; Lambda and ECS set AWS_REGION).</param>
    public static string? Resolve(bool includeInstanceMetadata = false)
    {
        foreach (var variable in (ReadOnlySpan<string>)["AWS_REGION", "AWS_DEFAULT_REGION"])
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } region)
            {
                return region.Trim();
            }
        }

        // The factory caches its first answer for the whole process; start over so the answer reflects the
        // environment and files as they are now.
        FallbackRegionFactory.Reset();
        return FallbackRegionFactory.GetRegionEndpoint(includeInstanceMetadata)?.SystemName;
    }
}
