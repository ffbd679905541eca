using MedVision.Functions.Api;
using MedVision.Testing;

namespace MedVision.Functions.Tests.WireNames;

/// <summary>
/// The JSON names of every property the API contexts read and write, against the list committed beside this file
/// (regenerate with MEDVISION_UPDATE_GOLDEN=1): how the names are declared may change, the names may not.
/// </summary>
public sealed class WireNameTests
{
    private static string Listed(string file) => Path.Combine(RepoPaths.Root, "tests", "MedVision.Functions.Tests", "WireNames", file);

    private static void Check(System.Text.Json.Serialization.JsonSerializerContext context, string listed)
    {
        var difference = JsonWireNames.Difference(context, listed);
        Assert.True(difference is null, difference);
    }

    [Fact]
    public void ApiJsonContext_WhenItsPropertiesAreListed_ShouldKeepEveryCommittedWireName() =>
        Check(ApiJsonContext.Default, Listed("ApiJsonContext.wire-names.txt"));

    [Fact]
    public void ApiGatewayJsonContext_WhenItsPropertiesAreListed_ShouldKeepEveryCommittedWireName() =>
        Check(ApiGatewayJsonContext.Default, Listed("ApiGatewayJsonContext.wire-names.txt"));
}
