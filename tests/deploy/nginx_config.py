"""Rendering the gateway template the way `make stack` and the nginx image do."""
import re
import shutil
from pathlib import Path

from tests.conftest import REPO

TEMPLATE = REPO / "nginx" / "parley.conf.template"


def nginx_binary():
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert found, "nginx is not installed: `make test` installs it with apt-get (package nginx)"
    return found


def render(values):
    """The template with its ${PARLEY_*} names filled in, as envsubst with a PARLEY_ filter does."""
    return re.sub(r"\$\{(PARLEY_\w+)\}", lambda match: values[match.group(1)], TEMPLATE.read_text())


def write_main_config(prefix, values):
    """A complete nginx.conf under `prefix` that runs the rendered gateway in the foreground."""
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "logs").mkdir(exist_ok=True)
    (prefix / "parley.conf").write_text(render(values))
    (prefix / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/parley.conf;
}}
""")
    return prefix / "nginx.conf"
