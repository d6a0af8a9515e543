"""MinHash signatures and LSH band keys, vectorised with numpy and stable across processes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

# Multiply-shift hashing, (a·x + b) mod 2^64 keeping the high 32 bits: a 2-universal family
# that numpy computes with wrapping multiplies, three times faster than a modulo by a prime.
SHIFT = np.uint64(32)
Signature = npt.NDArray[np.uint32]


class MinHasher:
    """Signatures of shingle sets under `permutations` seeded hash functions."""

    def __init__(self, permutations: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.permutations = permutations
        self._a = rng.integers(0, 1 << 64, size=permutations, dtype=np.uint64, endpoint=False)
        self._b = rng.integers(0, 1 << 64, size=permutations, dtype=np.uint64, endpoint=False)

    def signature(self, shingles: Iterable[str]) -> Signature | None:
        """The MinHash signature of a set of shingles, None for the empty set."""
        # blake2b, not hash(): Python salts str hashes per process, signatures must persist.
        hashed = b"".join(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest()
                          for s in shingles)
        if not hashed:
            return None
        x = np.frombuffer(hashed, dtype="<u4").astype(np.uint64)[:, None]
        with np.errstate(over="ignore"):
            mins = ((x * self._a + self._b) >> SHIFT).min(axis=0)
        return mins.astype(np.uint32)


def band_keys(sig: Signature, bands: int, rows: int) -> list[int]:
    """One signed 64-bit key per band, the band's index folded in so bands never collide."""
    # The bytes of band i are those numpy would give for sig[i*rows:(i+1)*rows]; slicing one
    # bytes object and reusing the salts costs half of slicing the array 32 times.
    raw, width = sig.astype(np.uint32).tobytes(), rows * 4
    salts = _SALTS if bands <= len(_SALTS) else [i.to_bytes(16, "little") for i in range(bands)]
    return [int.from_bytes(hashlib.blake2b(raw[i * width:(i + 1) * width], digest_size=8,
                                           salt=salts[i]).digest(), "little", signed=True)
            for i in range(bands)]


# blake2b's salt is 16 bytes: the band index, little-endian.
_SALTS = [i.to_bytes(16, "little") for i in range(64)]


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of positions where the minima agree."""
    return float(np.count_nonzero(a == b)) / len(a)


def pack(sig: Signature) -> bytes:
    """Compact bytes for the store (4 bytes a permutation)."""
    return sig.astype("<u4").tobytes()


def unpack(data: bytes) -> Signature:
    """The signature back from its bytes."""
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)
