using System.CommandLine;
using System.Globalization;
using MedVision.Cli;
using MedVision.CommandLine;
using MedVision.Core.Classification;
using MedVision.Core.Reports;
using MedVision.Dicom.Deidentification;
using MedVision.Dicom.Imaging;
using MedVision.Dicom.Json;
using MedVision.Imaging;

return await CliApp.RunAsync(args, Console.Out, Console.Error);

namespace MedVision.Cli
{
    /// <summary>
    /// Entry point and the command tree (System.CommandLine). `--help` on any command exits 0; usage errors exit 2 with
    /// one line; each command keeps its own exit codes (analyze 0/1/2, review 0/1/2, verify-report 0/1/2, ...).
    /// </summary>
    public static class CliApp
    {
        public const string Name = "medvision";

        public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
        {
            ArgumentNullException.ThrowIfNull(args);
            ArgumentNullException.ThrowIfNull(output);
            ArgumentNullException.ThrowIfNull(error);
            var root = CreateRootCommand();
            if (args.Length == 0)
            {
                // A bare `medvision` shows what there is to run, but is still not a command that ran.
                await CommandLineApp.RunAsync(root, ["--help"], output, error);
                return CommandLineApp.UsageExitCode;
            }

            var result = CommandLineApp.Parse(root, args);
            try
            {
                return await CommandLineApp.RunAsync(result, output, error);
            }
            catch (UsageException ex)
            {
                // A command found its arguments unusable only once it looked at them (e.g. a key file that is missing).
                await error.WriteLineAsync(CommandLineApp.UsageLine(ex.Message, result.CommandResult));
                return CommandLineApp.UsageExitCode;
            }
        }

        /// <summary>The whole command line: every command, its arguments and options, and what runs it.</summary>
        public static RootCommand CreateRootCommand()
        {
            var root = new RootCommand("medvision — run the MedVision imaging pipeline locally") { HelpName = Name };

            // The root's name is the running executable's (testhost under a test runner, or `dotnet`'s dll name);
            // completion requests that carry the whole line start with "medvision".
            if (root.Name != Name)
            {
                root.Aliases.Add(Name);
            }

            CommandLineApp.SetVersion(root, typeof(CliApp).Assembly.GetName().Version?.ToString() ?? "0.0.0");
            Synopsis.AddToRootHelp(root);
            root.Subcommands.Add(Analyze());
            root.Subcommands.Add(Review());
            root.Subcommands.Add(VerifyReport());
            root.Subcommands.Add(Serve());
            root.Subcommands.Add(MakeSamples());
            root.Subcommands.Add(Image());
            root.Subcommands.Add(Dicom());
            root.Subcommands.Add(TwinCommand.Create());
            root.Subcommands.Add(Invoke());
            root.Subcommands.Add(Aws());
            root.Subcommands.Add(Help(root));
            CommandLineApp.RejectOptionLikeArguments(root);
            return root;
        }

        private static Option<string> OutOption(string description = "output folder") => new("--out", "-o")
        {
            Description = description,
            HelpName = "DIR",
            DefaultValueFactory = _ => "medvision-out",
        };

        private static Option<string?> StateOption() => new("--state")
        {
            Description = "where the local twins keep their data (default: <out>/.state)",
            HelpName = "DIR",
        };

        private static Option<string> ReviewerOption() => new("--reviewer")
        {
            Description = "who reviews (recorded on the record and in the audit log)",
            HelpName = "ID",
            DefaultValueFactory = _ => "local-reviewer",
        };

        private static Option<Uri?> ModelEndpointOption() => new("--model-endpoint")
        {
            Description = "send inference over HTTP to a model server (e.g. http://127.0.0.1:8080, started with "
                + "`dotnet run --project models/MedVision.ModelServer`) instead of running the reference analyzers in process",
            HelpName = "URL",
            CustomParser = ValueParsers.Read<Uri?>(
                (string raw, out Uri? uri) => Uri.TryCreate(raw, UriKind.Absolute, out uri) && uri.Scheme is "http" or "https",
                raw => $"--model-endpoint must be an http(s) URL such as http://127.0.0.1:8080, not '{raw}'"),
        };

