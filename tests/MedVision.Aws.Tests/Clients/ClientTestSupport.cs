using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests.Clients;

/// <summary>
/// One moto_server per test class (or none when it is not installed: the tests then skip, with a note). Its Step
/// Functions engine stays off: moto runs one execution per server (see MotoServer.EnableStepFunctionsExecutionAsync),
/// so the tests that execute state machines start their own.
/// </summary>
public sealed class ClientMotoFixture : IAsyncLifetime
{
    private readonly List<string> notes = [];

    public MotoServer? Server { get; private set; }

    public static AwsCredentials Credentials { get; } = new(MotoServer.AccessKeyId, MotoServer.SecretAccessKey);

    public async Task InitializeAsync()
    {
        if (MotoServer.Available(notes.Add))
        {
            Server = await MotoServer.StartAsync();
        }
    }

    public Task DisposeAsync()
    {
        Server?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The server, or null after writing why the test skips.</summary>
    public MotoServer? Require(ITestOutputHelper output)
    {
        foreach (var note in notes)
        {
            output.WriteLine(note);
        }

        return Server;
    }

    /// <summary>An HttpClient signing for <paramref name="service"/> in moto's region.</summary>
    public static HttpClient Signed(string service, TimeSpan? timeout = null)
    {
        var http = AwsHttp.CreateClient(service, MotoServer.Region, Credentials, TimeProvider.System);
        if (timeout is { } t)
        {
            http.Timeout = t;
        }

        return http;
    }

    public static AmazonSQSClient Sqs(MotoServer moto) => new(
        new BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey),
        new AmazonSQSConfig { ServiceURL = moto.Endpoint.AbsoluteUri, AuthenticationRegion = MotoServer.Region });

    /// <summary>A queue of its own for one test; returns its URL and ARN.</summary>
    public static async Task<(string Url, string Arn)> CreateQueueAsync(AmazonSQSClient sqs, string name)
    {
        var url = (await sqs.CreateQueueAsync(name)).QueueUrl;
        var attributes = await sqs.GetQueueAttributesAsync(url, ["QueueArn"]);
        return (url, attributes.QueueARN);
    }

    /// <summary>The next message body on the queue, waiting up to <paramref name="seconds"/> (a bound on a hang, not a timing assertion).</summary>
    public static async Task<string> ReceiveAsync(AmazonSQSClient sqs, string queueUrl, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, WaitTimeSeconds = 1, MaxNumberOfMessages = 1 });
            if (received.Messages is { Count: > 0 } messages)
            {
                await sqs.DeleteMessageAsync(queueUrl, messages[0].ReceiptHandle);
                return messages[0].Body;
            }
        }

        throw new TimeoutException($"No message on {queueUrl} within {seconds} s.");
    }

    /// <summary>
    /// One signed JSON call the adapters do not make (CreateStateMachine, CreateEventBus, PutRule, PutTargets), over
    /// the same send path; test-only, so JsonNode is fine here.
    /// </summary>
    public static async Task<JsonNode?> CallAsync(MotoServer moto, string service, AwsJsonProtocol protocol, string target, JsonObject body)
    {
        using var http = Signed(service);
        var aws = new AwsHttp(http, new AwsErrorMapper(service, AwsExceptions.Store("test.invalid", "test.not_found", "test.conflict")));
        var answer = await aws.SendJsonAsync(moto.Endpoint, protocol, target, Encoding.UTF8.GetBytes(body.ToJsonString()), target, CancellationToken.None);
        return answer.IsSuccess ? JsonNode.Parse(answer.Body) : throw aws.Fail(answer, target);
    }
}
