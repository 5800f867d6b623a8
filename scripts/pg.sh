#!/usr/bin/env bash
# A private PostgreSQL 15 cluster on loopback for tests and `make run`.
#
# Usage: scripts/pg.sh start|stop|status|url|psql [args]|bindir|destroy
#
# Environment (defaults):
#   FS_PG_DIR   cluster directory (<repo>/${FS_BUILD_DIR:-build}/pg); holds data/ and
#               server.log.
#               A relative path is taken from the repository root.
#   FS_PG_PORT  TCP port on 127.0.0.1 (54329)
#   FS_PG_MODE  run (default): durable settings; test: fsync, synchronous_commit and
#               full_page_writes off (fast, throwaway data).
#
# The cluster uses trust authentication: it listens on 127.0.0.1 only and on a socket in
# a private directory, and it exists only for local development and tests. Production
# databases use real credentials.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${FS_PG_PORT:-54329}"
MODE="${FS_PG_MODE:-run}"
DB_NAME="fs"
SUPERUSER="postgres"
INIT_SQL="${REPO_ROOT}/scripts/db-init.sql"
SOCKET_DIR="/tmp/fs-pgsock-${PORT}"

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

[[ "${PORT}" =~ ^[0-9]+$ ]] || die "FS_PG_PORT must be a number, got '${PORT}'"
case "${MODE}" in
  run | test) ;;
  *) die "FS_PG_MODE must be 'run' or 'test', got '${MODE}'" ;;
esac

# Server binaries: pg_config from libpq-dev may report a bindir without the server.
if [[ -n "${FS_PG_BINDIR:-}" ]]; then
  BIN="${FS_PG_BINDIR}"
