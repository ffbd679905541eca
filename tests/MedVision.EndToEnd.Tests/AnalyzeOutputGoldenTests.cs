using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MedVision.Asl;
using MedVision.Cli;
using MedVision.Core.Inference;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Core.Reports;
using MedVision.Functions;
using MedVision.Hosting;
using MedVision.Local.Twins;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// Every file `medvision analyze samples` writes, produced deterministically (fixed clock, fixed ids, fixed signing
/// key, one image at a time) and compared byte for byte with Golden/analyze/; the API handlers' answers over the
/// same state with Golden/api/; and summary.json of a real `analyze` run with Golden/summary/. JSON is kept whole;
/// PNG, JPEG and PDF files as SHA-256 lines in Golden/analyze/binary-sha256.txt. The substitutions applied to make
/// the files machine-independent are listed in Golden/README.md and in <see cref="Normalise"/>.
/// </summary>
public sealed partial class AnalyzeOutputGoldenTests : IDisposable
{
    /// <summary>The sub claim of the sample API events, so events/api/history.json lists these uploads.</summary>
    private const string UserId = "user-7f3c";

    private static readonly DateTimeOffset Start = new(2026, 11, 1, 9, 30, 0, TimeSpan.Zero);

    private static readonly string[] BinaryExtensions = [".png", ".jpg", ".pdf"];