        private static Command Analyze()
        {
            var inputs = new Argument<string[]>("file-or-folder")
            {
                Description = "PNG, JPEG or DICOM files, or folders of them",
                Arity = ArgumentArity.OneOrMore,
            };
            var outDir = OutOption();
            var parallel = new Option<int>("--parallel", "-p")
            {
                Description = "images processed at once; the default is one per core",
                HelpName = "N",
                DefaultValueFactory = _ => Environment.ProcessorCount,
                CustomParser = ValueParsers.WholeNumber("--parallel", 1, 256),
            };
            var user = new Option<string>("--user") { Description = "user id recorded on uploads", HelpName = "ID", DefaultValueFactory = _ => "local-user" };
            var state = StateOption();
            var modelEndpoint = ModelEndpointOption();
            var routes = new Option<string?>("--model-routes")
            {
                Description = "model routing JSON (endpoints, variants, fallback, A/B split, input sizes; see docs/model-contract.md); "
                    + "default: the MEDVISION_MODEL_ROUTES variable, else the built-in routes",
                HelpName = "FILE",
            };
            var platform = PlatformOption();
            var command = new Command(
                "analyze",
                "Run classify → analyze → heatmap → report → finalize on every image through the embedded twins and the real "
                + "state machine. Writes per image: analysis.json, heatmap.png, heatmap-thumbnail.png, heatmap-preview.jpg, "
                + "side-by-side.png, saliency.png (the detector's own map), report.json, report.pdf, report.sig.json (signature "
                + "over both), fhir-bundle.json and record.json, plus summary.json. An image whose modality confidence is below "
                + "0.85 stops at manual review: analyze prints the `medvision review modality` command that continues it. "
                + "Exit 0 when every image completed or waits for review, 1 when any was rejected or failed, 2 for usage errors.")
            {
                inputs, outDir, parallel, user, state, modelEndpoint, routes, platform,
            };
            CommandLineApp.WhenArgumentsMissing(command, "analyze needs at least one file or folder");
            command.SetAction((r, ct) => new AnalyzeCommand(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error).RunAsync(
                new AnalyzeOptions(
                    r.GetRequiredValue(inputs), r.GetRequiredValue(outDir), r.GetValue(parallel), r.GetRequiredValue(user),
                    r.GetValue(state), r.GetValue(modelEndpoint), r.GetValue(routes), r.GetValue(platform)),
                ct));
            return command;
        }

        private static Option<PlatformKind> PlatformOption() => new Option<PlatformKind>("--platform")
        {
            Description = "the adapters the ports run on: local (the embedded twins) or aws (S3, DynamoDB, HealthImaging, "
                + "HealthLake, SageMaker Runtime, EventBridge, KMS, configured by the environment: docs/configuration.md; "
                + "scripts/aws-local.sh up starts local stand-ins); the state machine runs in this process either way",
            DefaultValueFactory = _ => PlatformKind.Local,
        }.Choices(
            [("local", PlatformKind.Local), ("aws", PlatformKind.Aws)],
            raw => $"--platform must be local or aws, not '{raw}'");

        private static Command Invoke()
        {
            var handler = new Argument<string>("handler")
            {
                Description = "the handler to run, as a function's handler setting names it (upload, get-image, classify, ...)",
                HelpName = "handler",
            }.Suggest([.. Functions.HandlerNames.All]);
            var eventFile = new Option<string>("--event", "-e")
            {
                Description = "the event JSON, as Lambda would pass it (samples in events/api and events/stepfunctions)",
                HelpName = "FILE",
                Required = true,
            };
            var outDir = OutOption("the --out analyze used; the local twins' state is <out>/.state");
            var state = StateOption();
            var modelEndpoint = ModelEndpointOption();
            var platform = PlatformOption();
            var command = new Command(
                "invoke",
                "Run one handler once on a sample event, as the Lambda bootstrap runs it (like `sam local invoke`), on the "
                + "embedded twins or the AWS adapters. Prints the handler's JSON result; a handler error is printed as Lambda "
                + "reports it (errorType, errorMessage). An upload's pipeline runs in this process and is waited for. Exit 0 "
                + "when the handler answered, 1 when it threw, 2 for usage errors.")
            {
                handler, eventFile, outDir, state, modelEndpoint, platform,
            };
            CommandLineApp.WhenArgumentsMissing(command, "invoke needs a <handler> and --event FILE");
            command.SetAction((r, ct) => new InvokeCommand(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error).RunAsync(
                new InvokeOptions(
                    r.GetRequiredValue(handler), r.GetRequiredValue(eventFile), r.GetValue(platform), r.GetRequiredValue(outDir),
                    r.GetValue(state), r.GetValue(modelEndpoint)),
                ct));
            return command;
        }

