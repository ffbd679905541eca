using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Imaging;
using MedVision.Models;

namespace MedVision.ModelServer.Tests;

/// <summary>One random model input: what it looks like, its size, and the job asked of it.</summary>
public sealed record ImageCase(string Kind, int Width, int Height, int Seed, InferenceTask Task, Modality Modality)
{
    public Raster Render()
    {
        if (Kind == "synthetic")
        {
            return SyntheticStudies.Generate(Modality, Seed, Width, Height, withFinding: Seed % 3 != 0).Image;
        }

        var raster = new Raster(Width, Height, ColorModel.Gray, 8);
        var random = new Random(Seed);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                raster.Data[(y * Width) + x] = Kind switch
                {
                    "noise" => (byte)random.Next(256),
                    "gradient" => (byte)((x + y) * 255 / Math.Max(1, Width + Height - 2)),
                    "blob" => (byte)(Math.Pow(x - (Width / 2.0), 2) + Math.Pow(y - (Height / 3.0), 2) < Width * Height / 20.0 ? 230 : 40),
                    _ => (byte)(Seed & 0xFF),
                };
            }
        }

        return raster;
    }

    public string EndpointName(ModelRoutingOptions routes) =>
        Task == InferenceTask.Classify ? routes.Classifier.Primary.Endpoint : routes.DetectorFor(Modality).Primary.Endpoint;

    /// <summary>The request as the pipeline would send it for an input already at model size.</summary>
    public (byte[] Body, PreparedInput Input) Request(string requestId)
    {
        var png = PngEncoder.Encode(Render());
        var input = new PreparedInput(png, Width, Height, Width, Height);
        var request = new ModelRequest
        {
            RequestId = requestId,
            Task = Task,
            Modality = Task == InferenceTask.Detect ? Modality : null,
            Image = new ModelImage { Width = Width, Height = Height, Data = png },
            OriginalWidth = Width,
            OriginalHeight = Height,
        };
        return (JsonSerializer.SerializeToUtf8Bytes(request, MedVisionJsonContext.Default.ModelRequest), input);
    }

    public static Gen<ImageCase> Gen { get; } =
        from kind in FsCheck.Fluent.Gen.Elements("noise", "gradient", "blob", "flat", "synthetic", "synthetic", "synthetic")
        let min = kind == "synthetic" ? SyntheticStudies.MinimumSize : 1
        from width in FsCheck.Fluent.Gen.Choose(min, 320)
        from height in FsCheck.Fluent.Gen.Choose(min, 320)
        from seed in FsCheck.Fluent.Gen.Choose(0, 10_000)
        from task in FsCheck.Fluent.Gen.Elements(InferenceTask.Classify, InferenceTask.Detect)
        from modality in FsCheck.Fluent.Gen.Elements(Modalities.All.ToArray())
        select new ImageCase(kind, width, height, seed, task, modality);
}
