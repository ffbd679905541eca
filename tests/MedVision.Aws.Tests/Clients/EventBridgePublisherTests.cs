using MedVision.Core;
using MedVision.Core.Images;
using MedVision.Core.Ports;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests.Clients;

/// <summary>EventBridgePublisher's failed entries and faults behind FaultyStandIn in front of moto_server.</summary>
public sealed class EventBridgePublisherTests(ClientMotoFixture moto, ITestOutputHelper output) : IClassFixture<ClientMotoFixture>
{
    private const string Json11 = "application/x-amz-json-1.1";

    private static readonly PipelineEvent Completed = new()
    {
        Type = PipelineEventType.ImageCompleted,
        ImageId = "img-eb-1",
        UserId = "user-1",
        Status = ImageStatus.Completed,
        Timestamp = new DateTimeOffset(2026, 12, 4, 11, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public void Options_WhenNoEndpointGiven_ShouldUseTheRegionalEventsHostAndThePipelineSource()
    {
        var options = new EventBridgeOptions("eu-west-1", "medvision");

        Assert.Equal(new Uri("https://events.eu-west-1.amazonaws.com/"), options.EndpointUri);
        Assert.Equal("medvision.pipeline", options.Source);
    }

    [Fact]
    public async Task PublishAsync_WhenTheBusDoesNotExist_ShouldThrowNotFound()
    {
        if (moto.Require(output) is not { } server)
        {
            return;
        }

        using var http = ClientMotoFixture.Signed(EventBridgePublisher.Service);
        var publisher = new EventBridgePublisher(http, new EventBridgeOptions(MotoServer.Region, "no-such-bus") { Endpoint = server.Endpoint });

        var ex = await Assert.ThrowsAsync<NotFoundException>(() => publisher.PublishAsync(Completed));

        Assert.Equal("events.bus_not_found", ex.Code);
    }

    public static TheoryData<string, Type> Faults => new()
    {
        { "throttled", typeof(StorageUnavailableException) },
        { "500", typeof(StorageUnavailableException) },
        { "timeout", typeof(StorageUnavailableException) },
        { "dropped", typeof(StorageUnavailableException) },
        { "entry:ThrottlingException", typeof(StorageUnavailableException) },
        { "entry:InternalFailure", typeof(StorageUnavailableException) },
        { "entry:MalformedDetail", typeof(ValidationException) },
        { "entry:NotAuthorizedForSourceException", typeof(ValidationException) },
    };

    /// <summary>Each fault once: exactly one request reaches the proxy (no retry here), and the port's exception comes out.</summary>
    [Theory]
    [MemberData(nameof(Faults))]
    public async Task PublishAsync_WhenEventBridgeFails_ShouldSendOnceAndThrowThePortsException(string fault, Type expected)
    {
        if (moto.Require(output) is not { } server)
        {
            return;
        }

        await using var proxy = await FaultyStandIn.StartAsync(server.Endpoint);
        proxy.Next(fault switch
        {
            "throttled" => Fault.Answer(400, Json11, """{"__type":"ThrottlingException","message":"Rate exceeded"}"""),
            "500" => Fault.Answer(500, Json11, """{"__type":"InternalException","message":"internal error"}"""),
            "timeout" => Fault.Delay(TimeSpan.FromSeconds(20)),
            "dropped" => Fault.Drop(),
            _ => Fault.Answer(200, Json11, $$"""{"FailedEntryCount":1,"Entries":[{"ErrorCode":"{{fault[6..]}}","ErrorMessage":"{{fault[6..]}} for the test"}]}"""),
        });
        using var http = ClientMotoFixture.Signed(EventBridgePublisher.Service, TimeSpan.FromMilliseconds(fault == "timeout" ? 300 : 30_000));
        var publisher = new EventBridgePublisher(http, new EventBridgeOptions(MotoServer.Region, "medvision") { Endpoint = proxy.Address });

        var ex = await Assert.ThrowsAnyAsync<MedVisionException>(() => publisher.PublishAsync(Completed));

        Assert.IsType(expected, ex);
        Assert.Single(proxy.Requests);
        if (fault.StartsWith("entry:", StringComparison.Ordinal))
        {
            Assert.Contains(fault[6..], ex.Message, StringComparison.Ordinal);
            Assert.Contains("img-eb-1", ex.Message, StringComparison.Ordinal);
        }
    }
}
