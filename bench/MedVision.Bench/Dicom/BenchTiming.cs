using System.Diagnostics;

namespace MedVision.Bench.Dicom;

/// <summary>
/// The harness's timing conventions (every benchmark's, the codecs' too): one warm-up call, then <c>runs</c> timed calls, median in ms.
/// Processes are timed from Start to exit with stdout/stderr drained through pipes, the same way for every tool.
/// </summary>
internal sealed class BenchTiming(int runs)
{
    public int Runs { get; } = runs;

    public double Median(Action action)
    {
        action();
        var samples = new double[Runs];
        for (var i = 0; i < Runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            samples[i] = watch.Elapsed.TotalMilliseconds;
        }

        return MedianOf(samples);
    }

    /// <summary>Times several actions run alternately (a, b, c, a, b, c, …) after one warm-up of each; one median per action.</summary>
    public double[] MedianAlternating(params Action[] actions)
    {
        foreach (var action in actions)
        {
            action();
        }

        var samples = new double[actions.Length][];
        for (var a = 0; a < actions.Length; a++)
        {
            samples[a] = new double[Runs];
        }

        for (var i = 0; i < Runs; i++)
        {
            for (var a = 0; a < actions.Length; a++)
            {
                var watch = Stopwatch.StartNew();
                actions[a]();
                samples[a][i] = watch.Elapsed.TotalMilliseconds;
            }
        }

        return [.. samples.Select(MedianOf)];
    }

    public static double MedianOf(double[] samples)
    {
        var sorted = (double[])samples.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    /// <summary>Runs a process to completion and returns its stdout; throws when it fails.</summary>
    public static string Run(string file, params string[] arguments)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0
            ? stdout
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({p.ExitCode}): {stderr.Result.Trim()}");
    }
}
