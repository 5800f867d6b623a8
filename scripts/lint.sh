#!/usr/bin/env bash
# Lints the C++ sources (clang-format) and the protos (buf lint).
# Run `scripts/install-deps.sh --with-buf` first (`make lint` does).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

BUF="${REPO_ROOT}/.tools/buf/node_modules/.bin/buf"
failures=()

# --- clang-format over tracked and untracked-but-not-ignored C++ files ---
mapfile -t cxx_files < <(
  git ls-files -co --exclude-standard -- common services tests |
    grep -E '\.(cc|h)$' | sort -u || true
)
existing=()
for f in "${cxx_files[@]}"; do
  [[ -f "${f}" ]] && existing+=("${f}")
done
if ((${#existing[@]} > 0)); then
  echo "lint: clang-format (${#existing[@]} files)"
  unformatted=()
  for f in "${existing[@]}"; do
    clang-format --dry-run --Werror "${f}" >/dev/null 2>&1 || unformatted+=("${f}")
  done
  if ((${#unformatted[@]} > 0)); then
    # Show the first diagnostics, then the list of files.
    clang-format --dry-run --Werror "${unformatted[@]}" 2>&1 | head -n 30 || true
    echo "lint: not clang-formatted:" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    failures+=("clang-format: ${#unformatted[@]} file(s); fix with: clang-format -i <files>")
  fi
else
  echo "lint: clang-format: no C++ files"
fi

# --- buf lint over proto/ (config: proto/buf.yaml) ---
if [[ ! -x "${BUF}" ]]; then
  echo "lint: ${BUF} missing; run scripts/install-deps.sh --with-buf" >&2
  failures+=("buf lint (buf not installed)")
else
  echo "lint: buf lint proto ($("${BUF}" --version))"
  if ! "${BUF}" lint proto; then
    failures+=("buf lint")
  fi
fi

if ((${#failures[@]} > 0)); then
  echo "lint: FAILED:" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "lint: OK"
