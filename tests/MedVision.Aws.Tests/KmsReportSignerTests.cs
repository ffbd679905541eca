using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Reports;
using MedVision.Testing;
using MedVision.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>The KMS report signer on the wire, against the loopback KMS twin that checks every signature with botocore.</summary>
public sealed class KmsReportSignerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4 report body");
    private static readonly byte[] Json = Encoding.UTF8.GetBytes("{\"report_id\":\"r-1\",\"impression\":\"no acute finding\"}");

    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
    private readonly List<HttpClient> clients = [];
    private KmsTwin twin = null!;
    private bool ready;

    public async Task InitializeAsync()
    {
        ready = Oracle.Available(output);
        if (ready)
        {
            twin = await KmsTwin.StartAsync(clock);
        }
    }

    public async Task DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        if (ready)
        {
            await twin.DisposeAsync();
        }
    }

    private KmsReportSigner Signer(Func<HttpRequestMessage, Task>? tamper = null, KmsOptions? options = null)
    {
        var http = AwsHttp.CreateClient(KmsReportSigner.Service, KmsTwin.Region, KmsTwin.Credentials, clock, new TamperHandler(tamper));
        clients.Add(http);
        return new KmsReportSigner(http, options ?? twin.Options());
    }

    private static JsonObject Body(TwinRequest request) => JsonNode.Parse(request.Body)!.AsObject();

    [Fact]
    public async Task SignAsync_WhenReportSigned_ShouldVerifyWithReportSignaturesUsingTheReturnedSpki()
    {
        if (!ready)
        {
            return;
        }

        var file = await ReportSignatures.SignAsync(Signer(), "r-1", Pdf, Json, clock.GetUtcNow());

        // Round trip through the file format, as verify-report reads it.
        var parsed = ReportSignatures.Parse(ReportSignatures.Serialize(file));
        Assert.Equal(KmsTwin.KeyArn, parsed.KeyId);
        Assert.Equal(ReportSignatures.Algorithm, parsed.Algorithm);
        Assert.Equal(twin.Key.ExportSubjectPublicKeyInfo(), Convert.FromBase64String(parsed.PublicKeySpki!));
        var verdict = ReportSignatures.Verify(parsed, Pdf, Json);
        Assert.True(verdict.Valid, verdict.Message);
        Assert.True(ReportSignatures.Verify(parsed, Pdf, Json, trustedSpki: twin.Key.ExportSubjectPublicKeyInfo()).Valid);
    }

    [Fact]
    public async Task SignAsync_WhenOneByteOfTheReportChanges_ShouldFailVerification()
    {
        if (!ready)
        {
            return;
        }

        var file = await ReportSignatures.SignAsync(Signer(), "r-1", Pdf, Json, clock.GetUtcNow());
        var pdf = (byte[])Pdf.Clone();
        pdf[^1] ^= 1;
        var signature = Convert.FromBase64String(file.Signature);
        signature[^1] ^= 1;

        var changedPdf = ReportSignatures.Verify(file, pdf, Json);
        var changedSignature = ReportSignatures.Verify(file with { Signature = Convert.ToBase64String(signature) }, Pdf, Json);

        Assert.False(changedPdf.Valid);
        Assert.Equal([ReportSignatures.PdfFileName], changedPdf.ChangedFiles);
        Assert.False(changedSignature.Valid);
    }

    [Fact]
    public async Task SignAsync_WhenSent_ShouldPostExactlyTheApiFieldsWithTargetContentTypeAndABotocoreValidSignature()
    {
        if (!ready)
        {
            return;
        }

        var message = ReportSignatures.Manifest("r-1", new string('a', 64), new string('b', 64));
        await Signer().SignAsync(message);

        var requests = twin.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, r =>
        {
            Assert.True(r.SignatureValid, r.Reason);
            Assert.Equal("POST", r.Method);
            Assert.Equal("/", r.Target);
            Assert.Equal("application/x-amz-json-1.1", r.Header("content-type"));
            Assert.Equal("20260504T100000Z", r.Header("x-amz-date"));
            var authorization = r.Header("authorization")!;
            Assert.StartsWith($"AWS4-HMAC-SHA256 Credential=AKIDKMSTWIN/20260504/{KmsTwin.Region}/kms/aws4_request, ", authorization, StringComparison.Ordinal);
            Assert.Contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target,", authorization, StringComparison.Ordinal);
        });

        var sign = Body(requests[0]);
        Assert.Equal("TrentService.Sign", requests[0].Header("x-amz-target"));
        Assert.Equal(["KeyId", "Message", "MessageType", "SigningAlgorithm"], sign.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(KmsTwin.Alias, (string?)sign["KeyId"]);
        Assert.Equal(Convert.ToBase64String(message), (string?)sign["Message"]);
        Assert.Equal("RAW", (string?)sign["MessageType"]);
        Assert.Equal("ECDSA_SHA_256", (string?)sign["SigningAlgorithm"]);

        // The public key is asked for by the ARN Sign answered with, not the alias, so the pair cannot straddle a re-point.
        var getPublicKey = Body(requests[1]);
        Assert.Equal("TrentService.GetPublicKey", requests[1].Header("x-amz-target"));
        Assert.Equal(["KeyId"], getPublicKey.Select(p => p.Key));
        Assert.Equal(KmsTwin.KeyArn, (string?)getPublicKey["KeyId"]);
    }

    [Fact]
    public async Task SignAsync_WhenCalledAgain_ShouldReuseTheCachedPublicKey()
    {
        if (!ready)
        {
            return;
        }

        var signer = Signer();
        var first = await signer.SignAsync([1, 2, 3]);
        var second = await signer.SignAsync([4, 5, 6]);

        Assert.Equal(first.PublicKeySpki, second.PublicKeySpki);
        Assert.Equal(["TrentService.Sign", "TrentService.GetPublicKey", "TrentService.Sign"], twin.Requests.Select(r => r.Header("x-amz-target")));
    }

    [Fact]
    public async Task VerifyAsync_WhenAskedAboutAGoodAndAOneByteChangedMessage_ShouldAskKmsAndAnswerTrueThenFalse()
    {
        if (!ready)
        {
            return;
        }

        var signer = Signer();
        var message = ReportSignatures.Manifest("r-1", new string('a', 64), new string('b', 64));
        var signed = await signer.SignAsync(message);
        var changed = (byte[])message.Clone();
        changed[10] ^= 1;

        Assert.True(await signer.VerifyAsync(message, signed.Signature, signed.KeyId));
        Assert.False(await signer.VerifyAsync(changed, signed.Signature, signed.KeyId));

        var verify = twin.Requests.Where(r => r.Header("x-amz-target") == "TrentService.Verify").ToArray();
        Assert.Equal(2, verify.Length);
        Assert.All(verify, r => Assert.True(r.SignatureValid, r.Reason));
        Assert.Equal(["KeyId", "Message", "MessageType", "Signature", "SigningAlgorithm"], Body(verify[0]).Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(Convert.ToBase64String(signed.Signature), (string?)Body(verify[0])["Signature"]);
    }

    [Theory]
    [InlineData(400, "NotFoundException", typeof(NotFoundException))]
    [InlineData(400, "com.amazonaws.kms#NotFoundException", typeof(NotFoundException))]
    [InlineData(400, "DisabledException", typeof(ConflictException))]
    [InlineData(400, "KMSInvalidStateException", typeof(ConflictException))]
    [InlineData(400, "ThrottlingException", typeof(StorageUnavailableException))]
    [InlineData(500, "KMSInternalException", typeof(StorageUnavailableException))]
    [InlineData(400, "ValidationException", typeof(ValidationException))]
    public async Task SignAsync_WhenKmsAnswersAnError_ShouldThrowTheMappedCoreExceptionWithKmsMessage(int status, string type, Type expected)
    {
        if (!ready)
        {
            return;
        }

        twin.Script(status, KmsTwin.Error(type, "told by the twin"));

        var error = await Assert.ThrowsAnyAsync<MedVisionException>(() => Signer().SignAsync([1, 2, 3]));

        Assert.IsType(expected, error);
        Assert.Contains("told by the twin", error.Message, StringComparison.Ordinal);
        Assert.Contains(type[(type.IndexOf('#', StringComparison.Ordinal) + 1)..], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_WhenKmsAnswers500WithoutABody_ShouldThrowStorageUnavailable()
    {
        if (!ready)
        {
            return;
        }

        twin.Script(500);

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => Signer().SignAsync([1, 2, 3]));

        Assert.Contains("500", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_WhenTheKeyIsUnknown_ShouldThrowNotFoundFromTheTwinsOwnLookup()
    {
        if (!ready)
        {
            return;
        }

        var error = await Assert.ThrowsAsync<NotFoundException>(() => Signer(options: twin.Options("alias/no-such-key")).SignAsync([1, 2, 3]));

        Assert.Equal("kms.key_not_found", error.Code);
        Assert.Contains("alias/no-such-key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_WhenTheBodyIsChangedAfterSigning_ShouldBeRejectedByBotocoreAndRetryable()
    {
        if (!ready)
        {
            return;
        }

        var signer = Signer(async request =>
        {
            var body = await request.Content!.ReadAsByteArrayAsync();
            var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"RAW\"", "\"DIGEST\"", StringComparison.Ordinal));
            var headers = request.Content.Headers.ContentType;
            request.Content = new ByteArrayContent(tampered);
            request.Content.Headers.ContentType = headers;
        });

        await Assert.ThrowsAsync<StorageUnavailableException>(() => signer.SignAsync([1, 2, 3]));

        var request = Assert.Single(twin.Requests);
        Assert.False(request.SignatureValid);
    }

    [Fact]
    public async Task SignAsync_WhenNothingListens_ShouldThrowStorageUnavailable()
    {
        if (!ready)
        {
            return;
        }

        var endpoint = new Uri($"http://127.0.0.1:{Loopback.FreePort()}/");

        await Assert.ThrowsAsync<StorageUnavailableException>(
            () => Signer(options: new KmsOptions(KmsTwin.Region, KmsTwin.Alias) { Endpoint = endpoint }).SignAsync([1]));
    }

    [Fact]
    public async Task SignAsync_WhenTheMessageIsOver4096Bytes_ShouldThrowValidationWithoutCallingKms()
    {
        if (!ready)
        {
            return;
        }

        var error = await Assert.ThrowsAsync<ValidationException>(() => Signer().SignAsync(new byte[4097]));

        Assert.Equal("kms.message_too_large", error.Code);
        Assert.Empty(twin.Requests);
    }

    [Fact]
    public void Options_WhenNoEndpointGiven_ShouldUseTheRegionalKmsUrl()
    {
        Assert.Equal(new Uri("https://kms.eu-west-2.amazonaws.com/"), new KmsOptions("eu-west-2", "alias/x").EndpointUri);
    }

    /// <summary>
    /// moto_server's KMS (an independent implementation) holds the key: a report signed through the adapter verifies
    /// with the same code verify-report runs. moto does not check SigV4, so this proves the protocol, not the signing.
    /// </summary>
    [Fact]
    public async Task SignAsync_WhenAgainstMotoServer_ShouldProduceAReportThatVerifies()
    {
        if (!ready || !ExternalTools.Require(output.WriteLine, "moto_server"))
        {
            return;
        }

        var port = Loopback.FreePort();
        using var moto = Process.Start(new ProcessStartInfo("moto_server", ["-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        moto.OutputDataReceived += (_, _) => { };
        moto.ErrorDataReceived += (_, _) => { };
        moto.BeginOutputReadLine();
        moto.BeginErrorReadLine();
        try
        {
            var endpoint = new Uri($"http://127.0.0.1:{port}/");
            await WaitForPortAsync(port);
            var keyArn = CreateMotoKey(endpoint);
            var signer = Signer(options: new KmsOptions(KmsTwin.Region, keyArn) { Endpoint = endpoint });

            var file = await ReportSignatures.SignAsync(signer, "r-moto", Pdf, Json, clock.GetUtcNow());
            var verdict = ReportSignatures.Verify(ReportSignatures.Parse(ReportSignatures.Serialize(file)), Pdf, Json);

            Assert.True(verdict.Valid, verdict.Message);
            Assert.Equal(keyArn, file.KeyId);
            var manifest = ReportSignatures.Manifest("r-moto", file.ReportPdfSha256, file.ReportJsonSha256);
            Assert.True(await signer.VerifyAsync(manifest, Convert.FromBase64String(file.Signature), keyArn));
            manifest[^2] ^= 1;
            Assert.False(await signer.VerifyAsync(manifest, Convert.FromBase64String(file.Signature), keyArn));
            await Assert.ThrowsAsync<NotFoundException>(
                () => Signer(options: new KmsOptions(KmsTwin.Region, "alias/not-there") { Endpoint = endpoint }).SignAsync([1]));
        }
        finally
        {
            moto.Kill(entireProcessTree: true);
            await moto.WaitForExitAsync();
        }
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (attempt < 300)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>CreateKey is not the adapter's business; boto3 (next to botocore) asks moto for an ECC_NIST_P256 key.</summary>
    private static string CreateMotoKey(Uri endpoint)
    {
        var script = "import boto3,sys\n"
            + $"k=boto3.client('kms',region_name='{KmsTwin.Region}',endpoint_url='{endpoint}',aws_access_key_id='a',aws_secret_access_key='b')\n"
            + "print(k.create_key(KeySpec='ECC_NIST_P256',KeyUsage='SIGN_VERIFY')['KeyMetadata']['Arn'])\n";
        var (exit, stdout, stderr) = ExternalTools.Run(ExternalTools.BotocorePython!, ["-c", script]);
        Assert.True(exit == 0, stderr);
        return Encoding.UTF8.GetString(stdout).Trim();
    }
}
