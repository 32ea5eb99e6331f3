"""Name keys for matching (DATA.md "Names"). This first part gives the normalised form only;
pinyin keys and surname readings come with the duplicate search."""

from __future__ import annotations

import unicodedata

_DROP = str.maketrans("", "", " \t\u3000·•・.")


def normalize(name: str) -> str:
    """NFKC, spaces and the middle dots of minority names removed: ``阿依古丽 · 买买提`` → ``阿依古丽买买提``."""
    return unicodedata.normalize("NFKC", name or "").translate(_DROP)
