using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Twins;
using Microsoft.AspNetCore.Http;

namespace MedVision.Aws.Tests;

/// <summary>
/// A loopback stand-in for KMS's JSON 1.1 API on a <see cref="SigV4LoopbackServer"/> holding one real ECDSA P-256 key (reachable by its key id,
/// its ARN and an alias). It answers Sign, Verify and GetPublicKey like KMS: exact request fields (an unknown or
/// missing one is a ValidationException), POST / only, <c>X-Amz-Target</c> and the x-amz-json-1.1 content type
/// required, every signature re-checked by botocore (a bad one is 400 InvalidSignatureException), and a bad
/// signature to Verify answered with KMSInvalidSignatureException, as KMS does.
/// </summary>
public sealed class KmsTwin : IAsyncDisposable
{
    public const string Region = "eu-west-2";
    public const string KeyUuid = "1234abcd-12ab-34cd-56ef-1234567890ab";
    public const string KeyArn = $"arn:aws:kms:{Region}:111122223333:key/{KeyUuid}";
    public const string Alias = "alias/medvision-reports";
    public static readonly AwsCredentials Credentials = new("AKIDKMSTWIN", "kms/twin+secret", "kms-session-token");

    private static readonly string[] SignFields = ["KeyId", "Message", "MessageType", "SigningAlgorithm"];
    private static readonly string[] VerifyFields = ["KeyId", "Message", "MessageType", "Signature", "SigningAlgorithm"];
    private static readonly string[] GetPublicKeyFields = ["KeyId"];

    private readonly ConcurrentQueue<(int Status, string? Body)> scripted = new();
    private SigV4LoopbackServer server = null!;

    private KmsTwin()
    {
    }

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public ConcurrentQueue<TwinRequest> Requests => server.Requests;

    public Uri Endpoint { get; private set; } = null!;

    public KmsOptions Options(string keyId = Alias) => new(Region, keyId) { Endpoint = Endpoint };

    public static async Task<KmsTwin> StartAsync(TimeProvider clock)
    {
        var twin = new KmsTwin();
        twin.server = await SigV4LoopbackServer.StartAsync(Credentials, Region, KmsReportSigner.Service, clock, twin.HandleAsync);
        twin.Endpoint = twin.server.Address;
        return twin;
    }

    /// <summary>The next request is answered with this status and body (after its signature passed).</summary>
    public void Script(int status, string? body = null) => scripted.Enqueue((status, body));

    public static string Error(string type, string message) => new JsonObject { ["__type"] = type, ["message"] = message }.ToJsonString();

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        Key.Dispose();
    }

    private async Task HandleAsync(HttpContext context, TwinRequest request)
    {
        var (target, body) = (request.Target, request.Body);
        if (!request.SignatureValid)
        {
            await AnswerAsync(context, 400, Error("InvalidSignatureException", "The request signature we calculated does not match the signature you provided."));
            return;
        }

        if (context.Request.Method != "POST" || target != "/" || context.Request.ContentType != AwsHttp.ContentType(AwsJsonProtocol.Json11))
        {
            await AnswerAsync(context, 400, Error("UnknownOperationException", "KMS takes POST / with application/x-amz-json-1.1."));
            return;
        }

        if (scripted.TryDequeue(out var canned))
        {
            await AnswerAsync(context, canned.Status, canned.Body);
            return;
        }

        var operation = context.Request.Headers["X-Amz-Target"].ToString();
        var (status, answer) = operation switch
        {
            KmsReportSigner.SignTarget => Checked(body, SignFields, Sign),
            KmsReportSigner.VerifyTarget => Checked(body, VerifyFields, Verify),
            KmsReportSigner.GetPublicKeyTarget => Checked(body, GetPublicKeyFields, GetPublicKey),
            _ => (400, Error("UnknownOperationException", $"Unknown X-Amz-Target '{operation}'.")),
        };
        await AnswerAsync(context, status, answer);
    }

    /// <summary>Checks the body has exactly the operation's fields and names this key, then runs it.</summary>
    private static (int, string) Checked(byte[] body, string[] fields, Func<JsonObject, (int, string)> run)
    {
        JsonObject request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            return (400, Error("SerializationException", e.Message));
        }

        var names = request.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        if (!names.SequenceEqual(fields))
        {
            return (400, Error("ValidationException", $"Fields must be exactly {string.Join(", ", fields)}; got {string.Join(", ", names)}."));
        }

        var keyId = (string?)request["KeyId"];
        return keyId is KeyUuid or KeyArn or Alias
            ? run(request)
            : (400, Error("NotFoundException", $"Key '{keyId}' does not exist"));
    }

    private (int, string) Sign(JsonObject request)
    {
        if (Invalid(request) is { } problem)
        {
            return problem;
        }

        var signature = Key.SignData(Convert.FromBase64String((string)request["Message"]!), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return (200, new JsonObject
        {
            ["KeyId"] = KeyArn,
            ["Signature"] = Convert.ToBase64String(signature),
            ["SigningAlgorithm"] = "ECDSA_SHA_256",
        }.ToJsonString());
    }

    private (int, string) Verify(JsonObject request)
    {
        if (Invalid(request) is { } problem)
        {
            return problem;
        }

        var ok = Key.VerifyData(
            Convert.FromBase64String((string)request["Message"]!), Convert.FromBase64String((string)request["Signature"]!),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return ok
            ? (200, new JsonObject { ["KeyId"] = KeyArn, ["SignatureValid"] = true, ["SigningAlgorithm"] = "ECDSA_SHA_256" }.ToJsonString())
            : (400, Error("KMSInvalidSignatureException", "The signature is not valid for this key and message."));
    }

    private (int, string) GetPublicKey(JsonObject request) => (200, new JsonObject
    {
        ["KeyId"] = KeyArn,
        ["PublicKey"] = Convert.ToBase64String(Key.ExportSubjectPublicKeyInfo()),
        ["KeySpec"] = "ECC_NIST_P256",
        ["KeyUsage"] = "SIGN_VERIFY",
        ["SigningAlgorithms"] = new JsonArray("ECDSA_SHA_256"),
    }.ToJsonString());

    private static (int, string)? Invalid(JsonObject request)
    {
        if ((string?)request["MessageType"] != "RAW" || (string?)request["SigningAlgorithm"] != "ECDSA_SHA_256")
        {
            return (400, Error("InvalidKeyUsageException", "This key signs RAW messages with ECDSA_SHA_256 only."));
        }

        var message = Convert.FromBase64String((string)request["Message"]!);
        return message.Length is 0 or > 4096
            ? (400, Error("ValidationException", "Message must be 1 to 4096 bytes."))
            : null;
    }

    private static async Task AnswerAsync(HttpContext context, int status, string? body)
    {
        context.Response.StatusCode = status;
        if (body is not null)
        {
            context.Response.ContentType = AwsHttp.ContentType(AwsJsonProtocol.Json11);
            await context.Response.WriteAsync(body);
        }
    }
}
