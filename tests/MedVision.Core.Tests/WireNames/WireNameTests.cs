using MedVision.Core.Json;
using MedVision.Core.Reports;
using MedVision.Testing;

namespace MedVision.Core.Tests.WireNames;

/// <summary>
/// The JSON names of every property each context reads and writes, against the list committed beside this file
/// (regenerate with MEDVISION_UPDATE_GOLDEN=1): how the names are declared may change, the names may not.
/// </summary>
public sealed class WireNameTests
{
    private static string Listed(string file) => Path.Combine(RepoPaths.Root, "tests", "MedVision.Core.Tests", "WireNames", file);

    private static void Check(System.Text.Json.Serialization.JsonSerializerContext context, string listed)
    {
        var difference = JsonWireNames.Difference(context, listed);
        Assert.True(difference is null, difference);
    }

    [Fact]
    public void MedVisionJsonContext_WhenItsPropertiesAreListed_ShouldKeepEveryCommittedWireName() =>
        Check(MedVisionJsonContext.Default, Listed("MedVisionJsonContext.wire-names.txt"));

    [Fact]
    public void ReportSignatureJsonContext_WhenItsPropertiesAreListed_ShouldKeepEveryCommittedWireName() =>
        Check(ReportSignatureJsonContext.Default, Listed("ReportSignatureJsonContext.wire-names.txt"));
}
