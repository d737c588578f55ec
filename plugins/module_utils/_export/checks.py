# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netbox_export's checks against NetBox: object filters resolved to ids, request-line length, filter
names against the API schema, a rejected filter named. PRIVATE to the collection."""
from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlparse

from ansible_collections.sot.netbox.plugins.module_utils._cache import cached
from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError, InputError, SotNetboxError, ValidationErrors
from ansible_collections.sot.netbox.plugins.module_utils._export.rows import check_filter_names
from ansible_collections.sot.netbox.plugins.module_utils._export.spec import ENDPOINTS, MAX_REQUEST_LINE, OBJECT_FILTERS
from ansible_collections.sot.netbox.plugins.module_utils._lookups import LookupTable
from ansible_collections.sot.netbox.plugins.module_utils._records import record

if TYPE_CHECKING:  # pragma: no cover
    from ansible_collections.sot.netbox.plugins.module_utils._client import NetboxClient
    from ansible_collections.sot.netbox.plugins.module_utils._errors import RequestValidationFailed
    from ansible_collections.sot.netbox.plugins.module_utils._export.rows import Catalog
    from ansible_collections.sot.netbox.plugins.module_utils._export.spec import ExportSpec
    from ansible_collections.sot.netbox.plugins.module_utils._lookups import Lookups


def resolve_filters(client: NetboxClient, lookups: Lookups, spec: ExportSpec) -> None:
    """Object filters (site, tenant, role, tag, site group) by name, slug or id -> ids, so every
    spelling exports the same objects. A value not in a (possibly cached) table is looked for again
    in a fresh read of that table before it is an error; every unknown value is reported at once."""
    errors = []
    for option, (type_name, _param) in OBJECT_FILTERS.items():
        values = spec.filters.get(option)
        if not values:
            continue
        table = lookups.table(type_name)
        rows = _find_all(table, values)
        if any(row is None for row in rows):
            rec = record(type_name)
            table = LookupTable(rec, client.list(rec.endpoint, None, cache=None, fields=list(rec.fields)))
            rows = _find_all(table, values)
        ids = []
        for i, (value, row) in enumerate(zip(values, rows)):
            if isinstance(row, str):
                errors.append(FieldError(f"{option}[{i}]", row, value))
            elif row is None:
                known = ", ".join(sorted(str(n) for n in table.names())[:10]) or "none"
                errors.append(FieldError(f"{option}[{i}]", f"no {table.type.title} with this name, slug or id in "
                                         f"NetBox (known: {known}{' ...' if len(table.rows) > 10 else ''})", value))
            else:
                ids.append(row["id"])
        spec.object_ids[option] = sorted(set(ids))
    if errors:
        raise ValidationErrors(errors)


def _find_all(table: LookupTable, values: list) -> list:
    """Per value: its row, None when absent, or the text of an ambiguity."""
    rows = []
    for value in values:
        try:
            rows.append(table.find(value.strip()))
        except SotNetboxError as exc:
            rows.append(exc.message)
    return rows


def check_request_line(client: NetboxClient, spec: ExportSpec, kind: str, fields: list) -> None:
    """NetBox's server answers HTTP 414 to a request line over MAX_REQUEST_LINE bytes: refuse such
    filters before any request, naming the option that takes the most room."""
    path = urlparse(client.url_for(ENDPOINTS[kind])).path
    sources = spec.param_sources(kind)
    extra = {"fields": ",".join(fields), "limit": 1000, "offset": 10 ** 9}
    query = urlencode([*((p, v) for _o, p, v in sources), *extra.items()], doseq=True)
    length = len(f"GET {path}?{query} HTTP/1.1")
    if length <= MAX_REQUEST_LINE or not sources:
        return
    sizes = {}
    for option, param, value in sources:
        sizes[option] = sizes.get(option, 0) + len(urlencode([(param, value)], doseq=True))
    option = max(sizes, key=sizes.get)
    value = next(v for o, _p, v in sources if o == option)
    raise InputError(option, value if len(str(value)) <= 200 else f"<{len(str(value))} characters>",
                     f"the filters make a {length}-byte request to {ENDPOINTS[kind]}; NetBox's server accepts "
                     f"{MAX_REQUEST_LINE} (it would answer HTTP 414). This option takes {sizes[option]} bytes: "
                     "use fewer or shorter values, or a broader filter (for example site_group instead of many sites)")


def validate_filter_names(client: NetboxClient, spec: ExportSpec, catalog: Catalog, kinds: tuple) -> None:
    """NetBox silently ignores unknown filter names: check free-form ones against its API schema."""
    wanted = {kind: spec.free_filter_names(kind) for kind in kinds}
    if not any(wanted.values()):
        return
    known = schema_filter_names(client, [ENDPOINTS[k] for k in kinds])
    for kind in kinds:
        cfs = {name for name, cf_kinds in catalog.custom_fields.items() if kind in cf_kinds}
        for option, names in wanted[kind].items():
            check_filter_names(option, names, ENDPOINTS[kind], set(known.get(ENDPOINTS[kind], ())), cfs)


def schema_filter_names(client: NetboxClient, endpoints: list) -> dict:
    """Query parameter names of list endpoints, from NetBox's OpenAPI schema (large and slow to build,
    so only the names are kept, in the client's cache as a static lookup)."""
    def fetch() -> dict:
        schema = client.request("GET", "schema", {"format": "json"}) or {}
        out = {}
        for endpoint in endpoints:
            suffix = f"/api/{endpoint}/"
            for path, item in (schema.get("paths") or {}).items():
                if path.endswith(suffix):
                    params = (item.get("get") or {}).get("parameters") or []
                    out[endpoint] = sorted(p["name"] for p in params if p.get("in") == "query")
        return out

    return cached(client.cache, client.metrics, "schema", "export-filter-names " + ",".join(sorted(endpoints)),
                  "static", fetch)


def filter_error(spec: ExportSpec, kind: str, exc: RequestValidationFailed) -> Exception:
    """A 400 on a list request means a filter value NetBox does not accept: name the option."""
    problems = []
    by_param = {param: (option, value) for option, param, value in spec.param_sources(kind)}
    for name, messages in (exc.fields.items() if isinstance(exc.fields, dict) else []):
        option, value = by_param.get(name, (name, None))
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        problems.append((option, value, text))
    if not problems:
        return exc
    option, value, text = problems[0]
    more = "; ".join(f"{o}: {t}" for o, _v, t in problems[1:])
    return InputError(option, value, f"NetBox rejected this filter for {ENDPOINTS[kind]}: {text}"
                      + (f" (also {more})" if more else ""))
