using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace MedVision.Imaging.Tests;

/// <summary>
/// Runs the independent oracle tools (pngcheck, ImageMagick, libjpeg-turbo's cjpeg/djpeg/jpegtran). A missing
/// tool skips with a note, except under MEDVISION_REQUIRE_ORACLES=1 (scripts/test.sh), where it fails, so a broken
/// install cannot turn oracle tests into silent passes.
/// </summary>
internal sealed class Oracle(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>True when every tool is there; otherwise skips (false) or throws when oracles are required.</summary>
    public bool Require(params string[] tools)
    {
        foreach (var tool in tools)
        {
            if (!HasTool(tool) || (tool is "convert" or "identify" && !IsImageMagick()))
            {
                var why = $"{tool} not available (apt-get install {PackageOf(tool)}).";
                if (Environment.GetEnvironmentVariable("MEDVISION_REQUIRE_ORACLES") == "1")
                {
                    throw new InvalidOperationException($"Required oracle missing: {why}");
                }

                output.WriteLine($"{why} Skipping.");
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <see cref="Require"/> for Python modules imported by /usr/bin/python3 (e.g. pydicom for the DICOM oracle
    /// plumbing): skips when one is missing, or fails under MEDVISION_REQUIRE_ORACLES=1.
    /// </summary>
    public bool RequirePython(params string[] modules)
    {
        foreach (var module in modules)
        {
            var present = File.Exists(Python) && Run(Python, "-c", $"import {module}").Exit == 0;
            if (!present)
            {
                var why = $"{Python} cannot import {module} (apt-get install python3-{module}).";
                if (Environment.GetEnvironmentVariable("MEDVISION_REQUIRE_ORACLES") == "1")
                {
                    throw new InvalidOperationException($"Required oracle missing: {why}");
                }

                output.WriteLine($"{why} Skipping.");
                return false;
            }
        }

        return true;
    }

    /// <summary>The system interpreter, named explicitly so a virtualenv on PATH cannot stand in for Debian's modules.</summary>
    public const string Python = "/usr/bin/python3";

    public static byte[] RunOk(string file, params string[] arguments)
    {
        var (exit, stdout, stderr) = Run(file, arguments);
        Assert.True(exit == 0, $"{file} {string.Join(' ', arguments)} failed ({exit}): {stderr}");
        return stdout;
    }

    public static (int Exit, byte[] StdOut, string StdErr) Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {Timeout.TotalSeconds} s.");
        }

        return (process.ExitCode, stdout.ToArray(), stderrTask.GetAwaiter().GetResult());
    }

    private static string PackageOf(string tool) => tool switch
    {
        "pngcheck" => "pngcheck",
        "convert" or "identify" => "imagemagick",
        "dcmcjpeg" or "dcmdjpeg" or "dcmdump" or "img2dcm" or "dcmconv" => "dcmtk",
        "gdcmimg" or "gdcmconv" or "gdcmraw" => "libgdcm-tools",
        _ => "libjpeg-turbo-progs",
    };

    // The machine may carry a minimal 'convert' stand-in; only the real ImageMagick prints this banner.
    private static bool IsImageMagick() =>
        Encoding.UTF8.GetString(Run("convert", "-version").StdOut).Contains("Version: ImageMagick", StringComparison.Ordinal);

    private static bool HasTool(string name)
    {
        try
        {
            return Run("which", name).Exit == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no 'which' either
        }
    }
}
