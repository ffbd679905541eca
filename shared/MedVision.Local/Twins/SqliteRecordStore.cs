using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MedVision.Core;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using Microsoft.Data.Sqlite;

namespace MedVision.Local.Twins;

/// <summary>
/// The DynamoDB twin: image records, the audit trail and upload idempotency records in one SQLite file. Records are stored whole as JSON
/// (the source-generated <see cref="MedVisionJsonContext"/>) with the queried fields copied into columns.
/// </summary>
/// <remarks>
/// Safe for concurrent use from many tasks and processes: every operation opens its own pooled connection,
/// writes are single statements (no read-then-write transactions that could hit SQLITE_BUSY_SNAPSHOT), and
/// <see cref="UpdateAsync"/> is an optimistic compare-and-swap on the version column.
/// The stored record's <see cref="ImageRecord.Version"/> always equals the row version; a created record is version 1.
/// </remarks>
public sealed class SqliteRecordStore : IRecordStore, IDisposable
{
    /// <summary>Each lost race means another writer succeeded, so this bounds the wait, not correctness.</summary>
    private const int MaxUpdateAttempts = 50;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS images (
            image_id TEXT NOT NULL PRIMARY KEY,
            user_id TEXT NOT NULL,
            upload_ts_ms INTEGER NOT NULL,
            version INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        -- The user_id-timestamp GSI; image_id breaks ties so paging order is total.
        CREATE INDEX IF NOT EXISTS images_user_ts ON images (user_id, upload_ts_ms DESC, image_id DESC);
        CREATE TABLE IF NOT EXISTS audit (
            audit_id TEXT NOT NULL PRIMARY KEY,
            resource_id TEXT NOT NULL,
            ts_ms INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_resource_ts ON audit (resource_id, ts_ms);
        CREATE TABLE IF NOT EXISTS idempotency (
            user_id TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            image_id TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        """;

    private readonly SqliteTwinDb db;

    public SqliteRecordStore(string databasePath) => db = new SqliteTwinDb(databasePath, Schema);

    public async Task CreateAsync(ImageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrWhiteSpace(record.ImageId);
        var stored = record with { Version = 1 };
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO images (image_id, user_id, upload_ts_ms, version, body)
            VALUES ($id, $user, $ts, $version, $body)
            ON CONFLICT (image_id) DO NOTHING;
            """;
        AddRecordParameters(command, stored);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw new ConflictException("image.exists", $"Image {record.ImageId} already exists.");
        }
    }

    public async Task<ImageRecord?> GetAsync(string imageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        await using var connection = db.Open();
        return (await ReadAsync(connection, imageId, cancellationToken))?.Record;
    }

    public async Task<ImageRecord> UpdateAsync(string imageId, Func<ImageRecord, ImageRecord> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        ArgumentNullException.ThrowIfNull(update);
        await using var connection = db.Open();
        for (var attempt = 1; attempt <= MaxUpdateAttempts; attempt++)
        {
            var current = await ReadAsync(connection, imageId, cancellationToken)
                ?? throw new NotFoundException("image.not_found", $"Image {imageId} does not exist.");

            var next = update(current.Record) ?? throw new InvalidOperationException("The update function returned null.");
            if (!string.Equals(next.ImageId, imageId, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The update function changed the image id of {imageId}.");
            }

            next = next with { Version = current.Version + 1 };
            await using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE images SET user_id = $user, upload_ts_ms = $ts, version = $version, body = $body
                WHERE image_id = $id AND version = $old;
                """;
            AddRecordParameters(command, next);
            command.Parameters.AddWithValue("$old", current.Version);
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return next;
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
        (long TimestampMs, string ImageId)? after = cursor is null ? null : DecodeCursor(cursor);

        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = after is null
            ? """
              SELECT body, version FROM images WHERE user_id = $user
              ORDER BY upload_ts_ms DESC, image_id DESC LIMIT $take;
              """
            : """
              SELECT body, version FROM images
              WHERE user_id = $user AND (upload_ts_ms < $ts OR (upload_ts_ms = $ts AND image_id < $id))
              ORDER BY upload_ts_ms DESC, image_id DESC LIMIT $take;
              """;
        command.Parameters.AddWithValue("$user", userId);
        // One extra row tells whether another page exists, so the last page gets a null cursor.
        command.Parameters.AddWithValue("$take", (long)limit + 1);
        if (after is { } a)
        {
            command.Parameters.AddWithValue("$ts", a.TimestampMs);
            command.Parameters.AddWithValue("$id", a.ImageId);
        }

        var items = new List<ImageRecord>(Math.Min(limit, 1000));
        var more = false;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (items.Count == limit)
                {
                    more = true;
                    break;
                }

                items.Add(Deserialize(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var next = more ? EncodeCursor(items[^1]) : null;
        return new RecordPage(items, next);
    }

    public async Task<bool> DeleteAsync(string imageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM images WHERE image_id = $id;";
        command.Parameters.AddWithValue("$id", imageId);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>Appends an entry; appending the same audit id again is a no-op, so retried writes are safe.</summary>
    public async Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.AuditId);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO audit (audit_id, resource_id, ts_ms, body) VALUES ($id, $resource, $ts, $body)
            ON CONFLICT (audit_id) DO NOTHING;
            """;
        command.Parameters.AddWithValue("$id", entry.AuditId);
        command.Parameters.AddWithValue("$resource", entry.ResourceId);
        command.Parameters.AddWithValue("$ts", entry.Timestamp.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(entry, MedVisionJsonContext.Default.AuditEntry));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Entries for one resource in time order; entries with the same millisecond stay in append order.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resourceId);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM audit WHERE resource_id = $resource ORDER BY ts_ms, rowid;";
        command.Parameters.AddWithValue("$resource", resourceId);
        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(JsonSerializer.Deserialize(reader.GetString(0), MedVisionJsonContext.Default.AuditEntry)
                ?? throw new InvalidDataException("Stored audit entry is null."));
        }

        return entries;
    }

    /// <summary>One statement: insert, or replace a record that expired as of the candidate's creation; else keep the earlier one.</summary>
    public async Task<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentException.ThrowIfNullOrWhiteSpace(candidate.UserId);
        ArgumentException.ThrowIfNullOrWhiteSpace(candidate.Key);
        await using var connection = db.Open();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                INSERT INTO idempotency (user_id, key, request_hash, image_id, created_ms, expires_ms)
                VALUES ($user, $key, $hash, $image, $created, $expires)
                ON CONFLICT (user_id, key) DO UPDATE SET
                    request_hash = excluded.request_hash, image_id = excluded.image_id,
                    created_ms = excluded.created_ms, expires_ms = excluded.expires_ms
                WHERE idempotency.expires_ms <= excluded.created_ms;
                """;
            command.Parameters.AddWithValue("$user", candidate.UserId);
            command.Parameters.AddWithValue("$key", candidate.Key);
            command.Parameters.AddWithValue("$hash", candidate.RequestHash);
            command.Parameters.AddWithValue("$image", candidate.ImageId);
            command.Parameters.AddWithValue("$created", candidate.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$expires", candidate.ExpiresAt.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return await ReadIdempotencyAsync(connection, candidate.UserId, candidate.Key, cancellationToken)
            ?? throw new InvalidDataException($"The idempotency record of user {candidate.UserId} vanished after its claim.");
    }

    public async Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string userId, string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = db.Open();
        var stored = await ReadIdempotencyAsync(connection, userId, key, cancellationToken);
        return stored is not null && stored.ExpiresAt > now ? stored : null;
    }

    public void Dispose() => db.Dispose();

    private static async Task<IdempotencyRecord?> ReadIdempotencyAsync(
        SqliteConnection connection, string userId, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT request_hash, image_id, created_ms, expires_ms FROM idempotency WHERE user_id = $user AND key = $key;
            """;
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new IdempotencyRecord
        {
            UserId = userId,
            Key = key,
            RequestHash = reader.GetString(0),
            ImageId = reader.GetString(1),
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
            ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        };
    }

