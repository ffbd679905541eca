namespace MedVision.Aws;

/// <summary>One set of AWS credentials; <see cref="SessionToken"/> is set for temporary (STS, Lambda role) credentials.</summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    /// <summary>The variables Lambda (and the AWS CLI convention) provide; null when the key pair is not set.</summary>
    public static AwsCredentials? FromEnvironment()
    {
        var accessKey = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        var secretKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(secretKey))
        {
            return null;
        }

        var token = Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN");
        return new AwsCredentials(accessKey, secretKey, string.IsNullOrEmpty(token) ? null : token);
    }

    // Keep the secret out of logs and exception messages that print the record.
    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId} }}";
}
