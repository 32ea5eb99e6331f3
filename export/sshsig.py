"""OpenSSH signatures (SSHSIG) with Ed25519, so ``ssh-keygen -Y verify`` checks hecha's manifests.

Format: OpenSSH ``PROTOCOL.sshsig``. The signed blob is ``"SSHSIG" || string(namespace) ||
string(reserved="") || string(hash_alg) || string(H(message))``; the armoured signature wraps
``"SSHSIG" || uint32(1) || string(public key) || string(namespace) || string(reserved) ||
string(hash_alg) || string(signature)`` in base64 between ``-----BEGIN/END SSH SIGNATURE-----``
lines of 70 characters, as ssh-keygen writes them. Only ``sha512`` is written; ``sha256`` and
``sha512`` are read.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage.errors import OperatorError

MAGIC = b"SSHSIG"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
KEY_TYPE = b"ssh-ed25519"


class SignatureError(OperatorError):
    """The signature is malformed, for another namespace, by another key, or does not verify."""


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _read_string(buf: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(buf):
        raise SignatureError("signature truncated")
    (n,) = struct.unpack(">I", buf[pos : pos + 4])
    end = pos + 4 + n
    if end > len(buf):
        raise SignatureError("signature truncated")
    return buf[pos + 4 : end], end


def public_blob(key: Ed25519PublicKey) -> bytes:
    """The SSH wire form of an Ed25519 public key: ``string("ssh-ed25519") || string(32 bytes)``."""
    return _string(KEY_TYPE) + _string(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_line(key: Ed25519PublicKey, comment: str = "") -> str:
    """The one-line OpenSSH form: ``ssh-ed25519 AAAA… comment``."""
    line = "ssh-ed25519 " + base64.b64encode(public_blob(key)).decode()
    return f"{line} {comment}".rstrip()


def blob_from_line(line: str) -> bytes:
    """The key blob of an ``ssh-ed25519 AAAA… [comment]`` line. Raises ``SignatureError``."""
    parts = line.split()
    if len(parts) < 2 or parts[0] != "ssh-ed25519":
        raise SignatureError("not an ssh-ed25519 public key line")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError as exc:
        raise SignatureError(f"bad base64 in public key: {exc}") from None
    key_type, pos = _read_string(blob, 0)
    raw, pos = _read_string(blob, pos)
    if key_type != KEY_TYPE or len(raw) != 32 or pos != len(blob):
        raise SignatureError("not an Ed25519 public key")
    return blob


def fingerprint(blob: bytes) -> str:
    """OpenSSH's fingerprint of a key blob: ``SHA256:`` + unpadded base64 of its SHA-256."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _signed_data(message: bytes, namespace: str, hash_alg: bytes) -> bytes:
    digest = hashlib.new(hash_alg.decode(), message).digest()
    return MAGIC + _string(namespace.encode()) + _string(b"") + _string(hash_alg) + _string(digest)


def sign(key: Ed25519PrivateKey, message: bytes, namespace: str) -> str:
    """An armoured SSHSIG over ``message`` in ``namespace`` (e.g. ``hecha-bundle``), as text."""
    signature = key.sign(_signed_data(message, namespace, b"sha512"))
    blob = (
        MAGIC
        + struct.pack(">I", 1)
        + _string(public_blob(key.public_key()))
        + _string(namespace.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(_string(KEY_TYPE) + _string(signature))
    )
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def verify(armoured: str | bytes, message: bytes, namespace: str) -> bytes:
    """Check an armoured SSHSIG over ``message``; return the signer's public key blob.

    The caller must still check that blob against the keys it trusts. Raises :class:`SignatureError`.
    """
    if isinstance(armoured, bytes):
        try:
            armoured = armoured.decode("ascii")
        except UnicodeDecodeError:
            raise SignatureError("signature is not ASCII") from None
    lines = [ln.strip() for ln in armoured.strip().splitlines()]
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise SignatureError("not an SSH signature")
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError:
        raise SignatureError("bad base64 in signature") from None
    if not blob.startswith(MAGIC) or blob[6:10] != struct.pack(">I", 1):
        raise SignatureError("not an SSHSIG version 1 signature")
    pos = 10
    key_blob, pos = _read_string(blob, pos)
    ns, pos = _read_string(blob, pos)
    _reserved, pos = _read_string(blob, pos)
    hash_alg, pos = _read_string(blob, pos)
    sig_blob, pos = _read_string(blob, pos)
    if pos != len(blob):
        raise SignatureError("trailing bytes after signature")
    if ns.decode(errors="replace") != namespace:
        raise SignatureError(f"signature is for namespace {ns!r}, not {namespace!r}")
    if hash_alg not in (b"sha256", b"sha512"):
        raise SignatureError(f"unsupported hash {hash_alg!r}")
    key_type, kpos = _read_string(key_blob, 0)
    raw_key, _ = _read_string(key_blob, kpos)
    sig_type, spos = _read_string(sig_blob, 0)
    raw_sig, _ = _read_string(sig_blob, spos)
    if key_type != KEY_TYPE or sig_type != KEY_TYPE or len(raw_key) != 32:
        raise SignatureError("only ssh-ed25519 signatures are accepted")
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_sig, _signed_data(message, namespace, hash_alg))
    except InvalidSignature:
        raise SignatureError("signature does not verify") from None
    return key_blob
