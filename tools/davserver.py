#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real WebDAV server for the publishing tests: wsgidav (filesystem provider, ETags, If-Match,
MKCOL) under cheroot, on 127.0.0.1 only, with one Basic-auth user. Every request it answers is
appended to a log (one JSON object a line: method, path, status), so tests count requests.

    python tools/davserver.py --root DIR --port 8797 --user svc --password PW --log FILE

Runs in the foreground until SIGTERM/SIGINT. `start(...)` does the same from a test and returns
the process (the caller stops it with `stop(proc)`); requires the wsgidav and cheroot packages
(tools/requirements-dev.txt).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"


class RequestLog:
    """WSGI middleware: log each answered request (method, path, status) to a file."""

    def __init__(self, app, path):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        seen = {}

        def recording_start(status, headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start)
        try:
            body = list(result)  # wsgidav may call start_response while the body is iterated
        finally:
            if hasattr(result, "close"):
                result.close()
        with self.lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"method": environ["REQUEST_METHOD"], "path": environ.get("PATH_INFO", ""),
                                 "status": seen.get("status"), "if_match": environ.get("HTTP_IF_MATCH"),
                                 "if_none_match": environ.get("HTTP_IF_NONE_MATCH")}) + "\n")
        return body


def build_app(root, user, password, log):
    from wsgidav.wsgidav_app import WsgiDAVApp  # pylint: disable=import-outside-toplevel
    config = {
        "host": HOST,
        "provider_mapping": {"/": root},
        "http_authenticator": {"domain_controller": None, "accept_basic": True, "accept_digest": False,
                               "default_to_digest": False},
        "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
        "verbose": 1,
        "logging": {"enable_loggers": []},
        "property_manager": True,
        "lock_storage": True,
        "dir_browser": {"enable": False},
    }
    return RequestLog(WsgiDAVApp(config), log)


def serve(root, port, user, password, log):
    from cheroot import wsgi  # pylint: disable=import-outside-toplevel
    server = wsgi.Server((HOST, port), build_app(root, user, password, log))
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()


def start(root, port, user, password, log, timeout=20.0):
    """Start the server in a child process; returns it once the port answers."""
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--root", root, "--port", str(port),
                             "--user", user, "--password", password, "--log", log],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the DAV server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"the DAV server did not listen on {HOST}:{port} within {timeout}s")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_log(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except FileNotFoundError:
        return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--user", default="svc")
    parser.add_argument("--password", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    serve(args.root, args.port, args.user, args.password, args.log)


if __name__ == "__main__":
    main()
