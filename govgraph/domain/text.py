"""Vietnamese text: NFC for storage and display, a folded key for diacritic-insensitive search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z ]+")


def nfc(value: str) -> str:
    """Normalise to NFC and collapse white space (how names are stored and shown)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Search key: lower case, no diacritics, đ→d, punctuation dropped. "Nguyễn Đức" → "nguyen duc"."""
    decomposed = unicodedata.normalize("NFD", value.replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", stripped)).strip()


def like_pattern(query: str) -> str:
    """A LIKE pattern matching folded text that contains every word of ``query`` in order."""
    words = fold(query).split()
    escaped = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]
    return "%" + "%".join(escaped) + "%"