        private static Command Aws()
        {
            var init = new Command(
                "init",
                "Create in the local stand-ins the resources the environment names (docs/configuration.md): the bucket, the "
                + "DynamoDB tables, an S3 encryption key and a report-signing key in KMS, and the event bus; print `export` lines "
                + "for the key ids it made. Only for endpoints on 127.0.0.1 (scripts/aws-local.sh up runs it); in an AWS account "
                + "`cdk deploy` creates them. Running it again changes nothing. Exit 0 when done, 1 when a service refused, 2 for "
                + "missing or non-local settings.");
            init.SetAction((r, ct) => new AwsInitCommand(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error)
                .RunAsync(Environment.GetEnvironmentVariable, ct));
            return new Command("aws", "Work with the AWS adapters' resources") { init };
        }

        private static Command Review()
        {
            var imageId = new Argument<string>("image-id") { Description = "the image waiting for review (analyze printed it)" };
            var modality = new Argument<string>("modality") { Description = "the modality the reviewer saw" }
                .Suggest([.. Modalities.All.Select(m => m.WireName())]);
            var outDir = OutOption("the --out analyze used; outputs are exported into the image's folder there");
            var state = StateOption();
            var reviewer = ReviewerOption();
            var modelEndpoint = ModelEndpointOption();
            var setModality = new Command(
                "modality",
                "Set the modality of an image waiting for manual review (confidence 1.0, source manual-review, audited) and "
                + "continue its run: analyze, heatmap, report, finalize on that modality, outputs exported into the image's "
                + "folder under --out. Exit 0 completed, 1 failed, 2 for an unknown image, an image not waiting for review or "
                + "an unknown modality.")
            {
                imageId, modality, outDir, state, reviewer, modelEndpoint,
            };
            CommandLineApp.WhenArgumentsMissing(setModality, "review modality needs exactly <image-id> and <xray|mri|ct|ultrasound>");
            setModality.SetAction((r, ct) => new ReviewCommand(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error).RunAsync(
                new ReviewOptions(
                    r.GetRequiredValue(imageId), r.GetRequiredValue(modality), r.GetRequiredValue(outDir), r.GetValue(state),
                    r.GetRequiredValue(reviewer), r.GetValue(modelEndpoint)),
                ct));

            var id = new Argument<string>("id") { Description = "the report id, or the id of the image it reports on", HelpName = "report-id|image-id" };
            var status = new Option<ReportReviewStatus>("--status")
            {
                Description = "final for the first review, amended for a later change",
                Required = true,
            }.Choices(
                [("final", ReportReviewStatus.Final), ("amended", ReportReviewStatus.Amended)],
                raw => $"--status must be final or amended, not '{raw}'");
            var conclusion = new Option<string?>("--conclusion") { Description = "the reviewer's conclusion", HelpName = "TEXT" };
            var reportReviewer = ReviewerOption();
            var reportOut = OutOption("the --out analyze used");
            var reportState = StateOption();
            var reviewReport = new Command(
                "report",
                "A clinician's review of an AI report: the FHIR DiagnosticReport and its Observations become final (first "
                + "review) or amended (a later change), the reviewer is recorded as resultsInterpreter, report.json gets a "
                + "review section, and an audit entry is written. Exit 0 reviewed, 2 for an unknown id, a report without a "
                + "review path (final twice, amending a preliminary report) or bad arguments.")
            {
                id, status, reportReviewer, conclusion, reportOut, reportState,
            };
            CommandLineApp.WhenArgumentsMissing(reviewReport, "review report needs exactly one <report-id|image-id>");
            reviewReport.SetAction((r, ct) => new ReviewCommand(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error).RunReportAsync(
                new ReportReviewOptions(
                    r.GetRequiredValue(id), r.GetValue(status), r.GetRequiredValue(reportOut), r.GetValue(reportState),
                    r.GetRequiredValue(reportReviewer), r.GetValue(conclusion)),
                ct));

            return new Command("review", "Human review: a modality for an image waiting at manual review, or sign-off of a report")
            {
                setModality, reviewReport,
            };
        }

