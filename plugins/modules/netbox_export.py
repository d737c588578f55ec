#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: netbox_export
short_description: Export NetBox devices and virtual machines with their contacts to CSV and an Excel workbook
version_added: 0.1.0
description:
  - Fetches all devices and virtual machines (optionally filtered by NetBox) with their related data,
    and the contact assignments of both object types, and writes into O(dest) a devices CSV, a virtual
    machines CSV, a merged CSV (one row per device or VM, with a C(type) column) and an Excel workbook
    with one sheet each for the merged list, the devices and the virtual machines.
  - Devices, virtual machines and contact assignments are fetched concurrently, page by page, with
    only the fields the columns need. The number of HTTP requests grows with the number of pages,
    never with the number of objects. Contact roles and custom fields are read once per run from
    lookup tables (cached between tasks).
  - Rows are streamed into temporary files in O(dest) while pages arrive, so memory stays flat.
  - A file whose content would not change is not rewritten (its modification time stays) and the
    task reports C(changed=false). The workbook is rebuilt only when the merged rows or the
    sheet headers changed; the source checksum is recorded in a manifest C(.sot-netbox-export.json)
    next to the outputs. Every file is written to a temp file and renamed into place, only after
    all outputs were rendered, so a failure leaves the previous export intact.
  - Works with a read-only API token.
  - Every output path (each file, O(metrics_path), the manifest) is resolved and checked before
    anything is fetched or written, distinct from each other, inside O(dest) (or an absolute
    O(metrics_path)), its directory present or creatable, names within the file system's limits.
  - Data from NetBox is data. Every text cell of the workbook is a string cell, never a formula (a
    description C(=HYPERLINK(...\)) stays text); O(spreadsheet_safe) makes CSV cells safe to open in a
    spreadsheet.
author:
  - sot.netbox contributors (@sot-netbox)