    private static async Task<(ImageRecord Record, long Version)?> ReadAsync(
        SqliteConnection connection, string imageId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT body, version FROM images WHERE image_id = $id;";
        command.Parameters.AddWithValue("$id", imageId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var version = reader.GetInt64(1);
        return (Deserialize(reader.GetString(0), version), version);
    }

    private static void AddRecordParameters(SqliteCommand command, ImageRecord record)
    {
        command.Parameters.AddWithValue("$id", record.ImageId);
        command.Parameters.AddWithValue("$user", record.UserId);
        command.Parameters.AddWithValue("$ts", record.UploadTimestamp.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$version", record.Version);
        command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(record, MedVisionJsonContext.Default.ImageRecord));
    }

    // The version column is the truth; the body's copy is overwritten in case they ever disagree.
    private static ImageRecord Deserialize(string body, long version) =>
        (JsonSerializer.Deserialize(body, MedVisionJsonContext.Default.ImageRecord)
            ?? throw new InvalidDataException("Stored image record is null.")) with { Version = version };

    /// <summary>Opaque to callers: base64url of "{upload ms}|{image id}" of the last item returned.</summary>
    private static string EncodeCursor(ImageRecord last) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{last.UploadTimestamp.ToUnixTimeMilliseconds()}|{last.ImageId}")));

    private static (long TimestampMs, string ImageId) DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && bar < text.Length - 1
                && long.TryParse(text.AsSpan(0, bar), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ts))
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
}
