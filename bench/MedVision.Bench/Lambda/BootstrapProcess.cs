using System.Collections.Concurrent;
using System.Diagnostics;

namespace MedVision.Bench.Lambda;

/// <summary>
/// One published bootstrap process: stdout and stderr collected line by line (the JSON log lines), waitable, and
/// killed with its children on <see cref="Dispose"/>, so a failed measurement never leaves a process behind.
/// </summary>
internal sealed class BootstrapProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly SemaphoreSlim lineArrived = new(0);

    private BootstrapProcess(Process process) => this.process = process;

    public int Id => process.Id;

    public Task Exited { get; private set; } = Task.CompletedTask;

    public IEnumerable<string> Lines => lines;

    /// <summary>Starts <paramref name="executable"/> with the bench's environment plus <paramref name="environment"/> (null removes a variable).</summary>
    public static BootstrapProcess Start(string executable, IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new BootstrapProcess(process);
        process.OutputDataReceived += (_, e) => started.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => started.OnLine(e.Data);
        process.Start();
        started.Exited = process.WaitForExitAsync();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>The first line matching <paramref name="match"/>; throws with the output on timeout or exit.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (process.HasExited)
            {
                await process.WaitForExitAsync(CancellationToken.None); // drains the output
                return lines.FirstOrDefault(match) ?? throw Failure("exited before the expected log line");
            }

            try
            {
                await lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw Failure($"gave no expected log line within {timeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Waits for the process to exit by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw Failure($"did not exit within {timeout.TotalSeconds:0} s");
        }

        return process.ExitCode;
    }

    /// <summary>A failure naming the process and its output, for the bench to stop on.</summary>
    public InvalidOperationException Failure(string what) =>
        new($"{process.StartInfo.FileName} {what}; its output:\n{string.Join('\n', lines.TakeLast(40))}");

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the kill
        }

        // The semaphore stays: the output threads may still release it while the last lines drain.
        process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        lineArrived.Release();
    }
}
