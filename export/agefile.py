"""Writing passphrase-protected age files with a work factor an office machine can afford.

age's scrypt recipient (age v1, C2SP age spec, "scrypt recipient stanza") costs ``128 · r · 2^logN``
bytes of memory to open. rage (behind pyrage) calibrates logN on the encrypting machine to about a
second, which on a current machine means logN 19 or 20: 512 MiB to 1 GiB of memory to open the
key, more than a 1–2 GB township machine can spare. This module writes the same format with a fixed
logN (:data:`LOG_N` = 16: 64 MiB); reading stays with pyrage (``pyrage.passphrase.decrypt``), the
well-kept implementation, which the tests use to check every file written here, as does ``age -d``.

Format (age v1): header ``age-encryption.org/v1``, one ``-> scrypt <salt> <logN>`` stanza whose body
is the 16-byte file key sealed with ChaCha20-Poly1305 under scrypt(passphrase, "age-encryption.org/v1/scrypt"
|| salt, N=2^logN, r=8, p=1), the header MAC (HMAC-SHA256 with HKDF(file key, "header")), then a
16-byte nonce and the payload in 64 KiB ChaCha20-Poly1305 STREAM chunks under HKDF(file key, nonce,
"payload").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

LOG_N = 16
CHUNK = 64 * 1024
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _hkdf(key: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def encrypt_passphrase(plaintext: bytes, passphrase: str, *, log_n: int = LOG_N) -> bytes:
    """``plaintext`` as an age v1 file for ``passphrase`` with scrypt work factor ``log_n``.

    Memory to open it: 2^log_n KiB × 1 (r = 8): 64 MiB at the default 16. Raises ``ValueError`` for an
    empty passphrase or a work factor outside 10–22.
    """
    if not passphrase:
        raise ValueError("empty passphrase")
    if not 10 <= log_n <= 22:
        raise ValueError(f"scrypt work factor {log_n} outside 10–22")
    file_key = os.urandom(16)
    salt = os.urandom(16)
    wrap_key = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=2**log_n, r=8, p=1).derive(passphrase.encode("utf-8"))
    body = ChaCha20Poly1305(wrap_key).encrypt(b"\x00" * 12, file_key, None)
    body_b64 = _b64(body)
    lines = [body_b64[i : i + 64] for i in range(0, len(body_b64), 64)] or [b""]
    if len(lines[-1]) == 64:
        lines.append(b"")  # a full last line is followed by an empty one (age spec)
    header = (
        b"age-encryption.org/v1\n-> scrypt "
        + _b64(salt)
        + b" "
        + str(log_n).encode()
        + b"\n"
        + b"\n".join(lines)
        + b"\n---"
    )
    mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
    nonce = os.urandom(16)
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    chunks = [plaintext[i : i + CHUNK] for i in range(0, len(plaintext), CHUNK)] or [b""]
    sealed = b"".join(
        aead.encrypt(n.to_bytes(11, "big") + (b"\x01" if n == len(chunks) - 1 else b"\x00"), chunk, None)
        for n, chunk in enumerate(chunks)
    )
    return header + b" " + _b64(mac) + b"\n" + nonce + sealed
