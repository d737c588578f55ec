# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible-module adapter: shared argument spec, client construction, and the one place our
exceptions become fail_json. PRIVATE to the collection."""
from __future__ import annotations

import copy
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.sot.netbox.plugins.module_utils._client import HAS_REQUESTS
from ansible_collections.sot.netbox.plugins.module_utils._connection import CONNECTION_OPTION_NAMES, build_client
from ansible_collections.sot.netbox.plugins.module_utils._errors import SotNetboxError
from ansible_collections.sot.netbox.plugins.module_utils._redact import Redactor

CONNECTION_ARG_SPEC = dict(
    # netbox.netbox's names are aliases, so its module_defaults blocks work unchanged.
    url=dict(type="str", aliases=["netbox_url"], fallback=(env_fallback, ["NETBOX_URL", "NETBOX_API"])),
    token=dict(type="str", no_log=True, aliases=["netbox_token"], fallback=(env_fallback, ["NETBOX_TOKEN"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["NETBOX_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["NETBOX_CA_PATH"])),
    # raw: a path, or netbox.netbox's [certificate, key] list.
    cert=dict(type="raw", fallback=(env_fallback, ["NETBOX_CLIENT_CERT"])),
    key=dict(type="path", no_log=False, fallback=(env_fallback, ["NETBOX_CLIENT_KEY"])),
    timeout=dict(type="float", default=30),
    headers=dict(type="dict", default={}),
    max_workers=dict(type="int", default=4),
    cache=dict(type="bool", default=True, fallback=(env_fallback, ["SOT_NETBOX_CACHE"])),
    cache_path=dict(type="path", fallback=(env_fallback, ["SOT_NETBOX_CACHE_PATH"])),
    cache_redis_url=dict(type="str", no_log=True, fallback=(env_fallback, ["SOT_NETBOX_CACHE_REDIS_URL"])),
    cache_ttl_static=dict(type="int", default=3600),
    cache_ttl_dynamic=dict(type="int", default=600),
    branch=dict(type="str", fallback=(env_fallback, ["NETBOX_BRANCH"])),
    branch_create=dict(type="bool", default=False),
    branch_timeout=dict(type="float", default=300),
)


def argument_spec(**module_options):
    spec = copy.deepcopy(CONNECTION_ARG_SPEC)
    spec.update(module_options)
    return spec


def client_for(module, **overrides):
    """The client of the module's connection options; `overrides` replace some (netbox_branch: branch=None)."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    return build_client({**{k: module.params.get(k) for k in CONNECTION_OPTION_NAMES}, **overrides})


def run_module(module, runner, client_factory=client_for):
    """Build the client, call `runner(module, client) -> result`, exit; our errors become fail_json.

    Metrics are returned on success and failure alike, so a failed run still shows its cost. Every
    text that leaves here (message, result fields, warnings) passes the one redaction step.

    `client_factory(module)` builds what the runner gets (a module that talks to other servers than
    NetBox, such as netbox_export_publish, passes its own; it needs a `metrics` attribute, and a
    `redact` one when it knows secrets of its own, such as a publishing target's password).
    """
    client = None
    try:
        client = client_factory(module)
        result = runner(module, client)
    except SotNetboxError as exc:
        extra = dict(exc.result)
        if client is not None:
            extra["metrics"] = client.metrics.to_dict()
        extra.setdefault("changed", bool(extra.pop("changed", False)))
        redact = _redactor(module, client)
        _warn_all(module, client, redact)
        module.fail_json(**redact(dict(extra, msg=exc.message)))
    except Exception as exc:  # pylint: disable=broad-except
        # An unexpected error is still reported, never as a bare traceback with secrets in locals.
        redact = _redactor(module, client)
        _warn_all(module, client, redact)
        module.fail_json(**redact(dict(msg=f"unexpected error: {exc.__class__.__name__}: {exc}",
                                       exception=traceback.format_exc())))
    result.setdefault("changed", False)
    result["metrics"] = client.metrics.to_dict()
    redact = _redactor(module, client)
    _warn_all(module, client, redact)
    module.exit_json(**redact(result))


def _warn_all(module, client, redact):
    """The client's warnings (version, deprecated token, cache) reach the user once, as task warnings."""
    for text in getattr(client, "warnings", None) or []:
        module.warn(redact(text))


def _redactor(module, client):
    """The NetBox token's forms, and those of the secrets the client knows (a publishing context's
    Redactor holds its targets' passwords and tokens)."""
    own = Redactor(module.params.get("token"))
    theirs = getattr(client, "redact", None)
    if not callable(theirs) or theirs is own:
        return own
    return lambda value: own(theirs(value))
