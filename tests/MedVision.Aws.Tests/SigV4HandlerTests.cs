using System.Net.Http.Headers;
using System.Text;
using MedVision.Core;
using MedVision.Testing;
using MedVision.Twins;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>
/// The signing handler on its own, over real loopback HTTP: botocore recomputes every signature from the raw target
/// and headers as they arrived, for the cases where SigV4 implementations usually part ways.
/// </summary>
public sealed class SigV4HandlerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Region = "us-east-2";
    private const string Service = "states";
    private static readonly AwsCredentials WithToken = new("AKIDHANDLER", "handler/secret+key", "handler-session-token");
    private static readonly AwsCredentials WithoutToken = new("AKIDHANDLER", "handler/secret+key");

    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
    private readonly List<IAsyncDisposable> servers = [];
    private readonly List<HttpClient> clients = [];
    private bool ready;

    public Task InitializeAsync()
    {
        ready = Oracle.Available(output);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }
    }

    private async Task<(SigV4LoopbackServer Server, HttpClient Http)> StartAsync(
        AwsCredentials credentials, Func<HttpRequestMessage, Task>? tamper = null, Func<CancellationToken, ValueTask<AwsCredentials>>? provider = null)
    {
        var server = await SigV4LoopbackServer.StartAsync(credentials, Region, Service, clock, static (context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return Task.CompletedTask;
        });
        servers.Add(server);
        var http = AwsHttp.CreateClient(Service, Region, provider ?? (_ => ValueTask.FromResult(credentials)), clock, new TamperHandler(tamper));
        clients.Add(http);
        return (server, http);
    }

    private static async Task<TwinRequest> SendAsync(SigV4LoopbackServer server, HttpClient http, HttpRequestMessage request)
    {
        using (request)
        using (var response = await http.SendAsync(request))
        {
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        }

        return server.Requests.Last();
    }

    [Fact]
    public async Task SendAsync_WhenTheQueryHasReservedUnicodeRepeatedAndEmptyParameters_ShouldSendItCanonicalAndSignedAsBotocoreAgrees()
    {
        if (!ready)
        {
            return;
        }

        var (server, http) = await StartAsync(WithToken);
        // Out of order, '|' '/' ':' raw, a space as %20, a literal '+', a repeated name, an empty value, non-ASCII.
        // Sent sorted by encoded name, then encoded value ("%C3%A9" before "0"), everything but unreserved encoded.
        var uri = new Uri(server.Address, "items?z=1&c=a/b|c:d&b=x%20y&a=%C3%A9&d=1+1&a=0&e=&f=%7E*'()");

        var request = await SendAsync(server, http, new HttpRequestMessage(HttpMethod.Get, uri));

        Assert.True(request.SignatureValid, request.Reason);
        Assert.Equal("/items?a=%C3%A9&a=0&b=x%20y&c=a%2Fb%7Cc%3Ad&d=1%2B1&e=&f=~%2A%27%28%29&z=1", request.Target);
    }

    [Fact]
    public async Task SendAsync_WhenThePathHasSpacesAndUnicode_ShouldSignEachSegmentEncodedTwiceAsBotocoreAgrees()
    {
        if (!ready)
        {
            return;
        }

        var (server, http) = await StartAsync(WithToken);

        var request = await SendAsync(server, http, new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, "image sets/Ærø ü/frame 1")));

        Assert.True(request.SignatureValid, request.Reason);
        Assert.Equal("/image%20sets/%C3%86r%C3%B8%20%C3%BC/frame%201", request.Target);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    [InlineData("POST")]
    public async Task SendAsync_WhenThereIsNoBody_ShouldSignTheHashOfTheEmptyPayload(string method)
    {
        if (!ready)
        {
            return;
        }

        var (server, http) = await StartAsync(WithToken);

        var request = await SendAsync(server, http, new HttpRequestMessage(new HttpMethod(method), new Uri(server.Address, "executions")));

        Assert.True(request.SignatureValid, request.Reason);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", request.Header("x-amz-content-sha256"));
    }

    [Fact]
    public async Task SendAsync_WhenCredentialsCarryASessionToken_ShouldSendAndSignTheToken()
    {
        if (!ready)
        {
            return;
        }

        var (server, http) = await StartAsync(WithToken);

        var request = await SendAsync(server, http, new HttpRequestMessage(HttpMethod.Get, server.Address));

        Assert.True(request.SignatureValid, request.Reason);
        Assert.Equal("handler-session-token", request.Header("x-amz-security-token"));
        Assert.Contains("x-amz-security-token", request.Header("authorization")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_WhenCredentialsHaveNoSessionToken_ShouldSendNoTokenHeader()
    {
        if (!ready)
        {
            return;
        }

        var (server, http) = await StartAsync(WithoutToken);

        var request = await SendAsync(server, http, new HttpRequestMessage(HttpMethod.Get, server.Address));

        Assert.True(request.SignatureValid, request.Reason);
        Assert.Null(request.Header("x-amz-security-token"));
        Assert.DoesNotContain("x-amz-security-token", request.Header("authorization")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_WhenAJson10TargetIsPosted_ShouldSignTargetContentTypeAndBody()
    {
        if (!ready)
        {
            return;
        }

        var (server, http) = await StartAsync(WithToken);
        var body = Encoding.UTF8.GetBytes("""{"stateMachineArn":"arn:aws:states:us-east-2:111122223333:stateMachine:x","name":"img-1"}""");
        var request = new HttpRequestMessage(HttpMethod.Post, server.Address) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(AwsHttp.ContentType(AwsJsonProtocol.Json10));
        request.Headers.TryAddWithoutValidation(AwsHttp.TargetHeader, "AWSStepFunctions.StartExecution");

        var seen = await SendAsync(server, http, request);

        Assert.True(seen.SignatureValid, seen.Reason);
        Assert.Equal(body, seen.Body);
        Assert.Contains(
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target,", seen.Header("authorization")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_WhenTheQueryIsChangedAfterSigning_ShouldBeRejectedByBotocore()
    {
        if (!ready)
        {
            return;
        }

        var (server, http) = await StartAsync(WithToken, request =>
        {
            request.RequestUri = new Uri(request.RequestUri!.AbsoluteUri.Replace("a=1", "a=2", StringComparison.Ordinal));
            return Task.CompletedTask;
        });

        var request = await SendAsync(server, http, new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, "items?a=1")));

        Assert.False(request.SignatureValid);
        Assert.Contains("signature mismatch", request.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_WhenCalledTwice_ShouldAskTheCredentialsProviderEachTime()
    {
        if (!ready)
        {
            return;
        }

        var asked = 0;
        var (server, http) = await StartAsync(WithToken, provider: _ =>
        {
            Interlocked.Increment(ref asked);
            return ValueTask.FromResult(WithToken);
        });

        await SendAsync(server, http, new HttpRequestMessage(HttpMethod.Get, server.Address));
        await SendAsync(server, http, new HttpRequestMessage(HttpMethod.Get, server.Address));

        Assert.Equal(2, asked);
        Assert.All(server.Requests, r => Assert.True(r.SignatureValid, r.Reason));
    }

    [Fact]
    public async Task SendAsync_WhenTheCredentialsProviderFails_ShouldBeTheServiceUnavailableAndSendNothing()
    {
        var sent = 0;
        using var http = AwsHttp.CreateClient(Service, Region, _ => throw new InvalidOperationException("no credential source"), clock, new TamperHandler(_ =>
        {
            Interlocked.Increment(ref sent);
            return Task.CompletedTask;
        }));
        var client = new AwsHttp(http, new AwsErrorMapper("States", AwsExceptions.Store("states.invalid", "states.not_found", "states.conflict")));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{Loopback.FreePort()}/executions"));

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => client.SendAsync(request, "ListExecutions", CancellationToken.None));

        Assert.Contains("no credential source", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sent);
    }
}