options:
  dest:
    description:
      - Directory to write the files into, an absolute path on the host that runs the module (use
        C(delegate_to=localhost) to write on the controller). Created when missing.
    type: path
    required: true
  formats:
    description:
      - Which outputs to write. Leave out V(xlsx) for a CSV-only run.
      - The other files in O(dest) are left alone.
    type: list
    elements: str
    choices: [devices_csv, vms_csv, merged_csv, xlsx]
    default: [devices_csv, vms_csv, merged_csv, xlsx]
  file_names:
    description:
      - File names inside O(dest). Each is a plain name (no directory part, no NUL), different from
        the others, from the manifest C(.sot-netbox-export.json) and from the temp-file pattern
        C(.sot-export-*.tmp).
    type: dict
    suboptions:
      devices:
        description: The devices CSV.
        type: str
        default: devices.csv
      virtual_machines:
        description: The virtual machines CSV.
        type: str
        default: virtual_machines.csv
      merged:
        description: The merged CSV.
        type: str
        default: inventory.csv
      workbook:
        description: The Excel workbook.
        type: str
        default: inventory.xlsx
  site:
    description:
      - Only objects at these sites, each by name, slug or id (all spellings name the same site).
        Applied by NetBox (as C(site_id)); an unknown value fails the task before anything is written.
    type: list
    elements: str
  site_group:
    description: Only objects at sites in these site groups (name, slug or id; including child groups).
    type: list
    elements: str
  tenant:
    description: Only objects of these tenants (name, slug or id).
    type: list
    elements: str
  role:
    description: Only objects with these device roles (name, slug or id).
    type: list
    elements: str
  status:
    description: Only objects with these statuses (values, for example V(active)).
    type: list
    elements: str
  tag:
    description: Only objects with these tags (name, slug or id); several tags must all be present.
    type: list
    elements: str
  filters:
    description:
      - Any other NetBox filter for both devices and virtual machines, as NetBox's query parameters,
        for example C(platform=eos) or C(cf_cost_center=CC-100). A list value repeats the parameter.
      - A value NetBox rejects fails the task with NetBox's message, naming the filter. Values are
        strings, numbers or booleans (or lists of them).
      - All filters of one request must fit in NetBox's request line (4094 bytes); longer ones fail the
        task naming the option that takes the most room, instead of NetBox's HTTP 414.
    type: dict
    default: {}
  device_filters:
    description: Like O(filters), for devices only (for example C(rack_id=5)).
    type: dict
    default: {}
  vm_filters:
    description: Like O(filters), for virtual machines only (for example C(cluster=prod-cl1)).
    type: dict
    default: {}
  validate_filters:
    description:
      - NetBox silently ignores unknown filter names (and would export everything). With V(true), the
        names in O(filters), O(device_filters) and O(vm_filters) are checked against the filter
        parameters NetBox's OpenAPI schema lists for the endpoint (and C(cf_<name>) against the
        custom fields), and an unknown name fails the task before anything is written.
      - The schema is large and takes NetBox seconds to build, so it is fetched only when free-form
        filters are given, and the filter names are kept in the cache as a static lookup.
    type: bool
    default: true
  columns:
    description:
      - Columns of the files, in order. Each item is a field name, or a dict with C(field) and
        C(header) to rename it. Default is every built-in field below, then one C(cf_<name>)
        column per custom field, then one C(contact_<role>) column per contact role.
      - "Built-in fields: C(id), C(name), C(type), C(status), C(role), C(tenant), C(site), C(location),
        C(rack), C(position), C(platform), C(manufacturer), C(device_type), C(serial), C(asset_tag),
        C(primary_ip4), C(primary_ip6), C(oob_ip), C(cluster), C(device) (a VM's host), C(vcpus),
        C(memory) (MB), C(disk) (MB), C(tags), C(description), C(comments), C(url)."
      - C(cf_<name>) is the custom field C(name); C(contact_<role slug>) (non-alphanumerics as C(_))
        lists the contacts with that role, primary first, then by name.
      - The devices file gets the columns that apply to devices, the virtual machines file those
        that apply to VMs; C(type) is only in the merged file and sheet.
    type: list
    elements: raw
  custom_fields:
    description:
      - Custom fields exported as C(cf_<name>) columns by the default layout. Default is every custom
        field of devices or virtual machines. Ignored when O(columns) is set.
    type: list
    elements: str
  dialect:
    description: CSV dialect, as in M(community.general.read_csv). V(unix) quotes every field and ends lines with LF.
    type: str
    choices: [excel, excel-tab, unix]
    default: excel
  delimiter:
    description: Field delimiter, overriding the dialect's. One character, not a letter or digit, a quote, a line break or NUL.
    type: str
  list_separator:
    description: Joins several values in one cell (tags, contacts of one role, multi-select custom fields).
    type: str
    default: ", "
  spreadsheet_safe:
    description:
      - The CSV outputs (V(devices), V(virtual_machines), V(merged)) whose cells are made safe to open
        in a spreadsheet. A cell starting with C(=), C(+), C(-), C(@), a tab or a carriage return
        gets a leading apostrophe C(') so Excel or LibreOffice show it as text instead of running it
        as a formula (CSV injection). The header row too.
      - Default is the merged CSV, the one meant for people. The devices and virtual machines CSVs
        keep NetBox's values byte for byte, for machine consumers; set V([]) to turn it off for the
        merged file too.
      - The workbook needs no escaping (its text cells are typed strings) and is always built from
        NetBox's values.
    type: list
    elements: str
    choices: [devices, virtual_machines, merged]
    default: [merged]
  delta_sync:
    description:
      - With the persistent cache on (O(cache)), keep the exported rows with a change watermark, and on
        the next run read only what NetBox's change log says changed since (C(core/object-changes)). An
        unchanged NetBox is one change-log request and C(changed=false); a few changed devices or VMs
        are re-read by id and only the affected files rewritten. Contacts, contact assignments and
        every object that feeds a column (site, role, tenant, platform, tags, cluster, IP address, ...)
        count as changes to the rows they feed.
      - Whenever freshness cannot be proven, the run reads everything (see the notes). The token needs
        the view permission on C(core > object change); without it every run reads everything, with one
        warning.
      - V(false) reads everything every run (and keeps no result).
    type: bool
    default: true
  max_age:
    description:
      - Seconds after the last full read when a run reads everything again, even if the change log says
        nothing changed. V(0) is no limit.
    type: int
    default: 0
  flush_cache:
    description:
      - Read everything now, and keep that as the new cached result. O(cache=false) reads everything and
        keeps nothing.
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of each file before it is replaced.
    type: bool
    default: false
  metrics_path:
    description:
      - Also write a Prometheus textfile (for node_exporter's textfile collector) with
        C(netbox_export_duration_seconds) (histogram), C(netbox_export_requests_total),
        C(netbox_export_rows_total{file}), C(netbox_export_files_changed) and
        C(netbox_export_last_success_timestamp_seconds). Written atomically after every successful
        run except in check mode; writing it does not make the task changed.
      - A relative path is inside O(dest) (never the working directory) and may not leave it; an
        absolute path may be anywhere (for example node_exporter's textfile directory). It must not
        be one of the export's files or the manifest. A missing directory is created.
    type: path
extends_documentation_fragment:
  - sot.netbox.connection
  - sot.netbox.attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: Reports, per file, whether it would change and how many rows would be added, removed or changed; writes nothing into O(dest).
  diff_mode:
    support: full
    details: A short row-level summary per changed file (names of rows added, removed and changed), not whole files.
  platform:
    platforms: posix
    support: full
    description: Writes files on the host that runs the module.
requirements:
  - requests
notes:
  - The delta sync reads everything when it cannot prove the cached result fresh (no cached result, O(flush_cache),
    O(max_age), a change log it may not read or that was trimmed, over 5,000 change records, a custom field or contact
    role changed); C(metrics.fallback) says why. See docs/netbox_export.md, section Delta sync.
  - Rows are in NetBox's order (by name, then id), devices before virtual machines in the merged file.
  - CSV files are UTF-8 without a byte order mark.
  - The file options (O(mode), O(owner), O(group), SELinux, O(attributes)) apply to every exported file
    and the manifest, not to O(metrics_path) or O(dest). A file whose only change is its attributes
    is reported changed (C(attributes_changed) in its result).
  - A run removes the temp files C(.sot-export-*.tmp) that a killed run left in O(dest) (those no
    running export holds and older than 5 seconds).
seealso:
  - module: community.general.read_csv
"""

EXAMPLES = r"""
- name: Export everything into /srv/exports/netbox
  sot.netbox.netbox_export:
    url: https://netbox.example.com
    token: "{{ netbox_token_readonly }}"
    dest: /srv/exports/netbox
  delegate_to: localhost

- name: Production devices and VMs of one site group, CSV only, semicolon separated
  sot.netbox.netbox_export:
    dest: /srv/exports/dc-east
    site_group: [dc-east]
    status: [active]
    formats: [devices_csv, vms_csv, merged_csv]
    delimiter: ";"

- name: Reproduce a legacy CSV layout
  sot.netbox.netbox_export:
    dest: /srv/exports/legacy
    formats: [merged_csv]
    file_names:
      merged: netbox_full_export.csv
    columns: [{field: name, header: Hostname}, {field: type, header: Type}, {field: site, header: Site},
              {field: primary_ip4, header: IP}, {field: contact_owner, header: Owner},
              {field: contact_operations, header: Operations}, {field: cf_cost_center, header: Cost Center}]

- name: Any NetBox filter; a misspelt filter name fails instead of exporting everything
  sot.netbox.netbox_export:
    dest: /srv/exports/eos
    filters:
      platform: eos
    device_filters:
      rack_id: [3, 4]
    metrics_path: /var/lib/node_exporter/textfile/netbox_export.prom
"""

RETURN = r"""
dest:
  description: The directory written into (absolute).
  returned: always
  type: str
  sample: /srv/exports/netbox
files:
  description:
    - Per output (V(devices), V(virtual_machines), V(merged), V(workbook)) that O(formats) selects.
    - C(rows_added), C(rows_removed), C(rows_changed) only when the file changed (or would).
  returned: always
  type: dict
  contains:
    path:
      description: Absolute path of the file.
      type: str
    sha256:
      description: The file's sha256 after the run. In check mode, the CSV's would-be checksum; null for a workbook that would be rebuilt.
      type: str
    rows:
      description: Data rows (without the header row).
      type: int
    changed:
      description: Whether the file was (or would be) rewritten, or its attributes changed.
      type: bool
    attributes_changed:
      description: Present (true) when the file options (mode, owner, ...) changed the file's attributes.
      type: bool
    rows_added:
      description: Rows whose name (type and name) is new.
      type: int
    rows_removed:
      description: Rows whose name is gone.
      type: int
    rows_changed:
      description: Rows whose name is in both but whose content differs.
      type: int
    source_sha256:
      description: Workbook only, the checksum of the content it is built from (recorded in the manifest).
      type: str
    backup_file:
      description: The backup copy, when O(backup) is set and the file was replaced.
      type: str
  sample: {devices: {path: /srv/exports/netbox/devices.csv, sha256: 3f2a...e1, rows: 19, changed: false}}
totals:
  description: Object counts, files and bytes written, and the run's seconds.
  returned: always
  type: dict
  sample: {devices: 19, virtual_machines: 10, files: 4, files_changed: 0, bytes_written: 0, seconds: 0.41}
sync:
  description:
    - Which path ran. V(full) read everything; V(delta) started from the cached result and re-read only
      what the change log named; V(unchanged) proved the cached result fresh from the change log alone.
  returned: always
  type: str
  sample: delta
metrics:
  description:
    - HTTP requests (by method), retries, cache hits/misses, bytes and seconds of the run.
    - C(sync) (as above), C(change_records_read), C(changes), C(objects_reread), and C(fallback) (why a
      full read ran) when they apply.
  returned: always
  type: dict
  sample: {requests: 6, retries: 0, cache_hits: 2, cache_misses: 0, seconds: 0.41}
metrics_path:
  description: The Prometheus textfile written, when O(metrics_path) is set.
  returned: when metrics_path is set and not in check mode
  type: str
diff:
  description: With C(--diff), a short summary per changed file.
  returned: when diff mode is on
  type: dict
  sample: {prepared: "devices.csv: +1 -0 ~1 rows\n  + ams1-leaf9\n  ~ ams1-leaf1\n"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sot.netbox.plugins.module_utils._export.runner import run
from ansible_collections.sot.netbox.plugins.module_utils._export.spec import CSV_OUTPUTS, DEFAULT_NAMES, FORMATS
from ansible_collections.sot.netbox.plugins.module_utils._module import argument_spec, run_module

OPTIONS = dict(
    dest=dict(type="path", required=True),
    formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
    file_names=dict(type="dict", options={k: dict(type="str", default=v) for k, v in DEFAULT_NAMES.items()}),
    site=dict(type="list", elements="str"),
    site_group=dict(type="list", elements="str"),
    tenant=dict(type="list", elements="str"),
    role=dict(type="list", elements="str"),
    status=dict(type="list", elements="str"),
    tag=dict(type="list", elements="str"),
    filters=dict(type="dict", default={}),
    device_filters=dict(type="dict", default={}),
    vm_filters=dict(type="dict", default={}),
    validate_filters=dict(type="bool", default=True),
    columns=dict(type="list", elements="raw"),
    custom_fields=dict(type="list", elements="str"),
    dialect=dict(type="str", choices=["excel", "excel-tab", "unix"], default="excel"),
    delimiter=dict(type="str"),
    list_separator=dict(type="str", default=", "),
    backup=dict(type="bool", default=False),
    metrics_path=dict(type="path"),
    spreadsheet_safe=dict(type="list", elements="str", choices=list(CSV_OUTPUTS), default=["merged"]),
    delta_sync=dict(type="bool", default=True),
    max_age=dict(type="int", default=0),
    flush_cache=dict(type="bool", default=False),
)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(**OPTIONS), supports_check_mode=True, add_file_common_args=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
