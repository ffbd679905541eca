using System.Buffers.Text;
using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using MedVision.Core;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>The record store's table names (the tables themselves are described by <see cref="MedVisionTables"/>).</summary>
public sealed record DynamoDbRecordStoreOptions
{
    /// <summary>The spec's MedVisionImages table (image_id + timestamp, GSI user_id-timestamp-index).</summary>
    public string TableName { get; init; } = MedVisionTables.ImagesDefaultName;

    public string AuditTableName { get; init; } = MedVisionTables.AuditDefaultName;

    public string IdempotencyTableName { get; init; } = MedVisionTables.IdempotencyDefaultName;
}

/// <summary>
/// <see cref="IRecordStore"/> on DynamoDB through the SDK's low-level client (no object persistence: it is not
/// AOT-safe). Three tables (<see cref="MedVisionTables"/>): MedVisionImages, the audit trail, the upload idempotency records.
/// </summary>
/// <remarks>
/// <para><b>Images.</b> An image is one item keyed (image_id, timestamp = the upload time in Unix seconds, fixed at create).
/// Its attributes are the record's source-generated JSON turned into attribute values, so the spec's attributes
/// (user_id, modality, status, storage_location, storage_type, healthlake_imagingstudy_id, report_id,
/// healthlake_diagnosticreport_id, created_at and updated_at as Unix seconds, analysis_results as a map) are there by
/// name; plus <c>version</c> (N) and <c>write_token</c> (S, the id of the write that made this version). Because the sort
/// key makes image_id alone no key, each image also has a guard item (image_id, timestamp 0) written in the same
/// transaction as the record, so a second create with the same id is refused whatever its upload time. The record is
/// found by a strongly consistent Query on image_id with timestamp &gt; 0 (Limit 1); the guard has no user_id, so it
/// is not in the GSI. An update that would change the upload time is refused (it is part of the key).</para>
/// <para><b>Updates</b> are optimistic compare-and-swap: a PutItem conditioned on <c>version = :read</c>; on a failed
/// condition the store reads again and re-applies the update (bounded attempts, jittered). A write the SDK retried
/// after losing its answer (a dropped connection) fails its own condition once it has landed: the re-read then finds
/// this write's <c>write_token</c> and returns that version instead of applying the update twice. A create replayed
/// the same way is recognised by its token too. A stale writer can never overwrite a newer version.</para>
/// <para><b>History</b> (QueryByUserAsync) reads the GSI newest first. DynamoDB does not order items whose index sort
/// key ties, so the store orders ties by image id (descending) itself: it reads every item of a tied timestamp at a page
/// edge. The cursor is base64url of "{timestamp}|{image id}" of the last item returned, not DynamoDB's
/// LastEvaluatedKey, since a page may end inside a tie. GSI reads are eventually consistent.</para>
/// <para><b>Audit</b> items are keyed (resource_id, entry_key = "{unix ms, 15 digits}#{audit id}"): time order, and
/// entries of the same millisecond in audit id order; an append of an existing entry is a no-op.
/// <b>Idempotency records</b> are keyed (user_id, idempotency_key) with the TTL attribute <c>expires_at</c> (whole
/// seconds, rounded up); a conditional put claims a key, so the first claim wins; an expired record that TTL has not
/// removed yet counts as absent.</para>
/// <para><b>Errors and retries.</b> The SDK's standard retry stays on: throttling
/// (ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded), 5xx, timeouts and dropped
/// connections are retried by the client, which is safe because every write is conditional or idempotent (see above).
/// What is left after the retries is a <see cref="StorageUnavailableException"/>; a DynamoDB ValidationException is a
/// <see cref="ValidationException"/> (code record.invalid). Messages carry ids and DynamoDB's error code, never item content.</para>
/// </remarks>
public sealed class DynamoDbRecordStore : IRecordStore
{
    /// <summary>Each lost race means another writer succeeded, so this bounds the wait, not correctness.</summary>
    private const int MaxUpdateAttempts = 50;

    private const string GuardTimestamp = "0";

