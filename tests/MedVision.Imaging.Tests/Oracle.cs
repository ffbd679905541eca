using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Imaging.Tests;

/// <summary>
/// Runs the independent oracle tools (pngcheck, ImageMagick, libjpeg-turbo's cjpeg/djpeg/jpegtran). A missing
/// tool skips with a note, except under MEDVISION_REQUIRE_ORACLES=1 (scripts/test.sh), where it fails, so a broken
/// install cannot turn oracle tests into silent passes.
/// </summary>
internal sealed class Oracle(ITestOutputHelper output)
{
    /// <summary>The system interpreter, named explicitly so a virtualenv on PATH cannot stand in for Debian's modules.</summary>
    public const string Python = ExternalTools.Python;

    /// <summary>True when every tool is there; otherwise skips (false) or throws when oracles are required.</summary>
    public bool Require(params string[] tools) => ExternalTools.Require(output.WriteLine, tools);

    /// <summary>
    /// <see cref="Require"/> for Python modules imported by /usr/bin/python3 (e.g. pydicom for the DICOM oracle
    /// plumbing): skips when one is missing, or fails under MEDVISION_REQUIRE_ORACLES=1.
    /// </summary>
    public bool RequirePython(params string[] modules)
    {
        foreach (var module in modules)
        {
            if (!File.Exists(Python) || Run(Python, "-c", $"import {module}").Exit != 0)
            {
                var why = $"{Python} cannot import {module} (apt-get install python3-{module}).";
                if (ExternalTools.OraclesRequired)
                {
                    throw new InvalidOperationException($"Required oracle missing: {why}");
                }

                output.WriteLine($"{why} Skipping.");
                return false;
            }
        }

        return true;
    }

    public static byte[] RunOk(string file, params string[] arguments)
    {
        var (exit, stdout, stderr) = Run(file, arguments);
        Assert.True(exit == 0, $"{file} {string.Join(' ', arguments)} failed ({exit}): {stderr}");
        return stdout;
    }

    public static (int Exit, byte[] StdOut, string StdErr) Run(string file, params string[] arguments) =>
        ExternalTools.Run(file, arguments, TimeSpan.FromSeconds(60));
}
