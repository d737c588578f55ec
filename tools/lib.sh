# shellcheck shell=bash
# Shared by tools/demo, tools/test and tools/bench: find Python >= 3.12, build the project venv (and
# the compatibility venvs of tools/test), make the collection importable, start the local NetBox.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${SOT_OUT:-$REPO/out}"
VENV="${SOT_VENV:-$REPO/.venv}"
COLLECTIONS="$OUT/collections"

log() { printf '\033[1m[sot.netbox]\033[0m %s\n' "$*" >&2; }

# The interpreter for a venv: the newest Python >= 3.12 for the project venv (the newest pair of
# the support matrix runs there), or exactly X.Y for a compatibility venv.
find_python312() {
  if [ -n "${SOT_PYTHON:-}" ] && "$SOT_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    command -v "$SOT_PYTHON" 2>/dev/null || echo "$SOT_PYTHON"; return 0
  fi
  find_python 3.13 2>/dev/null || find_python 3.12 2>/dev/null \
    || { echo "no Python >= 3.12 found; install one or set SOT_PYTHON" >&2; return 1; }
}

find_python() {  # find_python X.Y: prints a python X.Y executable
  local want="$1" c
  for c in "python$want" "$HOME"/.pyenv/versions/"$want".*/bin/python3; do
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    if [ "$("$c" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$want" ]; then
      command -v "$c" 2>/dev/null || echo "$c"; return 0
    fi
  done
  echo "no Python $want found: install it (e.g. pyenv install $want)" >&2; return 1
}

# build_venv DIR PYTHON REQUIREMENTS...: (re)build DIR when the requirement files or the Python
# version changed since it was built (their hash is kept in DIR/.sot-reqs).
build_venv() {
  local dir="$1" py="$2" want have
  shift 2
  want="$({ "$py" -c 'import sys; print(sys.version)'; cat "$@"; } | sha256sum | cut -c1-16)"
  have="$(cat "$dir/.sot-reqs" 2>/dev/null || true)"
  [ "$want" != "$have" ] || return 0
  log "building the venv $dir with $("$py" -c 'import sys; print("Python %d.%d" % sys.version_info[:2])') (once)"
  rm -rf "$dir"
  "$py" -m venv "$dir"
  local args=() f
  for f in "$@"; do args+=(-r "$f"); done
  "$dir/bin/pip" install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v 'is ignored' >&2 || true
  "$dir/bin/pip" install -q --disable-pip-version-check "${args[@]}" 2>&1 | grep -v 'is ignored' >&2 || true
  "$dir/bin/python" -c 'import ansible, requests, openpyxl, pytest, hypothesis, redis' \
    || { log "installing the requirements into $dir failed"; return 1; }
  echo "$want" > "$dir/.sot-reqs"
}

ensure_venv() {
  local py
  py="$(find_python312)" || return 1
  build_venv "$VENV" "$py" "$REPO/tools/requirements-dev.txt" "$REPO/requirements.txt" || return 1
  "$VENV/bin/python" -c 'import pynetbox' || { log "venv install failed"; return 1; }
  export PATH="$VENV/bin:$PATH"
  export VIRTUAL_ENV="$VENV"
}

# The oldest supported pair of the matrix (tools/requirements-compat-<ansible-core>.txt names the
# Python on its first line: "# python X.Y"). Used in a subshell: it puts the venv first on PATH.
# Under out/ (ignored by git and by the collection build, like .venv/).
compat_venv_dir() { echo "$OUT/venvs/ansible-core-$1"; }

ensure_compat_venv() {  # ensure_compat_venv 2.16
  local reqs="$REPO/tools/requirements-compat-$1.txt" pyver py dir
  dir="$(compat_venv_dir "$1")"
  pyver="$(sed -n '1s/^# python \([0-9.]*\).*/\1/p' "$reqs")"
  [ -n "$pyver" ] || { log "$reqs must start with '# python X.Y'"; return 1; }
  py="$(find_python "$pyver")" || return 1
  build_venv "$dir" "$py" "$reqs" "$REPO/requirements.txt" || return 1
  export PATH="$dir/bin:$PATH"
  export VIRTUAL_ENV="$dir"
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
  lines="$(python3 "$REPO/tools/testbed.py" start --dataset "$dataset")" \
    || { log "the local NetBox test bed did not start (the lines above say why); nothing was run against it"; return 1; }
  if grep -qvE '^export [A-Z_][A-Z0-9_]*=[^;&|`$()<> ]*$' <<<"$lines"; then
    log "testbed.py printed something other than export lines; not evaluating it:"; printf '%s\n' "$lines" >&2
    return 1
  fi
  eval "$lines"
  if [ "${SOT_TESTBED_FRESH:-}" = 1 ] && [ -z "${_SOT_FRESHENED:-}" ]; then
    python3 "$REPO/tools/testbed.py" reset --dataset "$dataset" \
      || { log "the local NetBox test bed could not be reset to its seeded data"; return 1; }
    export _SOT_FRESHENED=1
  fi
}
