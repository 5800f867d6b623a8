#!/usr/bin/env bash
# Generates Python gRPC stubs for the project's protos and grpc.health.v1 into
# ${FS_BUILD_DIR:-build}/py, with Debian's protoc and grpc_python_plugin (Debian's
# python3-grpc-tools bundles an old protoc that rejects proto3 `optional`).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"
out="${FS_BUILD_DIR:-build}/py"
src="${FS_BUILD_DIR:-build}/py-src"
mkdir -p "${out}" "${src}/fsgrpc/health/v1"
# The health proto is copied under fsgrpc/: a generated package named grpc/ would shadow the
# grpc module itself. Its proto package (grpc.health.v1) is unchanged.
cp /usr/share/grpc-proto/grpc/health/v1/health.proto "${src}/fsgrpc/health/v1/health.proto"
mapfile -t protos < <(cd proto && find fs -name '*.proto' | sort)
protoc -I proto -I "${src}" -I /usr/include \
  --python_out="${out}" --grpc_python_out="${out}" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  "${protos[@]}" fsgrpc/health/v1/health.proto
echo "${out}"
