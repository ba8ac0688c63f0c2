"""The gateway's nginx configuration for local processes: nginx/parley.conf.template with its
${PARLEY_*} names filled in (as the nginx image's envsubst does in docker compose), inside a
main nginx.conf that keeps every file nginx writes under one folder."""

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "nginx" / "parley.conf.template"


def render(values):
    return re.sub(r"\$\{(PARLEY_\w+)\}", lambda match: values[match.group(1)], TEMPLATE.read_text())


def upstream_servers(ports):
    return " ".join(f"server 127.0.0.1:{port};" for port in ports)


def write_config(prefix, listen, auth_ports, user_ports, ws_ports):
    """Write nginx.conf under `prefix` and return its path."""
    prefix = Path(prefix)
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    (prefix / "parley.conf").write_text(
        render(
            {
                "PARLEY_LISTEN": str(listen),
                "PARLEY_AUTH_SERVERS": upstream_servers(auth_ports),
                "PARLEY_USER_SERVERS": upstream_servers(user_ports),
                "PARLEY_WS_SERVERS": upstream_servers(ws_ports),
                "PARLEY_WEB_ROOT": str(REPO / "web"),
            }
        )
    )
    # Started by root, nginx's workers would run as nobody and could not write under `prefix`.
    user = "user root;" if os.geteuid() == 0 else ""
    main = prefix / "nginx.conf"
    main.write_text(f"""
daemon off;
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
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
    return main
