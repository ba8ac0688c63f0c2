"""Fault injection at the network edge: a TCP proxy in front of a real server that can be cut off
and brought back, as a database or broker outage looks to a service."""
import socket
import threading


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to `target`. `cut()` drops every connection and refuses new ones
    until `restore()`."""

    def __init__(self, target_host, target_port):
        self._target = (target_host, target_port)
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
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

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
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
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
