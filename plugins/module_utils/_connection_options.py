# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection, concurrency and cache options, declared once. PRIVATE to the collection.

One row per option drives the modules' argument spec (`_module.py`), the inventory's option reading
(`_inventory/settings.py`) and both documentation fragments (`doc_fragments/connection.py`: the
modules' and the plugins'), so names, types, defaults, aliases and environment variables cannot drift.
A new shared option is one row here (see docs/developing.md). No imports beyond the standard library:
the doc fragment imports this file when ansible-doc or ansible-test reads the docs.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any, Callable


@dataclasses.dataclass(frozen=True)
class Option:
    """One shared option. `env`: environment variables read when the option is not set (first wins).
    `plugin`: False for a modules-only option; else how the plugin's declaration differs (type,
    required, `extra` description lines)."""

    name: str
    type: str
    description: tuple[str, ...]
    default: Any = None
    env: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    no_log: bool | None = None
    plugin: dict | bool = dataclasses.field(default_factory=dict)


_CACHE_ONLY_MODULES = False  # the inventory caches its whole result through Ansible's inventory cache instead

CONNECTION_OPTIONS: tuple[Option, ...] = (
    Option("url", "str", (
        "Base URL of NetBox, for example V(https://netbox.example.com). A trailing C(/api) is accepted.",
        "O(netbox_url) (netbox.netbox's modules) and O(api_endpoint) (nb_inventory) are accepted too, so a "
        "C(module_defaults) block or inventory file written for netbox.netbox works unchanged."),
        env=("NETBOX_URL", "NETBOX_API"), aliases=("netbox_url", "api_endpoint"), plugin={"required": True}),
    Option("token", "str", (
        "NetBox API token. A v1 token is sent as C(Token ...); a v2 token (C(nbt_<key>.<secret>), NetBox 4.5 and "
        "later) is sent as C(Bearer ...).",
        "A v1 token used with a NetBox that supports v2 tokens gives one deprecation warning per run.",
        "Never logged, returned, cached or shown in errors, in any form (raw, in a header, URL-encoded, the v2 "
        "secret alone)."),
        env=("NETBOX_TOKEN", "NETBOX_API_KEY"), aliases=("netbox_token",), no_log=True,
        plugin={"type": "raw", "extra": (
            "nb_inventory's mapping form C({type: Bearer, value: ...}) is accepted; the scheme follows the "
            "token's shape.", "May be a Jinja2 template.")}),
    Option("validate_certs", "bool", (
        "Verify NetBox's TLS certificate. Only disable this for a test instance you control.",),
        default=True, env=("NETBOX_VALIDATE_CERTS",)),
    Option("ca_path", "path", ("A CA bundle (PEM) to verify NetBox's certificate with, for a private CA.",),
           env=("NETBOX_CA_PATH",)),
    Option("cert", "raw", (  # raw: a path, or netbox.netbox's [certificate, key] list
        "A client certificate (PEM) for NetBox or a proxy in front of it that requires one (mutual TLS).",
        "With O(key), the certificate alone; without it, a file holding both the certificate and its key. "
        "netbox.netbox's list form V([certificate, key]) is accepted too."), env=("NETBOX_CLIENT_CERT",)),
    Option("key", "path", ("The private key (PEM, unencrypted) of O(cert), when it is in a file of its own.",),
           env=("NETBOX_CLIENT_KEY",), no_log=False),
    Option("timeout", "float", (
        "Seconds to wait for each HTTP response before it counts as failed (and is retried when safe).",),
        default=30),
    Option("headers", "dict", (
        "Extra HTTP headers sent with every request (for example for a proxy). C(Authorization) is ignored.",
        "Names and values are checked before any request (no line breaks, values are strings).",
        "The environment variable holds a JSON object."), default={}, env=("NETBOX_HEADERS",)),
    Option("max_workers", "int", (
        "Most concurrent HTTP requests to NetBox from this task or inventory source (pages, lists, lookup "
        "tables, object kinds).",
        "Between 1 and 32. Raise it only as far as NetBox's worker count allows."), default=4),
    Option("branch", "str", (
        "Read and write in this NetBox branch (the NetBox Branching plugin, C(netboxlabs-netbox-branching)) "
        "instead of NetBox's main data. Every request of the task carries the branch's C(X-NetBox-Branch) "
        "header; main is unchanged until the branch is merged (M(sot.netbox.netbox_branch)).",
        "The name is resolved to the branch's schema id once per task (through the response cache). A branch "
        "that does not exist is an error naming this option, unless O(branch_create=true).",
        "A branch still being provisioned is waited for, up to O(branch_timeout)."), env=("NETBOX_BRANCH",)),
    Option("branch_create", "bool", ("Create O(branch) when it does not exist (then wait until it is ready).",),
           default=False),
    Option("branch_timeout", "float", (
        "Seconds to wait for O(branch) to become ready (NetBox provisions a branch in a background job).",
        "Polls with the collection's retry policy (growing, jittered delays)."), default=300),
    Option("cache", "bool", (
        "Keep lookup tables and other cacheable reads in a cache that survives between tasks, so a playbook of "
        "many tasks does not fetch the same tables again. Writes through this collection invalidate the cached "
        "reads of the endpoints they touch.",), default=True, env=("SOT_NETBOX_CACHE",), plugin=_CACHE_ONLY_MODULES),
    Option("cache_path", "path", (
        "The cache file (SQLite) on the machine that runs the module.",
        "Defaults to C(~/.cache/sot.netbox/http-cache.sqlite) (or under E(XDG_CACHE_HOME))."),
        env=("SOT_NETBOX_CACHE_PATH",), plugin=_CACHE_ONLY_MODULES),
    Option("cache_redis_url", "str", (
        "Use a Redis server as the cache instead of a file, so jobs on several AWX/AAP nodes share it, for example "
        "V(redis://cache.example.com:6379/0). Requires the C(redis) Python package.",
        "A Redis server that cannot be reached is a warning; the task then runs without the shared cache."),
        env=("SOT_NETBOX_CACHE_REDIS_URL",), no_log=True, plugin=_CACHE_ONLY_MODULES),
    Option("cache_ttl_static", "int", (
        "Seconds a cached lookup table (VRFs, roles, tenants, site groups, contact roles...) stays valid.",
        "V(0) disables caching them and ignores entries cached earlier."), default=3600, plugin=_CACHE_ONLY_MODULES),
    Option("cache_ttl_dynamic", "int", (
        "Seconds cached dynamic data (prefixes, VLANs, VLAN groups...) stays valid.",
        "V(0) disables caching it and ignores entries cached earlier."), default=600, plugin=_CACHE_ONLY_MODULES),
)

