#!/usr/bin/env bash
# Longer mutation-fuzz run of the PNG and JPEG decoders than CI's few thousand cases.
# Usage: scripts/fuzz.sh [CASES]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
export MEDVISION_FUZZ_CASES="${1:-200000}"
echo "==> fuzzing the image decoders with $MEDVISION_FUZZ_CASES mutated files"
dotnet test tests/MedVision.Imaging.Tests -c Release --filter "FullyQualifiedName~CodecFuzzTests" --logger "console;verbosity=detailed"
