#!/usr/bin/env bash
# Runs every test against a fresh, private, throwaway PostgreSQL cluster (port 54339,
# separate from the `make run` cluster on 54329 so both can run at once).
#
# Tests get:
#   FS_TEST_DB_URL      superuser URL of the cluster (tests create their own databases)
#   FS_TEST_PG_BINDIR   directory of the PostgreSQL server binaries
#   FS_BUILD_DIR        the CMake build directory
# Ends with a line "N passed, N failed".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

export FS_BUILD_DIR="${FS_BUILD_DIR:-build}"
export FS_PG_MODE=test
export FS_PG_PORT="${FS_TEST_PG_PORT:-54339}"
export FS_PG_DIR="${FS_BUILD_DIR}/pg-test"
JOBS="${FS_JOBS:-2}"

if [[ ! -f "${FS_BUILD_DIR}/CTestTestfile.cmake" ]]; then
  echo "test.sh: no CMake build in ${FS_BUILD_DIR}; run 'make build' first" >&2
  exit 1
fi

cleanup() {
  scripts/pg.sh stop >/dev/null 2>&1 || true
  rm -f "${ctest_log:-}"
}
trap cleanup EXIT

# A fresh cluster every run: no state left over from earlier runs.
scripts/pg.sh destroy >/dev/null
scripts/pg.sh start

FS_TEST_DB_URL="$(scripts/pg.sh url)"
FS_TEST_PG_BINDIR="$(scripts/pg.sh bindir)"
export FS_TEST_DB_URL FS_TEST_PG_BINDIR

passed=0
failed=0

# --- C++ tests (ctest) ---
ctest_log="$(mktemp)"
ctest_rc=0
ctest --test-dir "${FS_BUILD_DIR}" --output-on-failure -j"${JOBS}" 2>&1 |
  tee "${ctest_log}" || ctest_rc=$?

# "100% tests passed, 0 tests failed out of 12"
summary="$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "${ctest_log}" |
  tail -n 1 || true)"
if [[ -n "${summary}" ]]; then
  ct_failed="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"${summary}")"
  ct_total="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"${summary}")"
  passed=$((passed + ct_total - ct_failed))
  failed=$((failed + ct_failed))
  if ((ctest_rc != 0 && ct_failed == 0)); then
    # ctest failed without counting a failed test (e.g. a crash of ctest itself).
    failed=$((failed + 1))
  fi
elif ((ctest_rc != 0)); then
  echo "test.sh: ctest failed (exit ${ctest_rc}) before reporting results" >&2
  failed=$((failed + 1))
else
  echo "test.sh: ctest found no tests" >&2
fi

# --- Python end-to-end tests (the real binary, Debian's grpcio) ---
py_test="tests/python/client_test.sh"
if [[ -x "${py_test}" ]]; then
  echo "test.sh: running ${py_test}"
  py_log="$(mktemp)"
  py_rc=0
  "${py_test}" 2>&1 | tee "${py_log}" || py_rc=$?
  # unittest prints "Ran N tests" and, on failure, "FAILED (failures=F, errors=E)".
  py_ran="$( (grep -Eo '^Ran [0-9]+ tests?' "${py_log}" || true) |
    awk '{s += $2} END {print s + 0}')"
  py_failed="$( (grep -Eo '(failures|errors)=[0-9]+' "${py_log}" || true) | cut -d= -f2 |
    awk '{s += $1} END {print s + 0}')"
  rm -f "${py_log}"
  if ((py_rc != 0 && py_failed == 0)); then
    echo "test.sh: ${py_test} failed (exit ${py_rc})" >&2
    py_failed=1
  fi
  passed=$((passed + py_ran - (py_failed > py_ran ? py_ran : py_failed)))
  failed=$((failed + py_failed))
fi

echo "${passed} passed, ${failed} failed"
((failed == 0))
