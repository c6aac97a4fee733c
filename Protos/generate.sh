#!/usr/bin/env bash
# Regenerates Shared/InboxAPI (Swift messages and gRPC stubs) and Protos/inbox.v1.desc (a
# descriptor set for generic clients) from the .proto files. The output is committed.
#
#   Protos/generate.sh           regenerate in place
#   Protos/generate.sh --check   regenerate into a temporary folder and fail if the committed
#                                output differs (CI runs this)
#
# The two protoc plugins are built from the pinned packages (git reads github.com from the local
# mirror here); protoc comes from apt (protobuf-compiler), installed when missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools=${INBOX_TOOLS_DIR:-$root/.build-tools}
plugin_repo=https://github.com/grpc/grpc-swift-protobuf
plugin_tag=2.4.1

mode=write
[ "${1:-}" = "--check" ] && mode=check

if ! command -v protoc >/dev/null 2>&1; then
    echo "generate: installing protobuf-compiler" >&2
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >/dev/null && $sudo_cmd apt-get install -y -qq protobuf-compiler >/dev/null
fi

src="$tools/grpc-swift-protobuf-$plugin_tag"
if [ ! -d "$src" ]; then
    mkdir -p "$tools"
    git -c advice.detachedHead=false clone -q --branch "$plugin_tag" "$plugin_repo" "$src"
fi
bin="$src/.build/release"
if [ ! -x "$bin/protoc-gen-swift" ] || [ ! -x "$bin/protoc-gen-grpc-swift-2" ]; then
    echo "generate: building protoc plugins (about a minute)" >&2
    (cd "$src" && swift build -c release --product protoc-gen-grpc-swift-2 >/dev/null &&
        swift build -c release --product protoc-gen-swift >/dev/null)
fi
wkt="$src/.build/checkouts/swift-protobuf/Protos/Sources/SwiftProtobuf"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/InboxAPI"

cd "$root/Protos"
protos=$(find inbox grpc google -name '*.proto' | LC_ALL=C sort)
# shellcheck disable=SC2086
protoc --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
    -I . -I "$wkt" \
    --swift_out="$out/InboxAPI" --swift_opt=Visibility=Public,FileNaming=PathToUnderscores \
    --grpc-swift-2_out="$out/InboxAPI" \
    --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true,FileNaming=PathToUnderscores \
    $protos
# shellcheck disable=SC2086
protoc -I . -I "$wkt" --include_imports --include_source_info \
    --descriptor_set_out="$out/inbox.v1.desc" $protos

if [ "$mode" = check ]; then
    status=0
    diff -r "$out/InboxAPI" "$root/Shared/InboxAPI" >/dev/null || status=1
    cmp -s "$out/inbox.v1.desc" "$root/Protos/inbox.v1.desc" || status=1
    if [ $status -ne 0 ]; then
        echo "generate: Shared/InboxAPI or Protos/inbox.v1.desc is stale; run Protos/generate.sh and commit" >&2
        diff -r "$out/InboxAPI" "$root/Shared/InboxAPI" | head -20 >&2 || true
        exit 1
    fi
    echo "generate: generated code is current"
else
    rm -rf "$root/Shared/InboxAPI"
    mkdir -p "$root/Shared"
    cp -r "$out/InboxAPI" "$root/Shared/InboxAPI"
    cp "$out/inbox.v1.desc" "$root/Protos/inbox.v1.desc"
    echo "generate: wrote Shared/InboxAPI ($(ls "$root/Shared/InboxAPI" | wc -l) files) and Protos/inbox.v1.desc"
fi
