"""Seeded identifiers: the same seed gives the same tenant, client ids and uids, run after run."""

from __future__ import annotations

import random
import string
import threading
import uuid


class Ids:
    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def suffix(self, length: int = 5) -> str:
        """Like the apiserver's generateName suffixes (consonants and digits)."""
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        with self._lock:
            return "".join(self._random.choice(alphabet) for _ in range(length))

    def hexdigits(self, length: int = 10) -> str:
        with self._lock:
            return "".join(self._random.choice(string.hexdigits[:16]) for _ in range(length))
