"""`make stack` started once for the tests of this folder: nginx with the repo's config in front of
gunicorn processes, two ws_service replicas sharing Redis."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import REPO, TEST_SERVER_SETTINGS, RedisServer, free_port


@pytest.fixture(scope="package")
def stack(database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("stack")
    redis_server = RedisServer(folder / "redis.log")
    port = free_port()
    # Appending: nginx opens /dev/stdout anew (O_APPEND), and a shared offset would write over its lines.
    output = open(folder / "stack.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack"],
        cwd=REPO,
        stdout=output,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url,
            "PORT": str(port),
            "WS_REPLICAS": "2",
            "PARLEY_DATA_DIR": str(folder / "data"),
            "MESSAGE_RATE_PER_SECOND": "1000",
            "MESSAGE_BURST": "1000",
            **TEST_SERVER_SETTINGS,
        },
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (folder / "stack.log").read_text()
        try:
            if requests.get(f"{url}/ws/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "make stack did not come up"
        time.sleep(0.2)
    yield {"url": url, "process": process, "log": folder / "stack.log", "data": folder / "data"}
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    finally:
        output.close()
        redis_server.stop()
