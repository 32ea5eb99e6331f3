"""Build bundles by hand, from their parts, to test what the importer refuses.

Uses the same primitives as a sender (SSHSIG over the manifest, age to the county's keys), so
each forged bundle is wrong in exactly the one way a test names.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from pathlib import Path

import pyrage

from export import sshsig
from export.bundle import NAMES, _now, _zip_entry


def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path: Path, parts: list[tuple[str, bytes]], *, compress: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts:
            info = _zip_entry(name, _now())
            if compress:
                info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def decrypt_lines(payload: bytes, identity) -> list[dict]:
    plain = pyrage.decrypt(payload, [identity])
    return [json.loads(line) for line in gzip.decompress(plain).splitlines()]


def seal(lines: list[dict], recipients: list[str]) -> bytes:
    body = gzip.compress(b"".join(json.dumps(x, ensure_ascii=False).encode() + b"\n" for x in lines))
    return pyrage.encrypt(body, [pyrage.x25519.Recipient.from_str(r) for r in recipients])


def rebuild(
    path: Path, out: Path, sign_key, *, manifest_edit=None, lines_edit=None, identity=None, recipients=None
) -> Path:
    """Rewrite the bundle at ``path``: optionally edit its decrypted lines (re-encrypting to
    ``recipients``) and its manifest, then sign with ``sign_key`` and zip to ``out``."""
    parts = read_parts(path)
    manifest = json.loads(parts["manifest.json"])
    payload = parts["payload.age"]
    if lines_edit is not None:
        lines = decrypt_lines(payload, identity)
        lines_edit(lines)
        payload = seal(lines, recipients)
        manifest["payload_size"] = len(payload)
        manifest["payload_sha256"] = hashlib.sha256(payload).hexdigest()
    if manifest_edit is not None:
        manifest_edit(manifest)
    mbytes = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    sig = sshsig.sign(sign_key, mbytes, "hecha-bundle").encode()
    return write_zip(out, list(zip(NAMES, (mbytes, sig, payload), strict=True)))
