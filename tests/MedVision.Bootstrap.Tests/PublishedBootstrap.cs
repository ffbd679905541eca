using MedVision.Testing;

namespace MedVision.Bootstrap.Tests;

/// <summary>
/// The Native AOT bootstrap as scripts/publish-functions.sh writes it, published once per test run: scripts/test.sh
/// publishes it before the tests and passes the folder in MEDVISION_BOOTSTRAP_DIR; a test run without it publishes here.
/// </summary>
public static class PublishedBootstrap
{
    public const string DirectoryVariable = "MEDVISION_BOOTSTRAP_DIR";

    private static readonly Lazy<string> Published = new(Publish, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The published executable.</summary>
    public static string Executable => Published.Value;

    private static string Publish()
    {
        var dir = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (string.IsNullOrEmpty(dir))
        {
            dir = Path.Combine(Path.GetTempPath(), $"medvision-bootstrap-{Environment.ProcessId}");
            var (exit, stdout, stderr) = ExternalTools.Run(
                "bash", [Path.Combine(RepoPaths.Root, "scripts", "publish-functions.sh"), dir], timeout: TimeSpan.FromMinutes(15));
            if (exit != 0)
            {
                throw new InvalidOperationException($"publish-functions.sh failed ({exit}):\n{System.Text.Encoding.UTF8.GetString(stdout)}\n{stderr}");
            }
        }

        var executable = Path.Combine(dir, "bootstrap");
        return File.Exists(executable)
            ? executable
            : throw new InvalidOperationException($"No bootstrap in {dir}: run `bash scripts/publish-functions.sh {dir}` first.");
    }
}
