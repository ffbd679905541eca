using System.Globalization;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Ports;
using Microsoft.Data.Sqlite;

namespace MedVision.Local.Twins;

/// <summary>
/// The HealthLake twin: a FHIR R4 resource store in SQLite. The latest version of each resource is in
/// <c>resources</c>; every version (and a body-less tombstone per delete) is kept in <c>history</c>, so version ids
/// keep rising across deletes as in FHIR.
/// </summary>
/// <remarks>
/// <para>Search (deliberately small, exact matching only, no modifiers, chaining or comma "OR" lists):
/// <c>_id</c> matches the resource id; any other parameter P matches when the top-level element P</para>
/// <list type="bullet">
/// <item>is a primitive whose JSON text equals the value (strings as is, numbers and booleans as written);</item>
/// <item>is a Reference whose <c>reference</c> equals the value, or ends in "/{value}" when the value has no '/';</item>
/// <item>is an Identifier, Coding or CodeableConcept matching the token "system|value", "|value", "system|" or "value";</item>
/// <item>is an array holding any element that matches as above.</item>
/// </list>
/// <para>Parameters naming elements the resource lacks (or FHIR search names that differ from element names) match nothing.
/// All parameters must match. Results are ordered by id. Matching scans the type's resources in memory, which is
/// fine at laptop scale.</para>
/// <para>Safe for concurrent use: each operation has its own pooled connection and writes run in IMMEDIATE
/// transactions, so the version read and the write happen under the same lock.</para>
/// </remarks>
public sealed class SqliteFhirStore : IFhirStore, IDisposable
{
    private const int MaxIdLength = 64;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS resources (
            resource_type TEXT NOT NULL,
            id TEXT NOT NULL,
            version_id INTEGER NOT NULL,
            last_updated TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (resource_type, id)
        );
        CREATE TABLE IF NOT EXISTS history (
            resource_type TEXT NOT NULL,
            id TEXT NOT NULL,
            version_id INTEGER NOT NULL,
            last_updated TEXT NOT NULL,
            body TEXT,
            PRIMARY KEY (resource_type, id, version_id)
        );
        """;

    private readonly SqliteTwinDb db;
    private readonly TimeProvider time;

    public SqliteFhirStore(string databasePath, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        this.time = time;
        db = new SqliteTwinDb(databasePath, Schema);
    }

    public async Task<string> UpsertAsync(JsonObject resource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var resourceType = StringOf(resource["resourceType"]);
        var id = StringOf(resource["id"]);
        if (resourceType is null || !IsValidResourceType(resourceType))
        {
            throw new ValidationException("fhir.invalid_resource", "resourceType must be a string of letters starting with an upper-case letter.");
        }

        if (id is null || !IsValidId(id))
        {
            throw new ValidationException("fhir.invalid_resource", $"{resourceType}.id must match [A-Za-z0-9\\-\\.]{{1,64}}.");
        }

        // Stamp a copy: the caller's object stays as it was.
        var stored = resource.DeepClone().AsObject();
        var meta = stored["meta"] switch
        {
            null => new JsonObject(),
            JsonObject existing => existing,
            _ => throw new ValidationException("fhir.invalid_resource", $"{resourceType}/{id}: meta must be an object."),
        };
        stored["meta"] = meta;
        var lastUpdated = FhirInstant(time.GetUtcNow());

        await using var connection = db.Open();
        // IMMEDIATE takes the write lock up front (waiting via busy_timeout), so reading the version is race free.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var version = await LatestVersionAsync(connection, transaction, resourceType, id, cancellationToken) + 1;
        var versionId = version.ToString(CultureInfo.InvariantCulture);
        meta["versionId"] = versionId;
        meta["lastUpdated"] = lastUpdated;
        var body = stored.ToJsonString();

        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO resources (resource_type, id, version_id, last_updated, body) VALUES ($type, $id, $version, $updated, $body)
                ON CONFLICT (resource_type, id) DO UPDATE
                SET version_id = excluded.version_id, last_updated = excluded.last_updated, body = excluded.body;
                INSERT INTO history (resource_type, id, version_id, last_updated, body) VALUES ($type, $id, $version, $updated, $body);
                """;
            command.Parameters.AddWithValue("$type", resourceType);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$version", version);
            command.Parameters.AddWithValue("$updated", lastUpdated);
            command.Parameters.AddWithValue("$body", body);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return versionId;
    }

    public async Task<JsonObject?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        ValidateAddress(resourceType, id);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM resources WHERE resource_type = $type AND id = $id;";
        command.Parameters.AddWithValue("$type", resourceType);
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken) is string body ? Parse(body) : null;
    }

    /// <summary>Every stored version of a resource, oldest first; deletes leave no entry.</summary>
    public async Task<IReadOnlyList<JsonObject>> HistoryAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        ValidateAddress(resourceType, id);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT body FROM history WHERE resource_type = $type AND id = $id AND body IS NOT NULL ORDER BY version_id;
            """;
        command.Parameters.AddWithValue("$type", resourceType);
        command.Parameters.AddWithValue("$id", id);
        return await ReadBodiesAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<JsonObject>> SearchAsync(
        string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!IsValidResourceType(resourceType))
        {
            throw new ValidationException("fhir.invalid_request", $"'{resourceType}' is not a FHIR resource type name.");
        }

        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        // _id narrows in SQL (primary key); the other parameters are checked on the parsed resources.
        command.CommandText = parameters.TryGetValue("_id", out var idFilter)
            ? "SELECT body FROM resources WHERE resource_type = $type AND id = $id ORDER BY id;"
            : "SELECT body FROM resources WHERE resource_type = $type ORDER BY id;";
        command.Parameters.AddWithValue("$type", resourceType);
        if (idFilter is not null)
        {
            command.Parameters.AddWithValue("$id", idFilter);
        }

        var candidates = await ReadBodiesAsync(command, cancellationToken);
        return candidates
            .Where(r => parameters.All(p => p.Key == "_id" || ElementMatches(r[p.Key], p.Value)))
            .ToList();
    }

    /// <summary>Removes the current version; history stays, with a tombstone so a later upsert continues the numbering.</summary>
    public async Task<bool> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        ValidateAddress(resourceType, id);
        await using var connection = db.Open();
        // IMMEDIATE takes the write lock up front (waiting via busy_timeout), so reading the version is race free.
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM resources WHERE resource_type = $type AND id = $id;";
            delete.Parameters.AddWithValue("$type", resourceType);
            delete.Parameters.AddWithValue("$id", id);
            if (await delete.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        var version = await LatestVersionAsync(connection, transaction, resourceType, id, cancellationToken) + 1;
        await using (var tombstone = connection.CreateCommand())
        {
            tombstone.Transaction = transaction;
            tombstone.CommandText = """
                INSERT INTO history (resource_type, id, version_id, last_updated, body) VALUES ($type, $id, $version, $updated, NULL);
                """;
            tombstone.Parameters.AddWithValue("$type", resourceType);
            tombstone.Parameters.AddWithValue("$id", id);
            tombstone.Parameters.AddWithValue("$version", version);
            tombstone.Parameters.AddWithValue("$updated", FhirInstant(time.GetUtcNow()));
            await tombstone.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public void Dispose() => db.Dispose();

    /// <summary>FHIR resource type names: letters only, starting upper case (Patient, DiagnosticReport).</summary>
    private static bool IsValidResourceType(string value) =>
        value.Length is > 0 and <= MaxIdLength && char.IsAsciiLetterUpper(value[0]) && value.All(char.IsAsciiLetter);

    /// <summary>The FHIR id rule: [A-Za-z0-9\-\.]{1,64}.</summary>
    private static bool IsValidId(string value) =>
        value.Length is > 0 and <= MaxIdLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    private static void ValidateAddress(string resourceType, string id)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        ArgumentNullException.ThrowIfNull(id);
        if (!IsValidResourceType(resourceType) || !IsValidId(id))
        {
            throw new ValidationException("fhir.invalid_request", $"'{resourceType}/{id}' is not a valid FHIR resource address.");
        }
    }

    private static string FhirInstant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static async Task<long> LatestVersionAsync(
        SqliteConnection connection, SqliteTransaction transaction, string resourceType, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(MAX(version_id), 0) FROM history WHERE resource_type = $type AND id = $id;";
        command.Parameters.AddWithValue("$type", resourceType);
        command.Parameters.AddWithValue("$id", id);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static async Task<List<JsonObject>> ReadBodiesAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var bodies = new List<JsonObject>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            bodies.Add(Parse(reader.GetString(0)));
        }

        return bodies;
    }

    private static JsonObject Parse(string body) =>
        JsonNode.Parse(body) as JsonObject ?? throw new InvalidDataException("Stored FHIR resource is not a JSON object.");

    private static bool ElementMatches(JsonNode? element, string value) => element switch
    {
        JsonArray items => items.Any(item => item is not JsonArray && ElementMatches(item, value)),
        JsonObject complex => ReferenceMatches(complex, value) || TokenMatches(complex, value)
            || (complex["coding"] is JsonArray codings && codings.OfType<JsonObject>().Any(c => TokenMatches(c, value))),
        JsonValue primitive => string.Equals(PrimitiveText(primitive), value, StringComparison.Ordinal),
        _ => false,
    };

    private static bool ReferenceMatches(JsonObject reference, string value)
    {
        var target = StringOf(reference["reference"]);
        return target is not null
            && (string.Equals(target, value, StringComparison.Ordinal)
                || (!value.Contains('/', StringComparison.Ordinal) && target.EndsWith("/" + value, StringComparison.Ordinal)));
    }

    /// <summary>FHIR token matching on an Identifier (system/value) or Coding (system/code).</summary>
    private static bool TokenMatches(JsonObject token, string value)
    {
        var code = StringOf(token["value"]) ?? StringOf(token["code"]);
        if (code is null)
        {
            return false;
        }

        var bar = value.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return string.Equals(code, value, StringComparison.Ordinal);
        }

        var system = value[..bar];
        var wanted = value[(bar + 1)..];
        var actualSystem = StringOf(token["system"]);
        // "|value" asks for no system; "system|" asks for any value in that system.
        var systemMatches = system.Length == 0 ? actualSystem is null : string.Equals(actualSystem, system, StringComparison.Ordinal);
        return systemMatches && (wanted.Length == 0 || string.Equals(code, wanted, StringComparison.Ordinal));
    }

    private static string? StringOf(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string PrimitiveText(JsonValue value) => StringOf(value) ?? value.ToJsonString();
}
