"""A loopback TCP link a test can cut, in front of a real server (PostgreSQL): "up" forwards both ways, "down"
drops open connections and closes new ones at once (a stopped or restarting server), "silent" accepts and never
answers (a wedged server, or a firewall that swallows packets)."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpSwitch:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.mode = "up"
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str) -> None:
        with self._lock:
            self.mode = mode
            if mode != "up":  # a server that goes away takes its connections with it
                for s in self._open:
                    _close(s)
                self._open.clear()

    def close(self) -> None:
        self.set("down")
        _close(self._listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
                if mode == "down":
                    _close(client)
                    continue
                self._open.append(client)
            if mode == "silent":
                continue  # held open, never read
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        _close(src)
        _close(dst)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()
