using System.Globalization;
using MedVision.Core.Reports;
using MedVision.Cli;

return await CliApp.RunAsync(args, Console.Out, Console.Error);

namespace MedVision.Cli
{
    /// <summary>Entry point and argument parsing. Usage errors exit 2, processing errors exit 1.</summary>
    public static class CliApp
    {
        public const string Usage = """
            medvision — run the MedVision imaging pipeline locally

            Usage:
              medvision analyze <file-or-folder>... [--out DIR] [--parallel N] [--user ID] [--state DIR]
                  [--model-endpoint URL] [--model-routes FILE]
                  Run classify → analyze → heatmap → report → finalize on every image through the
                  embedded twins and the real state machine. Writes per image: analysis.json,
                  heatmap.png, heatmap-thumbnail.png, heatmap-preview.jpg, side-by-side.png,
                  saliency.png (the detector's own map), report.json, report.pdf, report.sig.json
                  (signature over both), fhir-bundle.json and record.json, plus summary.json.
                  --out DIR      output folder (default: medvision-out)
                  --parallel N   images processed at once (default: number of cores)
                  --user ID      user id recorded on uploads (default: local-user)
                  --state DIR    where the local twins keep their data (default: <out>/.state)
                  --model-endpoint URL  send inference over HTTP to a model server (e.g.
                                 http://127.0.0.1:8080, started with `dotnet run --project
                                 models/MedVision.ModelServer`) instead of running the reference
                                 analyzers in process
                  --model-routes FILE   model routing JSON (endpoints, variants, fallback, A/B split,
                                 input sizes; see docs/model-contract.md); default: the
                                 MEDVISION_MODEL_ROUTES variable, else the built-in routes
                  An image whose modality confidence is below 0.85 stops at manual review: analyze
                  prints the `medvision review modality` command that continues it.
              medvision review modality <image-id> <xray|mri|ct|ultrasound> [--out DIR] [--state DIR]
                  [--reviewer ID] [--model-endpoint URL]
                  Set the modality of an image waiting for manual review (confidence 1.0, source
                  manual-review, audited) and continue its run: analyze, heatmap, report, finalize on
                  that modality, outputs exported into the image's folder under --out. Use the --out
                  (or --state) analyze used. --reviewer defaults to local-reviewer. Exit 0 completed,
                  1 failed, 2 for an unknown image, an image not waiting for review or a bad modality.
              medvision review report <report-id|image-id> --status final|amended [--reviewer ID]
                  [--conclusion TEXT] [--out DIR] [--state DIR]
                  A clinician's review of an AI report: the FHIR DiagnosticReport and its Observations
                  become final (first review) or amended (a later change), the reviewer is recorded as
                  resultsInterpreter, report.json gets a review section, and an audit entry is written.
                  Exit 0 reviewed, 2 for an unknown id, a report without a review path (final twice,
                  amending a preliminary report) or bad arguments.
              medvision verify-report <dir-or-report.sig.json> [--public-key FILE]
                  Check the detached signature of a report: recompute the SHA-256 of report.pdf and
                  report.json next to report.sig.json and verify the ECDSA P-256 signature. Without
                  --public-key the key carried in the file is used (proves the files are unchanged);
                  with it (PEM, e.g. <state>/keys/report-signing.pub.pem) it also proves the signer.
                  Exit 0 valid, 1 changed or not signed by the key (names the file), 2 bad input.
              medvision serve [--port N] [--out DIR | --state DIR]
                  Serve the local FHIR R4 API at http://127.0.0.1:N/fhir (default port 8080; 0 picks a
                  free one) over the FHIR store analyze writes (<out>/.state/fhir.db): the resources of
                  every analyzed image. GET /fhir/metadata lists what it supports. Ctrl+C stops it.
              medvision make-samples [DIR]
                  Write the synthetic sample images (default folder: samples).
              medvision image info FILE
                  Format, size, bit depth and colour type of a PNG or JPEG (judged by content).
              medvision image convert IN OUT [--quality 1-100]
                  Convert PNG/JPEG either way; OUT's extension (.png, .jpg, .jpeg) picks the format.
                  Bad input: a one-line error and exit code 2.
              medvision dicom dump FILE [--meta] [--inline-limit BYTES]
                  Print the data set as the DICOM JSON Model (PS3.18 Annex F); binary values over
                  BYTES (default 1024) and encapsulated pixel data appear as a BulkDataURI size note.
              medvision dicom info FILE
                  Modality, size, study/series/instance UIDs and whether the pixels can be decoded.
              medvision dicom render FILE --out X.png [--frame N] [--window CENTER,WIDTH]
                  The 8-bit rendition the models see: rescale, then the file's window (or VOI LUT,
                  else the data's range), MONOCHROME1 inverted; colour images as RGB.
              medvision dicom deidentify IN OUT [--retain-dates full|modified]
                  [--retain-patient-characteristics] [--retain-device-identity]
                  [--retain-institution-identity] [--retain-uids] [--clean-descriptors] [--key-file F]
                  PS3.15 Basic Application Level Confidentiality Profile on a file or a folder (UIDs
                  stay consistent across the run; with --key-file, across runs). Pixels are never
                  changed: files flagged with burned-in annotation get a warning.
                  Bad DICOM: one line naming the problem, its offset and tag, and exit code 2.
              medvision --help | --version
            """;

