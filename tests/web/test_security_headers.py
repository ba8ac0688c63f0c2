"""The browser enforces the web client's Content-Security-Policy: the client works under it (every
other test in this folder runs under it), and an injected inline script does not run."""

import pytest
from playwright.sync_api import Error

pytestmark = pytest.mark.browser


def test_an_injected_inline_script_does_not_run(page_at):
    page = page_at()
    csp_reports = []
    page.on(
        "console",
        lambda message: csp_reports.append(message.text) if "Content Security Policy" in message.text else None,
    )
    with pytest.raises(Error):  # Playwright reports the blocked script as an error
        page.add_script_tag(content="window.injectedScriptRan = true")
    assert page.evaluate("window.injectedScriptRan") is None
    assert csp_reports, "the browser reported the violation"
