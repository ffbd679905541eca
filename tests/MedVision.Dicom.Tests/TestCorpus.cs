using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using MedVision.Testing;

namespace MedVision.Dicom.Tests;

/// <summary>One file of the generated corpus. <see cref="BasePath"/> is the native file it was made from.</summary>
public sealed record CorpusFile(string Name, string Path, string BasePath, string TransferSyntaxUid, bool Lossless, string Description)
{
    /// <summary>Encoding features the file exercises ("implicit-le", "undefined-length", "un-sequence", ...; see make_corpus.py).</summary>
    public IReadOnlyList<string> Features { get; init; } = [];

    /// <summary>
    /// Character set files only: element path ("(0010,0010)", "(0008,2218)[0].(0008,0104)") to the value as pydicom
    /// decodes it. The text oracle where DCMTK cannot convert (ISO 2022 IR 87 with ICU).
    /// </summary>
    public IReadOnlyDictionary<string, string> Text { get; init; } = new Dictionary<string, string>();

    public bool Has(string feature) => Features.Contains(feature);

    public override string ToString() => Name;
}

/// <summary>
/// The DICOM corpus, built once per test process by Corpus/make_corpus.py with pydicom, DCMTK and GDCM (all
/// independent of our code), into a temp folder keyed by the script's hash so repeated runs reuse it.
/// </summary>
public static class TestCorpus
{
    private static readonly Lazy<IReadOnlyList<CorpusFile>> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static IReadOnlyList<CorpusFile> Files => Built.Value;

    /// <summary>Tools the corpus needs; tests call <c>ExternalTools.Require(log, TestCorpus.Tools)</c> first.</summary>
    public static string[] Tools { get; } = ["pydicom", "dcmconv", "dcmcrle", "dcmcjpeg", "img2dcm", "gdcmconv", "gdcmimg", "convert"];

    public static CorpusFile Get(string name) => Files.Single(f => f.Name == name);

    /// <summary>xunit MemberData: one row per corpus file name (the corpus is built when the data is enumerated).</summary>
    public static IEnumerable<object[]> Names() =>
        Has("pydicom") ? Files.Select(f => new object[] { f.Name }) : [["(corpus unavailable)"]];

    /// <summary>
    /// <see cref="ExternalTools.Require"/> for <see cref="Tools"/> and any further oracles, with each tool looked up
    /// once per process: the pydicom check starts Python and imports numpy, far too slow to repeat per test case.
    /// </summary>
    public static bool Require(Action<string> log, params string[] moreTools)
    {
        ArgumentNullException.ThrowIfNull(moreTools);
        foreach (var tool in Tools.Concat(moreTools))
        {
            if (!Has(tool))
            {
                return ExternalTools.Require(log, tool); // logs and skips, or throws when oracles are required
            }
        }

        return true;
    }

    private static readonly ConcurrentDictionary<string, bool> Available = new(StringComparer.Ordinal);

    private static bool Has(string tool) => Available.GetOrAdd(tool, ExternalTools.Has);

    private static List<CorpusFile> Build()
    {
        var script = System.IO.Path.Combine(RepoPaths.Root, "tests", "MedVision.Dicom.Tests", "Corpus", "make_corpus.py");
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(script)))[..16];
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "medvision-dicom-corpus-" + hash);
        var manifest = System.IO.Path.Combine(dir, "manifest.json");
        if (!File.Exists(manifest))
        {
            var staging = dir + ".tmp-" + Environment.ProcessId;
            ExternalTools.RunOk(ExternalTools.Python, script, staging);
            try
            {
                Directory.Move(staging, dir);
            }
            catch (IOException) when (File.Exists(manifest))
            {
                Directory.Delete(staging, recursive: true); // another test process built it first
            }
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
        return doc.RootElement.EnumerateArray().Select(e => new CorpusFile(
            e.GetProperty("name").GetString()!,
            System.IO.Path.Combine(dir, e.GetProperty("file").GetString()!),
            System.IO.Path.Combine(dir, e.GetProperty("base").GetString()!),
            e.GetProperty("ts").GetString()!,
            e.GetProperty("lossless").GetBoolean(),
            e.GetProperty("description").GetString()!)
        {
            Features = e.TryGetProperty("features", out var features) ? [.. features.EnumerateArray().Select(f => f.GetString()!)] : [],
            Text = e.TryGetProperty("text", out var text)
                ? text.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
                : new Dictionary<string, string>(),
        }).ToList();
    }
}