        public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
        {
            ArgumentNullException.ThrowIfNull(args);
            ArgumentNullException.ThrowIfNull(output);
            ArgumentNullException.ThrowIfNull(error);
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                output.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            try
            {
                switch (args[0])
                {
                    case "--version":
                        output.WriteLine(typeof(CliApp).Assembly.GetName().Version?.ToString() ?? "0.0.0");
                        return 0;
                    case "analyze":
                        return await new AnalyzeCommand(output, error).RunAsync(ParseAnalyze(args[1..]));
                    case "review":
                        return args.Length > 1 && args[1] == "report"
                            ? await new ReviewCommand(output, error).RunReportAsync(ParseReportReview(args[1..]))
                            : await new ReviewCommand(output, error).RunAsync(ParseReview(args[1..]));
                    case "serve":
                        return await new ServeCommand(output, error).RunAsync(ParseServe(args[1..]));
                    case "image":
                        return ImageCommand.Run(args[1..], output, error);
                    case "dicom":
                        return DicomCommand.Run(args[1..], output, error);
                    case "verify-report":
                        return VerifyReportCommand.Run(args[1..], output, error);
                    case "make-samples":
                        return MakeSamplesCommand.Run(args.Length > 1 ? args[1] : "samples", output);
                    default:
                        throw new UsageException($"unknown command '{args[0]}'");
                }
            }
            catch (UsageException ex)
            {
                error.WriteLine($"error: {ex.Message}");
                error.WriteLine("run 'medvision --help' for usage");
                return 2;
            }
        }

        private static Uri ParseModelEndpoint(string url) =>
            Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new UsageException($"--model-endpoint must be an http(s) URL such as http://127.0.0.1:8080, not '{url}'");

        /// <summary>
        /// The option loop every command shares: <paramref name="option"/> handles a name it knows (pulling its value
        /// with the function it is given) and answers true; other "-x" names are usage errors, the rest positional.
        /// </summary>
        private static List<string> ReadArguments(string[] args, int start, Func<string, Func<string>, bool> option)
        {
            var positional = new List<string>();
            for (var i = start; i < args.Length; i++)
            {
                var name = args[i];
                string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
                if (option(name, Value))
                {
                    continue;
                }

                if (name.StartsWith('-') && name.Length > 1)
                {
                    throw new UsageException($"unknown option '{name}'");
                }

                positional.Add(name);
            }

            return positional;
        }

        private static int ParseWholeNumber(string option, string raw, int min, int max) =>
            int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? value
                : throw new UsageException($"{option} must be a whole number from {min} to {max}, not '{raw}'");

