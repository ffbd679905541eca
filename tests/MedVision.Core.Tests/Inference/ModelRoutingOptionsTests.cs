using MedVision.Core.Classification;
using MedVision.Core.Inference;

namespace MedVision.Core.Tests.Inference;

public class ModelRoutingOptionsTests
{
    [Fact]
    public void Parse_WhenDocumentSetsVariantsFallbackAndSplit_ShouldKeepTheDefaultsForTheRest()
    {
        var routes = ModelRoutingOptions.Parse("""
            {
              "ct": {
                "primary": { "endpoint": "ct-detector", "variant": "v3" },
                "fallback": { "endpoint": "ct-detector", "variant": "v2" },
                "ab_test": { "candidate": { "endpoint": "ct-detector-next" }, "primary_share": 0.9 },
                "input_size": 768
              },
              "max_payload_bytes": 6000000
            }
            """);

        Assert.Equal(new ModelTarget("ct-detector", "v3"), routes.DetectorFor(Modality.Ct).Primary);
        Assert.Equal(0.9, routes.Ct.AbTest!.PrimaryShare);
        Assert.Equal(768, routes.Ct.InputSize);
        Assert.Equal(new ModelRoutingOptions().XRay, routes.XRay);
        Assert.Equal(InferenceContract.RealTimeMaxPayloadBytes, routes.MaxPayloadBytes);
    }

    [Fact]
    public void Parse_WhenDocumentHasSeveralProblems_ShouldNameThemAllInOneError()
    {
        var ex = Assert.Throws<ValidationException>(() => ModelRoutingOptions.Parse("""
            {
              "xray": { "primary": { "endpoint": "bad_name!" }, "input_size": 8 },
              "mri": { "primary": { "endpoint": "mri" }, "fallback": { "endpoint": "mri" } },
              "ct": { "primary": { "endpoint": "ct" }, "ab_test": { "candidate": { "endpoint": "ct2" }, "primary_share": 1.5 } },
              "max_payload_bytes": 10000000
            }
            """));

        Assert.Equal("config.model_routes", ex.Code);
        foreach (var expected in new[]
        {
            "xray.primary.endpoint 'bad_name!' is not a valid SageMaker endpoint name",
            "xray.input_size must be between 32 and 4096, not 8",
            "mri.fallback is the same target as the primary",
            "ct.ab_test.primary_share must be in [0, 1], not 1.5",
            "max_payload_bytes must be between 65536 and 6000000",
        })
        {
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("{\"xray\": {\"input_size\": 512}}")]
    public void Parse_WhenDocumentIsNotARoutingDocument_ShouldThrowValidation(string json)
    {
        var ex = Assert.Throws<ValidationException>(() => ModelRoutingOptions.Parse(json));

        Assert.Contains(ModelRoutingOptions.EnvironmentVariable, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_WhenUnset_ShouldUseTheDefaultsWhichAreValid()
    {
        Assert.Equal(new ModelRoutingOptions(), ModelRoutingOptions.FromEnvironment(null));
        Assert.Empty(new ModelRoutingOptions().Validate());
    }
}
