#!/usr/bin/env bash
# Benchmarks, results in docs/benchmarks.md.
# Usage: scripts/bench.sh [RUNS]        codecs side by side with libjpeg-turbo and Pillow (rewrites the file, keeps ## DICOM)
#        scripts/bench.sh dicom [RUNS]  DICOM side by side with pydicom and DCMTK (rewrites the ## DICOM section only)
#        scripts/bench.sh models [RUNS] classify+analyze model work in-process and over loopback HTTP to the model server
#                                       (rewrites the ## Models section only; needs no peer tools)
#        scripts/bench.sh stages [RUNS] classify/analyze/heatmap/report handler times per image on the local platform
#                                       (rewrites the ## Stage costs section only; needs no peer tools)
#        scripts/bench.sh lambda [RUNS] the Lambda bootstrap published Native AOT, ReadyToRun and framework-dependent:
#                                       cold starts against the loopback Runtime API, warm overhead, RSS, zip size
#                                       (rewrites the ## Lambda bootstrap section only; needs no peer tools)
# BENCH_ARTIFACTS=DIR builds into DIR (dotnet --artifacts-path) instead of the projects' bin/obj.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=codecs
if [ "${1:-}" = dicom ]; then mode=dicom; shift; fi
art=()
if [ -n "${BENCH_ARTIFACTS:-}" ]; then art=(--artifacts-path "$BENCH_ARTIFACTS"); fi
if [ "${1:-}" = lambda ]; then
  shift
  # The same project three ways, into a temporary folder removed on exit. The last two share the Native AOT publish's
  # obj folder; each publish passes its own PublishAot/ReadyToRun/self-contained properties.
  pub=$(mktemp -d /tmp/medvision-bench-lambda-pub.XXXXXX)
  trap 'rm -rf "$pub"' EXIT
  PUBLISH_ARTIFACTS="${BENCH_ARTIFACTS:-}" bash scripts/publish-functions.sh "$pub/aot"
  dotnet publish functions/MedVision.Bootstrap -c Release -r linux-x64 --self-contained -p:PublishAot=false \
    -p:PublishReadyToRun=true -nologo -v quiet -o "$pub/r2r" "${art[@]}"
  dotnet publish functions/MedVision.Bootstrap -c Release -r linux-x64 --no-self-contained -p:PublishAot=false \
    -nologo -v quiet -o "$pub/fd" "${art[@]}"
  # The peer: the smallest Native AOT program, this machine's floor for any Native AOT process.
  dotnet publish bench/MedVision.Bench.AotFloor -c Release -r linux-x64 -nologo -v quiet -o "$pub/floor" "${art[@]}"
  dotnet run -c Release --project bench/MedVision.Bench "${art[@]}" -- lambda --runs "${1:-15}" --out docs/benchmarks.md \
    --aot "$pub/aot" --r2r "$pub/r2r" --fd "$pub/fd" --floor "$pub/floor/aot-floor"
  exit 0
fi
if [ "${1:-}" = models ]; then
  shift
  exec dotnet run -c Release --project bench/MedVision.Bench "${art[@]}" -- models --runs "${1:-15}" --out docs/benchmarks.md
fi

if [ "${1:-}" = stages ]; then
  shift
  # Tiered compilation off: every method fully optimised on first call, as in the Native AOT Lambda bootstrap (a stage
  # calls its hot loops once per image, so tier-0 code would be timed otherwise).
  DOTNET_TieredCompilation=0 exec dotnet run -c Release --project bench/MedVision.Bench "${art[@]}" -- stages --runs "${1:-9}" --out docs/benchmarks.md \
    --baseline bench/MedVision.Bench/Stages/baseline.json
fi

packages=(libjpeg-turbo-progs python3-pil)
if [ "$mode" = dicom ]; then packages=(dcmtk python3-pydicom python3-numpy); fi
need=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ "$mode" = codecs ]; then
  dotnet run -c Release --project bench/MedVision.Bench "${art[@]}" -- --runs "${1:-15}" --out docs/benchmarks.md
  exit 0
fi

# The CLI is measured as the README publishes it: Native AOT for x86-64-v3. The same CLI self-contained ReadyToRun runs
# beside it for the ratio. The runtime and crossgen/ILC packs come from the NuGet cache (restored once from the package
# registry); if the AOT publish fails, ReadyToRun alone is measured; if that cannot restore, the framework-dependent apphost.
aot=/tmp/medvision-aot
pub=/tmp/medvision-pub
rm -rf "$aot" "$pub"
other=()
if dotnet publish tools/MedVision.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$aot" "${art[@]}"; then
  cli="$aot/medvision"
  build="Native AOT, x86-64-v3, linux-x64"
else
  echo "bench.sh: Native AOT publish failed; measuring the ReadyToRun build alone" >&2
  cli=""
fi
if dotnet publish tools/MedVision.Cli -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true -o "$pub" "${art[@]}"; then
  r2r="self-contained, ReadyToRun, linux-x64"
else
  echo "bench.sh: self-contained ReadyToRun publish failed; using the framework-dependent apphost instead" >&2
  rm -rf "$pub"
  dotnet publish tools/MedVision.Cli -c Release -o "$pub" "${art[@]}"
  r2r="framework-dependent apphost: the self-contained ReadyToRun publish could not restore"
fi
if [ -n "$cli" ]; then
  other=(--cli-other "$pub/medvision" --cli-other-build "$r2r")
else
  cli="$pub/medvision"
  build="$r2r"
fi
dotnet run -c Release --project bench/MedVision.Bench "${art[@]}" -- dicom --runs "${1:-15}" --out docs/benchmarks.md \
  --cli "$cli" --cli-build "$build" "${other[@]}"
