#!/usr/bin/env bash
# Publishes the one Lambda bootstrap of every MedVision function (provided.al2023, Native AOT): the asset CDK deploys.
#
# Usage: scripts/publish-functions.sh OUT_DIR [--arch x86_64|arm64]
#   x86_64 (the default) writes OUT_DIR/bootstrap for linux-x64, compiled for x86-64-v3 (AVX2: every Lambda x86 host
#   has it, and the codecs' vector paths are only compiled in with an explicit instruction set).
#   arm64 writes OUT_DIR/bootstrap for linux-arm64 (Graviton), cross-linked on x86_64 with clang and Debian's aarch64
#   sysroot; it installs the Debian packages it needs when they are missing (see arm64_toolchain below).
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

# The ILCompiler links a cross build with `<linker> --target=aarch64-linux-gnu`, an option only clang accepts (the
# aarch64-linux-gnu-gcc driver rejects it), so the linker is clang. clang finds Debian's cross sysroot by itself:
# glibc in /usr/aarch64-linux-gnu (libc6-dev-arm64-cross), crtbegin and libgcc from the gcc cross package, and
# aarch64-linux-gnu-ld.bfd from its binutils. The objcopy that splits off the debug symbols must read aarch64 ELF.
arm64_toolchain() {
  local packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) missing=() p
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  # Any installed clang will do (Debian names it clang-<major>); the clang package is only installed when none is.
  clang=$(command -v clang || ls /usr/bin/clang-[0-9]* 2>/dev/null | grep -E '/clang-[0-9]+$' | sort -V | tail -1 || true)
  [ -n "$clang" ] || missing+=(clang)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "publish-functions.sh: installing Debian packages for the arm64 cross link: ${missing[*]}" >&2
    local sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    { $sudo_cmd apt-get update -qq >/dev/null && \
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
      || { echo "publish-functions.sh: error: could not install ${missing[*]} (needed to link the bootstrap for linux-arm64)" >&2; exit 1; }
    clang=${clang:-$(command -v clang)}
  fi
  props+=(-p:CppCompilerAndLinker="$clang" -p:ObjCopyName=aarch64-linux-gnu-objcopy)
}
if [ "$arch" = arm64 ]; then arm64_toolchain; fi
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
