#!/usr/bin/env bash
# Start the real OpenCode server (npm `opencode-ai`, pinned 1.18.33) fully offline and isolated,
# as the reference side for test/compat/compare.ts.
#
#   test/compat/start-opencode.sh [--install-dir DIR] [--root DIR] [--port N] [--foreground]
#   test/compat/start-opencode.sh --stop [--root DIR]      # SIGTERM the pid in DIR/opencode.pid (KILL after 10 s)
#
#   --install-dir  where `npm install opencode-ai@1.18.33` goes (default /tmp/oc); installed only if
#                  missing or of another version. Never inside the repo (package.json stays untouched).
#   --root         scratch root (default /tmp/oc-compat): HOME, XDG_{CONFIG,DATA,CACHE,STATE}_HOME, a git
#                  repo (the server's cwd) and server.log / opencode.pid live here. Reused if it exists.
#   --port         listen port on 127.0.0.1 (default 4097)
#   --foreground   exec the server instead of backgrounding it
#
# What it takes to run OpenCode 1.18.33 offline (found by probing; see also compare.ts header):
#   * Nothing mandatory: `opencode serve` starts and answers the whole session API with no network. It
#     falls back to the model catalogue bundled in the binary. A custom provider in opencode.json is
#     NOT needed: `POST /session/:id/message` with `noReply: true` accepts any {providerID, modelID}
#     (e.g. fakeprov/fakemodel) without validating it; `prompt_async` with an unknown model answers 204
#     and fails later in the background (session.error event, status back to idle).
#   * Without flags it does try to reach the internet: it fetches https://models.opencode.ai/api.json
#     (logs "Failed to fetch models.dev" twice) and the share subscriber logs ProviderModelNotFoundError.
#     These env vars silence all outbound attempts we observed:
#       OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_SHARE=1
#       OPENCODE_DISABLE_LSP_DOWNLOAD=1 OPENCODE_DISABLE_DEFAULT_PLUGINS=1 OPENCODE_DISABLE_CLAUDE_CODE=1
#       npm_config_registry=http://127.0.0.1:1/   (see the plugin install below)
#     plus `--pure` (no external plugins).
#   * Isolation: HOME and XDG_* point at temp dirs (config is read from $XDG_CONFIG_HOME/opencode/,
#     the SQLite DB goes under $XDG_DATA_HOME/opencode/), and `env -i` drops the caller's environment
#     (so no API keys / OPENCODE_* leak in).
#   * The server's cwd should be a git repo with a commit (projectID = root commit hash); compare.ts
#     passes its own per-run directories via ?directory= / x-opencode-directory anyway.
#   * On first use OpenCode writes .gitignore/opencode.jsonc into $XDG_CONFIG_HOME/opencode/ and runs a
#     detached background `npm install @opencode-ai/plugin@1.18.33` there (no OPENCODE_* flag disables
#     it). We point it at a dead registry (npm_config_registry=http://127.0.0.1:1/): the install then
#     fails silently, nothing is downloaded, and the API behaves the same (self-compare: 0 differences
#     with and without it). SIGTERM can take a few seconds (--stop KILLs after 10 s).
#   * The npm package's bin/opencode.exe is filled by a postinstall script (npm 11 may skip it and warn
#     about allowScripts); we therefore run the platform package's binary directly when it exists.
set -euo pipefail

VERSION=1.18.33
INSTALL_DIR=/tmp/oc
ROOT=/tmp/oc-compat
PORT=4097
FOREGROUND=0
STOP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --install-dir) INSTALL_DIR=$2; shift 2 ;;
    --root) ROOT=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --foreground) FOREGROUND=1; shift ;;
    --stop) STOP=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ "$STOP" = 1 ]; then
  PID=$(cat "$ROOT/opencode.pid" 2>/dev/null || true)
  if [ -z "$PID" ] || ! kill -0 "$PID" 2>/dev/null; then echo "no running opencode recorded in $ROOT/opencode.pid" >&2; exit 1; fi
  kill -TERM "$PID"
  for _ in $(seq 1 20); do kill -0 "$PID" 2>/dev/null || { echo "stopped pid $PID"; rm -f "$ROOT/opencode.pid"; exit 0; }; sleep 0.5; done
  kill -KILL "$PID"; rm -f "$ROOT/opencode.pid"; echo "killed pid $PID (did not stop on SIGTERM within 10 s)"; exit 0
