"""Where a search's words are in a message's text: the `highlights` of GET /ws/search.

The query is PostgreSQL's web search syntax (websearch_to_tsquery): words, "quoted phrases", and
-excluded words, matched whole and whatever their case by the `simple` configuration. The offsets
are of characters (Unicode code points) in the message's content, [start, end) and in order."""

import re

# A quoted phrase, or a word (with its "-" when excluded), as websearch_to_tsquery reads them.
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
WORD = re.compile(r"\w+")


def highlights(query: str, content: str) -> list[list[int]]:
    found: list[tuple[int, int]] = []
    for pattern in _patterns(query):
        found.extend(match.span() for match in pattern.finditer(content))
    merged: list[list[int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _patterns(query: str) -> list[re.Pattern[str]]:
    """A pattern per term that is looked for (not excluded, not the OR between two)."""
    patterns = []
    for match in TERM.finditer(query):
        excluded, text = (match.group(1), match.group(2)) if match.group(2) is not None else match.group(3, 4)
        words = WORD.findall(text)
        if excluded or not words or (match.group(4) is not None and text.lower() == "or"):
            continue
        # The words of a phrase (or of "e-mail") in order, anything not a word between them.
        body = r"\W+".join(re.escape(word) for word in words)
        patterns.append(re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE))
    return patterns
