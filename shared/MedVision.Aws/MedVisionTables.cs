using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace MedVision.Aws;

/// <summary>The scalar type of a key attribute (DynamoDB's S, N and B).</summary>
public enum KeyType
{
    S,
    N,
    B,
}

/// <summary>One key attribute: its name and scalar type.</summary>
public sealed record KeyAttribute(string Name, KeyType Type);

/// <summary>A global secondary index: its keys; every index projects all attributes.</summary>
public sealed record GlobalIndex(string Name, KeyAttribute PartitionKey, KeyAttribute? SortKey);

/// <summary>
/// One DynamoDB table as data: name, keys, global secondary indexes, TTL attribute; billing is always on-demand
/// (PAY_PER_REQUEST). The one description the tests, <c>scripts/aws-local.sh</c> and the CDK app all create tables from.
/// </summary>
public sealed record DynamoTable(
    string Name,
    KeyAttribute PartitionKey,
    KeyAttribute? SortKey,
    IReadOnlyList<GlobalIndex> GlobalIndexes,
    string? TimeToLiveAttribute)
{
    /// <summary>Every key attribute of the table and its indexes, once each (CreateTable's AttributeDefinitions).</summary>
    public IReadOnlyList<KeyAttribute> KeyAttributes =>
        new[] { PartitionKey, SortKey }
            .Concat(GlobalIndexes.SelectMany(i => new[] { i.PartitionKey, i.SortKey }))
            .OfType<KeyAttribute>()
            .DistinctBy(a => a.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>The SDK request that creates this table (on-demand billing, indexes projecting all attributes).</summary>
    public CreateTableRequest ToCreateTableRequest() => new()
    {
        TableName = Name,
        BillingMode = BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions = KeyAttributes.Select(a => new AttributeDefinition(a.Name, new ScalarAttributeType(a.Type.ToString()))).ToList(),
        KeySchema = Keys(PartitionKey, SortKey),
        GlobalSecondaryIndexes = GlobalIndexes.Count == 0
            ? null
            : GlobalIndexes.Select(i => new GlobalSecondaryIndex
            {
                IndexName = i.Name,
                KeySchema = Keys(i.PartitionKey, i.SortKey),
                Projection = new Projection { ProjectionType = ProjectionType.ALL },
            }).ToList(),
    };

    /// <summary>The request that turns TTL on for <see cref="TimeToLiveAttribute"/>; null when the table has none.</summary>
    public UpdateTimeToLiveRequest? ToTimeToLiveRequest() => TimeToLiveAttribute is null
        ? null
        : new UpdateTimeToLiveRequest
        {
            TableName = Name,
            TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = TimeToLiveAttribute, Enabled = true },
        };

    /// <summary>Creates the table, waits until it is ACTIVE, then turns TTL on (for tests and local provisioning).</summary>
    public async Task CreateAsync(IAmazonDynamoDB dynamo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        await dynamo.CreateTableAsync(ToCreateTableRequest(), cancellationToken);
        for (var i = 0; ; i++)
        {
            var described = await dynamo.DescribeTableAsync(Name, cancellationToken);
            if (described.Table.TableStatus == TableStatus.ACTIVE)
            {
                break;
            }

            if (i >= 600)
            {
                throw new TimeoutException($"Table {Name} did not become ACTIVE.");
            }

            await Task.Delay(100, cancellationToken);
        }

        if (ToTimeToLiveRequest() is { } ttl)
        {
            await dynamo.UpdateTimeToLiveAsync(ttl, cancellationToken);
        }
    }

    private static List<KeySchemaElement> Keys(KeyAttribute partition, KeyAttribute? sort)
    {
        var keys = new List<KeySchemaElement> { new(partition.Name, Amazon.DynamoDBv2.KeyType.HASH) };
        if (sort is not null)
        {
            keys.Add(new KeySchemaElement(sort.Name, Amazon.DynamoDBv2.KeyType.RANGE));
        }

        return keys;
    }
}

/// <summary>
/// The record store's three tables. <see cref="Images"/> is the spec's MedVisionImages: partition key
/// <c>image_id</c> (S), sort key <c>timestamp</c> (N, the upload time in Unix seconds), GSI
/// <c>user_id-timestamp-index</c>. The audit trail and the upload idempotency records are tables of their own, since
/// their keys (resource + time, user + key) share nothing with an image's.
/// </summary>
public static class MedVisionTables
{
    public const string ImagesDefaultName = "MedVisionImages";
    public const string AuditDefaultName = "MedVisionAudit";
    public const string IdempotencyDefaultName = "MedVisionIdempotency";

    public const string UserIndexName = "user_id-timestamp-index";

    /// <summary>MedVisionImages: image_id (S) + timestamp (N); GSI user_id-timestamp-index (user_id S, timestamp N).</summary>
    public static DynamoTable Images(string name = ImagesDefaultName) => new(
        name,
        new KeyAttribute("image_id", KeyType.S),
        new KeyAttribute("timestamp", KeyType.N),
        [new GlobalIndex(UserIndexName, new KeyAttribute("user_id", KeyType.S), new KeyAttribute("timestamp", KeyType.N))],
        null);

    /// <summary>Audit entries: resource_id (S) + entry_key (S, "{unix ms, 15 digits}#{audit id}": time order, unique per entry).</summary>
    public static DynamoTable Audit(string name = AuditDefaultName) => new(
        name,
        new KeyAttribute("resource_id", KeyType.S),
        new KeyAttribute("entry_key", KeyType.S),
        [],
        null);

    /// <summary>Upload idempotency records: user_id (S) + idempotency_key (S), expired by TTL on expires_at (Unix seconds).</summary>
    public static DynamoTable Idempotency(string name = IdempotencyDefaultName) => new(
        name,
        new KeyAttribute("user_id", KeyType.S),
        new KeyAttribute("idempotency_key", KeyType.S),
        [],
        "expires_at");

    /// <summary>The three tables under the names a record store is configured with.</summary>
    public static IReadOnlyList<DynamoTable> For(DynamoDbRecordStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [Images(options.TableName), Audit(options.AuditTableName), Idempotency(options.IdempotencyTableName)];
    }
}
