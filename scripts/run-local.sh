#!/usr/bin/env bash
# Runs the services locally against the private `run` PostgreSQL cluster (port 54329),
# loads demo data when a loader exists, and stops everything on Ctrl-C.
#
# Only services whose binary ${FS_BUILD_DIR}/services/<svc>/<svc>_server exists start.
# Override the list with FS_SERVICES="case_records workbook ...".
# Functions below run from traps, which shellcheck 0.9 reports as unreachable.
# shellcheck disable=SC2317
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

export FS_BUILD_DIR="${FS_BUILD_DIR:-build}"
export FS_PG_MODE=run
export FS_PG_PORT=54329
export FS_PG_DIR="${FS_BUILD_DIR}/pg"
# Fictional council numbers (Ofcom's drama range) for the NHS look-up's answer.
export FS_OFFICE_HOURS_PHONE="${FS_OFFICE_HOURS_PHONE:-01632 960000}"
export FS_OUT_OF_HOURS_PHONE="${FS_OUT_OF_HOURS_PHONE:-01632 960999}"
# The intervention programme's modules are configuration; these titles are for the demo.
export FS_MODULE_TITLES="${FS_MODULE_TITLES:-Engagement and motivation|Parenting and child development|Domestic abuse and healthy relationships|Drugs and alcohol|Emotional wellbeing and mental health|Keeping children safe|Family and community networks|Planning for the future}"

SERVICES="${FS_SERVICES:-case_records workbook supervision outcomes}"
declare -A GRPC_PORT=([case_records]=50051 [workbook]=50052 [supervision]=50053 [outcomes]=50054)
declare -A METRICS_PORT=([case_records]=9101 [workbook]=9102 [supervision]=9103 [outcomes]=9104)
# Who receives whose events (docs/events.md); only services started here are wired up.
# Supervision's GcsHeld goes to the workbook (chronology) and outcomes.
# Outcomes tells case_records when a police report names a person of a case (the lead's alert).
declare -A EVENT_SUBSCRIBERS=([case_records]="workbook supervision outcomes"
  [workbook]="outcomes" [supervision]="workbook outcomes" [outcomes]="case_records")
declare -A EVENT_PRODUCERS=([workbook]="case_records supervision" [supervision]="case_records"
  [outcomes]="case_records workbook supervision" [case_records]="outcomes")
# Only case_records and outcomes hold the secret that keys name match keys (docs/events.md).
SECRETS_DIR="${FS_BUILD_DIR}/secrets"
MATCH_SECRET="${SECRETS_DIR}/name-match-secret"
declare -A EXTRA_FLAGS=([case_records]="--name_match_secret_file=${MATCH_SECRET}"
  [outcomes]="--name_match_secret_file=${MATCH_SECRET} --adoption_date=2025-11-01 --cost_care_week_gbp=1200 --cost_police_call_out_gbp=2000 --cost_emergency_admission_gbp=2500")
LOG_DIR="${FS_BUILD_DIR}/logs"
START_TIMEOUT=30
STOP_TIMEOUT=15

declare -a pids=()
declare -a names=()
exit_code=1
pg_started=0

# True while the process runs (a child that exited but was not yet reaped is a zombie,
# which `kill -0` still reports as present).
is_alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }"
  [[ -n "${stat}" && "${stat:0:1}" != "Z" ]]
}
any_alive() {
  local pid
  for pid in "${pids[@]}"; do
    is_alive "${pid}" && return 0
  done
  return 1
}

