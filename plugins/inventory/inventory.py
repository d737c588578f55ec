# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: inventory
short_description: NetBox devices and virtual machines as a fast dynamic inventory
version_added: 0.1.0
author:
  - sot.netbox developers (@sot-netbox)
description:
  - Reads devices and virtual machines from NetBox and makes them inventory hosts, with C(ansible_host)
    from the primary IP and groups by site, role, tenant, tags and the other keys of O(group_by).
  - Group names and host variable names are those of P(netbox.netbox.nb_inventory#inventory), so an
    existing nb_inventory file keeps its groups when only its C(plugin:) line is changed.
  - Fetches only what the chosen options need, in few requests. Devices, VMs and lookup tables are read at
    the same time, the pages of each list concurrently, with only the fields used (C(fields=)), never the
    OpenAPI schema. Lookup tables are read only for groupings that need them (region, site group,
    location, rack role, cluster type/group, time zone, UTC offset, facility).
  - With O(cache) the whole result is one inventory-cache entry (not one per URL).
  - Any C(.yml) or C(.yaml) file whose C(plugin:) line names this plugin is a source (for example C(nb.yml),
    C(hosts_netbox.yaml)), as for nb_inventory.
  - The defaults give nb_inventory's host variables (C(tags), C(serial), C(services), C(regions), C(site_groups),
    C(locations), C(local_context_data), ...); the collection's docs/inventory.md lists every nb_inventory option.
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
requirements:
  - requests
