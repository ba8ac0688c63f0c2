"""The gateway template is a valid nginx configuration once rendered, for real nginx."""

import shutil
import subprocess

from local_stack.nginx_config import write_config


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
