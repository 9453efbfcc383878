#!/usr/bin/env bash
# Regenerates the committed protobuf-c sources from Protos/caffe2.proto.
#
#   Scripts/generate-protos.sh            # rewrite Sources/CCaffe2Proto
#   Scripts/generate-protos.sh OUT_DIR    # write into OUT_DIR instead (used by the staleness test)
#
# Needs protoc-c (Debian: protobuf-c-compiler).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/Sources/CCaffe2Proto"}
command -v protoc-c >/dev/null || { echo "error: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc-c --proto_path="$root/Protos" --c_out="$tmp" "$root/Protos/caffe2.proto"
mkdir -p "$out/include"
mv "$tmp/caffe2.pb-c.c" "$out/caffe2.pb-c.c"
mv "$tmp/caffe2.pb-c.h" "$out/include/caffe2.pb-c.h"
