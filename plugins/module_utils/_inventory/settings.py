# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory settings: the plugin's option values as one validated value object. PRIVATE to the collection.

No Ansible imports. The plugin hands `settings_from(get_option)` a callable that returns an option's
(already templated) value; `client_options(get_option)` is the plugin-side adapter to the one
`build_client` the modules use too.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Any, Callable

from ansible_collections.sot.netbox.plugins.module_utils._connection_options import PLUGIN_OPTION_NAMES
from ansible_collections.sot.netbox.plugins.module_utils._errors import InputError, ValidationErrors

# canonical group_by key -> (name with plurals: true, name with plurals: false). Every spelling is accepted
# in group_by; the group name prefix follows `plurals`, exactly as netbox.netbox.nb_inventory names groups.
GROUPINGS = {
    "site": ("sites", "site"),
    "tenant": ("tenants", "tenant"),
    "rack": ("racks", "rack"),
    "tag": ("tags", "tag"),
    "role": ("device_roles", "role"),
    "platform": ("platforms", "platform"),
    "device_type": ("device_types", "device_type"),
    "manufacturer": ("manufacturers", "manufacturer"),
    "region": ("region", "region"),
    "site_group": ("site_group", "site_group"),
    "location": ("location", "location"),
    "rack_role": ("rack_role", "rack_role"),
    "cluster": ("cluster", "cluster"),
    "cluster_type": ("cluster_type", "cluster_type"),
    "cluster_group": ("cluster_group", "cluster_group"),
    "is_virtual": ("is_virtual", "is_virtual"),
    "services": ("services", "services"),
    "status": ("status", "status"),
    "time_zone": ("time_zone", "time_zone"),
    "utc_offset": ("utc_offset", "utc_offset"),
    "facility": ("facility", "facility"),
}
GROUP_BY_ALIASES = {name: key for key, names in GROUPINGS.items() for name in names}
GROUP_BY_ALIASES["device_role"] = "role"
# The groupings whose groups are nested: region/site_group -> site -> location -> hosts.
SITE_NESTING = ("site", "location", "region", "site_group")

IP_VERSIONS = ("ipv4", "ipv6")
# Groupings nb_inventory offers only with `racks: true` (they need the racks and locations tables).
RACK_GROUPINGS = ("rack", "rack_role", "location")
# nb_inventory options this plugin does not implement, with nb_inventory's default: set to anything else, a warning
# says what the user does not get (Ansible itself ignores options a plugin does not declare).
NB_UNSUPPORTED = {
    "site_data": (False, "host var sites stays a list of slugs, not the full site records"),
    "prefixes": (False, "no prefixes are added under the site host var"),
    "virtual_disks": (False, "no virtual_disks host var"),
    "follow_redirects": ("urllib2", "redirects of GET requests are always followed"),
}
CONNECTION_OPTIONS = PLUGIN_OPTION_NAMES  # declared once, in _connection_options.py


@dataclasses.dataclass(frozen=True)
class Settings:
    group_by: tuple = ()
    group_names_raw: bool = False
    plurals: bool = True
    query_filters: tuple = ()
    device_query_filters: tuple = ()
    vm_query_filters: tuple = ()
    devices: bool = True
    virtual_machines: bool = True
    default_ip_version: str = "ipv4"
    ansible_host_dns_name: bool = False
    oob_ip_as_primary_ip: bool = False
    dns_name: bool = False
    config_context: bool = False
    flatten_config_context: bool = False
    flatten_custom_fields: bool = False
    flatten_local_context_data: bool = False
    interfaces: bool = False
    services: bool = True
    racks: bool = True
    max_uri_length: int = 4000
    extra_fields: tuple = ()
    hostname_field: str = ""
    virtual_chassis_name: bool = False
    rename_variables: tuple = ()
    cursor_paging: bool = False
    page_size: int = 1000
    reserved_var_prefix: str = ""

    def group_prefix(self, key: str) -> str:
        return GROUPINGS[key][0 if self.plurals else 1]

    def fingerprint(self) -> str:
        """What determines the fetched data and the built inventory: part of the cache entry."""
        return hashlib.sha256(json.dumps(dataclasses.asdict(self), sort_keys=True, default=str).encode()).hexdigest()


