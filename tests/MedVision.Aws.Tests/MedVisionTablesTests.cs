using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests;

public sealed class MedVisionTablesTests(MotoFixture moto, ITestOutputHelper output) : IClassFixture<MotoFixture>
{
    [Fact]
    public void ToCreateTableRequest_WhenImagesTable_ShouldHaveTheSpecsKeysIndexAndOnDemandBilling()
    {
        var request = MedVisionTables.Images().ToCreateTableRequest();

        Assert.Equal("MedVisionImages", request.TableName);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, request.BillingMode);
        Assert.Equal([("image_id", "HASH"), ("timestamp", "RANGE")], request.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)));
        Assert.Equal(
            [("image_id", "S"), ("timestamp", "N"), ("user_id", "S")],
            request.AttributeDefinitions.Select(a => (a.AttributeName, a.AttributeType.Value)));
        var index = Assert.Single(request.GlobalSecondaryIndexes);
        Assert.Equal("user_id-timestamp-index", index.IndexName);
        Assert.Equal([("user_id", "HASH"), ("timestamp", "RANGE")], index.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)));
        Assert.Equal(ProjectionType.ALL, index.Projection.ProjectionType);
        Assert.Null(MedVisionTables.Images().ToTimeToLiveRequest());
    }

    [Fact]
    public void For_WhenOptionsNameTheTables_ShouldDescribeAllThreeUnderThoseNames()
    {
        var tables = MedVisionTables.For(new DynamoDbRecordStoreOptions { TableName = "i", AuditTableName = "a", IdempotencyTableName = "k" });

        Assert.Equal(["i", "a", "k"], tables.Select(t => t.Name));
        Assert.Equal("expires_at", tables[2].ToTimeToLiveRequest()!.TimeToLiveSpecification.AttributeName);
        Assert.Null(tables[1].ToCreateTableRequest().GlobalSecondaryIndexes);
    }

    [Fact]
    public async Task CreateAsync_WhenRunAgainstMoto_ShouldLeaveActiveTablesWithTheIndexAndTtl()
    {
        if (!MotoServer.Available(output.WriteLine))
        {
            return;
        }

        using var client = MotoFixture.Client((await moto.GetAsync()).Endpoint);
        var options = await MotoFixture.CreateTablesAsync(client);

        var images = (await client.DescribeTableAsync(options.TableName)).Table;
        var ttl = await client.DescribeTimeToLiveAsync(new DescribeTimeToLiveRequest { TableName = options.IdempotencyTableName });

        Assert.Equal(TableStatus.ACTIVE, images.TableStatus);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, images.BillingModeSummary?.BillingMode);
        Assert.Equal("user_id-timestamp-index", Assert.Single(images.GlobalSecondaryIndexes).IndexName);
        Assert.Equal("expires_at", ttl.TimeToLiveDescription.AttributeName);
        Assert.Equal(TimeToLiveStatus.ENABLED, ttl.TimeToLiveDescription.TimeToLiveStatus);
    }
}