    // The record's JSON names that become the spec's attribute names (and back).
    private static readonly Dictionary<string, string> ImageRenames = new(StringComparer.Ordinal)
    {
        ["upload_timestamp"] = "timestamp",
        ["analysis_summary"] = "analysis_results",
    };

    private static readonly Dictionary<string, string> ImageRenamesBack = ImageRenames.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    private static readonly HashSet<string> ImageExtras = new(StringComparer.Ordinal) { "version", "write_token" };

    private static readonly Dictionary<string, string> NoRenames = new(StringComparer.Ordinal);

    private static readonly HashSet<string> AuditExtras = new(StringComparer.Ordinal) { "entry_key" };

    private static readonly AwsErrorMapper Errors = new(
        "DynamoDB",
        new AwsExceptions(
            message => new ValidationException("record.invalid", message),
            message => new StorageUnavailableException(message),
            message => new StorageUnavailableException(message),
            (message, inner) => new StorageUnavailableException(message, inner)),
        new Dictionary<string, AwsErrorKind>(StringComparer.Ordinal)
        {
            ["ProvisionedThroughputExceededException"] = AwsErrorKind.Unavailable,
            ["RequestLimitExceeded"] = AwsErrorKind.Unavailable,
            ["InternalServerError"] = AwsErrorKind.Unavailable,
            ["LimitExceededException"] = AwsErrorKind.Unavailable,
            ["TransactionConflictException"] = AwsErrorKind.Unavailable,
            ["TransactionInProgressException"] = AwsErrorKind.Unavailable,
            // The table is missing or still being created: the deployment is wrong, not the request.
            ["ResourceNotFoundException"] = AwsErrorKind.Unavailable,
            ["ValidationException"] = AwsErrorKind.Invalid,
        });

    private readonly IAmazonDynamoDB dynamo;
    private readonly DynamoDbRecordStoreOptions options;

