using System.CommandLine;
using MedVision.Bench.Codecs;
using MedVision.Bench.Dicom;
using MedVision.Bench.Lambda;
using MedVision.Bench.Models;
using MedVision.Bench.Stages;
using MedVision.CommandLine;

// Benchmark harness (scripts/bench.sh); results in docs/benchmarks.md. Never asserts timings.
//   dotnet run -c Release --project bench/MedVision.Bench -- [--runs N] [--out FILE]   codecs (Codecs/CodecBench.cs)
//   ... -- dicom [--runs N] [--out FILE] [--slices N] [--cli PATH] [--cli-build TEXT]
//                [--cli-other PATH] [--cli-other-build TEXT]                          (Dicom/DicomBench.cs)
//   ... -- models [--runs N] [--out FILE]                                              (Models/ModelsBench.cs)
//   ... -- stages [--runs N] [--out FILE] [--baseline JSON] [--save-json JSON]         (Stages/StageCostBench.cs)
//   ... -- lambda --aot DIR --r2r DIR --fd DIR --floor PATH [--runs N] [--warm N] [--out FILE] (Lambda/LambdaBench.cs)
// `--help` on each says more.
Option<int> Runs() => new("--runs")
{
    Description = "timed runs per measurement (the median is reported)",
    HelpName = "N",
    DefaultValueFactory = _ => 15,
    CustomParser = ValueParsers.WholeNumber("--runs", 1, 10_000),
};

Option<string> Out() => new("--out")
{
    Description = "the results file to rewrite (only this benchmark's section of it)",
    HelpName = "FILE",
    DefaultValueFactory = _ => "docs/benchmarks.md",
};

var codecRuns = Runs();
var codecOut = Out();
var root = new RootCommand(
    "Codec benchmarks: PNG/JPEG/windowing side by side with libjpeg-turbo and Pillow (rewrites the results file, keeps its "
    + "DICOM and Models sections)")
{
    codecRuns, codecOut,
};
root.HelpName = "MedVision.Bench";
root.SetAction(r => CodecBench.Run(r.GetValue(codecRuns), r.GetRequiredValue(codecOut)));

var dicomRuns = Runs();
var dicomOut = Out();
var slices = new Option<int>("--slices")
{
    Description = "CT slices in the series the parse benchmark reads",
    HelpName = "N",
    DefaultValueFactory = _ => 200,
    CustomParser = ValueParsers.WholeNumber("--slices", 1, 100_000),
};
var cli = new Option<string?>("--cli") { Description = "the published medvision executable to time against dcmdump", HelpName = "PATH" };
var cliBuild = new Option<string>("--cli-build")
{
    Description = "how that executable was built (printed in the results)",
    HelpName = "TEXT",
    DefaultValueFactory = _ => "unknown build",
};
var cliOther = new Option<string?>("--cli-other")
{
    Description = "the same CLI built another way (e.g. ReadyToRun), timed in the same alternating runs for the ratio",
    HelpName = "PATH",
};
var cliOtherBuild = new Option<string>("--cli-other-build")
{
    Description = "how the --cli-other executable was built (printed in the results)",
    HelpName = "TEXT",
    DefaultValueFactory = _ => "another build",
};
var dicom = new Command(
    "dicom",
    "DICOM benchmarks against pydicom and DCMTK, and the published CLI's `dicom dump` against dcmdump (rewrites the "
    + "## DICOM section)")
{
    dicomRuns, dicomOut, slices, cli, cliBuild, cliOther, cliOtherBuild,
};
dicom.SetAction(r => DicomBench.Run(
    r.GetValue(dicomRuns), r.GetRequiredValue(dicomOut), r.GetValue(slices), r.GetValue(cli), r.GetRequiredValue(cliBuild),
    r.GetValue(cliOther), r.GetRequiredValue(cliOtherBuild)));
root.Subcommands.Add(dicom);

var modelRuns = Runs();
var modelOut = Out();
var models = new Command(
    "models",
    "Classify and analyze model work per image, in process and over loopback HTTP to the model server (rewrites the "
    + "## Models section)")
{
    modelRuns, modelOut,
};
models.SetAction(r => ModelsBench.Run(r.GetValue(modelRuns), r.GetRequiredValue(modelOut)));
root.Subcommands.Add(models);

var stageRuns = Runs();
var stageOut = Out();
var baseline = new Option<string?>("--baseline")
{
    Description = "medians saved by an earlier run (--save-json), shown as the \"before\" column",
    HelpName = "JSON",
};
var saveJson = new Option<string?>("--save-json") { Description = "also write this run's medians here", HelpName = "JSON" };
var stages = new Command(
    "stages",
    "Per-image cost of the classify, analyze, heatmap and report handlers on a 7.8 MP radiograph and a 512x512 slice "
    + "(rewrites the ## Stage costs section)")
{
    stageRuns, stageOut, baseline, saveJson,
};
stages.SetAction(r => StageCostBench.Run(r.GetValue(stageRuns), r.GetRequiredValue(stageOut), r.GetValue(baseline), r.GetValue(saveJson)));
root.Subcommands.Add(stages);
var lambdaRuns = Runs();
var lambdaOut = Out();
var warm = new Option<int>("--warm")
{
    Description = "warm invocations of get-image in one Native AOT process (classify gets a tenth, at least 10)",
    HelpName = "N",
    DefaultValueFactory = _ => 1000,
    CustomParser = ValueParsers.WholeNumber("--warm", 10, 1_000_000),
};
Option<string> Published(string name, string how) => new(name)
{
    Description = $"the folder holding `bootstrap` published {how}",
    HelpName = "DIR",
    Required = true,
};
var aot = Published("--aot", "Native AOT (scripts/publish-functions.sh)");
var r2r = Published("--r2r", "self-contained ReadyToRun");
var fd = Published("--fd", "framework-dependent");
var floorExe = new Option<string>("--floor")
{
    Description = "the smallest Native AOT program (bench/MedVision.Bench.AotFloor published), timed start → exit as the machine's floor",
    HelpName = "PATH",
    Required = true,
};
var lambda = new Command(
    "lambda",
    "The Lambda bootstrap against the loopback Runtime API: cold start of an API and a stage handler published Native AOT, "
    + "ReadyToRun and framework-dependent, warm per-invoke overhead, peak RSS, zipped size (rewrites the ## Lambda bootstrap section)")
{
    lambdaRuns, lambdaOut, warm, aot, r2r, fd, floorExe,
};
lambda.SetAction(r => LambdaBench.Run(
    r.GetValue(lambdaRuns), r.GetValue(warm), r.GetRequiredValue(lambdaOut),
    r.GetRequiredValue(aot), r.GetRequiredValue(r2r), r.GetRequiredValue(fd), r.GetRequiredValue(floorExe)));
root.Subcommands.Add(lambda);

CommandLineApp.RejectOptionLikeArguments(root);
return await CommandLineApp.RunAsync(root, args, Console.Out, Console.Error);
