#!/usr/bin/env bash
# Publishes the one Lambda bootstrap of every MedVision function (provided.al2023, Native AOT): the asset CDK deploys.
#
# Usage: scripts/publish-functions.sh OUT_DIR [--arch x86_64|arm64]
#   x86_64 (the default) writes OUT_DIR/bootstrap for linux-x64, compiled for x86-64-v3 (AVX2: every Lambda x86 host
#   has it, and the codecs' vector paths are only compiled in with an explicit instruction set).
#   arm64 writes OUT_DIR/bootstrap for linux-arm64 (Graviton); it needs an aarch64 cross linker and sysroot, which this
#   machine image does not carry, and fails with the linker's message when they are missing.
# Warnings are errors: nothing in the bootstrap's closure may produce a trim or AOT warning.
# BENCH_ARTIFACTS / PUBLISH_ARTIFACTS=DIR builds into DIR (dotnet --artifacts-path) instead of the projects' bin/obj.
set -euo pipefail
out=${1:?usage: scripts/publish-functions.sh OUT_DIR [--arch x86_64|arm64]}
arch=x86_64
if [ "${2:-}" = --arch ]; then arch=${3:?--arch needs x86_64 or arm64}; fi
case "$arch" in
  x86_64) rid=linux-x64; props=(-p:IlcInstructionSet=x86-64-v3) ;;
  arm64) rid=linux-arm64; props=() ;;
  *) echo "publish-functions.sh: unknown architecture '$arch' (x86_64 or arm64)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
art=()
if [ -n "${PUBLISH_ARTIFACTS:-}" ]; then art=(--artifacts-path "$PUBLISH_ARTIFACTS"); fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
echo "publish-functions.sh: publishing the bootstrap for $rid (Native AOT) ..." >&2
dotnet publish functions/MedVision.Bootstrap -c Release -r "$rid" -p:PublishAot=true -warnaserror "${props[@]}" \
  -nologo -v quiet -o "$staging" "${art[@]}" >&2

# The asset is the executable and the native libraries it loads (SQLite for MEDVISION_PLATFORM=local); the debug
# symbols stay out of the zip.
rm -f "$out"/bootstrap "$out"/*.so
find "$staging" -maxdepth 1 -type f ! -name '*.dbg' ! -name '*.pdb' -exec cp {} "$out"/ \;
chmod +x "$out/bootstrap"
echo "publish-functions.sh: wrote $(ls "$out" | tr '\n' ' ')($(du -sh "$out" | cut -f1)) to $out" >&2