# Plain on/off options with their default: read as bool, nothing to validate (racks is validated below).
FLAGS = {
    "group_names_raw": False, "plurals": True, "devices": True, "virtual_machines": True,
    "ansible_host_dns_name": False, "oob_ip_as_primary_ip": False, "dns_name": False, "config_context": False,
    "flatten_config_context": False, "flatten_custom_fields": False, "flatten_local_context_data": False,
    "interfaces": False, "services": True, "virtual_chassis_name": False, "cursor_paging": False,
}
FILTER_OPTIONS = ("query_filters", "device_query_filters", "vm_query_filters")

Option = Callable[..., Any]   # opt(name, default=None): the option's value, or the default when unset


def _filters(name: str, value: Any) -> tuple:
    """nb_inventory's filter shape: a list of one-key dicts ({role: leaf}); a value may itself be a list."""
    out = []
    for i, item in enumerate(value or []):
        if not isinstance(item, dict) or len(item) != 1:
            raise InputError(f"{name}[{i}]", item, "each filter must be a mapping with exactly one key, e.g. {role: leaf}")
        key, val = next(iter(item.items()))
        if not isinstance(key, str) or not re.match(r"^[A-Za-z0-9_]+$", key):
            raise InputError(f"{name}[{i}]", item, "the filter name must be a NetBox filter parameter (letters, digits, _)")
        for one in (val if isinstance(val, list) else [val]):
            if isinstance(one, (dict, list)) or one is None:
                raise InputError(f"{name}[{i}]", item, "a filter value must be a string, number or boolean")
            out.append((key, str(one).lower() if isinstance(one, bool) else str(one)))
    return tuple(out)


def _option_reader(get_option: Callable[[str], Any]) -> Option:
    def opt(name: str, default: Any = None) -> Any:
        value = get_option(name)
        return default if value is None else value
    return opt


def _group_by(opt: Option, errors: list) -> tuple:
    """The canonical grouping keys, in order and once each; unknown names are errors."""
    group_by: list[str] = []
    for name in opt("group_by", []):
        key = GROUP_BY_ALIASES.get(name)
        if key is None:
            errors.append(InputError("group_by", name, "unknown grouping; choose from " + ", ".join(sorted(GROUP_BY_ALIASES))))
        elif key not in group_by:
            group_by.append(key)
    return tuple(group_by)


def _query_filters(opt: Option, errors: list) -> dict:
    """{option name: (name, value) pairs} for the three filter options; a bad one is an error and no filters."""
    filters = {}
    for name in FILTER_OPTIONS:
        try:
            filters[name] = _filters(name, opt(name, []))
        except InputError as exc:
            errors.append(exc)
            filters[name] = ()
    return filters


def _ip_version(opt: Option, errors: list) -> str:
    version = opt("default_ip_version", "ipv4")
    if version not in IP_VERSIONS:
        errors.append(InputError("default_ip_version", version, "must be ipv4 or ipv6"))
    return version


def _renames(opt: Option, errors: list) -> tuple:
    """(pattern, replacement) pairs; a pattern that does not compile is an error."""
    renames = []
    for i, item in enumerate(opt("rename_variables", [])):
        try:
            renames.append((re.compile(item["pattern"]).pattern, str(item["repl"])))
        except (KeyError, TypeError, re.error) as exc:
            errors.append(InputError(f"rename_variables[{i}]", item, f"needs a valid regular expression 'pattern' and a 'repl' ({exc})"))
    return tuple(renames)


def _extra_fields(opt: Option, errors: list) -> tuple:
    extra = []
    for field in opt("extra_fields", []):
        if not isinstance(field, str) or not re.match(r"^[a-z0-9_]+$", field):
            errors.append(InputError("extra_fields", field, "must be a NetBox field name (lower case letters, digits, _)"))
        else:
            extra.append(field)
    return tuple(extra)


