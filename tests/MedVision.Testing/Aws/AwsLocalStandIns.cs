using System.Text;

namespace MedVision.Testing.Aws;

/// <summary>
/// scripts/aws-local.sh for a test: `up` in a folder of the test's own (moto_server, the model server and both twins on
/// 127.0.0.1, the bucket, tables, keys and event bus made), the environment it printed, and `down` on dispose, which
/// stops exactly what `up` started whatever happened in between.
/// </summary>
public sealed class AwsLocalStandIns : IDisposable
{
    private readonly string dir;

    private AwsLocalStandIns(string dir, IReadOnlyDictionary<string, string> environment)
    {
        this.dir = dir;
        Environment = environment;
    }

    public static string Script => Path.Combine(RepoPaths.Root, "scripts", "aws-local.sh");

    /// <summary>The exports `up` printed (AWS_ENDPOINT_URL…, MEDVISION_BUCKET, credentials, key ids).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>Starts the stand-ins; the CLI and model server are built first unless their Release builds exist.</summary>
    public static AwsLocalStandIns Up(string dir, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var built = File.Exists(Path.Combine(RepoPaths.Root, "tools", "MedVision.Cli", "bin", "Release", "net10.0", "medvision"))
            && File.Exists(Path.Combine(RepoPaths.Root, "models", "MedVision.ModelServer", "bin", "Release", "net10.0", "MedVision.ModelServer"));
        var (exit, stdout, stderr) = ExternalTools.Run(
            "bash", built ? [Script, "up", "--no-build"] : [Script, "up"], timeout: TimeSpan.FromMinutes(10), environment: Variables(dir));
        log(stderr);
        var standIns = new AwsLocalStandIns(dir, ParseExports(Encoding.UTF8.GetString(stdout)));
        if (exit != 0)
        {
            standIns.Dispose();
            throw new InvalidOperationException($"aws-local.sh up failed ({exit}):\n{stderr}");
        }

        return standIns;
    }

    /// <summary>The `export NAME=value` lines of a script's output, as a dictionary.</summary>
    public static Dictionary<string, string> ParseExports(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var env = new Dictionary<string, string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            const string prefix = "export ";
            if (line.StartsWith(prefix, StringComparison.Ordinal) && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                env[line[prefix.Length..eq]] = line[(eq + 1)..];
            }
        }

        return env;
    }

    public void Dispose() => ExternalTools.Run("bash", [Script, "down"], environment: Variables(dir));

    private static Dictionary<string, string?> Variables(string dir) => new() { ["MEDVISION_AWS_LOCAL_DIR"] = dir };
}
