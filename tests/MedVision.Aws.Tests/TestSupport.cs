using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Testing;

namespace MedVision.Aws.Tests;

/// <summary>A unique temp folder per test, deleted afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "medvision-aws-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail the test that used it.
        }
    }
}

/// <summary>Changes a request after the adapter signed it, to prove the twin's signature check is real.</summary>
internal sealed class TamperHandler(Func<HttpRequestMessage, Task>? tamper) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (tamper is not null)
        {
            await tamper(request);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

internal static class Loopback
{
    /// <summary>A loopback port nothing listens on right now (the OS picks it, then it is released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

internal static class Oracle
{
    /// <summary>True when botocore is there (the twin needs it); skips, or throws under MEDVISION_REQUIRE_ORACLES=1.</summary>
    public static bool Available(ITestOutputHelper output) => ExternalTools.Require(output.WriteLine, "botocore");
}
