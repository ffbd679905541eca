using MedVision.ModelServer;

// `dotnet MedVision.ModelServer.dll [serve] [--port N] ...`: `--help` lists the options (ModelServerCommandLine); models/README.md.
return await ModelServerApp.RunAsync(args, Console.Out, Console.Error);
