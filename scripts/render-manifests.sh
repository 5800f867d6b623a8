#!/usr/bin/env bash
# Writes the kustomize bases in deploy/base/ from the Helm chart, so that the chart is the one
# source of the manifests: `helm template` with global.kustomizeBase=true (no Helm labels, no
# dev auth, no TLS: the overlays in deploy/overlays/ decide those), one directory per service.
#
#   scripts/render-manifests.sh           rewrite deploy/base/
#   scripts/render-manifests.sh --check   fail when deploy/base/ differs from the chart
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT

"${FS_HELM}" template fs helm/family-safeguarding --namespace family-safeguarding \
  --set global.kustomizeBase=true --set global.insecureDevAuth=false --set tls.enabled=false \
  >"${out}/all.yaml" \
  2> >(grep -v "found symbolic link" >&2)
/usr/bin/python3 scripts/split-manifests.py "${out}/all.yaml" "${out}/base"

if ((check)); then
  if ! diff -ru deploy/base "${out}/base"; then
    echo "render-manifests: deploy/base/ is stale: run scripts/render-manifests.sh" >&2
    exit 1
  fi
  echo "render-manifests: deploy/base/ matches the chart"
else
  rm -rf deploy/base
  cp -r "${out}/base" deploy/base
  echo "render-manifests: wrote deploy/base/"
fi
