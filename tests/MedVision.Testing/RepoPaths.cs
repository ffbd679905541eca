namespace MedVision.Testing;

/// <summary>Locates files of the repository from a test's output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Events(string relative) => Path.Combine(Root, "events", relative);

    public static string StateMachine => Path.Combine(Root, "statemachines", "analysis-pipeline.asl.json");

    public static string Samples => Path.Combine(Root, "samples");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MedVision.slnx")))
            {
                return dir.FullName;
            }
        }

        var built = typeof(RepoPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "MedVisionRepoRoot")?.Value;
        if (built is not null && File.Exists(Path.Combine(built, "MedVision.slnx")))
        {
            return built;
        }

        throw new InvalidOperationException($"Cannot find the repository root (MedVision.slnx) above {AppContext.BaseDirectory}.");
    }
}
