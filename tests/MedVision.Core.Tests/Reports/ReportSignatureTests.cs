using System.Security.Cryptography;
using MedVision.Core.Reports;

namespace MedVision.Core.Tests.Reports;

public sealed class ReportSignatureTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 9, 30, 0, TimeSpan.Zero);
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly byte[] pdf = "%PDF-1.4 a report"u8.ToArray();
    private readonly byte[] json = "{\"report_id\":\"rep-1\"}"u8.ToArray();

    public void Dispose() => key.Dispose();

    private async Task<ReportSignatureFile> SignAsync() =>
        ReportSignatures.Parse(ReportSignatures.Serialize(await ReportSignatures.SignAsync(new EcdsaReportSigner(key), "rep-1", pdf, json, Now)));

    [Fact]
    public async Task Verify_WhenNothingChanged_ShouldBeValidWithTheKeyId()
    {
        var signer = new EcdsaReportSigner(key);
        var file = await SignAsync();

        var result = ReportSignatures.Verify(file, pdf, json, signer.PublicKeySpki);

        Assert.True(result.Valid, result.Message);
        Assert.Equal(signer.KeyId, file.KeyId);
        Assert.Equal(ReportSignatures.Algorithm, file.Algorithm);
        Assert.Equal(ReportSignatures.Sha256Hex(pdf), file.ReportPdfSha256);
    }

    [Fact]
    public async Task Verify_WhenOneByteOfThePdfChanged_ShouldFailNamingThePdf()
    {
        var file = await SignAsync();
        pdf[5] ^= 0x01;

        var result = ReportSignatures.Verify(file, pdf, json);

        Assert.False(result.Valid);
        Assert.Equal([ReportSignatures.PdfFileName], result.ChangedFiles);
    }

    [Fact]
    public async Task Verify_WhenOneByteOfTheJsonChanged_ShouldFailNamingTheJson()
    {
        var file = await SignAsync();
        json[^2] ^= 0x01;

        var result = ReportSignatures.Verify(file, pdf, json);

        Assert.False(result.Valid);
        Assert.Equal([ReportSignatures.JsonFileName], result.ChangedFiles);
    }

    [Fact]
    public async Task Verify_WhenOneByteOfTheSignatureChanged_ShouldFail()
    {
        var file = await SignAsync();
        var signature = Convert.FromBase64String(file.Signature);
        signature[^1] ^= 0x01;

        var result = ReportSignatures.Verify(file with { Signature = Convert.ToBase64String(signature) }, pdf, json);

        Assert.False(result.Valid);
        Assert.Empty(result.ChangedFiles);
    }

    [Fact]
    public async Task Verify_WhenTheDigestsAreRewrittenToMatchChangedFiles_ShouldFailOnTheSignature()
    {
        var file = await SignAsync();
        pdf[0] ^= 0x01;

        var result = ReportSignatures.Verify(file with { ReportPdfSha256 = ReportSignatures.Sha256Hex(pdf) }, pdf, json);

        Assert.False(result.Valid);
        Assert.Empty(result.ChangedFiles);
    }

    [Fact]
    public async Task Verify_WhenTheTrustedKeyIsAnotherKey_ShouldFail()
    {
        var file = await SignAsync();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = ReportSignatures.Verify(file, pdf, json, other.ExportSubjectPublicKeyInfo());

        Assert.False(result.Valid);
    }

    [Fact]
    public async Task VerifyAsync_WhenTheSignerChecksItsOwnSignature_ShouldAcceptItAndRejectAnotherMessage()
    {
        var signer = new EcdsaReportSigner(key);
        var value = await signer.SignAsync("m"u8.ToArray());

        Assert.True(await signer.VerifyAsync("m"u8.ToArray(), value.Signature, value.KeyId));
        Assert.False(await signer.VerifyAsync("n"u8.ToArray(), value.Signature, value.KeyId));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("not json")]
    public void Parse_WhenTheFileIsNotASignatureFile_ShouldThrowFormatException(string content) =>
        Assert.Throws<FormatException>(() => ReportSignatures.Parse(System.Text.Encoding.UTF8.GetBytes(content)));
}
