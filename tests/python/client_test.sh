#!/usr/bin/env bash
# The running binaries, called by a client nobody here wrote: Debian's Python grpcio.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${REPO_ROOT}"
scripts/gen-python.sh >/dev/null
/usr/bin/python3 tests/python/client_test.py -v
/usr/bin/python3 tests/python/tls_test.py -v
/usr/bin/python3 tests/python/events_test.py -v
/usr/bin/python3 tests/python/workbook_test.py -v
/usr/bin/python3 tests/python/supervision_test.py -v
/usr/bin/python3 tests/python/outcomes_test.py -v
/usr/bin/python3 tests/python/prometheus_test.py -v
