"""The gateway's nginx configuration for local processes: nginx/parley.conf.template with its
${PARLEY_*} names filled in (as the nginx image's envsubst does in docker compose), inside a
main nginx.conf that keeps every file nginx writes under one folder."""

import os
import re
import resource
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
    main = prefix / "nginx.conf"
    main.write_text(main_config(prefix))
    return main


# The shipped main configuration (nginx/nginx.conf), with this machine's paths: the same workers,
# connections and descriptor limit as in the containers.
MAIN = REPO / "nginx" / "nginx.conf"


def main_config(prefix):
    hard_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    # Started by root, nginx's workers would run as nobody and could not write under `prefix`.
    user = "user root;" if os.geteuid() == 0 else ""
    text = "daemon off;\n" + MAIN.read_text()
    for pattern, replacement in (
        (r"^user .*;$", user),
        (r"^pid .*;$", f"pid {prefix}/nginx.pid;"),
        (r"^error_log .*;$", f"error_log {prefix}/logs/error.log warn;"),
        # A process may not raise its hard limit: as far as this machine allows, and no more
        # connections a worker than that (nginx would warn, in plain text, in the JSON log).
        (r"^worker_rlimit_nofile +(\d+);$", lambda m: f"worker_rlimit_nofile {_within(int(m[1]), hard_limit)};"),
        (
            r"^( *)worker_connections +(\d+);$",
            lambda m: f"{m[1]}worker_connections {_within(int(m[2]), hard_limit)};",
        ),
        (
            r"^ *include /etc/nginx/conf\.d/\*\.conf;$",
            f"""    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/parley.conf;""",
        ),
    ):
        text, found = re.subn(pattern, replacement, text, flags=re.M)
        assert found == 1, f"nginx/nginx.conf no longer has a line matching {pattern}"
    return text


def _within(wanted, hard_limit):
    return wanted if hard_limit == resource.RLIM_INFINITY else min(wanted, hard_limit)