    private readonly string work = Path.Combine(Path.GetTempPath(), "medvision-golden-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Analyze_WhenRunDeterministicallyOnEverySample_ShouldWriteTheGoldenFilesAndApiAnswers()
    {
        var run = await RunDeterministicAsync(Path.Combine(work, "deterministic"));

        // Both are checked before either fails, so one run shows every difference.
        var failures = new List<string>();
        foreach (var (area, files) in new[] { ("analyze", run.Outputs), ("api", run.ApiAnswers) })
        {
            try
            {
                GoldenFiles.Check(area, files);
            }
            catch (Xunit.Sdk.FailException ex)
            {
                failures.Add(ex.Message);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task AnalyzeCommand_WhenRunOnTheSamples_ShouldWriteTheGoldenSummaryAndTheGoldenFileSet()
    {
        var outDir = Path.Combine(work, "cli-out");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["analyze", RepoPaths.Samples, "--out", outDir, "--parallel", "2", "--user", UserId], stdout, stderr);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        // The real command writes the same set of files per image as the deterministic run exports (whose test
        // rewrites files.txt when regenerating, so it is not read then).
        if (!GoldenFiles.Updating)
        {
            var golden = File.ReadAllLines(Path.Combine(GoldenFiles.Root, "analyze", "files.txt"));
            Assert.Equal(golden, FileList(outDir, Directory.GetDirectories(outDir).Where(d => !Path.GetFileName(d).StartsWith('.'))));
        }

        // Image ids (UUIDv7, random bits) and the run's speed vary from run to run; every other byte must not.
        var summary = File.ReadAllText(Path.Combine(outDir, "summary.json"));
        var parsed = JsonNode.Parse(summary)!;
        Assert.True((double)parsed["elapsed_seconds"]! > 0);
        Assert.True((double)parsed["images_per_second"]! > 0);
        var ids = new List<string>();
        var normalised = UuidV7().Replace(summary, m =>
        {
            ids.Add(m.Value);
            return "{image_id}";
        });
        Assert.Equal(7, ids.Distinct(StringComparer.Ordinal).Count());
        normalised = Speed().Replace(normalised, m => $"\"{m.Groups[1].Value}\": \"{{{m.Groups[1].Value}}}\"");
        normalised = normalised.Replace(outDir, "{out}", StringComparison.Ordinal).Replace(RepoPaths.Samples, "{samples}", StringComparison.Ordinal);
        GoldenFiles.Check("summary", new Dictionary<string, byte[]>(StringComparer.Ordinal) { ["summary.json"] = Encoding.UTF8.GetBytes(normalised) });
    }

    private sealed record DeterministicRun(Dictionary<string, byte[]> Outputs, Dictionary<string, byte[]> ApiAnswers);

    /// <summary>
    /// What `medvision analyze samples` does per image (upload, wait for the run, <see cref="AnalyzeCommand.ExportAsync"/>),
    /// with everything that varies between runs pinned: the clock, the ids, the retry jitter, the model routes (not
    /// read from the environment) and the report-signing key.
    /// </summary>
    private static async Task<DeterministicRun> RunDeterministicAsync(string root)
    {
        var state = Path.Combine(root, "state");
        var outRoot = Path.Combine(root, "out");
        var keys = Path.Combine(state, "keys");
        Directory.CreateDirectory(keys);
        File.Copy(Path.Combine(GoldenFiles.Root, "report-signing.key.pem"), Path.Combine(keys, LocalReportKey.PrivateKeyFile));

        var clock = new FakeTimeProvider(Start);
        var ids = new GoldenIds();
        var files = AnalyzeCommand.ExpandInputs([RepoPaths.Samples], out _);
        var labels = AnalyzeCommand.UniqueLabels(files);
        var imageIds = new List<string>();
        Dictionary<string, byte[]> api;
        using (var platform = PipelineHost.Create(state, clock, ids, random: () => 0.5, routes: new ModelRoutingOptions()))
        {
            // One second per stage, so each stage's timestamps differ from the last one's. Stage events are published
            // by the run itself, in order, so this is as deterministic as the run.
            using var ticks = platform.Events.Subscribe(e =>
            {
                if (e.Type == PipelineEventType.StageCompleted)
                {
                    clock.Advance(TimeSpan.FromSeconds(1));
                }
            });
            for (var i = 0; i < files.Count; i++)
            {
                // Each image starts from its own instant and its own id block, so one image's outputs do not depend
                // on how many clock reads or ids the images before it took.
                clock.SetUtcNow(Start + TimeSpan.FromHours(i));
                ids.StartBlock(i + 1);
                var upload = await platform.Services.Uploads.UploadAsync(
                    new UploadCommand { UserId = UserId, Content = await File.ReadAllBytesAsync(files[i]), FileName = Path.GetFileName(files[i]) });
                var execution = await platform.Workflow.WaitAsync(upload.ImageId);
                Assert.True(execution.Status == ExecutionStatus.Succeeded, $"{labels[i]}: {execution.Status} {execution.Error}: {execution.Cause}");
                var record = await platform.Platform.Records.GetAsync(upload.ImageId);
                Assert.NotNull(record);
                await AnalyzeCommand.ExportAsync(platform, record, Path.Combine(outRoot, labels[i]), CancellationToken.None);
                imageIds.Add(upload.ImageId);
            }

            clock.SetUtcNow(Start + TimeSpan.FromHours(files.Count));
            ids.StartBlock(files.Count + 1);
            api = await AskApiAsync(platform, imageIds[0], state);
        }

        var outputs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var binaries = new StringBuilder();
        using var signingKey = ECDsa.Create();
        signingKey.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(GoldenFiles.Root, "report-signing.key.pem")));
        var trustedSpki = signingKey.ExportSubjectPublicKeyInfo();
        var dirs = labels.Select(l => Path.Combine(outRoot, l)).ToList();
        foreach (var dir in dirs)
        {
            var label = Path.GetFileName(dir);
            foreach (var path in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                var bytes = await File.ReadAllBytesAsync(path);
                if (BinaryExtensions.Contains(Path.GetExtension(name), StringComparer.Ordinal))
                {
                    // sha256sum's format, so `sha256sum -c` can check an exported folder by hand.
                    binaries.Append(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(SHA256.HashData(bytes))}  {label}/{name}\n");
                }
                else
                {
                    if (name == ReportSignatures.SignatureFileName)
                    {
                        VerifySignature(dir, bytes, trustedSpki);
                    }

                    outputs[$"{label}/{name}"] = Normalise(bytes, state, name == ReportSignatures.SignatureFileName);
                }
            }
        }

        outputs["binary-sha256.txt"] = Encoding.UTF8.GetBytes(binaries.ToString());
        outputs["files.txt"] = Encoding.UTF8.GetBytes(string.Join("\n", FileList(outRoot, dirs)) + "\n");
        return new DeterministicRun(outputs, api);
    }

    /// <summary>"label/file" for every file in <paramref name="dirs"/>, sorted: the shape of an analyze output folder.</summary>
    private static List<string> FileList(string root, IEnumerable<string> dirs) =>
        dirs.SelectMany(d => Directory.GetFiles(d)).Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>The signature is checked instead of compared: .NET's ECDSA uses a random nonce, so its bytes differ each run.</summary>
    private static void VerifySignature(string dir, byte[] sigJson, byte[] trustedSpki)
    {
        var file = ReportSignatures.Parse(sigJson);
        var verification = ReportSignatures.Verify(
            file, File.ReadAllBytes(Path.Combine(dir, ReportSignatures.PdfFileName)), File.ReadAllBytes(Path.Combine(dir, ReportSignatures.JsonFileName)), trustedSpki);
        Assert.True(verification.Valid, $"{dir}: {verification.Message}");
    }

    /// <summary>
    /// The only substitutions: the state folder (a temporary path, inside file:// URLs and plain paths) becomes
    /// {state}. In report.sig.json (verified first) the ECDSA signature becomes {signature}, and the digest of
    /// report.json becomes {report.json sha256}, because report.json holds file:// URLs into the state folder, so its
    /// digest differs with the folder; report.json itself is compared in full, and the PDF's digest is kept.
    /// </summary>
    private static byte[] Normalise(byte[] bytes, string state, bool signatureFile)
    {
        var text = Encoding.UTF8.GetString(bytes)
            .Replace(new Uri(state).AbsoluteUri, "{state}", StringComparison.Ordinal)
            .Replace(state, "{state}", StringComparison.Ordinal);
        if (signatureFile)
        {
            // By property name, not by value: the encoder writes '+' in base64 as \u002B.
            text = Replace(text, SignatureValue(), "{signature}");
            text = Replace(text, ReportJsonDigest(), "{report.json sha256}");
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Replaces group 1 of the one match of <paramref name="pattern"/>; a missing match fails the test.</summary>
    private static string Replace(string text, Regex pattern, string placeholder)
    {
        var match = pattern.Match(text);
        Assert.True(match.Success && !match.NextMatch().Success, $"expected one match of {pattern} in:\n{text}");
        var value = match.Groups[1];
        return string.Concat(text.AsSpan(0, value.Index), placeholder, text.AsSpan(value.Index + value.Length));
    }

    /// <summary>
    /// The sample API events through the API handlers over the state the samples left. get-image and get-analysis
    /// are asked twice: as the event file stands (its image id is not in the store: 404) and with the image id of
    /// the first sample put in its path parameter and raw path. upload goes last, and its run is waited for.
    /// </summary>
    private static async Task<Dictionary<string, byte[]>> AskApiAsync(PipelineHost platform, string imageId, string state)
    {
        var answers = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        async Task<JsonNode> Ask(string name, string handler, JsonNode request)
        {
            var response = await platform.Handlers.Get(handler).HandleAsync(request, CancellationToken.None);
            Assert.NotNull(response);
            answers[$"{name}.response.txt"] = Normalise(Render(response), state, signatureFile: false);
            return response;
        }

        JsonNode Event(string file) => JsonNode.Parse(File.ReadAllBytes(RepoPaths.Events(file)))!;
        JsonNode ForImage(string file)
        {
            var e = Event(file);
            var sampleId = (string)e["pathParameters"]!["image_id"]!;
            e["pathParameters"]!["image_id"] = imageId;
            e["rawPath"] = ((string)e["rawPath"]!).Replace(sampleId, imageId, StringComparison.Ordinal);
            e["requestContext"]!["http"]!["path"] = ((string)e["requestContext"]!["http"]!["path"]!).Replace(sampleId, imageId, StringComparison.Ordinal);
            return e;
        }

        await Ask("history", HandlerNames.History, Event("api/history.json"));
        await Ask("get-image", HandlerNames.GetImage, ForImage("api/get-image.json"));
        await Ask("get-image-unknown-id", HandlerNames.GetImage, Event("api/get-image.json"));
        await Ask("get-analysis", HandlerNames.GetAnalysis, ForImage("api/get-analysis.json"));
        await Ask("get-analysis-unknown-id", HandlerNames.GetAnalysis, Event("api/get-analysis.json"));
        await Ask("upload-not-an-image", HandlerNames.Upload, Event("api/upload-not-an-image.json"));
        var uploaded = await Ask("upload", HandlerNames.Upload, Event("api/upload.json"));
        Assert.Equal(202, (int)uploaded["statusCode"]!);
        var uploadedId = (string)JsonNode.Parse((string)uploaded["body"]!)!["image_id"]!;
        var execution = await platform.Workflow.WaitAsync(uploadedId);
        Assert.NotEqual(ExecutionStatus.TimedOut, execution.Status);
        return answers;
    }

    /// <summary>
    /// An API Gateway response as text: each envelope property but the body on its own line (the handler's JsonNode,
    /// written with ToJsonString's default escaping, hence "problem\u002Bjson"), then a blank line and the body
    /// exactly as the client receives it (so it stays readable, not escaped twice).
    /// </summary>
    private static byte[] Render(JsonNode response)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in response.AsObject())
        {
            if (name != "body")
            {
                text.Append(CultureInfo.InvariantCulture, $"{name}: {value?.ToJsonString() ?? "null"}\n");
            }
        }

        return Encoding.UTF8.GetBytes(text.Append('\n').Append((string?)response["body"]).Append('\n').ToString());
    }

    [GeneratedRegex("\"signature\": \"([^\"]*)\"")]
    private static partial Regex SignatureValue();

    [GeneratedRegex("\"report_json_sha256\": \"([^\"]*)\"")]
    private static partial Regex ReportJsonDigest();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")]
    private static partial Regex UuidV7();

    [GeneratedRegex("\"(elapsed_seconds|images_per_second)\": [0-9.eE+-]+")]
    private static partial Regex Speed();
}

/// <summary>UUID-shaped ids (version 7, variant 10) numbered per block: 00000000-0000-7000-8BBB-NNNNNNNNNNNN.</summary>
internal sealed class GoldenIds : IIdGenerator
{
    private int block;
    private int next;

    public void StartBlock(int number)
    {
        Volatile.Write(ref block, number);
        Volatile.Write(ref next, 0);
    }

    public string NewId() =>
        string.Create(CultureInfo.InvariantCulture, $"00000000-0000-7000-8{Volatile.Read(ref block):D3}-{Interlocked.Increment(ref next):D12}");
}
