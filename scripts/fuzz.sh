#!/usr/bin/env bash
# Longer mutation-fuzz runs than CI's (CI runs each fuzz test once with its small default case count).
#
#   scripts/fuzz.sh [CASES]                  PNG and JPEG decoders: CASES mutated files (default 200000)
#   scripts/fuzz.sh images [CASES]           the same
#   scripts/fuzz.sh dicom [SECONDS] [SEED]   DICOM: reader, value accessors and writer, for SECONDS (default 600),
#                                            from base seed SEED (default: a new one per run, printed)
#   ... -- ARGS                              ARGS go to dotnet test (e.g. -- --artifacts-path /tmp/fuzz-artifacts)
#
# DICOM (tests/MedVision.Dicom.Tests/Fuzz/DicomFuzzTests.cs): each case mutates one seed file (the pydicom/DCMTK/
# GDCM corpus plus synthetic bad-input samples) with byte damage and DICOM-aware edits (length fields set to
# extremes, VR and tag swaps, sequences/items/delimiters inserted, values replaced, elements deleted, duplicated,
# moved and spliced). Every case must read or fail with DicomFormatException, within an allocation allowance and
# without hanging; what reads is walked through every accessor, written, re-read and written again (same bytes).
# It stops after SECONDS (or MEDVISION_FUZZ_CASES cases, if set) and prints cases/s and the outcome counts.
# A failure prints the case number, the seed file, the mutation steps, where the input was saved
# ($TMPDIR/medvision-dicom-fuzz/seedS-caseN.dcm) and the command that replays that one case:
#   MEDVISION_FUZZ_SEED=S MEDVISION_FUZZ_CASE=N dotnet test tests/MedVision.Dicom.Tests -c Release --filter FullyQualifiedName~DicomFuzzTests
set -euo pipefail
cd "$(dirname "$0")/.."

mode=images
if [ "${1:-}" = images ] || [ "${1:-}" = dicom ]; then
  mode=$1
  shift
fi

positional=()
extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then
    shift
    extra=("$@")
    break
  fi
  positional+=("$1")
  shift
done

is_number() { [[ "$1" =~ ^[0-9]+$ ]] || { echo "error: '$1' is not a whole number" >&2; exit 2; }; }

if [ "$mode" = images ]; then
  export MEDVISION_FUZZ_CASES="${positional[0]:-200000}"
  is_number "$MEDVISION_FUZZ_CASES"
  echo "==> fuzzing the image decoders with $MEDVISION_FUZZ_CASES mutated files"
  exec dotnet test tests/MedVision.Imaging.Tests -c Release --filter "FullyQualifiedName~CodecFuzzTests" --logger "console;verbosity=detailed" ${extra[@]+"${extra[@]}"}
fi

seconds="${positional[0]:-600}"
seed="${positional[1]:-$(( ($(date +%s) * 7919 + $$) % 2147483647 ))}"
is_number "$seconds"
is_number "$seed"
export MEDVISION_FUZZ_SECONDS="$seconds"
export MEDVISION_FUZZ_SEED="$seed"
export MEDVISION_FUZZ_CASES="${MEDVISION_FUZZ_CASES:-2147483647}"
echo "==> fuzzing the DICOM reader and writer for $seconds s from base seed $seed"
exec dotnet test tests/MedVision.Dicom.Tests -c Release --filter "FullyQualifiedName~DicomFuzzTests" --logger "console;verbosity=detailed" ${extra[@]+"${extra[@]}"}
