using System.Diagnostics;

namespace MedVision.Testing;

/// <summary>
/// Runs independent oracle tools (DCMTK, GDCM, dicom3tools, pydicom via /usr/bin/python3). A missing tool makes
/// <see cref="Require"/> return false (the test skips with a note), except under MEDVISION_REQUIRE_ORACLES=1
/// (scripts/test.sh), where it throws, so a broken install cannot turn oracle tests into silent passes.
/// </summary>
public static class ExternalTools
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Debian's python has pydicom and numpy; a pyenv python earlier on PATH may not.</summary>
    public const string Python = "/usr/bin/python3";

    public static bool OraclesRequired => Environment.GetEnvironmentVariable("MEDVISION_REQUIRE_ORACLES") == "1";

    /// <summary>True when every tool is there; otherwise logs and returns false, or throws when oracles are required.</summary>
    public static bool Require(Action<string> log, params string[] tools)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(tools);
        foreach (var tool in tools)
        {
            if (!Has(tool))
            {
                var why = $"{tool} not available (apt-get install {PackageOf(tool)}).";
                if (OraclesRequired)
                {
                    throw new InvalidOperationException($"Required oracle missing: {why}");
                }

                log($"{why} Skipping.");
                return false;
            }
        }

        return true;
    }

    // Starting Python costs ~1 s on a busy machine; ask once per test process.
    private static readonly Lazy<bool> HasPydicom = new(() => File.Exists(Python) && Run(Python, ["-c", "import pydicom, numpy"]).Exit == 0);

    private static readonly Lazy<bool> HasJsonSchema = new(() => File.Exists(Python) && Run(Python, ["-c", "from jsonschema import Draft202012Validator"]).Exit == 0);

    /// <summary>
    /// A python with botocore (the SigV4 oracle). Debian's python lacks it; the machine's pyenv python (boto3, moto)
    /// has it, so ask <c>python3</c> on PATH for its real executable. MEDVISION_BOTOCORE_PYTHON overrides.
    /// </summary>
    public static string? BotocorePython => BotocorePythonPath.Value;

    private static readonly Lazy<string?> BotocorePythonPath = new(() =>
    {
        string[] candidates = [Environment.GetEnvironmentVariable("MEDVISION_BOTOCORE_PYTHON") ?? "", "python3", Python];
        foreach (var candidate in candidates.Where(c => c.Length > 0 && (c.StartsWith('/') ? File.Exists(c) : OnPath(c))))
        {
            var (exit, stdout, _) = Run(candidate, ["-c", "import sys, botocore.auth; print(sys.executable)"]);
            var executable = System.Text.Encoding.UTF8.GetString(stdout).Trim();
            if (exit == 0 && File.Exists(executable))
            {
                return executable;
            }
        }

        return null;
    });

    public static bool Has(string tool) => tool switch
    {
        "pydicom" => HasPydicom.Value,
        "botocore" => BotocorePython is not null,
        "jsonschema" => HasJsonSchema.Value,
        "convert" or "identify" => OnPath(tool) && IsImageMagick.Value,
        _ when tool.StartsWith('/') => File.Exists(tool),
        _ => OnPath(tool),
    };

    /// <summary>Runs a tool and asserts exit code 0; returns stdout.</summary>
    public static byte[] RunOk(string file, params string[] arguments)
    {
        var (exit, stdout, stderr) = Run(file, arguments);
        if (exit != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({exit}): {stderr}");
        }

        return stdout;
    }

    /// <summary>Runs a tool, feeding <paramref name="stdin"/> (if any); stdout and stderr are drained concurrently.</summary>
    public static (int Exit, byte[] StdOut, string StdErr) Run(
        string file, IEnumerable<string> arguments, TimeSpan? timeout = null, string? workingDirectory = null, byte[]? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Null removes a variable; the rest of the environment is inherited.
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        using var process = Process.Start(info)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        if (stdin is not null)
        {
            try
            {
                process.StandardInput.BaseStream.Write(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The tool exited without reading all its input; its exit code tells the caller why.
            }
        }

        var limit = timeout ?? DefaultTimeout;
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {limit.TotalSeconds} s.");
        }

        copy.GetAwaiter().GetResult();
        return (process.ExitCode, stdout.ToArray(), stderrTask.GetAwaiter().GetResult());
    }

    // The machine may carry a minimal 'convert' stand-in; only the real ImageMagick prints this banner.
    private static readonly Lazy<bool> IsImageMagick = new(() =>
        System.Text.Encoding.UTF8.GetString(Run("convert", ["-version"]).StdOut).Contains("Version: ImageMagick", StringComparison.Ordinal));

    private static string PackageOf(string tool) => tool switch
    {
        "pydicom" => "python3-pydicom python3-numpy",
        "jsonschema" => "python3-jsonschema",
        "botocore" => "python3-botocore",
        "moto_server" => "moto[server] (on the machine image)",
        "gdcmconv" or "gdcmdump" or "gdcmimg" or "gdcmraw" or "gdcminfo" => "libgdcm-tools",
        "dciodvfy" or "dcdump" or "dcsqueeze" => "dicom3tools",
        "pngcheck" => "pngcheck",
        "convert" or "identify" => "imagemagick",
        "djpeg" or "cjpeg" or "jpegtran" => "libjpeg-turbo-progs",
        "pdftotext" or "pdftoppm" => "poppler-utils",
        _ => "dcmtk",
    };

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));
}
