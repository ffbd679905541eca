using System.Globalization;
using MedVision.Local.Twins;
using MedVision.Twins.Fhir;
using Microsoft.Extensions.Hosting;

namespace MedVision.Cli;

public sealed record ServeOptions(string OutDir, string? StateDir, int Port);

/// <summary>
/// <c>medvision serve</c>: the local FHIR R4 server at http://127.0.0.1:PORT/fhir over the SQLite FHIR store that
/// <c>analyze</c> writes (&lt;state&gt;/fhir.db), until Ctrl+C or SIGTERM. The rest of the HTTP API joins it later.
/// </summary>
public sealed class ServeCommand(TextWriter output, TextWriter error)
{
    public async Task<int> RunAsync(ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = options.StateDir ?? Path.Combine(options.OutDir, ".state");
        if (!Directory.Exists(state))
        {
            // A typo must not silently serve an empty store.
            await error.WriteLineAsync($"error: no state folder at {state}: run `medvision analyze ... --out {options.OutDir}` first, or pass --state/--out");
            return 2;
        }

        using var store = new SqliteFhirStore(Path.Combine(state, "fhir.db"), TimeProvider.System);
        await using var app = FhirServerApp.Build(store, "127.0.0.1", options.Port);
        try
        {
            await app.StartAsync();
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"error: cannot listen on 127.0.0.1:{options.Port.ToString(CultureInfo.InvariantCulture)}: {ex.Message}");
            return 1;
        }

        await output.WriteLineAsync($"FHIR R4 server listening on {FhirServerApp.BaseUri(app)} (store {Path.GetFullPath(Path.Combine(state, "fhir.db"))}); Ctrl+C stops it");
        await output.FlushAsync();
        await app.WaitForShutdownAsync();
        await output.WriteLineAsync("stopped");
        return 0;
    }
}
