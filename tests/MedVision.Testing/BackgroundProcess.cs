using System.Collections.Concurrent;
using System.Diagnostics;

namespace MedVision.Testing;

/// <summary>
/// A long-running external process (a server) for a test: stdout and stderr are collected line by line, a test can
/// wait for a line, and <see cref="Dispose"/> always kills what is left of it, so a failing test never leaks a
/// server. Short-lived tools go through <see cref="ExternalTools.Run"/> instead.
/// </summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly SemaphoreSlim lineArrived = new(0);

    private BackgroundProcess(Process process)
    {
        this.process = process;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Every line written so far, stdout and stderr interleaved in arrival order.</summary>
    public IReadOnlyList<string> Lines => lines.ToList();

    public string Output => string.Join('\n', lines);

    public static BackgroundProcess Start(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
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
        var started = new BackgroundProcess(process);
        process.OutputDataReceived += (_, e) => started.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => started.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>The first line (old or new) matching <paramref name="match"/>; throws with the output so far on timeout or exit.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(match);
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (process.HasExited)
            {
                // Let the reader threads deliver what the process wrote before it exited.
                await process.WaitForExitAsync(CancellationToken.None);
                return lines.FirstOrDefault(match)
                    ?? throw new InvalidOperationException($"The process exited ({process.ExitCode}) before the expected line:\n{Output}");
            }

            try
            {
                await lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No expected line within {timeout.TotalSeconds} s:\n{Output}");
            }
        }
    }

    /// <summary>Sends SIGTERM (what ECS, SageMaker and Kubernetes send) and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        ExternalTools.RunOk("kill", "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>Waits for the process to exit by itself (e.g. a start-up failure) and returns its exit code.</summary>
    public async Task<int> TerminateAfterExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

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
            // Already gone: nothing left to stop.
        }

        process.Dispose();
        lineArrived.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
            lineArrived.Release();
        }
    }
}
