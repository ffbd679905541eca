using System.Globalization;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Fhir;
using MedVision.Local.Fhir;
using Microsoft.Data.Sqlite;

namespace MedVision.Local.Twins;

/// <summary>
/// The HealthLake twin: a FHIR R4 resource store in SQLite. The latest version of each resource is in
/// <c>resources</c>; every version (and a body-less tombstone per delete) is kept in <c>history</c>, so version ids
/// keep rising across deletes as in FHIR.
/// </summary>
/// <remarks>
/// <para>The port (<see cref="IFhirStore"/>) is typed: a resource becomes JSON once on its way into its row and is
/// parsed once on its way out. The local REST API (<c>FhirServer</c> in MedVision.Twins) works on the stored JSON itself through
/// <see cref="WriteAsync"/>, <see cref="ReadJsonAsync"/>, <see cref="ReadStateAsync"/>, <see cref="AllAsync"/> and the
/// history reads.</para>
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
    private readonly FhirTransaction transactions;

    /// <param name="ids">Ids for transaction entries that POST (create); UUIDv7 when not given.</param>
    public SqliteFhirStore(string databasePath, TimeProvider time, IIdGenerator? ids = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        this.time = time;
        db = new SqliteTwinDb(databasePath, Schema);
        transactions = new FhirTransaction(this, ids ?? new UuidV7IdGenerator(time));
    }

    /// <summary>
    /// The same transaction processing as the REST API's POST to the base (<see cref="FhirTransaction"/>), with its
    /// errors mapped to the port's: 409/412 (a target repeated, an If-Match that does not hold) →
    /// <see cref="ConflictException"/>, any other refusal → <see cref="ValidationException"/>, each with the text the
    /// REST API would put in its OperationOutcome. Nothing is written unless everything is.
    /// </summary>
    public async Task<Bundle> TransactionAsync(Bundle bundle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        try
        {
            return await transactions.ExecuteAsync(bundle, cancellationToken);
        }
        catch (FhirHttpException ex) when (ex.Status is 409 or 412)
        {
            throw new ConflictException("fhir.conflict", ex.Message);
        }
        catch (FhirHttpException ex)
        {
            throw new ValidationException("fhir.invalid_transaction", ex.Message);
        }
        catch (PreconditionFailedException ex)
        {
            throw new ConflictException(ex.Code, ex.Message);
        }
    }

    /// <summary>The resource becomes JSON once, here, on its way into its row.</summary>
    public async Task<string> UpsertAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        var (resourceType, id) = FhirAddress.Of(resource);
        var result = await WriteAsync([new FhirWrite(resourceType, id, FhirJson.ToJsonObject(resource), IfMatch: null)], cancellationToken);
        return result[0].VersionId.ToString(CultureInfo.InvariantCulture);
    }

    public async Task<Resource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default) =>
        await ReadBodyAsync(resourceType, id, cancellationToken) is { } body ? FhirJson.Parse(body) : null;

    public async Task<IReadOnlyList<Resource>> SearchAsync(
        string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        (await SearchBodiesAsync(resourceType, parameters, cancellationToken)).Select(m => FhirJson.Parse(m.Body)).ToList();

    /// <summary>
    /// Applies creates/updates and deletes atomically in one IMMEDIATE SQLite transaction (a FHIR transaction Bundle):
    /// any failure, including an <see cref="FhirWrite.IfMatch"/> mismatch, rolls back every write.
    /// </summary>
    /// <exception cref="PreconditionFailedException">An If-Match version is not the current one (or the resource is absent).</exception>
    public async Task<IReadOnlyList<FhirWriteResult>> WriteAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var prepared = writes.Select(Prepare).ToList();
        var lastUpdated = FhirInstant(time.GetUtcNow());
        var results = new List<FhirWriteResult>(prepared.Count);

        await using var connection = db.Open();
        // IMMEDIATE takes the write lock up front (waiting via busy_timeout), so reading the version is race free.
        await using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var write in prepared)
        {
            results.Add(await WriteOneAsync(connection, transaction, write, lastUpdated, cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return results;
    }

    private static FhirWrite Prepare(FhirWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        FhirAddress.Validate(write.ResourceType, write.Id);

        if (write.Resource is null)
        {
            return write;
        }

        // Stamp a copy: the caller's object stays as it was.
        var stored = write.Resource.DeepClone().AsObject();
        stored["meta"] = stored["meta"] switch
        {
            null => new JsonObject(),
            JsonObject existing => existing,
            _ => throw new ValidationException("fhir.invalid_resource", $"{write.ResourceType}/{write.Id}: meta must be an object."),
        };
        return write with { Resource = stored };
    }

    private static async Task<FhirWriteResult> WriteOneAsync(
        SqliteConnection connection, SqliteTransaction transaction, FhirWrite write, string lastUpdated, CancellationToken cancellationToken)
    {
        long? current;
        await using (var probe = connection.CreateCommand())
        {
            probe.Transaction = transaction;
            probe.CommandText = "SELECT version_id FROM resources WHERE resource_type = $type AND id = $id;";
            probe.Parameters.AddWithValue("$type", write.ResourceType);
            probe.Parameters.AddWithValue("$id", write.Id);
            current = await probe.ExecuteScalarAsync(cancellationToken) is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
        }

        if (write.IfMatch is { } expected && current != expected)
        {
            throw new PreconditionFailedException(
                "fhir.version_conflict",
                current is null
                    ? $"{write.ResourceType}/{write.Id} does not exist, so it cannot be at version {expected}."
                    : $"{write.ResourceType}/{write.Id} is at version {current}, not {expected}.");
        }

        if (write.Resource is null && current is null)
        {
            // Deleting what is not there changes nothing (FHIR allows 204 for it); no tombstone.
            return new FhirWriteResult(write.ResourceType, write.Id, 0, lastUpdated, Created: false, Existed: false, Resource: null);
        }

        var version = await LatestVersionAsync(connection, transaction, write.ResourceType, write.Id, cancellationToken) + 1;
        string? body = null;
        if (write.Resource is { } resource)
        {
            var meta = resource["meta"]!.AsObject();
            meta["versionId"] = version.ToString(CultureInfo.InvariantCulture);
            meta["lastUpdated"] = lastUpdated;
            body = resource.ToJsonString();
        }

        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = body is null
                ? """
                  DELETE FROM resources WHERE resource_type = $type AND id = $id;
                  INSERT INTO history (resource_type, id, version_id, last_updated, body) VALUES ($type, $id, $version, $updated, NULL);
                  """
                : """
                  INSERT INTO resources (resource_type, id, version_id, last_updated, body) VALUES ($type, $id, $version, $updated, $body)
                  ON CONFLICT (resource_type, id) DO UPDATE
                  SET version_id = excluded.version_id, last_updated = excluded.last_updated, body = excluded.body;
                  INSERT INTO history (resource_type, id, version_id, last_updated, body) VALUES ($type, $id, $version, $updated, $body);
                  """;
            command.Parameters.AddWithValue("$type", write.ResourceType);
            command.Parameters.AddWithValue("$id", write.Id);
            command.Parameters.AddWithValue("$version", version);
            command.Parameters.AddWithValue("$updated", lastUpdated);
            command.Parameters.AddWithValue("$body", (object?)body ?? DBNull.Value);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new FhirWriteResult(write.ResourceType, write.Id, version, lastUpdated, Created: current is null && body is not null, Existed: current is not null, write.Resource);
    }

    /// <summary>The current version, or whether the resource was deleted (FHIR 410) or never existed (404).</summary>
    public async Task<(FhirReadState State, JsonObject? Resource)> ReadStateAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        if (await ReadJsonAsync(resourceType, id, cancellationToken) is { } resource)
        {
            return (FhirReadState.Found, resource);
        }

        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM history WHERE resource_type = $type AND id = $id;";
        command.Parameters.AddWithValue("$type", resourceType);
        command.Parameters.AddWithValue("$id", id);
        var versions = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return (versions > 0 ? FhirReadState.Deleted : FhirReadState.Missing, null);
    }

    /// <summary>One version (vread): found, a delete tombstone, or missing.</summary>
    public async Task<(FhirReadState State, JsonObject? Resource)> ReadVersionAsync(
        string resourceType, string id, long versionId, CancellationToken cancellationToken = default)
    {
        FhirAddress.Validate(resourceType, id);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM history WHERE resource_type = $type AND id = $id AND version_id = $version;";
        command.Parameters.AddWithValue("$type", resourceType);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$version", versionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (FhirReadState.Missing, null);
        }

        return reader.IsDBNull(0) ? (FhirReadState.Deleted, null) : (FhirReadState.Found, Parse(reader.GetString(0)));
    }

    /// <summary>Every version of one resource (or of every resource of the type when <paramref name="id"/> is null), deletes included, newest first.</summary>
    public async Task<IReadOnlyList<FhirVersion>> VersionsAsync(string resourceType, string? id, CancellationToken cancellationToken = default)
    {
        FhirAddress.ValidateType(resourceType);
        if (id is not null)
        {
            FhirAddress.Validate(resourceType, id);
        }

        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = id is null
            ? "SELECT id, version_id, last_updated, body FROM history WHERE resource_type = $type ORDER BY last_updated DESC, id, version_id DESC;"
            : "SELECT id, version_id, last_updated, body FROM history WHERE resource_type = $type AND id = $id ORDER BY version_id DESC;";
        command.Parameters.AddWithValue("$type", resourceType);
        if (id is not null)
        {
            command.Parameters.AddWithValue("$id", id);
        }

        var versions = new List<FhirVersion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new FhirVersion(
                resourceType, reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : Parse(reader.GetString(3))));
        }

        return versions;
    }

    /// <summary>Every current resource of a type, ordered by id (the REST layer's search filters these).</summary>
    public async Task<IReadOnlyList<JsonObject>> AllAsync(string resourceType, CancellationToken cancellationToken = default)
    {
        FhirAddress.ValidateType(resourceType);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM resources WHERE resource_type = $type ORDER BY id;";
        command.Parameters.AddWithValue("$type", resourceType);
        return await ReadBodiesAsync(command, cancellationToken);
    }

    /// <summary>The current version as stored (JSON), or null; the REST API and test twins read this way.</summary>
    public async Task<JsonObject?> ReadJsonAsync(string resourceType, string id, CancellationToken cancellationToken = default) =>
        await ReadBodyAsync(resourceType, id, cancellationToken) is { } body ? Parse(body) : null;

    private async Task<string?> ReadBodyAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        FhirAddress.Validate(resourceType, id);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM resources WHERE resource_type = $type AND id = $id;";
        command.Parameters.AddWithValue("$type", resourceType);
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Every stored version of a resource, oldest first; deletes leave no entry.</summary>
    public async Task<IReadOnlyList<JsonObject>> HistoryAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        FhirAddress.Validate(resourceType, id);
        await using var connection = db.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT body FROM history WHERE resource_type = $type AND id = $id AND body IS NOT NULL ORDER BY version_id;
            """;
        command.Parameters.AddWithValue("$type", resourceType);
        command.Parameters.AddWithValue("$id", id);
        return await ReadBodiesAsync(command, cancellationToken);
    }

    /// <summary>The search of <see cref="SearchAsync"/>, answering the stored JSON (for test twins that speak JSON).</summary>
    public async Task<IReadOnlyList<JsonObject>> SearchJsonAsync(
        string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        (await SearchBodiesAsync(resourceType, parameters, cancellationToken)).Select(m => m.Json).ToList();

    private async Task<List<(string Body, JsonObject Json)>> SearchBodiesAsync(
        string resourceType, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        ArgumentNullException.ThrowIfNull(parameters);
        FhirAddress.ValidateType(resourceType);

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

        var candidates = await ReadTextsAsync(command, cancellationToken);
        return candidates
            .Select(body => (Body: body, Json: Parse(body)))
            .Where(r => parameters.All(p => p.Key == "_id" || ElementMatches(r.Json[p.Key], p.Value)))
            .ToList();
    }

    /// <summary>Removes the current version; history stays, with a tombstone so a later upsert continues the numbering.</summary>
    public async Task<bool> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        FhirAddress.Validate(resourceType, id);
        var result = await WriteAsync([new FhirWrite(resourceType, id, Resource: null, IfMatch: null)], cancellationToken);
        return result[0].Existed;
    }

    public void Dispose() => db.Dispose();

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

    private static async Task<List<JsonObject>> ReadBodiesAsync(SqliteCommand command, CancellationToken cancellationToken) =>
        (await ReadTextsAsync(command, cancellationToken)).Select(Parse).ToList();

    private static async Task<List<string>> ReadTextsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var bodies = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            bodies.Add(reader.GetString(0));
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

/// <summary>One write of <see cref="SqliteFhirStore.WriteAsync"/>: create/update when <paramref name="Resource"/> is set, else delete.</summary>
/// <param name="IfMatch">When set, the write happens only if the current version is this one (FHIR If-Match).</param>
public sealed record FhirWrite(string ResourceType, string Id, JsonObject? Resource, long? IfMatch);

/// <summary>What a write did: the new version (0 for a delete of nothing), whether it created the resource or replaced/deleted one.</summary>
public sealed record FhirWriteResult(string ResourceType, string Id, long VersionId, string LastUpdated, bool Created, bool Existed, JsonObject? Resource);

/// <summary>One history row; <see cref="Resource"/> is null for a delete.</summary>
public sealed record FhirVersion(string ResourceType, string Id, long VersionId, string LastUpdated, JsonObject? Resource);

public enum FhirReadState
{
    Found,
    Deleted,
    Missing,
}

/// <summary>An If-Match precondition that does not hold (HTTP 412).</summary>
public sealed class PreconditionFailedException(string code, string message) : MedVisionException(code, message)
{
    public override int HttpStatus => 412;
}
