"""The gateway template is a valid nginx configuration once rendered, for real nginx."""
import subprocess

from tests.conftest import REPO
from tests.deploy.nginx_config import nginx_binary, write_main_config


def test_the_rendered_template_passes_nginx_t(tmp_path):
    config = write_main_config(tmp_path, {
        "PARLEY_LISTEN": "127.0.0.1:18080",
        "PARLEY_AUTH_SERVERS": "server 127.0.0.1:18001;",
        "PARLEY_USER_SERVERS": "server 127.0.0.1:18002;",
        "PARLEY_WS_SERVERS": "server 127.0.0.1:18003; server 127.0.0.1:18004;",
        "PARLEY_WEB_ROOT": str(REPO / "web"),
    })
    result = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(config)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
