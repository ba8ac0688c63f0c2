"""The gateway template is a valid nginx configuration once rendered, for real nginx, inside the
shipped main configuration."""

import re
import resource
import shutil
import subprocess

from local_stack.nginx_config import main_config, write_config
from tests.conftest import REPO


def nginx_binary():
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    assert shutil.os.path.exists(found), "nginx is not installed: `make test` installs it with apt-get"
    return found


def test_the_rendered_template_passes_nginx_t(tmp_path):
    config = write_config(tmp_path, "127.0.0.1:18080", [18001], [18002], [18003, 18004])
    result = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    assert "[warn]" not in result.stderr and "[alert]" not in result.stderr  # they would not be JSON lines


def directives(text, name):
    return re.findall(rf"^\s*{name}\s+(\S+);", text, re.M)


def test_make_stack_runs_the_shipped_main_configuration_with_its_own_paths(tmp_path):
    shipped = (REPO / "nginx" / "nginx.conf").read_text()
    rendered = main_config(tmp_path)
    for name in ("worker_processes", "use"):
        assert directives(rendered, name) == directives(shipped, name), name
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    for name in ("worker_rlimit_nofile", "worker_connections"):  # as far as this machine allows
        assert directives(rendered, name) == [str(min(int(directives(shipped, name)[0]), hard))], name
    assert directives(rendered, "include")[-1] == f"{tmp_path}/parley.conf"
    assert "/var/" not in rendered and "/etc/nginx/conf.d" not in rendered
