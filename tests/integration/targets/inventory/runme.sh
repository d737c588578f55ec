#!/usr/bin/env bash
# sot.netbox.inventory against the real NetBox: ansible-inventory --list compared with expected output; tokens,
# env fallbacks, errors, extras, Constructable and the cache. The comparison with netbox.netbox.nb_inventory
# (same hosts, same group memberships) is tests/integration/pytest/test_inventory_nb_parity.py: it needs the
# project venv, where netbox.netbox is installed, which ansible-test's environment does not see.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
CONFIG="${SOT_INTEGRATION_CONFIG:-$HERE/../../integration_config.yml}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sot-inventory-it.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export ANSIBLE_INVENTORY_UNPARSED_FAILED=true ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_DEPRECATION_WARNINGS=false
cd "$HERE"
python make_sources.py "$CONFIG" "$WORK" >/dev/null
list() {  # list NAME SOURCE: ansible-inventory --list into $WORK/NAME.json
  ansible-inventory -i "$WORK/$2" --list > "$WORK/$1.json" 2> "$WORK/$1.err" || { cat "$WORK/$1.err"; return 1; }
}

# Same hosts and memberships of two runs. Other tests change NetBox meanwhile (they create and delete their own
# objects), so a comparison of two runs is retried a few times before it counts as a difference.
same() {  # same A SOURCE_A B SOURCE_B [VARS]
  for attempt in 1 2 3 4 5; do
    list "$1" "$2"
    list "$3" "$4"
    if python compare_inventories.py "$WORK/$1.json" "$WORK/$3.json" --vars "${5:-}"; then return 0; fi
    sleep "$attempt"
  done
  echo "FAILED: $1 differs from $3"
  return 1
}

list ours-full full.sot_netbox.yml
python check_expected.py full "$WORK/ours-full.json"

# v2 and read-only tokens, api_endpoint alias, env fallbacks: same result as the v1 write token.
same v2 v2.sot_netbox.yml v1 full.sot_netbox.yml >/dev/null
same readonly readonly.sot_netbox.yml v1 full.sot_netbox.yml >/dev/null
NETBOX_API="$(python -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["netbox_url"])' "$CONFIG")" \
NETBOX_TOKEN="$(python -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["netbox_token_v2"])' "$CONFIG")" \
  same env env.sot_netbox.yml v1 full.sot_netbox.yml >/dev/null
echo "ok: v2 token, read-only token, api_endpoint alias and NETBOX_API/NETBOX_TOKEN"

# A rejected token fails the source with a clear message that does not contain the token.
if ansible-inventory -i "$WORK/badtoken.sot_netbox.yml" --list > /dev/null 2> "$WORK/bad.err"; then
  echo "FAILED: a bad token did not fail"; exit 1
fi
grep -q "rejected the token" "$WORK/bad.err" || { cat "$WORK/bad.err"; exit 1; }
if grep -q ffffffffffffffffffffffffffffffffffffffff "$WORK/bad.err"; then echo "FAILED: token in error"; exit 1; fi
echo "ok: bad token"

# Any .yml/.yaml file whose plugin line names ours (nb.yml, as nb_inventory files are often called), with
# nb_inventory's default host vars; the prefixed reserved names as an option.
list defaults nb.yml
python check_expected.py defaults "$WORK/defaults.json"
list prefixed prefixed.yaml
python check_expected.py prefixed "$WORK/prefixed.json"

# Extras and Constructable.
list extras extras.sot_netbox.yml
python check_expected.py extras "$WORK/extras.json"

# One cache entry. With delta_sync (the default) the second run asks the change log once and serves the entry
# when nothing relevant changed; with delta_sync: false it reads nothing at all (TTL only, as nb_inventory).
SOT_NETBOX_INVENTORY_METRICS="$WORK/m1.json" list cached1 cached.sot_netbox.yml
SOT_NETBOX_INVENTORY_METRICS="$WORK/m2.json" list cached2 cached.sot_netbox.yml
SOT_NETBOX_INVENTORY_METRICS="$WORK/m3.json" list ttl1 ttl.sot_netbox.yml
SOT_NETBOX_INVENTORY_METRICS="$WORK/m4.json" list ttl2 ttl.sot_netbox.yml
python - "$WORK" <<'PY'
import json, os, sys
work = sys.argv[1]
m1, m2, m3, m4 = (json.load(open(os.path.join(work, f"m{i}.json"))) for i in range(1, 5))
assert m1["requests"] >= 2 and m1["sync"] == "full", m1
# other targets may change NetBox between the two runs: then a delta or a full read is right too
assert m2["sync"] in ("unchanged", "delta", "full"), m2
if m2["sync"] == "unchanged":
    assert m2["requests"] == 1, m2
    assert json.load(open(os.path.join(work, "cached1.json"))) == json.load(open(os.path.join(work, "cached2.json")))
assert m4 == {"requests": 0, "source": "cache", "sync": "cached"}, m4
files = os.listdir(os.path.join(work, "cache"))
assert len(files) == 2, files
print(f"ok: {m1['requests']} requests on the first run, then sync {m2['sync']} with {m2['requests']}; "
      "delta_sync: false serves the entry with 0")
PY
echo "inventory target passed"
