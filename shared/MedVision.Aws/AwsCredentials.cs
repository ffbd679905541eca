namespace MedVision.Aws;

/// <summary>
/// One set of AWS credentials; <see cref="SessionToken"/> is set for temporary (STS, Lambda role) credentials. Found in
/// the environment, profiles or the container/instance by <see cref="AwsCredentialChain"/>.
/// </summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    // Keep the secret out of logs and exception messages that print the record.
    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId} }}";
}