        private static Command VerifyReport()
        {
            var target = new Argument<string>("dir-or-report.sig.json") { Description = "an image's output folder, or its report.sig.json" };
            var publicKey = new Option<string?>("--public-key")
            {
                Description = "trusted public key (PEM, e.g. <state>/keys/report-signing.pub.pem): also proves who signed",
                HelpName = "FILE",
            };
            var command = new Command(
                "verify-report",
                "Check the detached signature of a report: recompute the SHA-256 of report.pdf and report.json next to "
                + "report.sig.json and verify the ECDSA P-256 signature. Without --public-key the key carried in the file is "
                + "used (proves the files are unchanged). Exit 0 valid, 1 changed or not signed by the key (names the file), "
                + "2 bad input.")
            {
                target, publicKey,
            };
            CommandLineApp.WhenArgumentsMissing(command, "verify-report needs a report folder or its report.sig.json");
            command.SetAction(r => VerifyReportCommand.Run(
                r.GetRequiredValue(target), r.GetValue(publicKey), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
            return command;
        }

        private static Command Serve()
        {
            var port = new Option<int>("--port")
            {
                Description = "port on 127.0.0.1; 0 picks a free one (the printed URL says which)",
                HelpName = "N",
                DefaultValueFactory = _ => 8080,
                CustomParser = ValueParsers.WholeNumber("--port", 0, 65535),
            };
            var outDir = OutOption("the --out analyze used (its .state folder is served)");
            var state = StateOption();
            var command = new Command(
                "serve",
                "Serve the local FHIR R4 API at http://127.0.0.1:N/fhir over the FHIR store analyze writes "
                + "(<out>/.state/fhir.db): the resources of every analyzed image. GET /fhir/metadata lists what it supports. "
                + "Ctrl+C stops it. Exit 2 when the state folder does not exist.")
            {
                port, outDir, state,
            };
            command.SetAction(r => new ServeCommand(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error).RunAsync(
                new ServeOptions(r.GetRequiredValue(outDir), r.GetValue(state), r.GetValue(port))));
            return command;
        }

        private static Command MakeSamples()
        {
            var directory = new Argument<string>("dir") { Description = "folder to write to", DefaultValueFactory = _ => "samples" };
            var command = new Command("make-samples", "Write the synthetic sample images (the repository's samples/ folder)") { directory };
            command.SetAction(r => MakeSamplesCommand.Run(r.GetRequiredValue(directory), r.InvocationConfiguration.Output));
            return command;
        }

        private static Command Image()
        {
            var file = new Argument<string>("file") { Description = "a PNG or JPEG file" };
            var info = new Command("info", "Format, size, bit depth and colour type of a PNG or JPEG (judged by content), after checking the whole file decodes") { file };
            info.SetAction(r => ImageCommand.Info(r.GetRequiredValue(file), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));

            var input = new Argument<string>("in") { Description = "a PNG or JPEG file" };
            var target = new Argument<string>("out") { Description = "the file to write; its extension (.png, .jpg, .jpeg) picks the format" };
            var quality = new Option<int>("--quality")
            {
                Description = "JPEG quality",
                HelpName = "1-100",
                DefaultValueFactory = _ => 85,
                CustomParser = ValueParsers.WholeNumber("--quality", 1, 100),
            };
            var convert = new Command("convert", "Convert PNG/JPEG either way. Bad input: a one-line error and exit code 2.") { input, target, quality };
            convert.SetAction(r => ImageCommand.Convert(
                r.GetRequiredValue(input), r.GetRequiredValue(target), r.GetValue(quality), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));

            return new Command("image", "PNG and JPEG tools") { info, convert };
        }

        private static Command Dicom()
        {
            var dumpFile = new Argument<string>("file") { Description = "a DICOM file (Part 10 or a bare data set)" };
            var meta = new Option<bool>("--meta") { Description = "include the file meta information (group 0002)" };
            var inlineLimit = new Option<int>("--inline-limit")
            {
                Description = "binary values longer than this become a BulkDataURI size note",
                HelpName = "BYTES",
                DefaultValueFactory = _ => 1024,
                CustomParser = ValueParsers.Read<int>(
                    (string raw, out int limit) => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit) && limit >= 0,
                    _ => "--inline-limit needs a byte count (0 or more)"),
            };
            var dump = new Command(
                "dump",
                "Print the data set as the DICOM JSON Model (PS3.18 Annex F); binary values over --inline-limit bytes and "
                + "encapsulated pixel data appear as a BulkDataURI size note.")
            {
                dumpFile, meta, inlineLimit,
            };
            dump.SetAction(r => DicomCommand.Dump(
                r.GetRequiredValue(dumpFile),
                new DicomJsonOptions(IncludeFileMeta: r.GetValue(meta), InlineBinaryLimit: r.GetValue(inlineLimit)),
                r.InvocationConfiguration.Output,
                r.InvocationConfiguration.Error));

            var infoFile = new Argument<string>("file") { Description = "a DICOM file" };
            var info = new Command("info", "Modality, size, study/series/instance UIDs and whether the pixels can be decoded") { infoFile };
            info.SetAction(r => DicomCommand.Info(r.GetRequiredValue(infoFile), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));

            var renderFile = new Argument<string>("file") { Description = "a DICOM image" };
            var png = new Option<string>("--out", "-o") { Description = "the PNG to write", HelpName = "X.png", Required = true };
            var frame = new Option<int>("--frame")
            {
                Description = "0-based frame number",
                HelpName = "N",
                DefaultValueFactory = _ => 0,
                CustomParser = ValueParsers.Read<int>(
                    (string raw, out int n) => int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out n),
                    raw => $"--frame must be a frame number from 0, not '{raw}'"),
            };
            var window = new Option<WindowLevel?>("--window")
            {
                Description = "window center and width in modality units (e.g. 40,400), in place of the file's",
                HelpName = "CENTER,WIDTH",
                CustomParser = ValueParsers.Read<WindowLevel?>(TryReadWindow, _ => "--window needs CENTER,WIDTH with a width of at least 1, e.g. --window 40,400"),
            };
            var render = new Command(
                "render",
                "The 8-bit rendition the models see: rescale, then the file's window (or VOI LUT, else the data's range), "
                + "MONOCHROME1 inverted; colour images as RGB.")
            {
                renderFile, png, frame, window,
            };
            render.SetAction(r => DicomCommand.Render(
                r.GetRequiredValue(renderFile),
                r.GetRequiredValue(png),
                r.GetValue(frame),
                r.GetValue(window) is { } w ? RenderOptions.Default with { Window = w } : RenderOptions.Default,
                r.InvocationConfiguration.Output,
                r.InvocationConfiguration.Error));

            return new Command("dicom", "DICOM tools. Bad DICOM: one line naming the problem, its offset and tag, and exit code 2.")
            {
                dump, info, render, Deidentify(),
            };
        }

