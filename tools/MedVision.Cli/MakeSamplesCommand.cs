using MedVision.Core.Classification;
using MedVision.Imaging;
using MedVision.Models;

namespace MedVision.Cli;

/// <summary>`medvision make-samples`: writes the synthetic study set that the repo's samples/ folder holds.</summary>
public static class MakeSamplesCommand
{
    public static int Run(string directory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Directory.CreateDirectory(directory);
        foreach (var sample in SyntheticStudies.SampleSet())
        {
            var path = Path.Combine(directory, sample.Name + ".png");
            File.WriteAllBytes(path, PngEncoder.Encode(sample.Image));
            output.WriteLine($"wrote {path} ({sample.Modality.WireName()}, {(sample.HasFinding ? "with" : "without")} a planted finding)");
        }

        return 0;
    }
}
