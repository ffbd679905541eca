using System.Text.Json.Nodes;
using System.Xml.Linq;
using MedVision.Testing;

namespace MedVision.ModelServer.Tests;

/// <summary>
/// The SageMaker image carries the analyzers and their contract only: none of the local twins (SQLite, the ASL
/// interpreter, the local FHIR server) that MedVision.Local brings, directly or through another project.
/// </summary>
public class ModelServerDependencyTests
{
    private static readonly string[] Forbidden = ["MedVision.Local", "MedVision.Asl", "Microsoft.Data.Sqlite", "SQLitePCLRaw"];

    private static bool IsForbidden(string name) =>
        Forbidden.Any(f => name.StartsWith(f, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void ProjectGraph_WhenWalkedFromTheModelServer_ShouldReachNoLocalTwinAslOrSqlite()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var packages = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.Combine(RepoPaths.Root, "models", "MedVision.ModelServer", "MedVision.ModelServer.csproj")]);
        while (pending.TryPop(out var project))
        {
            if (!seen.Add(Path.GetFullPath(project)))
            {
                continue;
            }

            var xml = XDocument.Load(project);
            foreach (var item in xml.Descendants("PackageReference"))
            {
                packages.Add((string)item.Attribute("Include")!);
            }

            foreach (var item in xml.Descendants("ProjectReference"))
            {
                pending.Push(Path.Combine(Path.GetDirectoryName(project)!, ((string)item.Attribute("Include")!).Replace('\\', '/')));
            }
        }

        var names = seen.Select(Path.GetFileNameWithoutExtension).Select(n => n!).ToList();
        Assert.Contains("MedVision.Models", names); // the walk really followed the references
        Assert.DoesNotContain(names, IsForbidden);
        Assert.DoesNotContain(packages, IsForbidden);
    }

    [Fact]
    public void DepsJson_WhenBuilt_ShouldListNoLocalTwinAslOrSqliteLibrary()
    {
        // A referenced Exe's deps.json is copied next to this test assembly, as the Dockerfile's publish would write it.
        var path = Path.Combine(AppContext.BaseDirectory, "MedVision.ModelServer.deps.json");
        Assert.True(File.Exists(path), $"{path} is missing");

        var libraries = JsonNode.Parse(File.ReadAllText(path))!["libraries"]!.AsObject().Select(kv => kv.Key).ToList();

        Assert.Contains(libraries, l => l.StartsWith("MedVision.Models/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, IsForbidden);
    }
}
