"""Where a search's words are in a message (highlights), on its own."""

import pytest

from ws_service.search_terms import highlights


@pytest.mark.parametrize(
    ("query", "content", "expected"),
    [
        ("tea", "Tea, TEA and tea!", [[0, 3], [5, 8], [13, 16]]),
        ("tea", "teapot steam", []),  # whole words only, as the `simple` configuration matches
        ('"five o\'clock"', "at five o'clock sharp", [[3, 15]]),
        ('"five o clock', "at five  o'clock", [[3, 16]]),  # an unclosed phrase runs to the end
        ("tea -coffee", "tea or coffee", [[0, 3]]),  # excluded words are not shown
        ("tea or cake", "cake or tea", [[0, 4], [8, 11]]),  # "or" between words is no word
        ("e-mail", "an e-mail, not email", [[3, 9]]),
        ("café", "Le CAFÉ, le café", [[3, 7], [12, 16]]),
        ("a a", "a", [[0, 1]]),  # the same place twice is one highlight
        ("!!!", "!!!", []),
    ],
)
def test_highlights(query, content, expected):
    assert highlights(query, content) == expected
