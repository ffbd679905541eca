#!/usr/bin/env bash
# Runs the codec benchmarks side by side with libjpeg-turbo and Pillow, and rewrites docs/benchmarks.md.
# Usage: scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in libjpeg-turbo-progs python3-pil; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
dotnet run -c Release --project bench/MedVision.Bench -- --runs "${1:-15}" --out docs/benchmarks.md
