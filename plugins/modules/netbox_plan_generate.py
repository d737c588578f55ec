#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: netbox_plan_generate
short_description: Validate a topology plan and materialize it into NetBox in bulk, tracked and reversible
version_added: 0.1.0
description:
  - Takes a topology plan (switch classes, server classes and their connections) as data, validates all of it
    at once, calculates the switch quantities (with calculation metadata), and materializes devices,
    interfaces and cables in NetBox with bulk requests.
  - Validation reports every error at once before any write, in one pass, each naming the field (its path) and
    the value, as text and as data (C(errors)); schema errors, bounds (port ranges, quantities, redundancy,
    see O(limits)), name patterns, unknown sites/tenants/device types/roles (by name, slug or id), zero
    quantities, duplicate ids, port names not on the device type, statuses and cable/interface types NetBox
    does not offer, more links than ports, and device names already used by devices this plan did not generate.
  - Every generated device, interface and cable carries the tag C(sot-plan-<name>) and the custom fields
    C(sot_plan) (plan name) and C(sot_plan_key) (stable key); the module creates the tag and the custom fields
    when missing.
  - A plan has no status record until it first validates (its status is reported as V(none)); then its status
    (V(validated), V(approved), V(generated)), its content hash and the calculation summary are kept in the
    config context C(sot-plan-<name>), assigned to the plan's tag, so every generated device shows the plan it
    came from. A human approves a plan by setting C(data.sot_plan.status) to
    V(approved) there, or with O(approve=true).
  - Re-running an unchanged plan writes nothing. A changed plan touches only what changed. If a write fails,
    the objects this run created are deleted again, newest first, and the error says what was done.
author:
  - sot.netbox developers (@sot-netbox)
extends_documentation_fragment:
  - sot.netbox.connection
  - sot.netbox.attributes
attributes:
  check_mode:
    support: full
    details: Returns the full change plan (counts and names per kind) without writing.
  diff_mode:
    support: full
    details: One line per device, interface and cable, by name; updates show the changed fields.
options:
  plan:
    description:
      - The topology plan. See the collection's C(docs/netbox_plan_generate.md) for the full schema.
        One of O(plan) and O(plan_file) is required.
      - Keys C(name) (at most 50 characters) and C(site) are required, and optional C(tenant), C(location),
        C(rack) (each by name, slug or id), C(status) (of the generated devices, and of the cables unless
        C(cable_status) is set; default V(planned)), C(cable_status), and C(naming.device) (a name pattern with
        only the fields C({plan}), C({class}), C({index}), C({site}), C({role}) and a plain width such as
        C({index:02d}); no attribute or index access; default V({plan}-{class}-{index:02d})).
      - C(switch_classes) is a list of C(id), C(device_type) (model or slug), C(role), C(downlinks) and
        C(uplinks) (port names or ranges such as V(Ethernet1-16)), C(uplink_to) (a switch class id),
        C(redundancy) (switch group size, V(2) for a leaf pair), C(quantity) (an override of the calculated
        quantity), C(name) (a name pattern), C(interfaces) (extra interfaces, C(name) and C(type)) and
        C(cable_type) (of its uplinks).
      - C(server_classes) is a list of C(id), C(device_type), C(role), C(quantity), C(name), C(interfaces) and
        C(connections), each with C(ports), C(to) (a switch class id), C(placement) (V(server) or V(rail)) and
        C(cable_type).
      - With O(state=absent) only C(name) is needed.
    type: dict
  plan_file:
    description:
      - A YAML file on the controller holding the plan, instead of O(plan).
      - Read with a safe YAML loader (no Python objects) and with limits on its size, aliases, nesting and
        alias expansion (O(limits)); a YAML alias bomb fails in milliseconds, naming O(plan_file).
    type: path
  limits:
    description:
      - Raise (or lower) the bounds a plan is checked against before anything is expanded, as a mapping of
        limit names to integers. Defaults are V(ports) 1024 (per port list of a class), V(quantity) 1000 (per
        class), V(redundancy) 16, V(classes) 64, V(interfaces) 256 and V(connections) 64 (per class),
        V(devices) 5000 and V(links) 50000 (per plan), V(file_bytes) 1048576, V(yaml_aliases) 100,
        V(yaml_depth) 32 (per plan file).
    type: dict
    default: {}
  state:
    description:
      - V(validated) validates, calculates and returns the plan and the change plan it would apply, and records
        the status V(validated) in NetBox; when validation fails nothing is written.
      - V(generated) validates, then materializes the plan and records the status V(generated).
      - V(absent) removes exactly what the plan generated (cables first, then devices), its status record and
        its tag (when nothing else carries it), and nothing else.
      - V(merged) merges the NetBox branch named by O(branch), which holds the plan's objects (generated there
        with O(state=generated) and O(branch)), into main, with the same code as M(sot.netbox.netbox_branch)
        (objects changed in main and in the branch meanwhile are reported one by one and nothing is merged),
        then marks the plan V(generated) in main. Merging a merged branch changes nothing.
    type: str
    choices: [validated, generated, absent, merged]
    default: generated
  require_approval:
    description:
      - With O(state=generated), refuse to write unless the plan's status record says V(approved) (or
        V(generated)) for exactly this plan content (the content hash must match).
    type: bool
    default: false
  require_approved:
    description:
      - With O(state=merged), refuse to merge unless the plan's status record in main says V(approved) (or
        V(generated)) for exactly this plan content; nothing is merged otherwise.
      - A reviewer approves in main (O(approve=true), or by editing the record) after looking at the branch.
    type: bool
    default: false
  approve:
    description:
      - With O(state=validated), record the validated plan as V(approved) for its current content.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for each HTTP response before it counts as failed (and is retried when safe).
      - Higher than the other modules' default (30) because NetBox instantiates every interface template of
        the new devices inside one device batch request; C(module_defaults) or the task may set it.
    type: float
    default: 120
  batch_size:
    description: Interfaces and cables per bulk request when creating, updating or deleting.
    type: int
    default: 200
  device_batch_size:
    description:
      - Devices per bulk request when creating or deleting.
      - NetBox instantiates every interface template of a new device inside the request (and removes them on
        delete), about a second per 64-port switch on a small NetBox; keep batches small enough that one request
        stays well within O(timeout).
    type: int
    default: 10