    public DynamoDbRecordStore(IAmazonDynamoDB dynamo, DynamoDbRecordStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TableName);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AuditTableName);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.IdempotencyTableName);
        this.dynamo = dynamo;
        this.options = options;
    }

    public async Task CreateAsync(ImageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrWhiteSpace(record.ImageId);
        var token = NewToken();
        var item = ToItem(record with { Version = 1 }, token);
        var request = new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem
                {
                    Put = new Put
                    {
                        TableName = options.TableName,
                        Item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                        {
                            ["image_id"] = DynamoDbItems.S(record.ImageId),
                            ["timestamp"] = DynamoDbItems.N(GuardTimestamp),
                            ["write_token"] = DynamoDbItems.S(token),
                        },
                        ConditionExpression = "attribute_not_exists(image_id)",
                    },
                },
                new TransactWriteItem
                {
                    Put = new Put { TableName = options.TableName, Item = item, ConditionExpression = "attribute_not_exists(image_id)" },
                },
            ],
        };
        try
        {
            await CallAsync("TransactWriteItems", record.ImageId, () => dynamo.TransactWriteItemsAsync(request, cancellationToken), cancellationToken);
        }
        catch (TransactionCanceledException e) when (e.CancellationReasons?.Any(r => r.Code == "ConditionalCheckFailed") == true)
        {
            // Either the id is taken, or this very write landed and the SDK replayed it after losing the answer.
            var existing = await ReadAsync(record.ImageId, cancellationToken);
            if (existing?.Token != token)
            {
                throw new ConflictException("image.exists", $"Image {record.ImageId} already exists.");
            }
        }
        catch (TransactionCanceledException e)
        {
            throw new StorageUnavailableException(
                $"DynamoDB TransactWriteItems for image {record.ImageId} was cancelled: {string.Join(", ", e.CancellationReasons?.Select(r => r.Code) ?? [])}.", e);
        }
    }

    public async Task<ImageRecord?> GetAsync(string imageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        return (await ReadAsync(imageId, cancellationToken))?.Record;
    }

    public async Task<ImageRecord> UpdateAsync(string imageId, Func<ImageRecord, ImageRecord> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        ArgumentNullException.ThrowIfNull(update);
        var current = await ReadAsync(imageId, cancellationToken)
            ?? throw new NotFoundException("image.not_found", $"Image {imageId} does not exist.");
        for (var attempt = 1; attempt <= MaxUpdateAttempts; attempt++)
        {
            var next = update(current.Record) ?? throw new InvalidOperationException("The update function returned null.");
            if (!string.Equals(next.ImageId, imageId, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The update function changed the image id of {imageId}.");
            }

            if (next.UploadTimestamp.ToUnixTimeMilliseconds() != current.Record.UploadTimestamp.ToUnixTimeMilliseconds())
            {
                throw new InvalidOperationException($"The update function changed the upload time of {imageId}, which is part of its key.");
            }

            next = next with { Version = current.Record.Version + 1 };
            var token = NewToken();
            var request = new PutItemRequest
            {
                TableName = options.TableName,
                Item = ToItem(next, token),
                ConditionExpression = "version = :read",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":read"] = DynamoDbItems.N(current.Record.Version),
                },
            };
            try
            {
                await CallAsync("PutItem", imageId, () => dynamo.PutItemAsync(request, cancellationToken), cancellationToken);
                return next;
            }
            catch (ConditionalCheckFailedException)
            {
                var latest = await ReadAsync(imageId, cancellationToken)
                    ?? throw new NotFoundException("image.not_found", $"Image {imageId} does not exist.");
                if (latest.Token == token)
                {
                    return latest.Record; // This write landed; its answer was lost and the SDK's replay failed the condition.
                }

                current = latest;
            }

            // Someone else won the race: back off a little (with jitter so the losers do not collide again).
            await Task.Delay(Random.Shared.Next(0, Math.Min(attempt, 10) + 1), cancellationToken);
        }

        throw new ConflictException(
            "image.update_conflict", $"Image {imageId} kept changing; gave up after {MaxUpdateAttempts} attempts.");
    }

    public async Task<RecordPage> QueryByUserAsync(string userId, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var after = cursor is null ? ((decimal Timestamp, string ImageId)?)null : DecodeCursor(cursor);

        var items = new List<(decimal Timestamp, ImageRecord Record)>();
        if (after is { } a)
        {
            // The rest of the tie the previous page ended in.
            var tied = await QueryUserAsync(userId, "#ts = :ts", a.Timestamp, a.ImageId, null, cancellationToken);
            items.AddRange(tied.Items.OrderByDescending(i => i.Record.ImageId, StringComparer.Ordinal));
            if (items.Count > limit)
            {
                return Page(items, limit);
            }
        }

        var (below, more) = await ReadBelowAsync(userId, after?.Timestamp, limit - items.Count, cancellationToken);
        items.AddRange(below);
        return more ? Page(items, limit) : new RecordPage(items.Select(i => i.Record).ToList(), null);
    }

    public async Task<bool> DeleteAsync(string imageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        var existing = await ReadAsync(imageId, cancellationToken);
        var deleted = false;
        if (existing is not null)
        {
            var answer = await CallAsync(
                "DeleteItem",
                imageId,
                () => dynamo.DeleteItemAsync(new DeleteItemRequest
                {
                    TableName = options.TableName,
                    Key = ImageKey(imageId, existing.Timestamp),
                    ReturnValues = ReturnValue.ALL_OLD,
                }, cancellationToken),
                cancellationToken);
            deleted = answer.Attributes is { Count: > 0 };
        }

        // The guard goes last: while it stands, the id stays taken.
        await CallAsync(
            "DeleteItem",
            imageId,
            () => dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = options.TableName, Key = ImageKey(imageId, GuardTimestamp) }, cancellationToken),
            cancellationToken);
        return deleted;
    }

    public async Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.AuditId);
        var item = DynamoDbItems.FromJson(JsonSerializer.SerializeToUtf8Bytes(entry, MedVisionJsonContext.Default.AuditEntry), NoRenames);
        item["entry_key"] = DynamoDbItems.S(string.Create(
            CultureInfo.InvariantCulture, $"{entry.Timestamp.ToUnixTimeMilliseconds():D15}#{entry.AuditId}"));
        try
        {
            await CallAsync(
                "PutItem",
                entry.ResourceId,
                () => dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = options.AuditTableName,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(entry_key)",
                }, cancellationToken),
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already appended (a retry): the first write stands.
        }
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resourceId);
        var entries = new List<AuditEntry>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var answer = await CallAsync(
                "Query",
                resourceId,
                () => dynamo.QueryAsync(new QueryRequest
                {
                    TableName = options.AuditTableName,
                    KeyConditionExpression = "resource_id = :r",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":r"] = DynamoDbItems.S(resourceId) },
                    ConsistentRead = true,
                    ExclusiveStartKey = start,
                }, cancellationToken),
                cancellationToken);
            foreach (var item in answer.Items ?? [])
            {
                entries.Add(JsonSerializer.Deserialize(DynamoDbItems.ToJson(item, NoRenames, AuditExtras), MedVisionJsonContext.Default.AuditEntry)
                    ?? throw new InvalidDataException("Stored audit entry is null."));
            }

            start = answer.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return entries;
    }

    public async Task<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentException.ThrowIfNullOrWhiteSpace(candidate.UserId);
        ArgumentException.ThrowIfNullOrWhiteSpace(candidate.Key);
        var request = new PutItemRequest
        {
            TableName = options.IdempotencyTableName,
            Item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
            {
                ["user_id"] = DynamoDbItems.S(candidate.UserId),
                ["idempotency_key"] = DynamoDbItems.S(candidate.Key),
                ["request_hash"] = DynamoDbItems.S(candidate.RequestHash),
                ["image_id"] = DynamoDbItems.S(candidate.ImageId),
                ["created_at"] = DynamoDbItems.N(Seconds(candidate.CreatedAt)),
                ["expires_at"] = DynamoDbItems.N(CeilingSeconds(candidate.ExpiresAt)),
            },
            // An expired record TTL has not swept yet counts as absent.
            ConditionExpression = "attribute_not_exists(idempotency_key) OR expires_at <= :now",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
            {
                [":now"] = DynamoDbItems.N(Seconds(candidate.CreatedAt)),
            },
        };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await CallAsync("PutItem", candidate.ImageId, () => dynamo.PutItemAsync(request, cancellationToken), cancellationToken);
                return await ReadIdempotencyAsync(candidate.UserId, candidate.Key, cancellationToken) ?? candidate;
            }
            catch (ConditionalCheckFailedException)
            {
                // The earlier claim (or this one, replayed by the SDK after a lost answer) is what the key stands for.
                if (await ReadIdempotencyAsync(candidate.UserId, candidate.Key, cancellationToken) is { } stored)
                {
                    return stored;
                }

                if (attempt >= 3)
                {
                    throw new StorageUnavailableException($"The idempotency record of user {candidate.UserId} kept vanishing during its claim.");
                }
            }
        }
    }

    public async Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string userId, string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(key);
        var stored = await ReadIdempotencyAsync(userId, key, cancellationToken);
        return stored is not null && stored.ExpiresAt > now ? stored : null;
    }

    private async Task<IdempotencyRecord?> ReadIdempotencyAsync(string userId, string key, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(
            "GetItem",
            userId,
            () => dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = options.IdempotencyTableName,
                Key = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    ["user_id"] = DynamoDbItems.S(userId),
                    ["idempotency_key"] = DynamoDbItems.S(key),
                },
                ConsistentRead = true,
            }, cancellationToken),
            cancellationToken);
        if (answer.Item is not { Count: > 0 } item)
        {
            return null;
        }

        return new IdempotencyRecord
        {
            UserId = userId,
            Key = key,
            RequestHash = item["request_hash"].S,
            ImageId = item["image_id"].S,
            CreatedAt = FromSeconds(item["created_at"].N),
            ExpiresAt = FromSeconds(item["expires_at"].N),
        };
    }

    /// <summary>The record with its key timestamp and write token, by a strongly consistent query on image_id.</summary>
    private async Task<StoredImage?> ReadAsync(string imageId, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(
            "Query",
            imageId,
            () => dynamo.QueryAsync(new QueryRequest
            {
                TableName = options.TableName,
                KeyConditionExpression = "image_id = :id AND #ts > :guard",
                ExpressionAttributeNames = new Dictionary<string, string>(StringComparer.Ordinal) { ["#ts"] = "timestamp" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":id"] = DynamoDbItems.S(imageId),
                    [":guard"] = DynamoDbItems.N(GuardTimestamp),
                },
                ConsistentRead = true,
                Limit = 1,
            }, cancellationToken),
            cancellationToken);
        return answer.Items is { Count: > 0 } items ? FromItem(items[0]) : null;
    }

    /// <summary>
    /// Up to <paramref name="need"/> of the user's images strictly older than <paramref name="before"/>, newest first and
    /// ties by image id descending, and whether more exist. Reads the GSI until it holds need + 1 items; when the item
    /// after the page's last shares its timestamp, it reads that whole tie so the page's order is exact.
    /// </summary>
    private async Task<(List<(decimal Timestamp, ImageRecord Record)> Items, bool More)> ReadBelowAsync(
        string userId, decimal? before, int need, CancellationToken cancellationToken)
    {
        var read = new List<(decimal Timestamp, ImageRecord Record)>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var answer = await QueryUserAsync(
                userId, before is null ? null : "#ts < :ts", before, null, start, cancellationToken, limit: need + 1 - read.Count);
            read.AddRange(answer.Items);
            start = answer.Last;
        }
        while (read.Count <= need && start is not null);

        if (read.Count <= need)
        {
            return (Ordered(read), false);
        }

        if (need == 0)
        {
            return ([], true);
        }

        var edge = read[need - 1].Timestamp;
        if (read[need].Timestamp == edge)
        {
            // The page ends inside a tie that may go on past what was read: take the whole tie.
            var tie = await QueryUserAsync(userId, "#ts = :ts", edge, null, null, cancellationToken);
            read = read.Where(i => i.Timestamp > edge).Concat(tie.Items).ToList();
        }

        return (Ordered(read), true);
    }

    private static List<(decimal Timestamp, ImageRecord Record)> Ordered(IEnumerable<(decimal Timestamp, ImageRecord Record)> items) =>
        items.OrderByDescending(i => i.Timestamp).ThenByDescending(i => i.Record.ImageId, StringComparer.Ordinal).ToList();

    /// <summary>
    /// One GSI query, newest first. With <paramref name="limit"/> it returns one page of DynamoDB's answer and its
    /// LastEvaluatedKey; without it, every match (all pages). <paramref name="idBelow"/> keeps image ids below it.
    /// </summary>
    private async Task<(List<(decimal Timestamp, ImageRecord Record)> Items, Dictionary<string, AttributeValue>? Last)> QueryUserAsync(
        string userId,
        string? timestampCondition,
        decimal? timestamp,
        string? idBelow,
        Dictionary<string, AttributeValue>? start,
        CancellationToken cancellationToken,
        int? limit = null)
    {
        var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":u"] = DynamoDbItems.S(userId) };
        if (timestamp is { } ts)
        {
            values[":ts"] = DynamoDbItems.N(ts.ToString(CultureInfo.InvariantCulture));
        }

        if (idBelow is not null)
        {
            values[":id"] = DynamoDbItems.S(idBelow);
        }

        var items = new List<(decimal Timestamp, ImageRecord Record)>();
        while (true)
        {
            var request = new QueryRequest
            {
                TableName = options.TableName,
                IndexName = MedVisionTables.UserIndexName,
                KeyConditionExpression = timestampCondition is null ? "user_id = :u" : $"user_id = :u AND {timestampCondition}",
                FilterExpression = idBelow is null ? null : "image_id < :id",
                ExpressionAttributeNames = timestampCondition is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { ["#ts"] = "timestamp" },
                ExpressionAttributeValues = values,
                ScanIndexForward = false,
                ExclusiveStartKey = start,
                Limit = limit,
            };
            var answer = await CallAsync("Query", userId, () => dynamo.QueryAsync(request, cancellationToken), cancellationToken);
            foreach (var item in answer.Items ?? [])
            {
                var stored = FromItem(item);
                items.Add((ParseTimestamp(stored.Timestamp), stored.Record));
            }

            start = answer.LastEvaluatedKey is { Count: > 0 } last ? last : null;
            if (limit is not null || start is null)
            {
                return (items, start);
            }
        }
    }

    private static RecordPage Page(List<(decimal Timestamp, ImageRecord Record)> items, int limit)
    {
        var page = items.Take(limit).ToList();
        return new RecordPage(page.Select(i => i.Record).ToList(), EncodeCursor(page[^1].Timestamp, page[^1].Record.ImageId));
    }

    private static Dictionary<string, AttributeValue> ToItem(ImageRecord record, string token)
    {
        var item = DynamoDbItems.FromJson(JsonSerializer.SerializeToUtf8Bytes(record, MedVisionJsonContext.Default.ImageRecord), ImageRenames);
        item.Remove("version");
        item["version"] = DynamoDbItems.N(record.Version);
        item["write_token"] = DynamoDbItems.S(token);
        return item;
    }

    // The version attribute is the truth; the record's copy is set from it.
    private static StoredImage FromItem(Dictionary<string, AttributeValue> item)
    {
        var version = long.Parse(item["version"].N, CultureInfo.InvariantCulture);
        var record = JsonSerializer.Deserialize(DynamoDbItems.ToJson(item, ImageRenamesBack, ImageExtras), MedVisionJsonContext.Default.ImageRecord)
            ?? throw new InvalidDataException("Stored image record is null.");
        return new StoredImage(record with { Version = version }, item["timestamp"].N, item.TryGetValue("write_token", out var t) ? t.S : null);
    }

    private static Dictionary<string, AttributeValue> ImageKey(string imageId, string timestamp) => new(StringComparer.Ordinal)
    {
        ["image_id"] = DynamoDbItems.S(imageId),
        ["timestamp"] = DynamoDbItems.N(timestamp),
    };

    private static string NewToken() => Guid.NewGuid().ToString("N");

    private static string Seconds(DateTimeOffset at) => (at.ToUnixTimeMilliseconds() / 1000m).ToString(CultureInfo.InvariantCulture);

    private static long CeilingSeconds(DateTimeOffset at) => (long)Math.Ceiling(at.ToUnixTimeMilliseconds() / 1000m);

    private static DateTimeOffset FromSeconds(string n) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(decimal.Parse(n, NumberStyles.Float, CultureInfo.InvariantCulture) * 1000m));

    private static decimal ParseTimestamp(string n) => decimal.Parse(n, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Opaque to callers: base64url of "{timestamp}|{image id}" of the last item returned.</summary>
    private static string EncodeCursor(decimal timestamp, string imageId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{timestamp}|{imageId}")));

    private static (decimal Timestamp, string ImageId) DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && bar < text.Length - 1
                && decimal.TryParse(text.AsSpan(0, bar), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var ts))
            {
                return (ts, text[(bar + 1)..]);
            }
        }
        catch (FormatException)
        {
            // Falls through to the validation error below.
        }

        throw new ValidationException("request.bad_cursor", "The history cursor is malformed; pass back the next_cursor of a previous page.");
    }

    /// <summary>
    /// One SDK call with its failures as core exceptions. ConditionalCheckFailed and a cancelled transaction pass through
    /// for the caller to decide; the caller's own cancellation stays an <see cref="OperationCanceledException"/>.
    /// </summary>
    private static async Task<T> CallAsync<T>(string operation, string id, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (ConditionalCheckFailedException)
        {
            throw;
        }
        catch (TransactionCanceledException)
        {
            throw;
        }
        catch (AmazonServiceException e)
        {
            throw Errors.ToException(new AwsError((int)e.StatusCode, e.ErrorCode ?? "", e.Message), $"{operation} ({id})");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
        {
            throw Errors.Unavailable($"{operation} ({id})", $"no answer ({e.GetType().Name})", e);
        }
    }

    private sealed record StoredImage(ImageRecord Record, string Timestamp, string? Token);
}
