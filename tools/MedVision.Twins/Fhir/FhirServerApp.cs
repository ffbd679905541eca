using MedVision.Core.Pipeline;
using MedVision.Local.Twins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MedVision.Twins.Fhir;

/// <summary>
/// Hosts <see cref="FhirServer"/> at <c>/fhir</c> on Kestrel, loopback by default. Tests start it in-process on
/// 127.0.0.1:0; <c>medvision serve</c> runs it over the store <c>analyze</c> writes. The rest of the HTTP API joins this host later.
/// </summary>
public static class FhirServerApp
{
    public const string BasePath = "/fhir";

    public static WebApplication Build(SqliteFhirStore store, string host, int port, TimeProvider? time = null, IIdGenerator? ids = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        time ??= TimeProvider.System;

        // Our own options only: the framework must not read args or ASPNETCORE_URLS behind our back.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(FhirServerApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.UseUrls($"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

        var server = new FhirServer(store, ids ?? new UuidV7IdGenerator(time), time);
        var app = builder.Build();
        app.Map(BasePath + "/{**path}", (HttpContext context) => server.HandleAsync(context, BasePath));
        app.MapFallback((HttpContext context) =>
            FhirServer.WriteOutcomeAsync(context, 404, "not-found", $"Nothing at {context.Request.Path}; the FHIR API is at {BasePath}."));
        return app;
    }

    /// <summary>The FHIR base URL of a started server (the real port when 0 was asked for).</summary>
    public static Uri BaseUri(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var url = app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("The FHIR server is not listening yet.");
        return new Uri(url.TrimEnd('/') + BasePath);
    }
}