CONNECTION_OPTION_NAMES: tuple[str, ...] = tuple(o.name for o in CONNECTION_OPTIONS)
# The options an inventory source reads (the cache options are the modules' own).
PLUGIN_OPTION_NAMES: tuple[str, ...] = tuple(o.name for o in CONNECTION_OPTIONS if o.plugin is not False)


def module_argspec(env_fallback: Callable[..., Any]) -> dict:
    """The modules' argument spec; `env_fallback` is Ansible's (this file does not import Ansible)."""
    spec = {}
    for o in CONNECTION_OPTIONS:
        row: dict[str, Any] = {"type": o.type}
        if o.default is not None:
            row["default"] = copy.deepcopy(o.default)
        if o.aliases:
            row["aliases"] = list(o.aliases)
        if o.no_log is not None:
            row["no_log"] = o.no_log
        if o.env:
            row["fallback"] = (env_fallback, list(o.env))
        spec[o.name] = row
    return spec


def _env_sentence(env: tuple[str, ...]) -> str:
    first, *rest = env
    return f"If not set, the environment variable E({first}) is used" + "".join(f", then E({e})" for e in rest) + "."


def module_doc_options() -> dict:
    """The `options:` of the modules' doc fragment (modules document environment variables in words)."""
    out = {}
    for o in CONNECTION_OPTIONS:
        doc: dict[str, Any] = {"description": list(o.description) + ([_env_sentence(o.env)] if o.env else []),
                               "type": o.type}
        if o.default is not None:
            doc["default"] = copy.deepcopy(o.default)
        if o.aliases:
            doc["aliases"] = list(o.aliases)
        out[o.name] = doc
    return out


def plugin_doc_options() -> dict:
    """The `options:` of the plugins' doc fragment (plugins declare `env:`, which Ansible reads for them)."""
    out = {}
    for o in CONNECTION_OPTIONS:
        if o.plugin is False:
            continue
        differs = dict(o.plugin) if isinstance(o.plugin, dict) else {}
        doc: dict[str, Any] = {"description": list(o.description) + list(differs.pop("extra", ())),
                               "type": differs.pop("type", o.type)}
        doc.update(differs)
        if o.default is not None:
            doc["default"] = copy.deepcopy(o.default)
        if o.aliases:
            doc["aliases"] = list(o.aliases)
        if o.env:
            doc["env"] = [{"name": e} for e in o.env]
        out[o.name] = doc
    return out
