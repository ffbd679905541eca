using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using MedVision.Aws;
using MedVision.CommandLine;
using MedVision.Twins;

namespace MedVision.Cli;

public enum TwinKind
{
    HealthImaging,
    HealthLake,
}

public sealed record TwinOptions(TwinKind Kind, int Port, string? StateDir, string? Region, string? AccessKeyId, string? SecretAccessKey);

/// <summary>
/// <c>medvision twin healthimaging|healthlake</c>: the loopback stand-ins for the two AWS services no emulator covers,
/// on 127.0.0.1 only, until Ctrl+C or SIGTERM. Every request's SigV4 signature is checked with botocore against the
/// key from --access-key-id/--secret-access-key, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN),
/// else the twins' built-in test key. Prints one line to stdout, <c>{name} twin listening on http://127.0.0.1:N/</c>,
/// that scripts parse; what to point a client at (data store id, region, key id) goes to stderr.
/// </summary>
public sealed class TwinCommand(TextWriter output, TextWriter error)
{
    /// <summary>The <c>twin</c> command and its two subcommands, for the command tree.</summary>
    public static Command Create()
    {
        var twin = new Command("twin", "Run a local stand-in for an AWS service that moto_server does not cover, on 127.0.0.1");
        twin.Subcommands.Add(Sub(TwinKind.HealthImaging, "healthimaging",
            "Serve the AWS HealthImaging subset MedVision uses (DICOMweb STOW-RS and WADO-RS instance, GetImageSetMetadata, "
            + "GetImageFrame, DeleteImageSet) on http://127.0.0.1:N/ for every HealthImaging host, checking each request's SigV4 "
            + "signature with botocore. Ctrl+C stops it."));
        twin.Subcommands.Add(Sub(TwinKind.HealthLake, "healthlake",
            "Serve the AWS HealthLake FHIR R4 API subset MedVision uses on http://127.0.0.1:N/datastore/<id>/r4/, checking each "
            + "request's SigV4 signature with botocore. Ctrl+C stops it."));
        return twin;
    }

    private static Command Sub(TwinKind kind, string name, string description)
    {
        var port = new Option<int>("--port")
        {
            Description = "port on 127.0.0.1; 0 picks a free one (the printed URL says which)",
            HelpName = "N",
            DefaultValueFactory = _ => 0,
            CustomParser = ValueParsers.WholeNumber("--port", 0, 65535),
        };
        var state = new Option<string?>("--state")
        {
            Description = "folder that keeps the twin's data across runs (default: a temporary folder removed on exit)",
            HelpName = "DIR",
        };
        var region = new Option<string?>("--region")
        {
            Description = "the signing region requests must name (default: AWS_REGION, else eu-west-2)",
            HelpName = "REGION",
        };
        var accessKey = new Option<string?>("--access-key-id")
        {
            Description = "the access key requests must be signed with (default: AWS_ACCESS_KEY_ID, else the twin's test key)",
            HelpName = "KEY",
        };
        var secretKey = new Option<string?>("--secret-access-key")
        {
            Description = "its secret (default: AWS_SECRET_ACCESS_KEY)",
            HelpName = "SECRET",
        };
        var command = new Command(name, description) { port, state, region, accessKey, secretKey };
        command.SetAction((r, ct) => new TwinCommand(r.InvocationConfiguration.Output, r.InvocationConfiguration.Error).RunAsync(
            new TwinOptions(kind, r.GetValue(port), r.GetValue(state), r.GetValue(region), r.GetValue(accessKey), r.GetValue(secretKey)), ct));
        return command;
    }

    /// <summary>The key pair in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), or null for the twin's own.</summary>
    private static AwsCredentials? KeyFromEnvironment()
    {
        var accessKey = NonEmpty(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"));
        var secretKey = NonEmpty(Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"));
        return accessKey is null || secretKey is null
            ? null
            : new AwsCredentials(accessKey, secretKey, NonEmpty(Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN")));
    }

    public async Task<int> RunAsync(TwinOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.AccessKeyId is null) != (options.SecretAccessKey is null))
        {
            throw new UsageException("--access-key-id and --secret-access-key go together");
        }

        var credentials = options.AccessKeyId is not null ? new AwsCredentials(options.AccessKeyId, options.SecretAccessKey!) : KeyFromEnvironment();
        var region = options.Region ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_REGION"));
        var name = options.Kind == TwinKind.HealthImaging ? "healthimaging" : "healthlake";
        var temporary = options.StateDir is null ? Path.Combine(Path.GetTempPath(), $"medvision-twin-{name}-" + Guid.NewGuid().ToString("N")) : null;
        var state = Path.GetFullPath(options.StateDir ?? temporary!);
        Directory.CreateDirectory(state);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Ctrl+C and SIGTERM stop the twin cleanly (the process is not torn down under the server).
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            IAsyncDisposable twin;
            Uri address;
            string details;
            try
            {
                if (options.Kind == TwinKind.HealthImaging)
                {
                    var imaging = await HealthImagingTwin.StartAsync(state, TimeProvider.System, credentials, options.Port, region);
                    (twin, address) = (imaging, imaging.Address);
                    details = $"datastore {HealthImagingTwin.DatastoreId}, region {imaging.Region}, access key {imaging.SigningCredentials.AccessKeyId}";
                }
                else
                {
                    var lake = await HealthLakeTwin.StartAsync(Path.Combine(state, "healthlake.db"), TimeProvider.System, credentials, options.Port, region);
                    (twin, address) = (lake, lake.Address);
                    details = $"datastore {HealthLakeTwin.DatastoreId} (FHIR base {lake.Endpoint}), region {lake.SigningRegion}, access key {lake.SigningCredentials.AccessKeyId}";
                }
            }
            catch (InvalidOperationException ex) when (!SigV4Oracle.Available)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"error: cannot listen on 127.0.0.1:{options.Port.ToString(CultureInfo.InvariantCulture)}: {ex.Message}");
                return 1;
            }

            await using (twin)
            {
                await output.WriteLineAsync($"{name} twin listening on {address.AbsoluteUri}");
                await output.FlushAsync(CancellationToken.None);
                await error.WriteLineAsync($"{details}; state in {state}; Ctrl+C stops it");
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // Asked to stop.
                }
            }

            await output.WriteLineAsync("stopped");
            return 0;
        }
        finally
        {
            if (temporary is not null && Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
