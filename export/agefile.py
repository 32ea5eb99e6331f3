"""Writing passphrase-protected age files with a work factor an office machine can afford.

age's scrypt recipient (age v1, C2SP age spec, "scrypt recipient stanza") costs ``128 · r · 2^logN``
bytes of memory to open. rage (behind pyrage) calibrates logN on the encrypting machine to about a
second, which on a current machine means logN 19 or 20: 512 MiB to 1 GiB of memory to open the
key, more than a 1–2 GB township machine can spare. This module writes the same format with a fixed
logN (:data:`LOG_N` = 16: 64 MiB). The tests check every file written here with pyrage
(``pyrage.passphrase.decrypt``), as ``age -d`` would open it.

Reading is here too (:func:`decrypt_passphrase`), for one reason: rage refuses a work factor above a
ceiling it derives from timing scrypt on the machine at the moment of decrypting, so on a loaded
machine it reported the right passphrase as wrong (seen in the kill harness, ``bench/kills.py``, with
a dozen processes on two cores). Here the ceiling is fixed (:data:`MAX_LOG_N` = 20, 1 GiB, the most a
township machine can give), a wrong passphrase is told apart from a damaged file, and the result does
not depend on the load.

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
MAX_LOG_N = 20
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


class AgeFileError(ValueError):
    """A passphrase-protected age file that is damaged or not one this module can open."""


class BadPassphrase(AgeFileError):
    """The passphrase does not open the file's scrypt stanza (the stanza's ChaCha20-Poly1305 tag fails)."""


def _unb64(text: bytes) -> bytes:
    if b"=" in text or b"\r" in text:
        raise AgeFileError("non-canonical base64 in the age header")
    return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)


def decrypt_passphrase(sealed: bytes, passphrase: str, *, max_log_n: int = MAX_LOG_N) -> bytes:
    """Open an age v1 file with a single scrypt stanza (as written by :func:`encrypt_passphrase` or rage).

    Same format as above (age v1, C2SP age spec). Raises :class:`BadPassphrase` when the passphrase is
    wrong, :class:`AgeFileError` for anything else: another recipient type, a work factor above
    ``max_log_n``, a damaged header MAC or payload, a truncated file.
    """
    from cryptography.exceptions import InvalidTag

    try:
        head, _, rest = sealed.partition(b"\n---")
        lines = head.split(b"\n")
        if lines[0] != b"age-encryption.org/v1" or len(lines) < 3:
            raise AgeFileError("not an age v1 file")
        stanza = lines[1].split(b" ")
        if stanza[:2] != [b"->", b"scrypt"] or len(stanza) != 4 or not stanza[3].isdigit():
            raise AgeFileError("not a single scrypt stanza")
        salt, log_n = _unb64(stanza[2]), int(stanza[3])
        if len(salt) != 16 or not 1 <= log_n <= max_log_n:
            raise AgeFileError(f"scrypt work factor {log_n} outside 1–{max_log_n}")
        body = _unb64(b"".join(lines[2:]))
        mac_line, newline, payload = rest.partition(b"\n")
        if not newline or not mac_line.startswith(b" ") or len(payload) < 16 + 16:
            raise AgeFileError("truncated age file")
        wrap_key = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=2**log_n, r=8, p=1).derive(passphrase.encode("utf-8"))
        try:
            file_key = ChaCha20Poly1305(wrap_key).decrypt(b"\x00" * 12, body, None)
        except InvalidTag:
            raise BadPassphrase("wrong passphrase") from None
        header = head + b"\n---"
        mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, _unb64(mac_line[1:])):
            raise AgeFileError("header MAC does not match")
        nonce, sealed_payload = payload[:16], payload[16:]
        aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        size = CHUNK + 16
        chunks = [sealed_payload[i : i + size] for i in range(0, len(sealed_payload), size)]
        out = []
        for n, chunk in enumerate(chunks):
            last = b"\x01" if n == len(chunks) - 1 else b"\x00"
            out.append(aead.decrypt(n.to_bytes(11, "big") + last, chunk, None))
        return b"".join(out)
    except InvalidTag:
        raise AgeFileError("payload damaged or truncated") from None
    except (ValueError, IndexError) as exc:
        if isinstance(exc, AgeFileError):
            raise
        raise AgeFileError(f"damaged age file: {exc}") from None