cleanup() {
  # Ignore further Ctrl-C while shutting down, so the cluster is always stopped.
  trap '' INT TERM
  trap - EXIT
  local pid
  if ((${#pids[@]} > 0)); then
    echo
    echo "run-local: stopping ${names[*]}"
    for pid in "${pids[@]}"; do
      kill -TERM "${pid}" 2>/dev/null || true
    done
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while any_alive && ((SECONDS < deadline)); do
      sleep 0.2
    done
    for pid in "${pids[@]}"; do
      if is_alive "${pid}"; then
        echo "run-local: ${pid} still running after ${STOP_TIMEOUT}s; killing it" >&2
        kill -KILL "${pid}" 2>/dev/null || true
      fi
      wait "${pid}" 2>/dev/null || true
    done
  fi
  if ((pg_started)); then
    scripts/pg.sh stop || true
  fi
  exit "${exit_code}"
}
on_signal() {
  exit_code=0
  exit 0
}
trap cleanup EXIT
trap on_signal INT TERM

wait_for_port() {
  local port="$1" pid="$2" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# Which services can run?
to_start=()
for svc in ${SERVICES}; do
  if [[ -z "${GRPC_PORT[${svc}]:-}" ]]; then
    echo "run-local: unknown service '${svc}'" >&2
    exit 1
  fi
  bin="${FS_BUILD_DIR}/services/${svc}/${svc}_server"
  if [[ -x "${bin}" ]]; then
    to_start+=("${svc}")
  else
    echo "run-local: ${bin} not built; skipping ${svc}"
  fi
done
if ((${#to_start[@]} == 0)); then
  echo "run-local: no service binaries found under ${FS_BUILD_DIR}/services; run 'make build'" >&2
  exit 1
fi

pg_started=1
scripts/pg.sh start
mkdir -p "${LOG_DIR}"
if [[ ! -s "${MATCH_SECRET}" ]]; then
  mkdir -p "${SECRETS_DIR}"
  (umask 077 && openssl rand -hex 32 >"${MATCH_SECRET}")
fi

for svc in "${to_start[@]}"; do
  bin="${FS_BUILD_DIR}/services/${svc}/${svc}_server"
  # The service runs as fs_<svc>_app; only migrations use the schema owner fs_<svc>.
  db_url="postgresql://fs_${svc}_app@127.0.0.1:${FS_PG_PORT}/fs"
  owner_url="postgresql://fs_${svc}@127.0.0.1:${FS_PG_PORT}/fs"
  log="${LOG_DIR}/${svc}.log"

  echo "run-local: migrating ${svc}"
  if ! "${bin}" --db_url="${db_url}" --migration_db_url="${owner_url}" --migrate_only \
    >"${log}" 2>&1; then
    echo "run-local: migration of ${svc} failed; last lines of ${log}:" >&2
    tail -n 40 "${log}" >&2 || true
    exit 1
  fi

  subscribers=""
  for sub in ${EVENT_SUBSCRIBERS[${svc}]:-}; do
    if [[ " ${to_start[*]} " == *" ${sub} "* ]]; then
      subscribers+="${subscribers:+,}${sub}@127.0.0.1:${GRPC_PORT[${sub}]}"
    fi
  done
  producers="${EVENT_PRODUCERS[${svc}]:-}"

  read -r -a extra <<<"${EXTRA_FLAGS[${svc}]:-}"

  echo "run-local: starting ${svc} (gRPC ${GRPC_PORT[${svc}]}, metrics ${METRICS_PORT[${svc}]})"
  # Start the binary itself in the background, so that $! is the server's PID.
  "${bin}" --db_url="${db_url}" --migration_db_url="${owner_url}" --listen_address=127.0.0.1 \
    --grpc_port="${GRPC_PORT[${svc}]}" --metrics_port="${METRICS_PORT[${svc}]}" \
    --event_subscribers="${subscribers}" --event_producers="${producers// /,}" \
    "${extra[@]}" --insecure_dev_auth >>"${log}" 2>&1 &
  pids+=("$!")
  names+=("${svc}")

  if ! wait_for_port "${GRPC_PORT[${svc}]}" "${pids[-1]}"; then
    echo "run-local: ${svc} did not accept connections on port ${GRPC_PORT[${svc}]}" \
      "within ${START_TIMEOUT}s; last lines of ${log}:" >&2
    tail -n 40 "${log}" >&2 || true
    exit 1
  fi
done

if [[ -f scripts/load-demo-data.py ]]; then
  echo "run-local: loading demo data"
  demo_args=(--target "127.0.0.1:${GRPC_PORT[case_records]}")
  if [[ " ${names[*]} " == *" workbook "* ]]; then
    demo_args+=(--workbook "127.0.0.1:${GRPC_PORT[workbook]}")
  fi
  if [[ " ${names[*]} " == *" supervision "* ]]; then
    demo_args+=(--supervision "127.0.0.1:${GRPC_PORT[supervision]}")
  fi
  if [[ " ${names[*]} " == *" outcomes "* ]]; then
    demo_args+=(--outcomes "127.0.0.1:${GRPC_PORT[outcomes]}")
  fi
  if ! /usr/bin/python3 scripts/load-demo-data.py "${demo_args[@]}"; then
    echo "run-local: WARNING: loading demo data failed (services keep running)" >&2
  fi
fi

echo
echo "=== Family Safeguarding Services (local, insecure dev auth) ==="
for svc in "${names[@]}"; do
  printf '  %-14s gRPC 127.0.0.1:%s   metrics http://127.0.0.1:%s/metrics\n' \
    "${svc}" "${GRPC_PORT[${svc}]}" "${METRICS_PORT[${svc}]}"
done
echo "  PostgreSQL     $(scripts/pg.sh url)"
echo "  Logs           ${LOG_DIR}/"
echo "Ctrl-C to stop."

# Wait until a service exits by itself (an error) or a signal arrives (on_signal).
exited_pid=""
wait -n -p exited_pid "${pids[@]}" || true
for i in "${!pids[@]}"; do
  if [[ "${pids[${i}]}" == "${exited_pid}" ]]; then
    echo "run-local: ${names[${i}]} exited unexpectedly; last lines of ${LOG_DIR}/${names[${i}]}.log:" >&2
    tail -n 40 "${LOG_DIR}/${names[${i}]}.log" >&2 || true
  fi
done
exit 1
