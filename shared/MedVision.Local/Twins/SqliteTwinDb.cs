using Microsoft.Data.Sqlite;

namespace MedVision.Local.Twins;

/// <summary>Connection handling shared by the SQLite twins: one pooled connection per operation, WAL, busy timeout.</summary>
internal sealed class SqliteTwinDb : IDisposable
{
    /// <summary>How long a writer waits for another writer's lock before SQLITE_BUSY.</summary>
    private const int BusyTimeoutMs = 30_000;

    private readonly string connectionString;
    private int disposed;

    public SqliteTwinDb(string databasePath, string schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var fullPath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();

        using var connection = Open();
        // WAL lets readers run beside the one writer; the setting is stored in the file, so once is enough.
        Execute(connection, "PRAGMA journal_mode = WAL;");
        Execute(connection, schema);
    }

    public SqliteConnection Open()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            // Per connection: wait for a busy writer instead of failing at once. NORMAL is durable enough in
            // WAL mode (a power cut may lose the last commits, never corrupt the file) and much faster.
            Execute(connection, $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = NORMAL;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        // Pooled connections keep the file open; release them so the database can be moved or deleted.
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
