using System.Net;
using System.Text.Json.Nodes;
using MedVision.Testing;

namespace MedVision.ModelServer.Tests;

public class ModelServerOptionsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] values) =>
        key => values.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Parse_WhenNoArguments_ShouldListenOnLoopback8080WithTheDefaultEndpoints()
    {
        var options = ModelServerOptions.Parse([], Env());

        Assert.Equal(IPAddress.Loopback, options.Host);
        Assert.Equal(8080, options.Port);
        Assert.Null(options.ObjectRoot);
        Assert.Equal("medvision-modality-classifier", options.Routes.Classifier.Primary.Endpoint);
    }

    [Fact]
    public void Parse_WhenSageMakerPassesServe_ShouldAcceptAndIgnoreIt()
    {
        Assert.Equal(ModelServerOptions.Parse([], Env()), ModelServerOptions.Parse(["serve"], Env()) with { Routes = ModelServerOptions.Parse([], Env()).Routes });
        Assert.Throws<ModelServerUsageException>(() => ModelServerOptions.Parse(["--port", "1", "serve"], Env()));
    }

    [Fact]
    public void Parse_WhenEnvironmentSetsHostAndPort_ShouldUseThemUnlessTheCommandLineOverrides()
    {
        var env = Env(("MEDVISION_MODEL_SERVER_HOST", "0.0.0.0"), ("SAGEMAKER_BIND_TO_PORT", "9090"));

        var fromEnv = ModelServerOptions.Parse(["serve"], env);
        var fromArgs = ModelServerOptions.Parse(["--host", "127.0.0.1", "--port", "0"], env);

        Assert.Equal((IPAddress.Any, 9090), (fromEnv.Host, fromEnv.Port));
        Assert.Equal((IPAddress.Loopback, 0), (fromArgs.Host, fromArgs.Port));
    }

    [Theory]
    [InlineData("--port", "65536")]
    [InlineData("--port", "-1")]
    [InlineData("--port", "http")]
    [InlineData("--host", "localhost")]
    [InlineData("--model-routes", "/no/such/routes.json")]
    [InlineData("--bogus", "x")]
    public void Parse_WhenAnArgumentIsBad_ShouldThrowUsageNamingIt(string option, string value)
    {
        var ex = Assert.Throws<ModelServerUsageException>(() => ModelServerOptions.Parse([option, value], Env()));

        Assert.Contains(option == "--model-routes" ? "model routes" : option, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("serve", "--help")]
    [InlineData("-h")]
    public async Task Run_WhenHelpIsAsked_ShouldPrintTheOptionsAndExit0WithoutServing(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await ModelServerApp.RunAsync(args, stdout, stderr);

        Assert.Equal(0, code);
        Assert.Equal("", stderr.ToString());
        foreach (var option in new[] { "--host", "--port", "--model-routes", "--object-root", "--bucket" })
        {
            Assert.Contains(option, stdout.ToString(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("listening", stdout.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--port", "1", "serve")]
    [InlineData("--port")]
    public async Task Run_WhenTheCommandLineIsWrong_ShouldExit2WithOneLineOnStderr(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await ModelServerApp.RunAsync(args, stdout, stderr);

        Assert.Equal(2, code);
        Assert.Equal("", stdout.ToString());
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("medvision-model-server --help", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenRoutesComeFromTheEnvironment_ShouldServeThoseEndpointNames()
    {
        var options = ModelServerOptions.Parse([], Env(("MEDVISION_MODEL_ROUTES", """{"ct":{"primary":{"endpoint":"ct-v2"},"fallback":{"endpoint":"ct-v1"}}}""")));

        Assert.Equal("ct-v2", options.Routes.Ct.Primary.Endpoint);

        // Regression: the source generator used to reset omitted init-only members to null/0, so a partial document
        // lost every other route and failed validation.
        Assert.Equal(512, options.Routes.Ct.InputSize);
        Assert.Equal("medvision-xray-detector", options.Routes.XRay.Primary.Endpoint);
        Assert.Equal(new Core.Inference.ModelRoutingOptions().MaxPayloadBytes, options.Routes.MaxPayloadBytes);
    }
}

/// <summary>The Dockerfile cannot be built here (no Docker): these checks keep its key facts in step with the code.</summary>
public class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "models", "Dockerfile"));

    private static string Instruction(string name) =>
        Lines.Last(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    [Fact]
    public void Dockerfile_WhenRead_ShouldBuildOnTheSdkAndRunOnTheAspNetImageOf10()
    {
        var froms = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, froms.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 ", froms[0], StringComparison.Ordinal);
        Assert.Equal("FROM mcr.microsoft.com/dotnet/aspnet:10.0", froms[1]);
        Assert.Contains(Lines, l => l.Contains("models/MedVision.ModelServer/MedVision.ModelServer.csproj", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "models", "MedVision.ModelServer", "MedVision.ModelServer.csproj")));
    }

    [Fact]
    public void Dockerfile_WhenRead_ShouldExposeTheServersPortAndRunAsNonRoot()
    {
        Assert.Equal(ModelServerOptions.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Instruction("EXPOSE"));
        var user = Instruction("USER");
        Assert.DoesNotMatch("^(root|0)(:|$)", user);
    }

    /// <summary>What `docker run IMAGE serve` would execute parses, and binds every interface on 8080.</summary>
    [Fact]
    public void Entrypoint_WhenSageMakerAppendsServe_ShouldParseToAllInterfacesOn8080()
    {
        var entrypoint = JsonNode.Parse(Instruction("ENTRYPOINT"))!.AsArray().Select(n => (string)n!).ToList();
        var env = Lines.Where(l => l.StartsWith("ENV ", StringComparison.Ordinal))
            .Select(l => l[4..].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);

        Assert.Equal(["dotnet", typeof(ModelServerApp).Assembly.GetName().Name + ".dll"], entrypoint);
        var options = ModelServerOptions.Parse([.. entrypoint.Skip(2), "serve"], key => env.GetValueOrDefault(key));
        Assert.Equal(IPAddress.Any, options.Host);
        Assert.Equal(8080, options.Port);
    }
}