elif [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then
  BIN="/usr/lib/postgresql/15/bin"
else
  BIN="$(pg_config --bindir 2>/dev/null || true)"
fi
[[ -n "${BIN}" && -x "${BIN}/pg_ctl" ]] ||
  die "PostgreSQL server binaries not found (looked in '${BIN}'); run scripts/install-deps.sh"

IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1

# Runs a server-side command as the cluster's owner (postgres refuses to run as root).
as_owner() {
  if ((IS_ROOT)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Resolve the cluster directory. As root, postgres must be able to traverse every parent
# directory; if it cannot (e.g. the repo is under /root), use /tmp/fs-pg-$PORT instead.
resolve_cluster_dir() {
  local dir="${FS_PG_DIR:-${FS_BUILD_DIR:-build}/pg}"
  [[ "${dir}" == /* ]] || dir="${REPO_ROOT}/${dir}"
  if ((IS_ROOT)); then
    local parent
    parent="$(dirname "${dir}")"
    mkdir -p "${parent}"
    if ! runuser -u postgres -- test -x "${parent}" 2>/dev/null; then
      echo "pg.sh: user postgres cannot reach ${parent}; using /tmp/fs-pg-${PORT}" >&2
      dir="/tmp/fs-pg-${PORT}"
    fi
  fi
  printf '%s\n' "${dir}"
}

CLUSTER_DIR="$(resolve_cluster_dir)"
DATA_DIR="${CLUSTER_DIR}/data"
LOG_FILE="${CLUSTER_DIR}/server.log"

client() {
  local prog="$1"
  shift
  "${BIN}/${prog}" -h 127.0.0.1 -p "${PORT}" -U "${SUPERUSER}" "$@"
}

is_running() {
  [[ -f "${DATA_DIR}/PG_VERSION" ]] || return 1
  as_owner "${BIN}/pg_ctl" status -D "${DATA_DIR}" >/dev/null 2>&1
}

show_log_tail() {
  if [[ -f "${LOG_FILE}" ]]; then
    echo "--- last lines of ${LOG_FILE} ---" >&2
    tail -n 30 "${LOG_FILE}" >&2 || true
  fi
}

prepare_dirs() {
  mkdir -p "${CLUSTER_DIR}" "${SOCKET_DIR}"
  if ((IS_ROOT)); then
    chown postgres:postgres "${CLUSTER_DIR}" "${SOCKET_DIR}"
  fi
  chmod 700 "${CLUSTER_DIR}"
  chmod 755 "${SOCKET_DIR}"
}

init_cluster() {
  [[ -f "${DATA_DIR}/PG_VERSION" ]] && return 0
  echo "pg.sh: initialising cluster in ${DATA_DIR}"
  if [[ -d "${DATA_DIR}" ]]; then
    # A half-initialised directory from an interrupted initdb.
    rm -rf "${DATA_DIR}"
  fi
  # trust: a private loopback cluster for development and tests only (see header).
  as_owner "${BIN}/initdb" -D "${DATA_DIR}" --auth=trust --username="${SUPERUSER}" \
    -E UTF8 --locale=C.UTF-8 >"${CLUSTER_DIR}/initdb.log" 2>&1 || {
    cat "${CLUSTER_DIR}/initdb.log" >&2
    die "initdb failed"
  }
}

wait_ready() {
  local i
  for ((i = 0; i < 150; i++)); do
    if "${BIN}/pg_isready" -q -h 127.0.0.1 -p "${PORT}" -U "${SUPERUSER}" -d postgres; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

ensure_database() {
  local exists
  exists="$(client psql -d postgres -XAtqc \
    "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'")"
  if [[ "${exists}" != "1" ]]; then
    client createdb "${DB_NAME}"
  fi
  client psql -d "${DB_NAME}" -Xq -v ON_ERROR_STOP=1 -f "${INIT_SQL}" >/dev/null
}

cmd_start() {
  prepare_dirs
  if is_running; then
    echo "pg.sh: already running (port ${PORT}, ${DATA_DIR})"
  else
    init_cluster
    local opts="-c listen_addresses=127.0.0.1 -p ${PORT} -k ${SOCKET_DIR}"
    if [[ "${MODE}" == "test" ]]; then
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if ((IS_ROOT)); then
      touch "${LOG_FILE}"
      chown postgres:postgres "${LOG_FILE}"
    fi
    if ! as_owner "${BIN}/pg_ctl" start -D "${DATA_DIR}" -l "${LOG_FILE}" -w -t 60 \
      -o "${opts}" >/dev/null; then
      show_log_tail
      die "could not start the cluster on port ${PORT}"
    fi
    echo "pg.sh: started (mode ${MODE}, port ${PORT}, ${DATA_DIR})"
  fi
  if ! wait_ready; then
    show_log_tail
    die "server on port ${PORT} is not accepting connections"
  fi
  ensure_database
}

cmd_stop() {
  if is_running; then
    as_owner "${BIN}/pg_ctl" stop -D "${DATA_DIR}" -m fast -w -t 60 >/dev/null
    echo "pg.sh: stopped (port ${PORT})"
  else
    echo "pg.sh: not running (port ${PORT})"
  fi
}

cmd_status() {
  if is_running; then
    echo "pg.sh: running (port ${PORT}, ${DATA_DIR})"
  else
    echo "pg.sh: not running (port ${PORT}, ${DATA_DIR})"
    return 3
  fi
}

cmd_destroy() {
  cmd_stop
  rm -rf "${DATA_DIR}" "${LOG_FILE}" "${CLUSTER_DIR}/initdb.log"
  echo "pg.sh: removed ${DATA_DIR}"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "${cmd}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) echo "postgresql://${SUPERUSER}@127.0.0.1:${PORT}/${DB_NAME}" ;;
  psql) exec "${BIN}/psql" -h 127.0.0.1 -p "${PORT}" -U "${SUPERUSER}" -d "${DB_NAME}" "$@" ;;
  bindir) echo "${BIN}" ;;
  destroy) cmd_destroy ;;
  *)
    echo "usage: $0 start|stop|status|url|psql [args]|bindir|destroy" >&2
    exit 2
    ;;
esac