notes:
  - "Run it on the controller: C(hosts: localhost) or C(delegate_to: localhost)."
  - With O(branch) (NetBox Branching plugin), O(state=generated) writes the devices, interfaces, cables, the
    plan's tag and custom fields into the branch (same tracking, idempotence and rollback), and main stays
    unchanged except the plan's status record, which stays in main, keeps its status and names the branch
    (C(data.sot_plan.branch)); the plan must have been validated in main first. O(state=merged) merges it.
  - Statuses and cable/interface types are checked against NetBox 4.7's built-in choices, and a value outside
    them against the API's OPTIONS answer (custom FIELD_CHOICES), before any write. What NetBox checks only
    at write time (for example a cable on a virtual interface) makes the batch fail; the run then rolls back
    what it created.
  - A write whose answer is cut off or lost is found out by reading back by the plan's tag (and the tag and
    status record by name); what NetBox applied is rolled back on failure, or adopted by the next run.
  - The full schema, the calculation, the guarantees and the benchmark figures are in the collection's
    C(docs/netbox_plan_generate.md); the role C(sot.netbox.plan) and the playbook C(sot.netbox.materialize_plan)
    wrap this module.
seealso:
  - module: sot.netbox.netbox_segment
  - name: NetBox REST API
    description: The API this module writes through (bulk create, update and delete).
    link: https://netboxlabs.com/docs/netbox/integrations/rest-api/
"""

EXAMPLES = r"""
- name: Validate the plan file and show the calculated quantities and changes
  sot.netbox.netbox_plan_generate:
    plan_file: "{{ playbook_dir }}/plans/gpu-128.yml"
    state: validated
  register: validated

- name: Approve exactly this plan content
  sot.netbox.netbox_plan_generate:
    plan: "{{ plan }}"
    state: validated
    approve: true

- name: Materialize it, only if approved
  sot.netbox.netbox_plan_generate:
    plan: "{{ plan }}"
    state: generated
    require_approval: true

- name: Stage the plan in a NetBox branch for review (main is unchanged)
  sot.netbox.netbox_plan_generate:
    plan: "{{ plan }}"
    state: generated
    branch: review-gpu-128
    branch_create: true

- name: After the review and the approval in main, merge the branch; the plan becomes generated in main
  sot.netbox.netbox_plan_generate:
    plan: "{{ plan }}"
    state: merged
    branch: review-gpu-128
    require_approved: true

- name: Remove everything the plan generated
  sot.netbox.netbox_plan_generate:
    plan:
      name: gpu-128
    state: absent
