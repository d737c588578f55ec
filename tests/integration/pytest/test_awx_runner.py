# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection run the way AWX/AAP runs it: ansible-runner with a private data dir
(project/, inventory/, env/extravars, env/envvars holding the credential type's injected variables),
against the real local NetBox, asserting the job's status and events."""
from __future__ import annotations

import json
import os
import pathlib
import sys
import uuid

import ansible_runner
import pytest
import yaml

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]
COLLECTIONS = os.environ["ANSIBLE_COLLECTIONS_PATH"]


def private_data_dir(tmp_path, project=None, inventory=None, extravars=None):
    """The layout AWX hands to ansible-runner inside the execution environment."""
    root = tmp_path / "pdd"
    for sub in ("project", "inventory", "env"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name, plays in (project or {}).items():
        (root / "project" / name).write_text(yaml.safe_dump(plays, sort_keys=False))
    for name, content in (inventory or {}).items():
        (root / "inventory" / name).write_text(yaml.safe_dump(content, sort_keys=False))
    # What the sot.netbox credential type injects (awx/credential_type.yml), plus the EE's settings.
    envvars = {"NETBOX_URL": URL, "NETBOX_TOKEN": TOKEN, "NETBOX_VALIDATE_CERTS": "True",
               "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
               "SOT_NETBOX_CACHE_PATH": str(tmp_path / "cache" / "http-cache.sqlite")}
    (root / "env" / "envvars").write_text(json.dumps(envvars))
    (root / "env" / "extravars").write_text(json.dumps(extravars or {}))
    return root


def events_of(result, name):
    return [e for e in result.events if e.get("event") == name]


def test_awx_credential_type_injects_what_the_collection_reads():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "awx", "credential_type.yml"),
              encoding="utf-8") as fh:
        cred = yaml.safe_load(fh)
    assert set(cred["injectors"]["env"]) == {"NETBOX_URL", "NETBOX_TOKEN", "NETBOX_VALIDATE_CERTS"}
    assert [f for f in cred["inputs"]["fields"] if f["id"] == "token"][0]["secret"] is True


def test_inventory_source_sourced_from_a_project(tmp_path):
    # AWX "Sourced from a Project": a file in the project, read by ansible-inventory in the EE.
    source = {"plugin": "sot.netbox.inventory", "group_by": ["sites", "device_roles"]}
    pdd = private_data_dir(tmp_path, inventory={"sot_netbox.yml": source})
    out, err = ansible_runner.interface.get_inventory(
        action="list", inventories=[str(pdd / "inventory" / "sot_netbox.yml")], response_format="json",
        envvars=json.loads((pdd / "env" / "envvars").read_text()), quiet=True)
    assert not err or "WARNING" in err.upper() or err.strip() == "", err
    hosts = out["_meta"]["hostvars"]
    assert "ams1-leaf1" in hosts and "app01" in hosts
    assert "ams1-leaf1" in out["sites_ams1"]["hosts"]


def test_job_with_the_dynamic_inventory(tmp_path):
    play = [{"name": "Reach every NetBox host", "hosts": "all", "gather_facts": False,
             "tasks": [{"name": "Show the address", "ansible.builtin.debug": {"var": "ansible_host"}}]}]
    pdd = private_data_dir(tmp_path, project={"hosts.yml": play},
                           inventory={"netbox.yml": {"plugin": "sot.netbox.inventory"}})
    result = ansible_runner.run(private_data_dir=str(pdd), playbook="hosts.yml", quiet=True,
                                ident=uuid.uuid4().hex)
    assert result.status == "successful", result.stdout.read()
    ok_hosts = {e["event_data"]["host"] for e in events_of(result, "runner_on_ok")}
    assert {"ams1-leaf1", "app01", "lab-vm02"} <= ok_hosts


