#!/usr/bin/env python3
"""Writes the sample handler events under events/ (API Gateway HTTP API v2.0 and Step Functions task inputs).

The upload event carries a small synthetic PNG built here with zlib, so the fixture needs no binary files.
Run from the repo root: python3 scripts/make-events.py
"""
import base64, json, os, struct, zlib

IMAGE_ID = "0193a4f2-7c1e-7b2a-9d4e-1f2a3b4c5d6e"
USER = "user-7f3c"


def png_gray(width, height, pixel):
    raw = b"".join(b"\x00" + bytes(pixel(x, y) for x in range(width)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def api_event(method, route, path, path_params=None, query=None, body=None, b64=False, headers=None):
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", **(headers or {})},
        "queryStringParameters": query,
        "pathParameters": path_params,
        "requestContext": {
            "requestId": "req-0001",
            "http": {"method": method, "path": path},
            "authorizer": {"jwt": {"claims": {"sub": USER}}},
        },
        "body": body,
        "isBase64Encoded": b64,
    }


def multipart(boundary, fields, file_name, file_bytes, file_type):
    out = b""
    for name, value in fields.items():
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
    out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n"
            f"Content-Type: {file_type}\r\n\r\n").encode() + file_bytes + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


png = png_gray(32, 32, lambda x, y: 40 + ((x * 7 + y * 3) % 50) + (150 if (x - 20) ** 2 + (y - 12) ** 2 < 16 else 0))
boundary = "medvision-boundary-1"
body = multipart(boundary, {"patient_id": "anon-0042", "acquisition_date": "2026-11-01"}, "chest.png", png, "image/png")
write("events/api/upload.json", api_event(
    "POST", "/api/v1/images/upload", "/api/v1/images/upload",
    body=base64.b64encode(body).decode(), b64=True,
    headers={"content-type": f"multipart/form-data; boundary={boundary}"}))
pdf_body = multipart(boundary, {}, "scan.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "image/png")
write("events/api/upload-not-an-image.json", api_event(
    "POST", "/api/v1/images/upload", "/api/v1/images/upload",
    body=base64.b64encode(pdf_body).decode(), b64=True,
    headers={"content-type": f"multipart/form-data; boundary={boundary}"}))
write("events/api/get-image.json", api_event(
    "GET", "/api/v1/images/{image_id}", f"/api/v1/images/{IMAGE_ID}", path_params={"image_id": IMAGE_ID}))
write("events/api/get-analysis.json", api_event(
    "GET", "/api/v1/analyze/{image_id}", f"/api/v1/analyze/{IMAGE_ID}", path_params={"image_id": IMAGE_ID}))
write("events/api/history.json", api_event(
    "GET", "/api/v1/history", "/api/v1/history", query={"limit": "10"}))

write("events/stepfunctions/execution-input.json", {"image_id": IMAGE_ID, "user_id": USER, "file_format": "PNG"})
write("events/stepfunctions/classify.json", {"image_id": IMAGE_ID})
write("events/stepfunctions/analyze.json", {"image_id": IMAGE_ID, "modality": "xray"})
write("events/stepfunctions/heatmap.json", {"image_id": IMAGE_ID})
write("events/stepfunctions/report.json", {"image_id": IMAGE_ID})
write("events/stepfunctions/finalize.json", {"image_id": IMAGE_ID})
# lambda:invoke.waitForTaskToken Payload: the handler keeps the token on the record for the reviewer's answer.
write("events/stepfunctions/manual-review.json", {"image_id": IMAGE_ID, "task_token": "AQCEAAAAKgAAAAMAAAAAAAAAAcmedvision-sample-task-token"})
write("events/stepfunctions/mark-failed.json", {
    "image_id": IMAGE_ID,
    "error": {"Error": "ModelUnavailableException",
              "Cause": json.dumps({"errorMessage": "Endpoint medvision-xray-detector timed out after 30 s.",
                                   "errorType": "ModelUnavailableException"})}})
write("events/stepfunctions/record-degraded.json", {
    "image_id": IMAGE_ID,
    "stage": "heatmap",
    "error": {"Error": "IOException", "Cause": json.dumps({"errorMessage": "No space left on device", "errorType": "IOException"})}})
print("events written")
