using MedVision.Core.Inference;
using MedVision.ModelServer;
using Microsoft.AspNetCore.Builder;

namespace MedVision.ModelServer.Tests;

/// <summary>One model server per test class, in this process on 127.0.0.1 and a free port, over real loopback HTTP.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication? app;

    public StringWriter Log { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where s3://medvision-local/... inputs resolve (the local object store's layout).</summary>
    public string ObjectRoot { get; } = Directory.CreateTempSubdirectory("medvision-ms-objects-").FullName;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The pipeline's own SageMaker Runtime adapter, pointed at this server.</summary>
    public HttpInferenceEndpoint Endpoint => new(Http, BaseAddress);

    public async Task InitializeAsync()
    {
        app = ModelServerApp.Build(new ModelServerOptions { Port = 0, ObjectRoot = ObjectRoot }, TextWriter.Synchronized(Log));
        await app.StartAsync();
        BaseAddress = ModelServerApp.ListeningUri(app);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Directory.Delete(ObjectRoot, recursive: true);
    }
}
