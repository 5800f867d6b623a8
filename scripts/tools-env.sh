# Sourced: where the tools from npm live (installed by scripts/install-deps.sh --with-helm),
# and writable homes for Helm (it runs offline here: lint and template only).
# shellcheck shell=bash
FS_TOOLS_DIR="${FS_TOOLS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools}"
export FS_HELM="${FS_TOOLS_DIR}/kubectl-layer/helm/helm"
export FS_KUBECTL="${FS_TOOLS_DIR}/kubectl-layer/kubectl/kubectl"
export HELM_CACHE_HOME="${FS_TOOLS_DIR}/helm-home/cache"
export HELM_CONFIG_HOME="${FS_TOOLS_DIR}/helm-home/config"
export HELM_DATA_HOME="${FS_TOOLS_DIR}/helm-home/data"
