namespace MedVision.Core.Storage;

/// <summary>
/// Which object keys and list prefixes every object store accepts: plain relative S3-style keys ("raw/abc.png"). The
/// disk twin needs them to stay inside its folder; the S3 adapter refuses the same keys so that both adapters of the
/// port behave alike (a key that works in AWS also works locally, and the other way round). Refusals are
/// <see cref="ArgumentException"/>s: a bad key is a programming error of the caller, not user input.
/// </summary>
public static class ObjectKeyRules
{
    private static readonly char[] InvalidNameChars = Path.GetInvalidFileNameChars();

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="key"/> is a plain relative key.</summary>
    public static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new ArgumentException("Object key must not be empty.", nameof(key));
        }

        if (key.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Object key '{key}' must use forward slashes, not backslashes.", nameof(key));
        }

        if (key[0] == '/' || Path.IsPathRooted(key))
        {
            throw new ArgumentException($"Object key '{key}' must be relative, not absolute.", nameof(key));
        }

        if (key.Any(char.IsControl))
        {
            throw new ArgumentException("Object key must not contain control characters.", nameof(key));
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                throw new ArgumentException(
                    $"Object key '{key}' has an empty, '.' or '..' segment; keys cannot navigate folders.", nameof(key));
            }

            // Per OS: only NUL and '/' on Unix, but also ':', '*', '?', '"', '<', '>', '|' on Windows laptops.
            if (segment.IndexOfAny(InvalidNameChars) >= 0)
            {
                throw new ArgumentException(
                    $"Object key '{key}' has a character this file system cannot hold in a file name.", nameof(key));
            }

            if (DiskObjectLayout.IsReserved(segment))
            {
                throw new ArgumentException(
                    $"Object key '{key}' uses the reserved name prefix '{DiskObjectLayout.ReservedPrefix}'.", nameof(key));
            }
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="prefix"/> is a relative key prefix ("" lists everything).</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Contains('\\', StringComparison.Ordinal) || prefix.StartsWith('/') || Path.IsPathRooted(prefix)
            || prefix.Any(char.IsControl) || prefix.Split('/').Any(s => s is "." or ".."))
        {
            throw new ArgumentException(
                $"List prefix '{prefix}' must be a relative key prefix without '.', '..' or backslashes.", nameof(prefix));
        }
    }
}