        public static ReviewOptions ParseReview(string[] args)
        {
            ArgumentNullException.ThrowIfNull(args);
            if (args.Length == 0 || args[0] != "modality")
            {
                throw new UsageException(
                    "review needs a subcommand: review modality <image-id> <xray|mri|ct|ultrasound>, or review report <report-id|image-id> --status final|amended");
            }

            string outDir = "medvision-out", reviewer = "local-reviewer";
            string? state = null;
            Uri? modelEndpoint = null;
            var positional = ReadArguments(args, 1, (name, value) =>
            {
                switch (name)
                {
                    case "--out" or "-o": outDir = value(); return true;
                    case "--state": state = value(); return true;
                    case "--reviewer": reviewer = value(); return true;
                    case "--model-endpoint": modelEndpoint = ParseModelEndpoint(value()); return true;
                    default: return false;
                }
            });

            return positional.Count == 2
                ? new ReviewOptions(positional[0], positional[1], outDir, state, reviewer, modelEndpoint)
                : throw new UsageException("review modality needs exactly <image-id> and <xray|mri|ct|ultrasound>");
        }

        public static ReportReviewOptions ParseReportReview(string[] args)
        {
            ArgumentNullException.ThrowIfNull(args);
            string outDir = "medvision-out", reviewer = "local-reviewer";
            string? state = null, conclusion = null;
            ReportReviewStatus? status = null;
            var positional = ReadArguments(args, 1, (name, value) =>
            {
                switch (name)
                {
                    case "--out" or "-o": outDir = value(); return true;
                    case "--state": state = value(); return true;
                    case "--reviewer": reviewer = value(); return true;
                    case "--conclusion": conclusion = value(); return true;
                    case "--status":
                        status = value() switch
                        {
                            "final" => ReportReviewStatus.Final,
                            "amended" => ReportReviewStatus.Amended,
                            var other => throw new UsageException($"--status must be final or amended, not '{other}'"),
                        };
                        return true;
                    default: return false;
                }
            });

            if (positional.Count != 1)
            {
                throw new UsageException("review report needs exactly one <report-id|image-id>");
            }

            return new ReportReviewOptions(
                positional[0], status ?? throw new UsageException("review report needs --status final|amended"), outDir, state, reviewer, conclusion);
        }

        public static ServeOptions ParseServe(string[] args)
        {
            ArgumentNullException.ThrowIfNull(args);
            string outDir = "medvision-out";
            string? state = null;
            var port = 8080;
            // serve takes no positional arguments: anything it does not know is refused by name.
            _ = ReadArguments(args, 0, (name, value) =>
            {
                switch (name)
                {
                    case "--out" or "-o": outDir = value(); return true;
                    case "--state": state = value(); return true;
                    case "--port": port = ParseWholeNumber("--port", value(), 0, 65535); return true;
                    default: throw new UsageException($"unknown argument '{name}' for serve");
                }
            });

            return new ServeOptions(outDir, state, port);
        }

        public static AnalyzeOptions ParseAnalyze(string[] args)
        {
            ArgumentNullException.ThrowIfNull(args);
            string outDir = "medvision-out", user = "local-user";
            string? state = null, routesFile = null;
            Uri? modelEndpoint = null;
            var parallel = Environment.ProcessorCount;
            var inputs = ReadArguments(args, 0, (name, value) =>
            {
                switch (name)
                {
                    case "--out" or "-o": outDir = value(); return true;
                    case "--parallel" or "-p": parallel = ParseWholeNumber("--parallel", value(), 1, 256); return true;
                    case "--user": user = value(); return true;
                    case "--state": state = value(); return true;
                    case "--model-endpoint": modelEndpoint = ParseModelEndpoint(value()); return true;
                    case "--model-routes": routesFile = value(); return true;
                    default: return false;
                }
            });

            return inputs.Count == 0
                ? throw new UsageException("analyze needs at least one file or folder")
                : new AnalyzeOptions(inputs, outDir, parallel, user, state, modelEndpoint, routesFile);
        }
    }

    public sealed class UsageException(string message) : Exception(message);
}
