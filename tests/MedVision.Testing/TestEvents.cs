using System.Text;
using System.Text.Json.Nodes;

namespace MedVision.Testing;

/// <summary>Lambda events for the handlers, built from the shared fixtures in events/ with a test's own values.</summary>
public static class TestEvents
{
    /// <summary>An API Gateway HTTP API v2 upload event (events/api/upload.json) carrying <paramref name="file"/> as its one part.</summary>
    public static string Upload(string file)
    {
        const string boundary = "medvision-test-upload";
        using var body = new MemoryStream();
        body.Write(Encoding.ASCII.GetBytes(
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{Path.GetFileName(file)}\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
        body.Write(File.ReadAllBytes(file));
        body.Write(Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n"));
        var upload = JsonNode.Parse(File.ReadAllText(RepoPaths.Events("api/upload.json")))!;
        upload["headers"]!["content-type"] = $"multipart/form-data; boundary={boundary}";
        upload["body"] = Convert.ToBase64String(body.ToArray());
        upload["isBase64Encoded"] = true;
        return upload.ToJsonString();
    }

    /// <summary>events/api/get-image.json asking for <paramref name="imageId"/>.</summary>
    public static string GetImage(string imageId)
    {
        var get = JsonNode.Parse(File.ReadAllText(RepoPaths.Events("api/get-image.json")))!;
        get["pathParameters"]!["image_id"] = imageId;
        get["rawPath"] = $"/api/v1/images/{imageId}";
        return get.ToJsonString();
    }

    /// <summary>The image id in an accepted upload's API response (its body's image_id).</summary>
    public static string ImageIdOfUploadResponse(JsonNode response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return (string)JsonNode.Parse((string)response["body"]!)!["image_id"]!;
    }
}
