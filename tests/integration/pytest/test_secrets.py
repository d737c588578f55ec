# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token never appears in module results, warnings, errors, diffs, -vvvv output, the cache, the
metrics file or the exported files, after runs that succeed and runs that fail, for v1 and v2 tokens."""
from __future__ import annotations

import os
import pathlib
import subprocess

import pytest
import yaml

URL = os.environ["NETBOX_URL"]
TOKENS = {"v1": os.environ["NETBOX_TOKEN"], "v2": os.environ["SOT_TESTBED_TOKEN_V2"]}
WRONG = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"


def playbook(out):
    """Every module, in runs that succeed and runs that fail, with check and diff mode on some."""
    tasks = [
        {"name": "Export succeeds",
         "sot.netbox.netbox_export": {"dest": str(out / "export"), "metrics_path": str(out / "metrics.prom")},
         "diff": True},
        {"name": "Export fails on an unwritable dest", "sot.netbox.netbox_export": {"dest": "/proc/sot-no"},
         "ignore_errors": True},
        {"name": "Export fails on an unknown filter", "sot.netbox.netbox_export": {
            "dest": str(out / "export2"), "filters": {"no_such_filter": "x"}}, "ignore_errors": True},
        {"name": "Segment check mode with diff", "sot.netbox.netbox_segment": {
            "prefix": "10.250.0.0/24", "vrf": "prod", "site_group": "dc-east", "state": "present"},
         "check_mode": True, "diff": True, "ignore_errors": True},
        {"name": "Segment fails on an unknown VRF", "sot.netbox.netbox_segment": {
            "prefix": "10.250.1.0/24", "vrf": "no-such-vrf", "site_group": "dc-east"}, "ignore_errors": True},
        {"name": "Plan validates", "sot.netbox.netbox_plan_generate": {
            "plan": yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples/plans/small.yml").read_text()),
            "state": "validated"}, "diff": True, "ignore_errors": True},
        {"name": "Plan fails validation", "sot.netbox.netbox_plan_generate": {
            "plan": {"name": "bad", "site": "nowhere"}, "state": "validated"}, "ignore_errors": True},
        {"name": "Wrong token fails", "sot.netbox.netbox_export": {"dest": str(out / "export3"), "token": WRONG},
         "ignore_errors": True},
    ]
    return [{"name": "Secrets", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def files_text(root):
    chunks = []
    for path in pathlib.Path(root).rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_token_never_leaks(tmp_path, kind):
    token = TOKENS[kind]
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook(out), sort_keys=False))
    (tmp_path / "inv.netbox.yml").write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory"}))
    env = {**os.environ, "NETBOX_URL": URL, "NETBOX_TOKEN": token,
           "SOT_NETBOX_CACHE_PATH": str(tmp_path / "cache" / "c.sqlite"), "ANSIBLE_LOCALHOST_WARNING": "false",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1"}
    play = subprocess.run(["ansible-playbook", "-vvvv", str(tmp_path / "play.yml")], capture_output=True, text=True,
                          env=env, check=False, timeout=600)
    inv = subprocess.run(["ansible-inventory", "-vvvv", "--list", "-i", str(tmp_path / "inv.netbox.yml")],
                         capture_output=True, text=True, env=env, check=False, timeout=300)
    bad_inv = subprocess.run(["ansible-inventory", "-vvvv", "--list", "-i", str(tmp_path / "inv.netbox.yml")],
                             capture_output=True, text=True, env={**env, "NETBOX_TOKEN": WRONG}, check=False,
                             timeout=300)
    assert play.returncode == 0, play.stdout[-3000:] + play.stderr[-3000:]
    # Each failing task failed for the reason it was written for (so the grep covers real error paths).
    for expected in ("rejected the token", "/proc/sot-no", "no_such_filter", "no-such-vrf", "validation error"):
        assert expected in play.stdout, expected
    assert inv.returncode == 0 and "ams1-leaf1" in inv.stdout
    haystacks = {
        "playbook output": play.stdout + play.stderr,
        "inventory output": inv.stdout + inv.stderr + bad_inv.stdout + bad_inv.stderr,
        "cache": files_text(tmp_path / "cache"),
        "exports and metrics": files_text(out),
    }
    assert haystacks["cache"] and haystacks["exports and metrics"]
    for where, text in haystacks.items():
        for secret in (token, WRONG):
            assert secret not in text, f"token found in {where}"
        if kind == "v2":
            assert token.split(".", 1)[1] not in text, f"v2 secret part found in {where}"


# ------------------------------------------------------------------ a server that echoes the request headers

def forms(token):
    """Every spelling of the token a leak could take."""
    from urllib.parse import quote, quote_plus
    parts = [token] + ([token.split(".", 1)[1]] if token.startswith("nbt_") and "." in token else [])
    out = set()
    for part in parts:
        out.update({part, quote(part, safe=""), quote_plus(part)})
    return {f for f in out if len(f) >= 8}


def echo_playbook(out):
    tasks = [
        {"name": "Export through an echoing proxy", "sot.netbox.netbox_export": {"dest": str(out / "export")},
         "ignore_errors": True},
        {"name": "Segment through an echoing proxy", "sot.netbox.netbox_segment": {
            "prefix": "10.250.0.0/24", "vrf": "prod", "site_group": "dc-east"}, "ignore_errors": True},
        {"name": "Plan through an echoing proxy", "sot.netbox.netbox_plan_generate": {
            "plan": yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples/plans/small.yml").read_text()),
            "state": "validated"}, "ignore_errors": True},
    ]
    return [{"name": "Echo", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


V1_STRAY = os.environ["NETBOX_TOKEN"] + "%"  # printable, so sent: NetBox refuses it
V2_STRAY = os.environ["SOT_TESTBED_TOKEN_V2"].replace(".", ".!", 1)
MALFORMED = {"v1-newline": os.environ["NETBOX_TOKEN"][:20] + "\n" + os.environ["NETBOX_TOKEN"][20:],
             "v2-space": os.environ["SOT_TESTBED_TOKEN_V2"].replace(".", ". ", 1),
             "v2-no-secret": "nbt_" + os.environ["SOT_TESTBED_TOKEN_V2"].split(".", 1)[1]}


@pytest.mark.parametrize("token", [TOKENS["v1"], TOKENS["v2"], V1_STRAY, V2_STRAY, *MALFORMED.values()],
                         ids=["v1", "v2", "v1-stray", "v2-stray", *MALFORMED])
@pytest.mark.parametrize("echo_status", [500, 401])
def test_token_never_leaks_through_a_server_that_echoes_headers(tmp_path, token, echo_status):
    from faultproxy import FaultProxy  # pylint: disable=import-error
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "play.yml").write_text(yaml.safe_dump(echo_playbook(out), sort_keys=False))
    with FaultProxy(URL) as proxy:
        proxy.add("echo", status=echo_status, times=10_000)
        (tmp_path / "inv.netbox.yml").write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "url": proxy.url}))
        env = {**os.environ, "NETBOX_URL": proxy.url, "NETBOX_TOKEN": token,
               "SOT_NETBOX_CACHE_PATH": str(tmp_path / "cache" / "c.sqlite"), "ANSIBLE_LOCALHOST_WARNING": "false",
               "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1"}
        play = subprocess.run(["ansible-playbook", "-vvvv", str(tmp_path / "play.yml")], capture_output=True,
                              text=True, env=env, check=False, timeout=600)
        inv = subprocess.run(["ansible-inventory", "-vvvv", "--list", "-i", str(tmp_path / "inv.netbox.yml")],
                             capture_output=True, text=True, env=env, check=False, timeout=300)
        echoed = proxy.count(outcome="echo")
    assert play.returncode == 0, play.stdout[-3000:]
    assert "failed=0" in play.stdout and "ignored=3" in play.stdout, play.stdout[-3000:]
    well_formed = token not in MALFORMED.values()
    assert (echoed > 0) == well_formed  # a malformed token is refused before any request
    haystacks = {"playbook output": play.stdout + play.stderr, "inventory output": inv.stdout + inv.stderr,
                 "cache": files_text(tmp_path / "cache") if (tmp_path / "cache").exists() else "",
                 "files": files_text(out)}
    for where, text in haystacks.items():
        for form in forms(token.strip()) | forms(token.replace("\n", "")):
            assert form not in text, f"token form found in {where}"
    if well_formed:
        assert "Bad gateway while forwarding" in play.stdout or "HTTP 401" in play.stdout  # the echo did reach the user
