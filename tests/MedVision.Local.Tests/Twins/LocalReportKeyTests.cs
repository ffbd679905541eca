using MedVision.Local.Twins;

namespace MedVision.Local.Tests.Twins;

public sealed class LocalReportKeyTests : IDisposable
{
    private readonly string state = Directory.CreateTempSubdirectory("medvision-key-").FullName;

    public void Dispose() => Directory.Delete(state, recursive: true);

    [Fact]
    public async Task OpenOrCreate_WhenOpenedTwice_ShouldReuseTheOwnerOnlyKeyFromTheFirstOpen()
    {
        var first = LocalReportKey.OpenOrCreate(state);
        var second = LocalReportKey.OpenOrCreate(state);

        Assert.Equal(first.KeyId, second.KeyId);
        var signature = await first.SignAsync("manifest"u8.ToArray());
        Assert.True(await second.VerifyAsync("manifest"u8.ToArray(), signature.Signature, signature.KeyId));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(state, "keys", LocalReportKey.PrivateKeyFile)));
        }
    }

    [Fact]
    public void OpenOrCreate_WhenTheKeyFileIsNotP256_ShouldRefuseIt()
    {
        Directory.CreateDirectory(Path.Combine(state, "keys"));
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        File.WriteAllText(Path.Combine(state, "keys", LocalReportKey.PrivateKeyFile), p384.ExportPkcs8PrivateKeyPem());

        Assert.Throws<InvalidOperationException>(() => LocalReportKey.OpenOrCreate(state));
    }
}
