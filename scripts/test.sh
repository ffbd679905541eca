#!/usr/bin/env bash
# Installs what the tests need (Debian oracles, npm tools), builds everything with warnings as errors,
# runs every test project, and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '==> %s\n' "$*"; }

# 1. Debian packages: image oracles (pngcheck, ImageMagick, djpeg/cjpeg/jpegtran) and DICOM oracles and
#    corpus makers (DCMTK, GDCM, dicom3tools, pydicom). DCMTK also provides dicom.dic for the dictionary generator.
#    python3-jsonschema checks contracts/inference.schema.json (Draft 2020-12) independently of the C# types.
#    python3-botocore recomputes SigV4 signatures in the HealthLake twin, independently of the adapter's signer.
apt_packages=(pngcheck imagemagick libjpeg-turbo-progs poppler-utils dcmtk libgdcm-tools dicom3tools python3-pydicom python3-numpy python3-gdcm python3-jsonschema python3-botocore)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "error: could not install ${missing[*]}"; exit 1; }
fi

# 2. npm tools (asl-validator), pinned by tests/tools/package-lock.json.
if [ ! -x tests/tools/node_modules/.bin/asl-validator ] || [ ! -d tests/tools/node_modules/fhir ] || [ ! -d tests/tools/node_modules/fhir-kit-client ]; then
  say "installing npm test tools"
  (cd tests/tools && npm ci --no-audit --no-fund >/dev/null) || { echo "error: npm ci in tests/tools failed"; exit 1; }
fi
export MEDVISION_ASL_VALIDATOR="$root/tests/tools/node_modules/.bin/asl-validator"
# Tests that use an external oracle fail (rather than skip) when it is missing.
export MEDVISION_REQUIRE_ORACLES=1

# 3. Build once, strictly: warnings as errors, every analyzer on (a plain `dotnet build` skips them).
say "building"
dotnet build MedVision.slnx -c Release -warnaserror -p:MedVisionAnalyzers=true -nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }

# 4. Publish the Lambda bootstrap once, as CDK will deploy it (Native AOT, warnings as errors); its tests drive this
#    binary against a loopback Runtime API.
say "publishing the Lambda bootstrap (Native AOT)"
MEDVISION_BOOTSTRAP_DIR=$(mktemp -d)
export MEDVISION_BOOTSTRAP_DIR
trap 'rm -rf "$MEDVISION_BOOTSTRAP_DIR"' EXIT
bash scripts/publish-functions.sh "$MEDVISION_BOOTSTRAP_DIR" || { echo "0 passed, 1 failed"; exit 1; }

# 5. Run every test project; collect the per-assembly counts.
say "testing"
log=$(mktemp)
dotnet test MedVision.slnx -c Release --no-build -nologo 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
assemblies=$(grep -Ec '^(Passed|Failed)! ' "$log")
rm -f "$log"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a crashed test host counts as a failure
say "$assemblies test assemblies"
echo "$passed passed, $failed failed"
exit "$rc"