fi

find_bin() {
  local arch
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  for p in "opencode-linux-$arch" "opencode-linux-$arch-baseline" "opencode-linux-$arch-musl" "opencode-darwin-$arch"; do
    if [ -x "$INSTALL_DIR/node_modules/$p/bin/opencode" ]; then echo "$INSTALL_DIR/node_modules/$p/bin/opencode"; return; fi
  done
  if [ -x "$INSTALL_DIR/node_modules/.bin/opencode" ]; then echo "$INSTALL_DIR/node_modules/.bin/opencode"; fi
}

BIN=$(find_bin || true)
if [ -z "$BIN" ] || [ "$("$BIN" --version 2>/dev/null || true)" != "$VERSION" ]; then
  echo "installing opencode-ai@$VERSION into $INSTALL_DIR" >&2
  mkdir -p "$INSTALL_DIR"
  [ -f "$INSTALL_DIR/package.json" ] || echo '{"name":"oc-compat","private":true}' > "$INSTALL_DIR/package.json"
  (cd "$INSTALL_DIR" && npm install --no-audit --no-fund --save-exact "opencode-ai@$VERSION" >&2)
  BIN=$(find_bin || true)
fi
if [ -z "$BIN" ]; then echo "opencode binary not found under $INSTALL_DIR" >&2; exit 1; fi
echo "binary: $BIN ($("$BIN" --version))" >&2

mkdir -p "$ROOT"/{home,config,data,cache,state}
REPO="$ROOT/repo"
if [ ! -d "$REPO/.git" ]; then
  mkdir -p "$REPO"
  git -C "$REPO" init -q
  echo "compat probe repo" > "$REPO/README.md"
  git -C "$REPO" add README.md
  git -C "$REPO" -c user.email=compat@example.invalid -c user.name=compat commit -qm "init $(date +%s%N)"
fi

if curl -s -m 2 "http://127.0.0.1:$PORT/global/health" >/dev/null 2>&1; then
  echo "something already answers on 127.0.0.1:$PORT" >&2; exit 1
fi

ENVV=(env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=$ROOT/home"
  "XDG_CONFIG_HOME=$ROOT/config" "XDG_DATA_HOME=$ROOT/data" "XDG_CACHE_HOME=$ROOT/cache" "XDG_STATE_HOME=$ROOT/state"
  OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_SHARE=1
  OPENCODE_DISABLE_LSP_DOWNLOAD=1 OPENCODE_DISABLE_DEFAULT_PLUGINS=1 OPENCODE_DISABLE_CLAUDE_CODE=1
  npm_config_registry=http://127.0.0.1:1/)
CMD=("$BIN" serve --pure --port "$PORT" --hostname 127.0.0.1 --print-logs --log-level INFO)

cd "$REPO"
if [ "$FOREGROUND" = 1 ]; then exec "${ENVV[@]}" "${CMD[@]}"; fi
nohup "${ENVV[@]}" "${CMD[@]}" >"$ROOT/server.log" 2>&1 </dev/null &
PID=$!
echo "$PID" > "$ROOT/opencode.pid"
for _ in $(seq 1 60); do
  if curl -s -m 2 "http://127.0.0.1:$PORT/global/health" >/dev/null 2>&1; then
    echo "opencode $VERSION listening on http://127.0.0.1:$PORT  pid=$PID  cwd=$REPO  log=$ROOT/server.log"
    exit 0
  fi
  if ! kill -0 "$PID" 2>/dev/null; then echo "opencode exited; see $ROOT/server.log" >&2; tail -20 "$ROOT/server.log" >&2; exit 1; fi
  sleep 0.5
done
echo "opencode did not answer within 30 s; see $ROOT/server.log" >&2
exit 1