@pytest.mark.parametrize("bad_token", ["f" * 40])
def test_a_bad_credential_fails_the_inventory_clearly(tmp_path, bad_token):
    pdd = private_data_dir(tmp_path, inventory={"netbox.yml": {"plugin": "sot.netbox.inventory"}})
    envvars = {**json.loads((pdd / "env" / "envvars").read_text()), "NETBOX_TOKEN": bad_token}
    out, err = ansible_runner.interface.get_inventory(
        action="list", inventories=[str(pdd / "inventory" / "netbox.yml")], response_format="json",
        envvars=envvars, quiet=True)
    assert "rejected the token" in (err or "") + json.dumps(out or {})
    assert bad_token not in (err or "") + json.dumps(out or {})


def run_job(tmp_path, playbook_fqcn, extravars, inventory=None):
    """A job template whose project playbook imports the collection's playbook, as in AWX."""
    project = {"job.yml": [{"name": "Job", "ansible.builtin.import_playbook": playbook_fqcn}]}
    pdd = private_data_dir(tmp_path, project=project, inventory=inventory, extravars=extravars)
    result = ansible_runner.run(private_data_dir=str(pdd), playbook="job.yml", quiet=True, ident=uuid.uuid4().hex)
    return result


def task_results(result, task_name):
    return [e["event_data"]["res"] for e in events_of(result, "runner_on_ok")
            if e["event_data"].get("task") == task_name]


def test_export_job_writes_to_persistent_storage_and_is_idempotent(tmp_path):
    persistent = tmp_path / "nfs" / "exports"
    inventory = {"hosts.yml": {"all": {"hosts": {"storage1": {
        "ansible_connection": "local", "ansible_python_interpreter": os.path.realpath(sys.executable)}}}}}
    extravars = {"export_dest": str(tmp_path / "job-container" / "export"), "export_copy_to_host": "storage1",
                 "export_copy_to_path": str(persistent)}
    first = run_job(tmp_path, "sot.netbox.export", extravars, inventory)
    assert first.status == "successful", first.stdout.read()
    export = task_results(first, "Export NetBox devices and virtual machines with their contacts")[0]
    assert export["changed"] and export["totals"]["devices"] > 0
    assert sorted(p.name for p in persistent.iterdir()) == ["devices.csv", "inventory.csv", "inventory.xlsx",
                                                            "virtual_machines.csv"]
    second = run_job(tmp_path / "again", "sot.netbox.export", extravars, inventory)
    assert second.status == "successful"
    assert second.stats["changed"] == {}


def test_segment_allocate_and_release_jobs(tmp_path):
    cluster = "awx-" + uuid.uuid4().hex[:8]
    allocate = run_job(tmp_path / "a", "sot.netbox.allocate_segment",
                       {"cluster": cluster, "vrf": "dev", "site_group": "dc-west", "prefix_length": 28})
    assert allocate.status == "successful", allocate.stdout.read()
    again = run_job(tmp_path / "b", "sot.netbox.allocate_segment",
                    {"cluster": cluster, "vrf": "dev", "site_group": "dc-west", "prefix_length": 28})
    assert again.status == "successful" and again.stats["changed"] == {}
    release = run_job(tmp_path / "c", "sot.netbox.release_segment",
                      {"cluster": cluster, "vrf": "dev", "site_group": "dc-west", "delete": True})
    assert release.status == "successful", release.stdout.read()
    assert release.stats["changed"]


def test_plan_job_validates_and_reports_a_failed_job_clearly(tmp_path):
    plan = yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples" / "plans" / "small.yml").read_text())
    plan["name"] = "awx-" + uuid.uuid4().hex[:6]
    ok = run_job(tmp_path / "ok", "sot.netbox.materialize_plan", {"plan_definition": plan, "plan_state": "validated"})
    assert ok.status == "successful", ok.stdout.read()
    bad = dict(plan, site="no-such-site")
    failed = run_job(tmp_path / "bad", "sot.netbox.materialize_plan", {"plan_definition": bad,
                                                                       "plan_state": "validated"})
    assert failed.status == "failed"
    messages = [e["event_data"]["res"].get("msg", "") for e in events_of(failed, "runner_on_failed")]
    assert any("no-such-site" in m for m in messages), messages
    cleanup = run_job(tmp_path / "rm", "sot.netbox.materialize_plan", {"plan_definition": plan, "plan_state": "absent"})
    assert cleanup.status == "successful", cleanup.stdout.read()
