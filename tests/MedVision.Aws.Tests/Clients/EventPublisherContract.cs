using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using MedVision.Core.Json;
using MedVision.Core.Images;
using MedVision.Core.Ports;
using MedVision.Local.Events;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests.Clients;

/// <summary>
/// One contract for every <see cref="IEventPublisher"/>: what a subscriber of the in-process bus gets and what an
/// EventBridge rule delivers to an SQS queue are the same event, under the event type's wire name.
/// </summary>
public abstract class EventPublisherContract : IAsyncLifetime
{
    protected IEventPublisher Publisher { get; set; } = null!;

    /// <summary>False when the adapter's stand-in is missing (the test then passes as skipped, with a note).</summary>
    protected abstract Task<bool> ReadyAsync();

    /// <summary>The next delivered event: its type as the subscriber sees it (EventBridge's detail-type) and the event.</summary>
    protected abstract Task<(string Type, PipelineEvent Event)> ReceiveAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static PipelineEvent Event(string imageId, PipelineEventType type, PipelineStage? stage = null) => new()
    {
        Type = type,
        ImageId = imageId,
        UserId = "user-7",
        Stage = stage,
        Status = type == PipelineEventType.ImageCompleted ? ImageStatus.Completed : ImageStatus.Processing,
        Timestamp = new DateTimeOffset(2026, 12, 4, 10, 30, 15, TimeSpan.Zero),
        DurationMs = stage is null ? null : 812.5,
        Detail = stage is null ? null : "completed",
    };

    // Feature: medvision-ai-platform, Property 30: an image.completed event reaches a subscriber of the bus, with its ids.
    [Fact]
    public async Task PublishAsync_WhenEventsArePublished_ShouldDeliverEachUnderItsWireNameWithItsIds()
    {
        if (!await ReadyAsync())
        {
            return;
        }

        var stage = Event("img-ev-1", PipelineEventType.StageCompleted, PipelineStage.Classify);
        var done = Event("img-ev-1", PipelineEventType.ImageCompleted);

        await Publisher.PublishAsync(stage);
        await Publisher.PublishAsync(done);
        var received = new[] { await ReceiveAsync(), await ReceiveAsync() }.OrderBy(r => r.Type, StringComparer.Ordinal).ToList();

        Assert.Equal([("image.completed", done), ("stage.completed", stage)], received);
    }
}

public sealed class InProcessEventBusContractTests : EventPublisherContract, IDisposable
{
    private readonly BlockingCollection<PipelineEvent> delivered = [];
    private IDisposable? subscription;

    protected override Task<bool> ReadyAsync()
    {
        if (subscription is null)
        {
            var bus = new InProcessEventBus();
            subscription = bus.Subscribe(delivered.Add);
            Publisher = bus;
        }

        return Task.FromResult(true);
    }

    protected override Task<(string Type, PipelineEvent Event)> ReceiveAsync()
    {
        var e = delivered.Take();
        return Task.FromResult((e.Type.WireName(), e));
    }

    public void Dispose()
    {
        subscription?.Dispose();
        delivered.Dispose();
    }
}

/// <summary>EventBridgePublisher against moto: a bus of its own per test, a rule on the source, an SQS queue as target.</summary>
public sealed class EventBridgePublisherContractTests(ClientMotoFixture moto, ITestOutputHelper output) : EventPublisherContract, IClassFixture<ClientMotoFixture>
{
    private HttpClient? http;
    private AmazonSQSClient? sqs;
    private string queueUrl = "";

    protected override async Task<bool> ReadyAsync()
    {
        if (moto.Require(output) is not { } server)
        {
            return false;
        }

        if (http is null)
        {
            sqs = ClientMotoFixture.Sqs(server);
            var (bus, url) = await EventBridgeMoto.CreateBusToQueueAsync(server, sqs);
            queueUrl = url;
            http = ClientMotoFixture.Signed(EventBridgePublisher.Service);
            Publisher = new EventBridgePublisher(http, new EventBridgeOptions(MotoServer.Region, bus) { Endpoint = server.Endpoint });
        }

        return true;
    }

    protected override async Task<(string Type, PipelineEvent Event)> ReceiveAsync()
    {
        var envelope = JsonNode.Parse(await ClientMotoFixture.ReceiveAsync(sqs!, queueUrl))!;
        Assert.Equal(EventBridgePublisher.DefaultSource, (string)envelope["source"]!);
        var detail = JsonSerializer.Deserialize(envelope["detail"]!.ToJsonString(), MedVisionJsonContext.Default.PipelineEvent)!;
        return ((string)envelope["detail-type"]!, detail);
    }

    public override Task DisposeAsync()
    {
        http?.Dispose();
        sqs?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>What the EventBridge tests set up in moto that the adapter itself never does.</summary>
internal static class EventBridgeMoto
{
    /// <summary>A new bus whose rule sends everything from the pipeline's source to a new queue; returns both names.</summary>
    public static async Task<(string Bus, string QueueUrl)> CreateBusToQueueAsync(MotoServer moto, AmazonSQSClient sqs)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var bus = "medvision-" + suffix;
        var (url, arn) = await ClientMotoFixture.CreateQueueAsync(sqs, "events-" + suffix);
        await Call(moto, "CreateEventBus", new JsonObject { ["Name"] = bus });
        await Call(moto, "PutRule", new JsonObject
        {
            ["Name"] = "pipeline",
            ["EventBusName"] = bus,
            ["EventPattern"] = new JsonObject { ["source"] = new JsonArray(EventBridgePublisher.DefaultSource) }.ToJsonString(),
        });
        await Call(moto, "PutTargets", new JsonObject
        {
            ["Rule"] = "pipeline",
            ["EventBusName"] = bus,
            ["Targets"] = new JsonArray(new JsonObject { ["Id"] = "queue", ["Arn"] = arn }),
        });
        return (bus, url);
    }

    private static Task<JsonNode?> Call(MotoServer moto, string operation, JsonObject body) =>
        ClientMotoFixture.CallAsync(moto, EventBridgePublisher.Service, AwsJsonProtocol.Json11, "AWSEvents." + operation, body);
}
