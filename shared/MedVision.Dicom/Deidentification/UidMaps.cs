using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace MedVision.Dicom.Deidentification;

/// <summary>
/// Replacement UIDs for the U action. One map shared by every instance of a study (or any set of instances that
/// refer to each other) gives the same new UID for the same old one, so Study/Series/Frame of Reference UIDs stay
/// shared and references (Referenced SOP Instance UID) still point at the right, renamed, instance.
/// </summary>
public interface IUidMap
{
    /// <summary>The replacement for <paramref name="originalUid"/>: always the same for the same original, never the original.</summary>
    string Map(string originalUid);
}

/// <summary>Date offsets for the Retain Longitudinal Temporal Information with Modified Dates option.</summary>
public interface IDateOffsetProvider
{
    /// <summary>Whole days to add to every date of the instances that share <paramref name="scopeKey"/> (an original Study Instance UID or Patient ID); never 0.</summary>
    int OffsetDays(string scopeKey);
}

/// <summary>UIDs made from UUIDs, as PS3.5 §B.2 allows without a registered root: "2.25." and the UUID as one unsigned decimal.</summary>
public static class UuidUids
{
    /// <summary>Largest date shift the built-in providers choose, in days (about ten years back).</summary>
    public const int MaxShiftDays = 3652;

    /// <summary>"2.25." followed by the 128-bit value of <paramref name="uuid"/> (big-endian, RFC 9562 byte order) in decimal.</summary>
    public static string FromUuid(ReadOnlySpan<byte> uuid)
    {
        if (uuid.Length != 16)
        {
            throw new ArgumentException("A UUID is 16 bytes.", nameof(uuid));
        }

        return "2.25." + new BigInteger(uuid, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string FromGuid(Guid guid)
    {
        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes, bigEndian: true, out _);
        return FromUuid(bytes);
    }

    /// <summary>Sets the version nibble and the RFC 9562 variant bits of 16 bytes in place.</summary>
    internal static void StampVersion(Span<byte> uuid, int version)
    {
        uuid[6] = (byte)((uuid[6] & 0x0F) | (version << 4));
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
    }

    /// <summary>Maps any 32-bit value to a shift of -1 to -<see cref="MaxShiftDays"/> days.</summary>
    internal static int ShiftFrom(uint value) => -1 - (int)(value % MaxShiftDays);
}

/// <summary>
/// The default map: a fresh UUID-derived UID for each UID it has not seen, remembered for the life of the map (one
/// de-identification run). Thread-safe. Also the default date-offset source: one random offset per scope key.
/// </summary>
/// <remarks>The map holds original UIDs in memory; it is never persisted or logged.</remarks>
public sealed class UidMap : IUidMap, IDateOffsetProvider
{
    private readonly Func<Guid> newId;
    private readonly Func<int> newOffset;
    private readonly Dictionary<string, string> uids = new(StringComparer.Ordinal);
    private readonly HashSet<string> issued = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> offsets = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>Random (version 4) UUIDs and offsets from the system's cryptographic generator.</summary>
    public UidMap()
        : this(Guid.NewGuid, () => UuidUids.ShiftFrom((uint)RandomNumberGenerator.GetInt32(int.MaxValue)))
    {
    }

    /// <summary>UUIDs and offsets drawn from <paramref name="random"/>: a seeded Random gives a repeatable run (tests).</summary>
    public UidMap(Random random)
        : this(RandomGuid(random), () => UuidUids.ShiftFrom((uint)random.Next()))
    {
    }

    /// <summary>UIDs from an injected id generator; offsets from <paramref name="newOffsetDays"/> or a fixed -365 days.</summary>
    public UidMap(Func<Guid> newId, Func<int>? newOffsetDays = null)
    {
        ArgumentNullException.ThrowIfNull(newId);
        this.newId = newId;
        newOffset = newOffsetDays ?? (() => -365);
    }

    /// <summary>How many distinct UIDs have been replaced.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return uids.Count;
            }
        }
    }

    public string Map(string originalUid)
    {
        ArgumentNullException.ThrowIfNull(originalUid);
        lock (gate)
        {
            if (uids.TryGetValue(originalUid, out var known))
            {
                return known;
            }

            var replacement = UuidUids.FromGuid(newId());
            if (!issued.Add(replacement) || replacement == originalUid)
            {
                throw new InvalidOperationException("The UID generator repeated a value; replacement UIDs must be unique.");
            }

            uids.Add(originalUid, replacement);
            return replacement;
        }
    }

    public int OffsetDays(string scopeKey)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        lock (gate)
        {
            if (!offsets.TryGetValue(scopeKey, out var days))
            {
                days = newOffset();
                if (days == 0)
                {
                    throw new InvalidOperationException("A date offset of 0 days would keep the real dates.");
                }

                offsets.Add(scopeKey, days);
            }

            return days;
        }
    }

    private static Func<Guid> RandomGuid(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return () =>
        {
            Span<byte> bytes = stackalloc byte[16];
            random.NextBytes(bytes);
            UuidUids.StampVersion(bytes, 4);
            return new Guid(bytes, bigEndian: true);
        };
    }
}

/// <summary>
/// A stateless, keyed map: the new UID is HMAC-SHA256(key, old UID) cut to 128 bits and stamped as a version 8
/// (custom) UUID, so the same key gives the same UIDs across runs and machines (a study de-identified in two batches
/// stays one study). Date offsets are derived the same way from the scope key. Keep the key secret: whoever holds it
/// can test a guessed original UID against a replacement.
/// </summary>
public sealed class KeyedUidMap : IUidMap, IDateOffsetProvider
{
    private readonly byte[] key;

    public KeyedUidMap(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("The key must be at least 16 bytes (128 bits).", nameof(key));
        }

        this.key = key.ToArray();
    }

    public string Map(string originalUid)
    {
        ArgumentNullException.ThrowIfNull(originalUid);
        Span<byte> hash = stackalloc byte[32];
        Hash("uid", originalUid, hash);
        var uuid = hash[..16];
        UuidUids.StampVersion(uuid, 8);
        return UuidUids.FromUuid(uuid);
    }

    public int OffsetDays(string scopeKey)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        Span<byte> hash = stackalloc byte[32];
        Hash("date", scopeKey, hash);
        return UuidUids.ShiftFrom(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash));
    }

    private void Hash(string purpose, string value, Span<byte> destination)
    {
        // Domain separation: the same string hashed for a UID and for a date offset gives unrelated results.
        var message = Encoding.UTF8.GetBytes(purpose + "\0" + value);
        HMACSHA256.HashData(key, message, destination);
    }
}
