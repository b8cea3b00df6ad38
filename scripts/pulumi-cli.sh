#!/usr/bin/env bash
# Builds the Pulumi CLI from the Go module proxy into .tools/pulumi/bin/pulumi (git-ignored).
# Idempotent: when that binary exists and reports the wanted version it exits at once.
#
#   PULUMI_CLI_VERSION  the github.com/pulumi/pulumi/pkg/v3 version to build (default below)
#
# Why v3.250.0 and not the npm SDK's 3.270.0: the module proxy reachable here refuses
# pkg/v3@v3.270.0 (403 "This module version is not available", like most nearby versions);
# v3.250.0 is the closest one it serves whole. A CLI a little older than the SDK is fine for the
# Automation API (its minimum is v3.2.0; --client for inline programs needs >= v3.181.0).
#
# Only the CLI is built. The Node language host (pulumi-language-nodejs) lives in its own module,
# github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, which upstream never tags and
# the proxy does not serve. Inline Automation API programs do not need it (the CLI talks to the
# language server inside the Node process through --client); `up`/`preview` of an on-disk
# Node project do need it, while `stack select`, `stack output`, `outputs()` do not.
#
# A cold build takes ~11 min on one core (~1.8 GB peak RSS) and adds ~1.7 GB to GOMODCACHE and
# ~1.6 GB to GOCACHE; the binary is ~110 MB.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VERSION="${PULUMI_CLI_VERSION:-v3.250.0}"
# pkg/go.mod's own replace directives, minus the one pointing at ../sdk (we use the sdk module).
CLIPBOARD_REPLACE="github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"

DIR="$ROOT/.tools/pulumi"
BIN="$DIR/bin"
SRC="$DIR/src"
LOG="$DIR/build.log"

fail() { echo "pulumi-cli: $*" >&2; exit 1; }

if [ -x "$BIN/pulumi" ] && [ "$("$BIN/pulumi" version 2>/dev/null || true)" = "$VERSION" ]; then
  exit 0
fi

command -v go >/dev/null || fail "no 'go' on PATH (Go >= 1.25 is needed to build the Pulumi CLI $VERSION)"

start=$(date +%s)
mkdir -p "$BIN" "$SRC"
echo "pulumi-cli: building Pulumi CLI $VERSION into .tools/pulumi/bin (log: .tools/pulumi/build.log; ~11 min cold)" >&2

cat >"$SRC/go.mod" <<EOF
module local/pulumi-cli-build

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 $VERSION
	github.com/pulumi/pulumi/sdk/v3 $VERSION
)

replace $CLIPBOARD_REPLACE

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
EOF
rm -f "$SRC/go.sum"

# On failure: one line naming the module the proxy would not serve, else the first error line.
explain_failure() {
  local step="$1" missing first
  missing="$(grep -m1 -E '40[34] |not available|unknown revision|no matching versions|invalid version' "$LOG" \
    | grep -oE '[A-Za-z0-9._~/-]+@v[0-9][^ :]*' | head -n1 || true)"
  if [ -n "$missing" ]; then
    fail "the Go module proxy ($(go env GOPROXY)) cannot serve $missing ($step failed; see .tools/pulumi/build.log)"
  fi
  first="$(grep -m1 -iE 'error|cannot|fail' "$LOG" || tail -n1 "$LOG")"
  fail "$step failed: $first (see .tools/pulumi/build.log)"
}

(cd "$SRC" && nice -n 19 go mod tidy) >"$LOG" 2>&1 || explain_failure "go mod tidy"

(cd "$SRC" && nice -n 19 go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
  -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >>"$LOG" 2>&1 || explain_failure "go build"
mv -f "$BIN/pulumi.tmp" "$BIN/pulumi"

got="$("$BIN/pulumi" version 2>/dev/null || true)"
[ "$got" = "$VERSION" ] || fail "built $BIN/pulumi but it reports version '$got', not $VERSION"

echo "pulumi-cli: built Pulumi CLI $VERSION in $(($(date +%s) - start)) s: $BIN/pulumi" >&2
