#!/usr/bin/env bash
# Local stand-ins for the AWS code path, on 127.0.0.1 only, with no AWS account:
#   moto_server (S3, DynamoDB, SQS, KMS, EventBridge, Step Functions), the project's model server (SageMaker
#   Runtime's InvokeEndpoint), and the HealthImaging and HealthLake twins (`medvision twin ...`).
#
#   eval "$(bash scripts/aws-local.sh up)"     builds the CLI and model server (skip with `up --no-build`), starts them, creates the bucket, table, keys and event bus
#                                              (`medvision aws init`), and prints the environment to eval
#   medvision analyze samples --out out --platform aws
#   bash scripts/aws-local.sh down             stops exactly what `up` started
#   bash scripts/aws-local.sh env              prints the environment of the running stand-ins again
#
# State (logs, pids, twin data, env) lives in $MEDVISION_AWS_LOCAL_DIR (default: .aws-local/ in the repo).
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${MEDVISION_AWS_LOCAL_DIR:-$root/.aws-local}
pids="$dir/pids"
envfile="$dir/env.sh"

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts a command in its own session (so `down` can stop it and all it spawned), logging to $dir/$name.log.
start() {
  local name=$1; shift
  setsid "$@" >"$dir/$name.log" 2>&1 < /dev/null &
  echo "$! $name" >>"$pids"
}

wait_for() {
  local name=$1 url=$2
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
    if ! kill -0 "$(awk -v n="$name" '$2 == n {print $1}' "$pids")" 2>/dev/null; then
      fail "$name exited while starting; see $dir/$name.log:
$(tail -20 "$dir/$name.log")"
    fi
    sleep 0.2
  done
  fail "$name did not answer at $url within 60 s; see $dir/$name.log"
}

down() {
  if [ ! -f "$pids" ]; then say "nothing to stop (no $pids)"; return 0; fi
  while read -r pid name; do
    # Each stand-in leads its own session: stop the whole group, politely first.
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      say "stopped $name ($pid)"
    fi
  done <"$pids"
  rm -f "$pids" "$envfile"
}

up() {
  [ -f "$pids" ] && fail "the stand-ins are already up ($pids); run: bash scripts/aws-local.sh down"
  command -v moto_server >/dev/null || fail "moto_server not found (pip install 'moto[server]'; it is on the dev machine image)"
  mkdir -p "$dir"
  : >"$pids"
  trap 'down; exit 1' ERR INT TERM

  if [ "${1:-}" != "--no-build" ]; then
    say "building the medvision CLI and the model server"
    dotnet build tools/MedVision.Cli/MedVision.Cli.csproj -c Release -nologo -v quiet >&2
    dotnet build models/MedVision.ModelServer/MedVision.ModelServer.csproj -c Release -nologo -v quiet >&2
  fi
  local cli="$root/tools/MedVision.Cli/bin/Release/net10.0/medvision"
  local model="$root/models/MedVision.ModelServer/bin/Release/net10.0/MedVision.ModelServer"

  local moto_port model_port himg_port hl_port
  moto_port=$(free_port); model_port=$(free_port); himg_port=$(free_port); hl_port=$(free_port)

  # Fixed local credentials: moto accepts any, the twins verify the SigV4 signature made with these.
  export AWS_ACCESS_KEY_ID=medvision-local AWS_SECRET_ACCESS_KEY=medvision-local-secret AWS_REGION=us-east-1
  unset AWS_SESSION_TOKEN AWS_PROFILE

  say "starting moto_server on 127.0.0.1:$moto_port"
  start moto_server moto_server -H 127.0.0.1 -p "$moto_port"
  say "starting the model server on 127.0.0.1:$model_port"
  start model-server "$model" --host 127.0.0.1 --port "$model_port"
  say "starting the HealthImaging twin on 127.0.0.1:$himg_port"
  start healthimaging-twin "$cli" twin healthimaging --port "$himg_port" --state "$dir/healthimaging"
  say "starting the HealthLake twin on 127.0.0.1:$hl_port"
  start healthlake-twin "$cli" twin healthlake --port "$hl_port" --state "$dir/healthlake"

  wait_for moto_server "http://127.0.0.1:$moto_port/moto-api/"
  wait_for model-server "http://127.0.0.1:$model_port/ping"
  wait_for healthimaging-twin "http://127.0.0.1:$himg_port/"
  wait_for healthlake-twin "http://127.0.0.1:$hl_port/"

  # The twins serve one data store each, under this id (HealthImagingTwin.DatastoreId, HealthLakeTwin.DatastoreId).
  local twin_datastore=0123456789abcdef0123456789abcdef
  cat >"$envfile" <<EOF
export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export AWS_REGION=$AWS_REGION
export AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port
export AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=http://127.0.0.1:$model_port
export AWS_ENDPOINT_URL_MEDICAL_IMAGING=http://127.0.0.1:$himg_port
export AWS_ENDPOINT_URL_HEALTHLAKE=http://127.0.0.1:$hl_port
export MEDVISION_BUCKET=medvision-local-images
export MEDVISION_TABLE=MedVisionImages
export MEDVISION_HEALTHIMAGING_DATASTORE_ID=$twin_datastore
export MEDVISION_HEALTHLAKE_DATASTORE_ID=$twin_datastore
export MEDVISION_EVENT_BUS=medvision-events
EOF
  say "creating the bucket, table, keys and event bus (medvision aws init)"
  # shellcheck disable=SC1090
  (set -a; . "$envfile"; "$cli" aws init) >>"$envfile"
  trap - ERR INT TERM
  say "up: $(wc -l <"$pids") stand-ins; stop them with: bash scripts/aws-local.sh down"
  cat "$envfile"
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down) down ;;
  env) [ -f "$envfile" ] && cat "$envfile" || fail "the stand-ins are not up (bash scripts/aws-local.sh up)" ;;
  *) echo "usage: bash scripts/aws-local.sh up [--no-build] | down | env" >&2; exit 2 ;;
esac