def _racks(opt: Option, errors: list) -> bool:
    """`racks`; without racks, a grouping that needs the racks and locations tables is an error."""
    racks = bool(opt("racks", True))
    if not racks:
        errors += [InputError("group_by", name, "needs racks: true (as in nb_inventory)")
                   for name in opt("group_by", []) if GROUP_BY_ALIASES.get(name) in RACK_GROUPINGS]
    return racks


def _max_uri_length(opt: Option, errors: list) -> int:
    max_uri_length = int(opt("max_uri_length", 4000))
    if max_uri_length < 200:
        errors.append(InputError("max_uri_length", max_uri_length, "must be at least 200 characters"))
    return max_uri_length


def _page_size(opt: Option, errors: list) -> int:
    page_size = int(opt("page_size", 1000))
    if not 1 <= page_size <= 1000:
        errors.append(InputError("page_size", page_size, "must be between 1 and 1000 (NetBox's MAX_PAGE_SIZE caps it)"))
    return page_size


def _reserved_var_prefix(opt: Option, errors: list) -> str:
    prefix = str(opt("reserved_var_prefix", ""))
    if prefix and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", prefix):
        errors.append(InputError("reserved_var_prefix", prefix, "must be empty or start a valid variable name (letters, digits, _)"))
    return prefix


def settings_from(get_option: Callable[[str], Any]) -> Settings:
    """Build and validate Settings from an option getter; every problem is reported at once."""
    errors: list = []
    opt = _option_reader(get_option)
    checked = dict(  # evaluated in this order, which is the order the errors are reported in
        group_by=_group_by(opt, errors),
        **_query_filters(opt, errors),
        default_ip_version=_ip_version(opt, errors),
        rename_variables=_renames(opt, errors),
        extra_fields=_extra_fields(opt, errors),
        racks=_racks(opt, errors),
        max_uri_length=_max_uri_length(opt, errors),
        page_size=_page_size(opt, errors),
        reserved_var_prefix=_reserved_var_prefix(opt, errors),
    )
    if not opt("devices", True) and not opt("virtual_machines", True):
        errors.append(InputError("devices", False, "devices and virtual_machines are both false: nothing to fetch"))
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    flags = {name: bool(opt(name, default)) for name, default in FLAGS.items()}
    return Settings(**checked, **flags, hostname_field=opt("hostname_field", "") or "")


def unsupported_warnings(config: dict | None) -> list[str]:
    """Warnings for nb_inventory options in the inventory file that this plugin does not implement."""
    out = []
    for name, (default, effect) in NB_UNSUPPORTED.items():
        if name in (config or {}) and config[name] != default:
            out.append(f"option {name} (netbox.netbox.nb_inventory) is not supported and was ignored: {effect}")
    return out


def client_options(get_option: Callable[[str], Any]) -> dict:
    """The plugin-side adapter: option values -> the dict `_connection.build_client` takes.

    The inventory caches its whole result through Ansible's inventory cache (one entry), so the
    client's own persistent response cache stays off (an in-process memory cache only).
    """
    options = {name: get_option(name) for name in CONNECTION_OPTIONS}
    token = options.get("token")
    if isinstance(token, dict):  # nb_inventory's {type: Bearer, value: ...}: the client picks the scheme itself
        token = token.get("value")
    options["token"] = token
    headers = options.get("headers") or {}
    if isinstance(headers, str):  # NETBOX_HEADERS holds JSON, as for nb_inventory
        try:
            headers = json.loads(headers)
        except ValueError as exc:
            raise InputError("headers", "<from NETBOX_HEADERS>", f"must be a JSON object ({exc})") from exc
    if not isinstance(headers, dict):
        raise InputError("headers", type(headers).__name__, "must be a mapping of header names to values")
    options["headers"] = headers
    options["cache"] = False
    return {k: v for k, v in options.items() if v is not None}
