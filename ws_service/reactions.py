"""What a reaction may be: one emoji, a single grapheme (a flag, a skin tone, a family joined by
zero-width joiners, a keycap are each one), and nothing else."""

import regex

from shared.errors import BadRequest

ONE_GRAPHEME = regex.compile(r"\X")
EMOJI_PART = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]")
# Distinct emoji a message takes at most.
MAX_EMOJI_PER_MESSAGE = 20


def emoji_of(text: object) -> str:
    """`text` if it is one emoji, else 400."""
    if not isinstance(text, str) or not ONE_GRAPHEME.fullmatch(text) or not EMOJI_PART.search(text):
        raise BadRequest("A reaction is one emoji.", code="invalid_emoji")
    return text
