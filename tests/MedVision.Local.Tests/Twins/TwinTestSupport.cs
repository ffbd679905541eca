namespace MedVision.Local.Tests.Twins;

/// <summary>A unique temp folder per test, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "medvision-twins-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail the test that used it.
        }
    }
}


internal static class Concurrently
{
    /// <summary>
    /// Runs <paramref name="count"/> workers on dedicated threads released together by a gate. Task.Run alone is
    /// not enough: on a 2-core test host the pool may run the workers one after another and hide races.
    /// </summary>
    public static Task<T[]> RunAsync<T>(int count, Func<int, Task<T>> work)
    {
        using var gate = new CountdownEvent(count);
        var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Factory.StartNew(
            () =>
            {
                gate.Signal();
                start.Wait();
                return work(i);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToArray();
        gate.Wait();
        start.Set();
        return WhenAllThenDispose(tasks, start);
    }

    public static Task RunAsync(int count, Func<int, Task> work) =>
        RunAsync(count, async i =>
        {
            await work(i);
            return true;
        });

    private static async Task<T[]> WhenAllThenDispose<T>(Task<T>[] tasks, ManualResetEventSlim start)
    {
        try
        {
            return await Task.WhenAll(tasks);
        }
        finally
        {
            start.Dispose();
        }
    }
}
