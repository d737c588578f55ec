# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    # The connection, concurrency and cache options shared by every sot.netbox module.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of NetBox, for example V(https://netbox.example.com). A trailing C(/api) is accepted.
      - If not set, the environment variable E(NETBOX_URL) is used, then E(NETBOX_API).
      - O(netbox_url) is accepted, so a C(module_defaults) block written for netbox.netbox modules works unchanged.
    type: str
    aliases: [netbox_url]
  token:
    description:
      - NetBox API token. A v1 token is sent as C(Token ...); a v2 token
        (C(nbt_<key>.<secret>), NetBox 4.5 and later) is sent as C(Bearer ...).
      - A v1 token used with a NetBox that supports v2 tokens gives one deprecation warning per task.
      - If not set, the environment variable E(NETBOX_TOKEN) is used.
      - Never logged, returned, cached or shown in errors, in any form (raw, in a header, URL-encoded, the v2 secret alone).
    type: str
    aliases: [netbox_token]
  validate_certs:
    description:
      - Verify NetBox's TLS certificate. Only disable this for a test instance you control.
      - If not set, the environment variable E(NETBOX_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM) to verify NetBox's certificate with, for a private CA.
      - If not set, the environment variable E(NETBOX_CA_PATH) is used.
    type: path
  cert:
    description:
      - A client certificate (PEM) for NetBox or a proxy in front of it that requires one (mutual TLS).
      - With O(key), the certificate alone; without it, a file holding both the certificate and its key.
        netbox.netbox's list form V([certificate, key]) is accepted too.
      - If not set, the environment variable E(NETBOX_CLIENT_CERT) is used.
    type: raw
  key:
    description:
      - The private key (PEM, unencrypted) of O(cert), when it is in a file of its own.
      - If not set, the environment variable E(NETBOX_CLIENT_KEY) is used.
    type: path
  timeout:
    description: Seconds to wait for each HTTP response before it counts as failed (and is retried when safe).
    type: float
    default: 30
  headers:
    description:
      - Extra HTTP headers sent with every request (for example for a proxy). C(Authorization) is ignored.
      - Names and values are checked before any request (no line breaks, values are strings).
    type: dict
    default: {}
  max_workers:
    description:
      - Most concurrent HTTP requests to NetBox from this task (pages, lookup tables, object kinds).
      - Between 1 and 32. Raise it only as far as NetBox's worker count allows.
    type: int
    default: 4
  cache:
    description:
      - Keep lookup tables and other cacheable reads in a cache that survives between tasks, so a
        playbook of many tasks does not fetch the same tables again. Writes through this collection
        invalidate the cached reads of the endpoints they touch.
      - If not set, the environment variable E(SOT_NETBOX_CACHE) is used.
    type: bool
    default: true
  cache_path:
    description:
      - The cache file (SQLite) on the machine that runs the module.
      - Defaults to C(~/.cache/sot.netbox/http-cache.sqlite) (or under E(XDG_CACHE_HOME)).
      - If not set, the environment variable E(SOT_NETBOX_CACHE_PATH) is used.
    type: path
  cache_redis_url:
    description:
      - Use a Redis server as the cache instead of a file, so jobs on several AWX/AAP nodes share it,
        for example V(redis://cache.example.com:6379/0). Requires the C(redis) Python package.
      - If not set, the environment variable E(SOT_NETBOX_CACHE_REDIS_URL) is used.
      - A Redis server that cannot be reached is a warning; the task then runs without the shared cache.
    type: str
  cache_ttl_static:
    description:
      - Seconds a cached lookup table (VRFs, roles, tenants, site groups, contact roles...) stays valid.
      - V(0) disables caching them and ignores entries cached earlier.
    type: int
    default: 3600
  cache_ttl_dynamic:
    description:
      - Seconds cached dynamic data (prefixes, VLANs, VLAN groups...) stays valid.
      - V(0) disables caching it and ignores entries cached earlier.
    type: int
    default: 600
  branch:
    description:
      - Read and write in this NetBox branch (the NetBox Branching plugin, C(netboxlabs-netbox-branching))
        instead of NetBox's main data. Every request of the task carries the branch's C(X-NetBox-Branch)
        header; main is unchanged until the branch is merged (M(sot.netbox.netbox_branch)).
      - The name is resolved to the branch's schema id once per task (through the response cache). A branch
        that does not exist is an error naming this option, unless O(branch_create=true).
      - A branch still being provisioned is waited for, up to O(branch_timeout).
      - If not set, the environment variable E(NETBOX_BRANCH) is used.
    type: str
  branch_create:
    description: Create O(branch) when it does not exist (then wait until it is ready).
    type: bool
    default: false
  branch_timeout:
    description:
      - Seconds to wait for O(branch) to become ready (NetBox provisions a branch in a background job).
      - Polls with the collection's retry policy (growing, jittered delays).
    type: float
    default: 300
requirements:
  - requests
"""
