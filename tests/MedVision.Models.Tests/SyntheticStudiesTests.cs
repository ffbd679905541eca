using MedVision.Core.Classification;

namespace MedVision.Models.Tests;

public class SyntheticStudiesTests
{
    [Theory]
    [InlineData(Modality.XRay)]
    [InlineData(Modality.Mri)]
    [InlineData(Modality.Ct)]
    [InlineData(Modality.Ultrasound)]
    public void Generate_WhenSameSeed_ShouldDrawIdenticalPixels(Modality modality)
    {
        var a = SyntheticStudies.Generate(modality, 17);
        var b = SyntheticStudies.Generate(modality, 17);
        var c = SyntheticStudies.Generate(modality, 18);

        Assert.Equal(a.Image.Data, b.Image.Data);
        Assert.Equal(a.PlantedBox, b.PlantedBox);
        Assert.NotEqual(a.Image.Data, c.Image.Data);
    }

    [Theory]
    [InlineData(Modality.XRay, 320, 320)]
    [InlineData(Modality.Mri, 33, 400)]
    [InlineData(Modality.Ct, 400, 32)]
    [InlineData(Modality.Ultrasound, 77, 91)]
    public void Generate_WhenFindingRequested_ShouldPlantItInsideTheImage(Modality modality, int width, int height)
    {
        var study = SyntheticStudies.Generate(modality, 5, width, height);

        Assert.Equal(modality, study.Modality);
        Assert.Equal((width, height), (study.Image.Width, study.Image.Height));
        Assert.True(study.HasFinding);
        Assert.True(study.PlantedBox!.Value.IsValidWithin(width, height));
        Assert.Null(SyntheticStudies.Generate(modality, 5, width, height, withFinding: false).PlantedBox);
    }

    [Fact]
    public void Generate_WhenSmallerThanMinimum_ShouldThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticStudies.ChestXray(1, SyntheticStudies.MinimumSize - 1, 100));
    }

    [Fact]
    public void SampleSet_WhenCalled_ShouldHoldOneFindingPerModalityAndANormalChestXray()
    {
        var samples = SyntheticStudies.SampleSet();

        Assert.Equal(5, samples.Count);
        Assert.Equal(samples.Count, samples.Select(s => s.Name).Distinct().Count());
        foreach (var modality in Modalities.All)
        {
            Assert.Contains(samples, s => s.Modality == modality && s.HasFinding);
        }

        Assert.Contains(samples, s => s.Modality == Modality.XRay && !s.HasFinding);
        Assert.Equal(samples.Select(s => s.Image.Data), SyntheticStudies.SampleSet().Select(s => s.Image.Data));
    }
}
