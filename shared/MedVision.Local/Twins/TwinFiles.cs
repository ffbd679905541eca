namespace MedVision.Local.Twins;

/// <summary>File helpers shared by the disk twins.</summary>
internal static class TwinFiles
{
    /// <summary>Names starting with this are the twins' own files (temp files, sidecars), never user data.</summary>
    public const string ReservedPrefix = Core.Storage.DiskObjectLayout.ReservedPrefix;

    /// <summary>
    /// Writes to a temp file in the target's directory and renames it over the target, so a reader or a crash
    /// sees the old file or the new one, never half of one (rename within a directory is atomic on POSIX and NTFS).
    /// </summary>
    public static async Task WriteAtomicAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $"{ReservedPrefix}tmp-{Guid.NewGuid():N}");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(content, cancellationToken);
                // Flush to the disk before the rename, or a power cut could leave a renamed but empty file.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Reads a whole file, or null when it does not exist (also when it vanishes between check and read).</summary>
    public static async Task<byte[]?> ReadOrNullAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp file is ignored by every reader.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    /// <summary>The full path of the root with a trailing separator, for "is inside the root" checks.</summary>
    public static string NormalizeRoot(string root) => Core.Storage.DiskObjectLayout.NormalizeRoot(root);
}

/// <summary>
/// A fixed set of async locks picked by key hash: serialises work on one key without a lock object per key.
/// SemaphoreSlim only holds unmanaged state once AvailableWaitHandle is touched, which this never does,
/// so the owners need not be disposable.
/// </summary>
internal sealed class StripedLock
{
    private readonly SemaphoreSlim[] stripes;

    public StripedLock(int count = 64)
    {
        stripes = new SemaphoreSlim[count];
        for (var i = 0; i < count; i++)
        {
            stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    public async Task<IDisposable> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var stripe = stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)stripes.Length)];
        await stripe.WaitAsync(cancellationToken);
        return new Releaser(stripe);
    }

    private sealed class Releaser(SemaphoreSlim stripe) : IDisposable
    {
        private int released;

        // Idempotent so a double dispose can never release someone else's hold.
        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                stripe.Release();
            }
        }
    }
}
