# shellcheck shell=bash
# Shared by tools/demo, tools/test and tools/bench: find Python >= 3.12, build the project venv,
# make the collection importable, and start the local NetBox test bed.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${SOT_OUT:-$REPO/out}"
VENV="${SOT_VENV:-$REPO/.venv}"
COLLECTIONS="$OUT/collections"

log() { printf '\033[1m[sot.netbox]\033[0m %s\n' "$*" >&2; }

find_python312() {
  local c
  for c in "${SOT_PYTHON:-}" python3.12 python3.13 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
           "$HOME"/.pyenv/versions/3.13*/bin/python3 python3; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c" 2>/dev/null || echo "$c"; return 0
    fi
  done
  echo "no Python >= 3.12 found; install one or set SOT_PYTHON" >&2; return 1
}

ensure_venv() {
  local want have
  want="$(sha256sum "$REPO/tools/requirements-dev.txt" | cut -c1-16)"
  have="$(cat "$VENV/.sot-reqs" 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    log "building the project venv in $VENV (once)"
    rm -rf "$VENV"
    "$(find_python312)" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip 2>&1 | grep -v 'is ignored' || true
    "$VENV/bin/pip" install -q -r "$REPO/tools/requirements-dev.txt" -r "$REPO/requirements.txt" 2>&1 \
      | grep -v 'is ignored' || true
    "$VENV/bin/python" -c 'import ansible, requests, openpyxl, pytest, hypothesis, redis, pynetbox' \
      || { echo "venv install failed" >&2; return 1; }
    echo "$want" > "$VENV/.sot-reqs"
  fi
  export PATH="$VENV/bin:$PATH"
  export VIRTUAL_ENV="$VENV"
}

# ANSIBLE_COLLECTIONS_PATH with sot.netbox pointing at this checkout (a symlink is fine for ansible
# itself; ansible-test needs a physical copy, see tools/test).
ensure_collection_path() {
  mkdir -p "$COLLECTIONS/ansible_collections/sot"
  ln -sfn "$REPO" "$COLLECTIONS/ansible_collections/sot/netbox"
  export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
  export PYTHONPATH="$COLLECTIONS${PYTHONPATH:+:$PYTHONPATH}"
}

# Start (or reuse) the local NetBox and export NETBOX_URL / NETBOX_TOKEN and the test-bed tokens.
# SOT_TESTBED_FRESH=1 (CI) restores the freshly seeded database once per run, so leftovers of
# earlier runs on the same machine cannot leak into the tests.
start_testbed() {
  local dataset="${1:-sample}"
  local lines
  # A failure inside "$(...)" would not stop `eval`: take the output first, then check its shape, so
  # only `export NAME=value` lines are ever evaluated.
  lines="$(python3 "$REPO/tools/testbed.py" start --dataset "$dataset")" || { log "the test bed did not start"; return 1; }
  if grep -qvE '^export [A-Z_][A-Z0-9_]*=[^;&|`$()<> ]*$' <<<"$lines"; then
    log "testbed.py printed something other than export lines; not evaluating it:"; printf '%s\n' "$lines" >&2
    return 1
  fi
  eval "$lines"
  if [ "${SOT_TESTBED_FRESH:-}" = 1 ] && [ -z "${_SOT_FRESHENED:-}" ]; then
    python3 "$REPO/tools/testbed.py" reset --dataset "$dataset"
    export _SOT_FRESHENED=1
  fi
}
