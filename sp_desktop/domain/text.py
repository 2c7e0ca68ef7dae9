"""Text folding for search: how names typed without accents still find the person."""

import unicodedata

# Letters that carry no combining mark to strip, so NFKD leaves them as they are.
_PLAIN = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Case- and accent-folded text: 'Zoë Siobhán Łukasz' -> 'zoe siobhan lukasz'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_PLAIN)
