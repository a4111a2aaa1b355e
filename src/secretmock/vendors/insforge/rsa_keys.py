"""RSA key pairs in PEM, made deterministically from a seed, in pure Python.

For InsForge, whose built-in secrets include a key pair (``JWT_PRIVATE_KEY`` and
``JWT_PUBLIC_KEY``): a real RSA-2048 pair, PKCS#8 and SPKI PEM as Node's
``generateKeyPairSync`` writes them, so a client that parses them gets a working key.
Made from a seed so that every reset gives the same pair; cached, because finding two
1024-bit primes in Python takes around a second.
"""

from __future__ import annotations

import base64
import functools
import math
import random

PUBLIC_EXPONENT = 65537
_RSA_ENCRYPTION = bytes.fromhex("06092a864886f70d010101")  # OID 1.2.840.113549.1.1.1
_NULL = b"\x05\x00"
_SMALL_PRIMES = tuple(
    p for p in range(3, 2000, 2) if all(p % d for d in range(3, math.isqrt(p) + 1, 2))
)


@functools.lru_cache(maxsize=64)
def rsa_pem_pair(seed: str, bits: int = 2048) -> tuple[str, str]:
    """``(private PEM, public PEM)``: PKCS#8 ``PRIVATE KEY`` and SPKI ``PUBLIC KEY``."""
    rnd = random.Random(seed)
    while True:
        p, q = _prime(bits // 2, rnd), _prime(bits // 2, rnd)
        if p != q and math.gcd(PUBLIC_EXPONENT, (p - 1) * (q - 1)) == 1:
            break
    n, e = p * q, PUBLIC_EXPONENT
    d = pow(e, -1, math.lcm(p - 1, q - 1))
    numbers = (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))
    private = _sequence(*map(_integer, numbers))
    algorithm = _sequence(_RSA_ENCRYPTION, _NULL)
    pkcs8 = _sequence(_integer(0), algorithm, _tlv(0x04, private))
    spki = _sequence(algorithm, _tlv(0x03, b"\x00" + _sequence(_integer(n), _integer(e))))
    return _pem("PRIVATE KEY", pkcs8), _pem("PUBLIC KEY", spki)


def _prime(bits: int, rnd: random.Random) -> int:
    while True:
        candidate = rnd.getrandbits(bits) | (3 << (bits - 2)) | 1
        if _probably_prime(candidate, rnd):
            return candidate


def _probably_prime(n: int, rnd: random.Random, rounds: int = 20) -> bool:
    """Trial division by small primes, then Miller-Rabin with ``rounds`` bases."""
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(rnd.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _sequence(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _pem(label: str, der: bytes) -> str:
    text = base64.b64encode(der).decode("ascii")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])
