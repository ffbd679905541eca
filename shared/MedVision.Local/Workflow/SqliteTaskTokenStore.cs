using MedVision.Asl;
using MedVision.Local.Twins;
using Microsoft.Data.Sqlite;

namespace MedVision.Local.Workflow;

/// <summary>What became of a claim on a task token.</summary>
internal enum TokenClaim
{
    Claimed,
    NotFound,
    AlreadyClosed,
}

/// <summary>
/// Task-token checkpoints in SQLite, so an execution parked on a token outlives the process that started it.
/// A token is answered or closed exactly once: every transition out of <c>waiting</c> is one conditional UPDATE,
/// which also holds across processes sharing the file.
/// </summary>
internal sealed class SqliteTaskTokenStore : IDisposable
{
    private const string Waiting = "waiting";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS task_tokens (
            token TEXT NOT NULL PRIMARY KEY,
            execution_name TEXT NOT NULL,
            state TEXT NOT NULL,          -- waiting | succeeded | failed | closed
            checkpoint TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            closed_ms INTEGER,
            close_reason TEXT
        );
        CREATE INDEX IF NOT EXISTS task_tokens_execution ON task_tokens (execution_name);
        """;

    private readonly SqliteTwinDb db;
    private readonly TimeProvider time;

    public SqliteTaskTokenStore(string databasePath, TimeProvider time)
    {
        db = new SqliteTwinDb(databasePath, Schema);
        this.time = time;
    }

    public async Task InsertAsync(TaskTokenCheckpoint checkpoint, CancellationToken ct)
    {
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO task_tokens (token, execution_name, state, checkpoint, created_ms)
            VALUES ($token, $execution, 'waiting', $checkpoint, $now);
            """;
        command.Parameters.AddWithValue("$token", checkpoint.Token);
        command.Parameters.AddWithValue("$execution", checkpoint.ExecutionName);
        command.Parameters.AddWithValue("$checkpoint", checkpoint.ToJson());
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Moves a waiting token to <paramref name="newState"/>; returns its checkpoint when this call won.</summary>
    public async Task<(TokenClaim Claim, TaskTokenCheckpoint? Checkpoint)> ClaimAsync(string token, string newState, string? reason, CancellationToken ct)
    {
        await using var connection = db.Open();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                UPDATE task_tokens SET state = $state, closed_ms = $now, close_reason = $reason
                WHERE token = $token AND state = 'waiting'
                RETURNING checkpoint;
                """;
            command.Parameters.AddWithValue("$state", newState);
            command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$reason", (object?)reason ?? DBNull.Value);
            command.Parameters.AddWithValue("$token", token);
            if (await command.ExecuteScalarAsync(ct) is string json)
            {
                return (TokenClaim.Claimed, TaskTokenCheckpoint.FromJson(json));
            }
        }

        await using var lookup = connection.CreateCommand();
        lookup.CommandText = "SELECT state FROM task_tokens WHERE token = $token;";
        lookup.Parameters.AddWithValue("$token", token);
        return (await lookup.ExecuteScalarAsync(ct) is string state && state != Waiting ? TokenClaim.AlreadyClosed : TokenClaim.NotFound, null);
    }

    public void Dispose() => db.Dispose();
}
