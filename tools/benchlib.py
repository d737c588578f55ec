# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the benchmarks: a byte-forwarding proxy on 127.0.0.1 that counts the HTTP requests
NetBox receives, so every side of a benchmark is counted the same way."""
from __future__ import annotations

import re
import socket
import threading


class CountingProxy:
    """Forwards TCP bytes to NetBox and counts HTTP request lines going upstream."""

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.count = 0
        self.methods = {}
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self):
        with self.lock:
            value, methods, self.count, self.methods = self.count, self.methods, 0, {}
        return value, methods

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src, dst, count):
        try:
            while True:
                data = src.recv(262144)
                if not data:
                    break
                if count:
                    hits = re.findall(rb"(?:^|\r\n)(GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) /", data)
                    if hits:
                        with self.lock:
                            self.count += len(hits)
                            for method in hits:
                                self.methods[method.decode()] = self.methods.get(method.decode(), 0) + 1
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
