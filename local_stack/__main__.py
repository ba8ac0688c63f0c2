"""`python -m local_stack` (what `make stack` starts): migrations, then auth_service, user_service
and WS_REPLICAS ws_service processes, each under gunicorn with a gevent worker, sharing Redis, with
nginx in front on PORT. Ctrl-C (or SIGTERM) stops everything it started."""

import dataclasses
import functools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from all_in_one.embedded_postgres import start_embedded_postgres
from db.migrate import apply_migrations
from local_stack.nginx_config import write_config
from shared import logs
from shared.config import Config

log = logging.getLogger("local_stack")

# As in docker-compose.yml: gunicorn allows 1,000 connections per gevent worker unless told
# otherwise, and every WebSocket is one.
WORKER_OPTIONS = {"ws_service": ("--worker-connections", "20000")}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(check, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start in {timeout} s")
        time.sleep(0.1)


def healthy(url):
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Stack:
    def __init__(self):
        self.children = []

    def spawn(self, name, command, env):
        log.info("starting %s: %s", name, " ".join(command))
        self.children.append([name, subprocess.Popen(command, env=env), command, env])

    def restart_the_dead(self):
        """As compose's `restart: unless-stopped` does: a process that died is started again."""
        for child in self.children:
            name, process, command, env = child
            if process.poll() is not None:
                log.warning("%s exited with %s; starting it again", name, process.returncode)
                child[1] = subprocess.Popen(command, env=env)

    def stop(self):
        for _name, process, *_ in reversed(self.children):
            if process.poll() is None:
                process.terminate()
        for _name, process, *_ in reversed(self.children):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def ensure_redis(stack, redis_url, data_dir):
    address = urlsplit(redis_url)
    host, port = address.hostname or "127.0.0.1", address.port or 6379
    if answers(host, port):
        return
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"Redis at {redis_url} does not answer")
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (sudo apt-get install redis-server)")
    stack.spawn(
        "redis",
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
        ],
        os.environ.copy(),
    )
    wait_until(lambda: answers(host, port), "redis-server")


def main():
    logs.configure("local_stack")
    config = Config.from_env()
    replicas = int(os.environ.get("WS_REPLICAS", "2"))
    redis_url = config.redis_url or "redis://127.0.0.1:6379/0"
    data_dir = Path(config.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    embedded = None  # held until main() returns: the embedded PostgreSQL stops with it
    try:
        if not config.database_url:
            embedded, url = start_embedded_postgres(config.data_dir)
            config = dataclasses.replace(config, database_url=url)
        apply_migrations(config.database_url)
        ensure_redis(stack, redis_url, data_dir)

        # The services listen on 127.0.0.1 behind nginx, which adds the client's address to X-Forwarded-For.
        env = {**os.environ, "DATABASE_URL": config.database_url, "REDIS_URL": redis_url, "TRUSTED_PROXY_HOPS": "1"}
        ports = {
            "auth_service": [free_port()],
            "user_service": [free_port()],
            "ws_service": [free_port() for _ in range(replicas)],
        }
        for service, service_ports in ports.items():
            for port in service_ports:
                stack.spawn(
                    f"{service}:{port}",
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-k",
                        "gevent",
                        *WORKER_OPTIONS.get(service, ()),
                        "-b",
                        f"127.0.0.1:{port}",
                        f"{service}.wsgi:app",
                    ],
                    env,
                )
        for service_ports in ports.values():
            for port in service_ports:
                wait_until(functools.partial(healthy, f"http://127.0.0.1:{port}"), f"the service on port {port}")

        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        nginx_conf = write_config(
            data_dir / "nginx", config.port, ports["auth_service"], ports["user_service"], ports["ws_service"]
        )
        stack.spawn("nginx", [nginx, "-p", str(data_dir / "nginx"), "-c", str(nginx_conf)], env)
        wait_until(lambda: healthy(f"http://127.0.0.1:{config.port}/auth"), "nginx")
        log.info("Parley is at http://localhost:%d (%d ws_service processes)", config.port, replicas)
        while True:
            time.sleep(0.5)
            stack.restart_the_dead()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        if embedded is not None:
            log.info("stopping the embedded PostgreSQL")


if __name__ == "__main__":
    main()