"""

RETURN = r"""
errors:
  description: When validation fails, every error as data, in the order found.
  returned: on validation failure
  type: list
  elements: dict
  sample: [{path: "plan.server_classes[0].quantity", value: 0, message: must be greater than zero}]
plan:
  description:
    - The plan's name, site (canonical name), content hash, tag, status record name and status after the run
      (V(none) when it has no status record).
  returned: always
  type: dict
  sample: {name: gpu-128, site: lab1, hash: 3f2a..., tag: sot-plan-gpu-128, record: sot-plan-gpu-128, status: generated}
branch:
  description: With O(state=merged), the branch after the merge (id, name, status, schema id).
  returned: with O(state=merged)
  type: dict
  sample: {id: 3, name: review-gpu-128, status: merged, schema_id: td5smq0f}
merge:
  description: With O(state=merged), what was done to the branch (V(merge), or V(nothing) when merged already).
  returned: with O(state=merged)
  type: str
  sample: merge
branch_changes:
  description: With O(state=merged), the branch's changes counted by object type and action.
  returned: with O(state=merged)
  type: dict
calculation:
  description:
    - C(quantities) per class, and per class the calculation metadata C(algorithm_version), C(inputs_hash)
      (sha256 of the inputs), C(inputs) and C(result) (links, min_by_ports, calculated, override, quantity).
  returned: when the plan is valid
  type: dict
  sample: {algorithm_version: sot.netbox.plan/1, quantities: {rail-leaf: 8, fe-leaf: 2, spine: 4, gpu: 16}, links: 296}
desired:
  description: Number of desired devices, interfaces (the ports the plan uses plus extra interfaces) and cables.
  returned: when the plan is valid
  type: dict
  sample: {devices: 30, interfaces: 592, cables: 296}
changes:
  description:
    - The change plan per kind (devices, interfaces, cables).
    - Names to create, update (with the changed fields) and delete, and the number unchanged.
  returned: when the plan is valid
  type: dict
  sample: {devices: {create: [gpu-128-gpu-01], update: [], delete: [], unchanged: 29}}
counts:
  description: Per kind, how many objects were (in check mode, would be) created, updated, deleted and left unchanged.
  returned: with state generated and absent
  type: dict
  sample: {devices: {created: 30, updated: 0, deleted: 0, unchanged: 0}}
objects:
  description: The plan's generated devices, cables and tracked interfaces after the run, each with key, id (null in check mode for new objects) and name.
  returned: with state generated and absent
  type: dict
  sample: {devices: [{key: gpu/1, id: 101, name: gpu-128-gpu-01}]}
foreign:
  description: Objects that carry the plan's tag but were not generated by it (left untouched).
  returned: when there are any
  type: dict
custom_fields_created:
  description: Tracking custom fields this run created.
  returned: with state generated when something was written
  type: list
  elements: str
failed_step:
  description: On a failed write, the step that failed.
  returned: on failure during generation
  type: str
done:
  description: On a failed write, what was created, updated and deleted (key, id, name) before the failure.
  returned: on failure during generation
  type: dict
rollback:
  description: On a failed write, what was deleted again (ids by kind) and what could not be deleted.
  returned: on failure during generation
  type: dict
metrics:
  description: HTTP requests (total and by method), cache hits and misses, bytes and seconds of this task.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sot.netbox.plugins.module_utils._module import argument_spec, client_for, run_module
from ansible_collections.sot.netbox.plugins.module_utils._plan.runner import run

OPTIONS = dict(
    plan=dict(type="dict"),
    plan_file=dict(type="path"),
    limits=dict(type="dict", default={}),
    # Device batches make NetBox instantiate interface templates server-side: allow for it by default.
    timeout=dict(type="float", default=120),
    state=dict(type="str", choices=["validated", "generated", "absent", "merged"], default="generated"),
    require_approval=dict(type="bool", default=False),
    require_approved=dict(type="bool", default=False),
    approve=dict(type="bool", default=False),
    batch_size=dict(type="int", default=200),
    device_batch_size=dict(type="int", default=10),
)


def client_factory(module: AnsibleModule) -> object:
    """state=merged talks to main (it merges `branch` into it); the other states go where `branch` says."""
    if module.params["state"] == "merged":
        return client_for(module, branch=None)
    return client_for(module)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(**OPTIONS), supports_check_mode=True,
                           required_one_of=[("plan", "plan_file")], mutually_exclusive=[("plan", "plan_file")])
    run_module(module, run, client_factory)


if __name__ == "__main__":
    main()
