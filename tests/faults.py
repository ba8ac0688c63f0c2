"""Fault injection at the network edge: a TCP proxy in front of a real server that can be cut off
and brought back, as a database or broker outage looks to a service."""

import contextlib
import socket
import threading


def postgres_address(params):
    """Where the server of libpq connection `params` listens: a TCP (host, port), or the path of its
    unix socket when the host is a folder (an embedded PostgreSQL's, say)."""
    host, port = params.get("host") or "127.0.0.1", int(params.get("port") or 5432)
    return f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to `target`, a (host, port) or a unix socket's path. `cut()` drops
    every connection and refuses new ones until `restore()`."""

    def __init__(self, target):
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._open = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = self._connect_upstream()
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _connect_upstream(self):
        if isinstance(self._target, tuple):
            return socket.create_connection(self._target, timeout=5)
        upstream = socket.socket(socket.AF_UNIX)
        upstream.settimeout(5)
        try:
            upstream.connect(self._target)
        except OSError:
            upstream.close()
            raise
        return upstream

    def _pump(self, source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close(self, sock):
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self):
        self._up.clear()
        with self._lock:
            victims = list(self._open)
        for sock in victims:
            self._close(sock)

    def restore(self):
        self._up.set()

    def close(self):
        self.cut()
        self._listener.close()
