# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fault-injecting HTTP proxy on loopback, in front of the real NetBox, controlled by the tests.

Faults are rules matched in order against (method, path); each fires a bounded number of times:
- ``status``: answer with an HTTP status (and headers such as Retry-After) instead of forwarding
- ``reset``: abort the connection with a TCP RST, without an answer
- ``delay``: wait before forwarding (past the client's timeout, it is a timeout)
- ``down``: every request is reset until ``up()`` — the network path to NetBox broken, then back
- ``stop()``/``start()``: nothing listens (connections refused) — NetBox stopped, then restarted
Answer faults forward the request first (so NetBox applies a write), then spoil NetBox's answer:
- ``truncate``: the full Content-Length, half the body, then close (a content-length mismatch)
- ``cut``: chunked transfer, half the body in a chunk, then close mid-stream (a broken chunked answer)
- ``short``: a complete HTTP answer whose body is the first half of NetBox's JSON
- ``html``: a proxy's HTML page with HTTP 200 instead of NetBox's JSON
- ``lost``: the answer never comes: the connection is reset after NetBox answered
- ``echo``: NetBox is not asked; an error page (``status``) quotes the request's headers, as a
  misconfigured proxy or a debug page does
Every request is counted, so tests can assert how many reached NetBox.
"""
from __future__ import annotations

import http.server
import json
import re
import socket
import struct
import threading
import time
import urllib.parse

import requests

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class Rule:
    def __init__(self, action, method=None, path=None, times=1, status=503, headers=None, seconds=0.0, skip=0):
        self.action = action
        self.method = method
        self.path = re.compile(path) if path else None
        self.times = times
        self.status = status
        self.headers = headers or {}
        self.seconds = seconds
        self.skip = skip  # let this many matching requests through first (e.g. "fail the 3rd POST")

    def matches(self, method, path):
        return (self.method in (None, method)) and (self.path is None or bool(self.path.search(path)))


class FaultProxy:
    def __init__(self, upstream, tls=None):
        """`tls`: an ssl.SSLContext to serve HTTPS with (certificate tests)."""
        self.upstream = upstream.rstrip("/")
        self.rules = []
        self.lock = threading.Lock()
        self.log = []  # (method, path, outcome)
        self.is_down = False
        self._session = requests.Session()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def handle(self):
                try:
                    super().handle()
                except (OSError, ValueError):
                    pass  # a connection we reset on purpose

            def _handle(self):
                proxy.handle(self)

            # The WebDAV methods too: the same proxy stands in front of the publishing tests' DAV server.
            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = do_MKCOL = _handle

        self._handler = Handler
        self._tls = tls
        self.server = self._listen(0)
        scheme = "https" if tls is not None else "http"
        self.port = self.server.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def _listen(self, port):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler)
        server.daemon_threads = True
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def stop(self):
        """NetBox stopped: nothing listens any more, connections are refused."""
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def start(self):
        """NetBox restarted on the same address."""
        self.server = self._listen(self.port)

    # -------------------------------------------------------------- control

    def add(self, action, **kw):
        with self.lock:
            self.rules.append(Rule(action, **kw))
        return self

    def down(self):
        self.is_down = True

    def up(self):
        self.is_down = False

    def count(self, method=None, path=None, outcome=None):
        pattern = re.compile(path) if path else None
        with self.lock:
            return sum(1 for m, p, o in self.log if (method in (None, m)) and (pattern is None or pattern.search(p))
                       and (outcome in (None, o)))

    # -------------------------------------------------------------- serving

    def _take_rule(self, method, path):
        with self.lock:
            for rule in self.rules:
                if rule.times > 0 and rule.matches(method, path):
                    if rule.skip > 0:
                        rule.skip -= 1
                        return None
                    rule.times -= 1
                    return rule
        return None

    def _record(self, method, path, outcome):
        with self.lock:
            self.log.append((method, path, outcome))

    def handle(self, req):
        method, path = req.command, req.path
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else None
        if self.is_down:
            self._record(method, path, "down")
            return _reset(req)
        rule = self._take_rule(method, path)
        if rule is not None and rule.action == "reset":
            self._record(method, path, "reset")
            return _reset(req)
        if rule is not None and rule.action == "status":
            self._record(method, path, f"status-{rule.status}")
            payload = b'{"detail": "injected fault"}'
            req.send_response(rule.status)
            for k, v in rule.headers.items():
                req.send_header(k, v)
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(payload)))
            req.end_headers()
            req.wfile.write(payload)
            return None
        if rule is not None and rule.action == "echo":
            self._record(method, path, "echo")
            return _answer(req, rule.status, "text/plain", _echo_page(method, path, req.headers))
        if rule is not None and rule.action == "delay":
            time.sleep(rule.seconds)
        headers = {k: v for k, v in req.headers.items() if k.lower() not in _HOP_HEADERS}
        try:
            upstream = self._session.request(method, self.upstream + path, data=body, headers=headers, timeout=120)
        except requests.RequestException:
            self._record(method, path, "upstream-error")
            return _reset(req)
        self._record(method, path, "forwarded" if rule is None else rule.action)
        content = upstream.content
        if rule is not None and rule.action in ANSWER_FAULTS:
            return _spoil(req, rule.action, upstream, content)
        try:
            req.send_response(upstream.status_code)
            for k, v in upstream.headers.items():
                if k.lower() not in _HOP_HEADERS:
                    req.send_header(k, v)
            req.send_header("Content-Length", str(len(content)))
            req.end_headers()
            req.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) while we were delaying
        return None


ANSWER_FAULTS = ("truncate", "cut", "short", "html", "lost")
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in to continue.</body></html>"


def _echo_page(method, path, headers):
    """What a debug page shows: every header raw, URL-encoded (as in a logged URL) and JSON-escaped."""
    lines = [f"Bad gateway while forwarding {method} {path}", "Request headers:"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"{k}={urllib.parse.quote(v, safe='')}" for k, v in headers.items()]
    lines.append(json.dumps(dict(headers.items())))
    return "\n".join(lines).encode()


def _answer(req, status, ctype, payload):
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(payload)))
    req.end_headers()
    req.wfile.write(payload)


def _spoil(req, action, upstream, content):
    """NetBox answered (`upstream`); send the client a spoiled version of it."""
    half = content[:max(1, len(content) // 2)]
    try:
        if action == "lost":
            return _reset(req)
        if action == "html":
            return _answer(req, 200, "text/html; charset=utf-8", HTML_PAGE)
        if action == "short":
            return _answer(req, upstream.status_code, "application/json", half)
        req.send_response(upstream.status_code)
        req.send_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
        if "API-Version" in upstream.headers:
            req.send_header("API-Version", upstream.headers["API-Version"])
        if action == "truncate":
            req.send_header("Content-Length", str(len(content) + 10))
            req.end_headers()
            req.wfile.write(half)
        else:  # cut: a chunk announced longer than what follows, then the connection ends
            req.send_header("Transfer-Encoding", "chunked")
            req.end_headers()
            req.wfile.write(f"{len(content):x}\r\n".encode() + half)
        req.wfile.flush()
        # End the stream cleanly (FIN, not RST), so the client reads the half body and then sees it end early.
        req.close_connection = True
        req.connection.shutdown(socket.SHUT_WR)
        return None
    except (BrokenPipeError, ConnectionResetError):
        return None


def _reset(req):
    """Abort with RST: SO_LINGER on, zero timeout, then close."""
    req.close_connection = True
    try:
        req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        req.connection.close()
    except OSError:
        pass
