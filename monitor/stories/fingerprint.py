"""An article's MinHash signature and LSH keys: text work only, so the parse processes do it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.stories.text import shingles, words


@dataclass(frozen=True, slots=True)
class Shape:
    """The [stories] settings a fingerprint depends on, as a small picklable value."""

    shingle: int
    permutations: int
    seed: int
    bands: int
    rows: int

    @classmethod
    def of(cls, settings: Any) -> Shape:
        """The shape of a StorySettings (duck-typed: workers never import the settings)."""
        return cls(settings.shingle, settings.permutations, settings.seed, settings.bands,
                   settings.rows)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A packed signature (little-endian uint32s) and its band keys; None for a wordless text."""

    signature: bytes | None
    keys: tuple[int, ...]


class Fingerprinter:
    """Fingerprints of entries under one shape."""

    def __init__(self, shape: Shape) -> None:
        # numpy is imported where fingerprints are made (the workers), not with these types.
        from monitor.stories import minhash

        self.shape = shape
        self.hasher = minhash.MinHasher(shape.permutations, shape.seed)
        self._minhash = minhash

    def __call__(self, title: str, summary: str, content: str) -> Fingerprint:
        """Signature and band keys of the normalised text."""
        grams = shingles(words(title, summary, content), self.shape.shingle)
        sig = self.hasher.signature(grams)
        if sig is None:
            return Fingerprint(None, ())
        keys = self._minhash.band_keys(sig, self.shape.bands, self.shape.rows)
        return Fingerprint(self._minhash.pack(sig), tuple(keys))
