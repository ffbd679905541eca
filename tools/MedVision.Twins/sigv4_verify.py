"""Independent SigV4 check for the loopback twins: recomputes a request's signature with botocore.

stdin: one JSON object {method, url, headers: [[name, value], ...], body_b64, access_key, secret_key,
session_token, region, service, now (yyyymmddThhmmssZ, the twin's clock)}.
stdout: {"ok": true} or {"ok": false, "reason": "..."}.
"""
import base64
import datetime
import hashlib
import hmac
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256 "


def verdict(ok, reason=""):
    print(json.dumps({"ok": ok, "reason": reason}))
    sys.exit(0)


req = json.load(sys.stdin)
headers = {}
for name, value in req["headers"]:
    headers.setdefault(name.lower(), []).append(value)


def header(name):
    values = headers.get(name)
    return ",".join(values) if values else None


auth = header("authorization")
if not auth or not auth.startswith(ALGORITHM):
    verdict(False, "no AWS4-HMAC-SHA256 Authorization header")
try:
    fields = dict(part.strip().split("=", 1) for part in auth[len(ALGORITHM):].split(","))
    access_key, date, region, service, terminator = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    claimed = fields["Signature"]
except (KeyError, ValueError) as e:
    verdict(False, f"malformed Authorization header: {e}")

amz_date = header("x-amz-date")
if amz_date is None:
    verdict(False, "no X-Amz-Date")
if access_key != req["access_key"]:
    verdict(False, "unknown access key")
if (date, region, service, terminator) != (amz_date[:8], req["region"], req["service"], "aws4_request"):
    verdict(False, f"credential scope {date}/{region}/{service}/{terminator} does not match")
skew = abs(datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ") - datetime.datetime.strptime(req["now"], "%Y%m%dT%H%M%SZ"))
if skew > datetime.timedelta(minutes=5):
    verdict(False, "X-Amz-Date is more than 5 minutes from the server's clock")

must_sign = {"host", "x-amz-date", "x-amz-content-sha256"} | {h for h in headers if h.startswith("x-amz-") or h == "content-type"}
missing = sorted(must_sign - set(signed))
if missing:
    verdict(False, "headers sent but not signed: " + ", ".join(missing))
if signed != sorted(signed):
    verdict(False, "SignedHeaders is not sorted")

body = base64.b64decode(req["body_b64"])
if header("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
    verdict(False, "X-Amz-Content-SHA256 does not match the body")

token = header("x-amz-security-token")
if token != req.get("session_token"):
    verdict(False, "session token does not match")

# Only the headers the client signed take part; botocore then builds the canonical request itself.
request = AWSRequest(method=req["method"], url=req["url"], data=body, headers={h: header(h) or "" for h in signed})
request.context["timestamp"] = amz_date
signer = SigV4Auth(Credentials(req["access_key"], req["secret_key"], token), service, region)
canonical = signer.canonical_request(request)
expected = signer.signature(signer.string_to_sign(request, canonical), request)
if not hmac.compare_digest(expected, claimed):
    verdict(False, "signature mismatch; canonical request was:\n" + canonical)
verdict(True)
