using MedVision.ModelServer;

// `dotnet MedVision.ModelServer.dll [serve] [--port N] ...`: see ModelServerOptions.Usage and models/README.md.
return await ModelServerApp.RunAsync(args, Console.Out, Console.Error);
