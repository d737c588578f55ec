# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layering docs/architecture.md promises, enforced on the import graph (direct and through
other collection files): the transport imports no Ansible, the domain imports no transport, and
only the adapter layer imports Ansible inside module_utils."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.tests.unit.structure import (
    MODULE_UTILS, file_of, imports_closure, is_ansible, python_files, rel)

# The transport client and what it is built from: usable without Ansible (tools/, tests, the inventory).
TRANSPORT = (
    "_client.py", "_client_input.py", "_client_paging.py", "_client_writes.py", "_http.py", "_cache.py",
    "_retry.py", "_errors.py", "_metrics.py", "_redact.py", "_records.py", "_features.py",
    "_connection.py", "_connection_options.py",
)
# The domain: pure functions over dataclasses, tested without a client. Add a new domain file here.
DOMAIN = (
    "_segment/domain.py",
    "_plan/model.py", "_plan/calculate.py", "_plan/expand.py", "_plan/diff.py", "_plan/patterns.py",
    "_plan/limits.py", "_plan/choices.py", "_plan/validate.py",
    "_export/rows.py", "_export/paths.py",
    "_inventory/build.py", "_inventory/plan.py", "_inventory/settings.py",
    "_publish/domain.py",
    "_difftext.py", "_records.py", "_features.py", "_errors.py", "_connection_options.py",
)
# What a domain file may not reach: the transport that talks to a server.
CLIENT = ("_client.py", "_client_input.py", "_client_paging.py", "_client_writes.py", "_http.py", "_cache.py",
          "_connection.py", "_publish/transport.py")
# The adapters: the only module_utils files that import Ansible.
ADAPTERS = ("_module.py",)


def _ansible_imports(name: str) -> list[str]:
    return sorted(f"{rel(path)} imports {module}" for path, modules in imports_closure(MODULE_UTILS / name).items()
                  for module in modules if is_ansible(module))


@pytest.mark.parametrize("name", TRANSPORT)
def test_transport_imports_no_ansible(name: str) -> None:
    assert (MODULE_UTILS / name).is_file(), f"{name} is listed in TRANSPORT but does not exist"
    assert _ansible_imports(name) == []


@pytest.mark.parametrize("name", DOMAIN)
def test_domain_imports_neither_the_client_nor_ansible(name: str) -> None:
    assert (MODULE_UTILS / name).is_file(), f"{name} is listed in DOMAIN but does not exist"
    reached = {rel(path) for path in imports_closure(MODULE_UTILS / name)}
    client = sorted(r for r in reached if any(r.endswith("module_utils/" + c) for c in CLIENT))
    assert client == [], f"{name} reaches the client through {client}"
    assert _ansible_imports(name) == []


@pytest.mark.parametrize("path", python_files(MODULE_UTILS), ids=rel)
def test_only_adapters_import_ansible_in_module_utils(path) -> None:
    if path.relative_to(MODULE_UTILS).as_posix() in ADAPTERS:
        return
    direct = sorted(m for m in imports_closure(path)[path] if is_ansible(m))
    assert direct == [], f"{rel(path)} imports {direct}: Ansible belongs in the adapter ({', '.join(ADAPTERS)})"


def test_the_graph_reader_sees_a_real_edge() -> None:
    """The checks above are only worth something if the reader finds imports: _client reaches _http."""
    reached = {rel(p) for p in imports_closure(MODULE_UTILS / "_client.py")}
    assert "plugins/module_utils/_http.py" in reached
    assert file_of("ansible.module_utils.basic") is None
