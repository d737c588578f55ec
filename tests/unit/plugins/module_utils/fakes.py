# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake requests.Session for unit tests: scripted responses, recorded calls, no network, no sleep."""
from __future__ import annotations

import json
import threading
from urllib.parse import parse_qsl, urlsplit


class FakeResponse:
    def __init__(self, status=200, body=None, headers=None):
        self.status_code = status
        self.headers = headers or {}
        self.content = b"" if body is None else json.dumps(body).encode()

    @property
    def text(self):
        return self.content.decode()

    def json(self):
        return json.loads(self.content)


class FakeSession:
    """`routes` maps (method, path) to a list of responses/exceptions (consumed in order; the last repeats)
    or to a callable(method, path, params, body) -> FakeResponse."""

    def __init__(self, routes=None):
        self.routes = dict(routes or {})
        self.calls = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay_event = None  # set to a threading.Event to hold requests (concurrency tests)

    def request(self, method, url, params=None, data=None, headers=None, timeout=None, verify=None):
        parts = urlsplit(url)
        path = parts.path
        query = dict(parse_qsl(parts.query))
        query.update({k: str(v) for k, v in (params or {}).items()})
        body = json.loads(data) if data else None
        with self.lock:
            self.calls.append(dict(method=method, path=path, params=query, body=body, headers=dict(headers or {}),
                                   timeout=timeout, verify=verify))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_event is not None:
                self.delay_event.wait(0.02)
            route = self.routes.get((method, path))
            if route is None:
                return FakeResponse(404, {"detail": "Not found."})
            if callable(route):
                result = route(method, path, query, body)
            else:
                with self.lock:
                    result = route.pop(0) if len(route) > 1 else route[0]
            if isinstance(result, BaseException):
                raise result
            return result
        finally:
            with self.lock:
                self.in_flight -= 1


def paged(objects, max_page=1000):
    """A route serving `objects` with NetBox's limit/offset/start semantics."""
    def route(method, path, params, body):
        limit = min(int(params.get("limit", 50)) or max_page, max_page)
        if "start" in params:
            start = int(params["start"])
            rows = [o for o in objects if o["id"] >= start][:limit]
            nxt = f"http://nb.test{path}?start={rows[-1]['id'] + 1}&limit={limit}" if len(rows) == limit else None
            return FakeResponse(200, {"count": None, "next": nxt, "previous": None, "results": rows})
        offset = int(params.get("offset", 0))
        rows = objects[offset:offset + limit]
        nxt = f"http://nb.test{path}?limit={limit}&offset={offset + limit}" if offset + limit < len(objects) else None
        return FakeResponse(200, {"count": len(objects), "next": nxt, "previous": None, "results": rows})
    return route