        private static Command Deidentify()
        {
            var input = new Argument<string>("in") { Description = "a DICOM file, or a folder of them" };
            var target = new Argument<string>("out") { Description = "the file (or folder) to write" };
            var dates = new Option<LongitudinalTemporalRetention>("--retain-dates")
            {
                Description = "Retain Longitudinal Temporal Information: full dates, or modified (shifted) dates",
            }.Choices(
                [("full", LongitudinalTemporalRetention.FullDates), ("modified", LongitudinalTemporalRetention.ModifiedDates)],
                raw => $"--retain-dates takes 'full' or 'modified', not '{raw}'");
            var patient = new Option<bool>("--retain-patient-characteristics") { Description = "Retain Patient Characteristics option" };
            var device = new Option<bool>("--retain-device-identity") { Description = "Retain Device Identity option" };
            var institution = new Option<bool>("--retain-institution-identity") { Description = "Retain Institution Identity option" };
            var uids = new Option<bool>("--retain-uids") { Description = "Retain UIDs option" };
            var descriptors = new Option<bool>("--clean-descriptors") { Description = "Clean Descriptors option" };
            var keyFile = new Option<string?>("--key-file")
            {
                Description = "a secret of at least 16 bytes: new UIDs derive from it, so they stay the same across runs",
                HelpName = "FILE",
            };
            var command = new Command(
                "deidentify",
                "PS3.15 Basic Application Level Confidentiality Profile on a file or a folder (UIDs stay consistent across the "
                + "run; with --key-file, across runs). Pixels are never changed: files flagged with burned-in annotation get a "
                + "warning.")
            {
                input, target, dates, patient, device, institution, uids, descriptors, keyFile,
            };
            command.SetAction(r => DicomCommand.Deidentify(
                r.GetRequiredValue(input),
                r.GetRequiredValue(target),
                DeidentificationOptions.Basic with
                {
                    RetainLongitudinalTemporalInformation = r.GetValue(dates),
                    RetainPatientCharacteristics = r.GetValue(patient),
                    RetainDeviceIdentity = r.GetValue(device),
                    RetainInstitutionIdentity = r.GetValue(institution),
                    RetainUids = r.GetValue(uids),
                    CleanDescriptors = r.GetValue(descriptors),
                },
                r.GetValue(keyFile),
                r.InvocationConfiguration.Output,
                r.InvocationConfiguration.Error));
            return command;
        }

        /// <summary>`medvision help [command...]`: the same help as `medvision [command...] --help`.</summary>
        private static Command Help(RootCommand root)
        {
            var path = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore };
            var command = new Command("help", "Show help for a command") { Hidden = true };
            command.Arguments.Add(path);
            command.SetAction((r, ct) => CommandLineApp.RunAsync(
                root, [.. r.GetValue(path) ?? [], "--help"], r.InvocationConfiguration.Output, r.InvocationConfiguration.Error, ct));
            return command;
        }

        private static bool TryReadWindow(string raw, out WindowLevel? window)
        {
            var parts = raw.Split(',');
            window = parts.Length == 2
                && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var center)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var width) && width >= 1
                    ? new WindowLevel(center, width)
                    : null;
            return window is not null;
        }
    }

    public sealed class UsageException(string message) : Exception(message);
}