options:
  plugin:
    description: Marks the file as a source for this plugin.
    required: true
    type: str
    choices: [sot.netbox.inventory]
  url:
    description:
      - Base URL of NetBox, for example V(https://netbox.example.com). A trailing C(/api) is accepted.
    type: str
    required: true
    aliases: [api_endpoint]
    env:
      - name: NETBOX_URL
      - name: NETBOX_API
  token:
    description:
      - NetBox API token. A 40-character v1 token is sent as C(Token ...); a v2 token (C(nbt_<key>.<secret>),
        NetBox 4.5 and later) as C(Bearer ...).
      - "nb_inventory's mapping form C({type: Bearer, value: ...}) is accepted; the scheme follows the token's shape."
      - May be a Jinja2 template. Never logged, cached or shown in errors.
    type: raw
    env:
      - name: NETBOX_TOKEN
      - name: NETBOX_API_KEY
  validate_certs:
    description: Verify NetBox's TLS certificate. Only disable this for a test instance you control.
    type: bool
    default: true
    env:
      - name: NETBOX_VALIDATE_CERTS
  ca_path:
    description: A CA bundle (PEM) to verify NetBox's certificate with, for a private CA.
    type: path
    env:
      - name: NETBOX_CA_PATH
  cert:
    description:
      - A client certificate (PEM) for NetBox or a proxy in front of it that requires one (mutual TLS).
      - With O(key), the certificate alone; without it, a file holding both the certificate and its key.
    type: path
    env:
      - name: NETBOX_CLIENT_CERT
  key:
    description: The private key (PEM, unencrypted) of O(cert), when it is in a file of its own.
    type: path
    env:
      - name: NETBOX_CLIENT_KEY
  timeout:
    description: Seconds to wait for each HTTP response before it counts as failed (and is retried when safe).
    type: float
    default: 30
  headers:
    description: Extra HTTP headers sent with every request. C(Authorization) is ignored. The environment variable holds JSON.
    type: dict
    default: {}
    env:
      - name: NETBOX_HEADERS
  max_workers:
    description: Most concurrent HTTP requests to NetBox (pages, lists, lookup tables). Between 1 and 32.
    type: int
    default: 4
  branch:
    description:
      - Read the inventory from this NetBox branch (the NetBox Branching plugin) instead of main, for example to
        review what a plan would change. Resolved to the branch's schema id once; a missing branch is an error.
    type: str
    env:
      - name: NETBOX_BRANCH
  branch_create:
    description: Create O(branch) when it does not exist.
    type: bool
    default: false
  branch_timeout:
    description: Seconds to wait for O(branch) to become ready.
    type: float
    default: 300
  page_size:
    description: Objects per page (NetBox caps it at its C(MAX_PAGE_SIZE), 1000 by default).
    type: int
    default: 1000
  cursor_paging:
    description:
      - Page by id (C(start=), NetBox 4.6 and later) instead of by offset. Each list is then read one page at a time,
        without the per-page count query. See the measurements in the collection's docs/inventory.md before enabling it.
    type: bool
    default: false
  devices:
    description: Make NetBox devices inventory hosts.
    type: bool
    default: true
  virtual_machines:
    description: Make NetBox virtual machines inventory hosts.
    type: bool
    default: true
  group_by:
    description:
      - Keys to create groups by. A group is named C(<key>_<value>), for example C(sites_ams1), C(device_roles_leaf),
        C(tags_prod), C(status_active); C(is_virtual) is one group of all VMs.
      - Singular and plural spellings are both accepted; O(plurals) decides the group name prefix
        (C(sites_ams1) or C(site_ams1)), as in nb_inventory.
      - C(region) and C(site_group) groups contain site groups, C(location) groups are children of their site group,
        and each host is in its location group or else its site group.
    type: list
    elements: str
    default: []
    choices: [site, sites, tenant, tenants, rack, racks, tag, tags, role, device_role, device_roles, platform, platforms,
              device_type, device_types, manufacturer, manufacturers, region, site_group, location, rack_role, cluster,
              cluster_type, cluster_group, is_virtual, services, status, time_zone, utc_offset, facility]
  group_names_raw:
    description: Name groups by the value alone (C(ams1) instead of C(sites_ams1)).
    type: bool
    default: false
  plurals:
    description:
      - As in nb_inventory, plural group prefixes (C(sites_), C(device_roles_)) and one-element lists for the host
        variables C(sites), C(tenants), C(racks), C(device_roles), C(platforms), C(device_types), C(manufacturers).
      - V(false) gives C(site_ams1), C(role_leaf) and scalar host variables C(site), C(role) and so on.
    type: bool
    default: true
  query_filters:
    description:
      - "NetBox filters for devices and VMs, as a list of one-key mappings (C(- role: leaf)); NetBox applies them.
        Repeating a key ORs the values. Values may be Jinja2 templates. Custom fields are C(cf_<name>)."
      - A filter that exists for one kind only (for example C(rack_id), C(cluster_type)) is sent for that kind only; when
        none of the shared filters applies to a kind and it has no own filters, that kind is not fetched (as in nb_inventory).
    type: list
    elements: dict
    default: []
  device_query_filters:
    description: Filters for devices only (same form as O(query_filters)).
    type: list
    elements: dict
    default: []
  vm_query_filters:
    description: Filters for virtual machines only (same form as O(query_filters)).
    type: list
    elements: dict
    default: []
  default_ip_version:
    description: Which primary IP becomes C(ansible_host) when a host has both; the other is used when only it is set.
    type: str
    default: ipv4
    choices: [ipv4, ipv6]
  ansible_host_dns_name:
    description: Use the DNS name of the primary IP as C(ansible_host) when it has one. Costs no extra request.
    type: bool
    default: false
  oob_ip_as_primary_ip:
    description: Use the out-of-band IP as C(ansible_host) when a device has one.
    type: bool
    default: false
  dns_name:
    description: Set the host variable C(dns_name) from the primary IP. Costs no extra request.
    type: bool
    default: false
  config_context:
    description: Add each host's rendered config context as the host variable C(config_context). NetBox renders it per host, which is slow on large inventories.
    type: bool
    default: false
  flatten_config_context:
    description: Put the config context's keys directly into the host variables.
    type: bool
    default: false
  flatten_custom_fields:
    description: Put custom fields directly into the host variables instead of the C(custom_fields) dictionary.
    type: bool
    default: false
  flatten_local_context_data:
    description: Put the local context data's keys directly into the host variables.
    type: bool
    default: false
  interfaces:
    description:
      - Add the host variable C(interfaces), each with its C(ip_addresses). Fetched in bulk, only for the selected hosts.
    type: bool
    default: false
  services:
    description:
      - Add the host variable C(services) (NetBox's service records, as nb_inventory has them). Fetched in bulk, only for
        the selected hosts. Grouping by C(services) implies it.
    type: bool
    default: true
  racks:
    description:
      - As in nb_inventory, set the host variables C(racks), C(rack_role) and C(locations) (reads the racks and
        locations tables). V(false) skips them; grouping by C(racks), C(rack_role) or C(location) then is an error.
    type: bool
    default: true
  fetch_all:
    description:
      - Accepted for nb_inventory files; the result is the same either way. Services and interfaces are read as whole
        tables when every host is selected, and by host id (in batches within O(max_uri_length)) when filters apply.
    type: bool
    default: true
  max_uri_length:
    description: Longest request URL when services or interfaces are read by host id (as in nb_inventory).
    type: int
    default: 4000
  extra_fields:
    description:
      - More device/VM fields to fetch and set as host variables, for example V(description), V(comments), V(last_updated).
      - Fields that O(compose), O(groups) and O(keyed_groups) name are fetched without being listed here.
    type: list
    elements: str
    default: []
  hostname_field:
    description: Name hosts by this custom field instead of the NetBox name.
    type: str
  virtual_chassis_name:
    description: Name a virtual chassis' master by the chassis name. Other chassis members are never hosts.
    type: bool
    default: false
  reserved_var_prefix:
    description:
      - A prefix for the host variables that nb_inventory names like Ansible play keywords (C(tags), C(serial)), for
        example V(netbox_) for C(netbox_tags) and C(netbox_serial). Ansible checks such names again on every host,
        which made C(ansible-inventory --list) of 15,000 hosts several seconds slower in our measurements.
      - O(compose), O(groups) and O(keyed_groups) still see them under the plain names, as with nb_inventory.
      - The default (empty) keeps nb_inventory's names.
    type: str
    default: ""
  delta_sync:
    description:
      - With O(cache), a run that finds a cached result asks NetBox's change log (C(core/object-changes)) what
        changed since it was read. When nothing relevant changed, the cached result is served, fresh, after one
        request. When only devices or VMs (or their primary IPs) changed, only those are re-read (a new or renamed
        host is placed by NetBox's current list of ids). A changed site, role, tag, rack, cluster or other lookup
        object, a trimmed change log or a token that may not view it make the run read everything, as without a
        cache.
      - V(false) serves the cached result until O(cache_timeout) expires, as nb_inventory does.
    type: bool
    default: true
  max_age:
    description: With O(delta_sync), read everything when the last full read is older than this many seconds (0 never).
    type: int
    default: 86400
  rename_variables:
    description: Rename host variables; a list of C(pattern)/C(repl) regular expression pairs, the first match wins.
    type: list
    elements: dict
    default: []
notes:
  - Hosts without a name are skipped (nb_inventory gives them a random UUID that changes every run).
  - Set the environment variable E(SOT_NETBOX_INVENTORY_METRICS) to a file path to have the plugin write its
    request count, bytes and timings there as JSON.
seealso:
  - name: sot.netbox inventory guide
    description: Options, AWX project-sourced inventory, differences to nb_inventory and benchmark figures.
    link: https://example.invalid/sot/netbox/docs/inventory.md
"""

EXAMPLES = r"""
# sot_netbox.yml -- ansible-inventory -i sot_netbox.yml --graph
plugin: sot.netbox.inventory
url: https://netbox.example.com      # or env NETBOX_URL / NETBOX_API
# token from env NETBOX_TOKEN
group_by:
  - sites
  - device_roles
  - tags
  - region
  - is_virtual
device_query_filters:
  - has_primary_ip: true
  - status: active
vm_query_filters:
  - cluster: "{{ lookup('ansible.builtin.env', 'CLUSTER') | default('prod-cl1', true) }}"
compose:
  ansible_network_os: platforms[0] | default(omit)
keyed_groups:
  - key: status.value
    prefix: state
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/sot.netbox/inventory
cache_timeout: 600

# Switching from netbox.netbox.nb_inventory: change only the plugin line (any file name ending in .yml/.yaml;
# api_endpoint is accepted as an alias of url). nb.yml:
#
#   plugin: sot.netbox.inventory
#   api_endpoint: https://netbox.example.com
#   group_by: [device_roles, platforms]
#   interfaces: true
"""

import os

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
try:
    from ansible.utils.vars import validate_variable_name
except ImportError:  # ansible-core < 2.19: the older boolean check, raising as the newer one does
    from ansible.utils.vars import isidentifier

    def validate_variable_name(name):
        if not isidentifier(name):
            raise AnsibleError(f"Invalid variable name {name!r}.")
from ansible.vars.reserved import get_reserved_names

from ansible_collections.sot.netbox.plugins.module_utils._client import HAS_REQUESTS
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._inventory.runner import Populator, load
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor

FILE_SUFFIXES = (".yml", ".yaml")
METRICS_ENV = "SOT_NETBOX_INVENTORY_METRICS"


class _SourceError(AnsibleParserError):
    """Our failure, shown once. ansible-core 2.19+ prints an error whose source context differs from the
    warning wrapping it twice (a summary line, then the detail with an "Origin:" line); our message
    already names the plugin and the next warning names the file, so there is no source context to show.
    On older ansible-core the property is unused."""

    @property
    def _formatted_source_context(self):
        return None


def _valid_name(name):
    try:
        validate_variable_name(name)
    except AnsibleError:
        return False
    return True


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "sot.netbox.inventory"

    def verify_file(self, path):
        """Any YAML file: Ansible's `auto` plugin hands it over when its `plugin:` line names this plugin (as for
        nb_inventory, whose files are often called nb.yml or hosts_netbox.yaml)."""
        return super().verify_file(path) and path.endswith(FILE_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path)
        config = self._read_config_data(path)
        if not HAS_REQUESTS:
            raise AnsibleError("the sot.netbox.inventory plugin requires the Python library 'requests'")
        # Hosts go into the inventory while later pages are still being fetched; a failure takes them out again.
        populator = Populator(self, valid_name=_valid_name)
        clients = []
        redact = self._redactor()

        def client_factory(options):
            clients.append(build_client(options))
            return clients[-1]

        try:
            result = load(self._option, getattr(self, "_cache", {}), self.get_cache_key(path), cache,
                          os.environ.get(METRICS_ENV), reserved=frozenset(get_reserved_names()),
                          on_host=populator.host, client_factory=client_factory, config=config)
        except SotNetboxError as exc:
            populator.discard()
            self._show_client_warnings(clients, redact)
            # `from None`: the message is the whole story; the chained requests/urllib3 error would print
            # the long URL and the same failure a second time.
            raise _SourceError(redact(f"sot.netbox.inventory: {exc.message}")) from None
        except BaseException:
            populator.discard()
            raise
        self._show_client_warnings(clients, redact)
        for warning in result["warnings"]:
            self.display.warning(redact(f"sot.netbox.inventory: {warning}"))
        populator.finish(result["inventory"])
        self.display.vvv(f"sot.netbox.inventory: {len(result['inventory']['hosts'])} hosts, {result['source']}, sync {result['sync']}")

    def _redactor(self):
        """The token in every form, whatever shape the option has (a string or nb_inventory's mapping)."""
        try:
            token = self._option("token")
        except Exception:  # pylint: disable=broad-except  # a broken template: nothing to redact yet
            token = None
        if isinstance(token, dict):
            token = token.get("value")
        return Redactor(token if isinstance(token, str) else None, os.environ.get("NETBOX_TOKEN"),
                        os.environ.get("NETBOX_API_KEY"))

    def _show_client_warnings(self, clients, redact):
        for client in clients:
            for text in client.warnings:
                self.display.warning(redact(f"sot.netbox.inventory: {text}"))

    def _option(self, name):
        """Option value; templated where nb_inventory templates (token, filters)."""
        value = self.get_option(name)
        if name in ("token", "query_filters", "device_query_filters", "vm_query_filters") and value:
            self.templar.available_variables = self._vars
            value = self.templar.template(value)
        return value
