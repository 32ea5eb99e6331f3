"""This office's keys and the registered keys of the other offices (DESIGN.md §9).

Each office has an Ed25519 signing key (its manifests are SSHSIG-signed) and an X25519 age key
(bundles to it are encrypted to it). A county also has an offline recovery key: bundles to the county
are encrypted to it as well, its private part is handed to the operator once and never stored here.

Private keys are kept in the database as passphrase-protected age files (scrypt, written by
:mod:`export.agefile` with a work factor an old machine can open): the signing key as
an OpenSSH private key, the encryption key as an ``AGE-SECRET-KEY-1…`` identity, so either opens with
``age -d`` on any machine. Public keys travel as a small text file (:class:`PublicKeys`) with a
fingerprint to read out over the phone before the other office registers it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_ssh_private_key

from storage.db import now_iso, write_txn
from storage.errors import OperatorError
from storage.idnumber import real_day
from storage.models import AdminDivision, Office, OwnKey, PeerKey, PeerOffice
from storage.office import COUNTY, TOWNSHIP, UPPER_LEVELS
from storage.paths import operator_login

from . import agefile, sshsig
from .agefile import encrypt_passphrase

FORMAT = "hecha-keys/1"
SIGN_NAMESPACE = "hecha-bundle"
MIN_PASSPHRASE = 8
GRACE_DAYS = 30
"""Days a rotated or replaced key still counts (a bundle written before the change and still on its
way), unless ``--grace`` says otherwise."""


def _today() -> dt.date:
    """The day a key's grace period is judged on (the real day, not the campaign's: keys expire in
    time; tests replace this)."""
    return real_day()


class KeyError_(OperatorError):
    """A key problem the operator can fix; the message (Chinese) says what and how."""


class WrongPassphrase(KeyError_):
    """The passphrase does not open this office's private keys."""


def age_fingerprint(recipient: str) -> str:
    """Fingerprint of an age X25519 recipient: ``SHA256:`` + unpadded base64 of SHA-256 of its text."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(recipient.strip().encode()).digest()).decode().rstrip("=")


@dataclass(frozen=True)
class PublicKeys:
    """An office's public keys as they travel between offices (``hecha keys show``).

    ``sign`` is an ``ssh-ed25519 …`` line, ``encrypt`` and ``recovery`` ``age1…`` recipients
    (``recovery`` only for a county).
    """

    office: str
    name: str
    level: str
    sign: str
    encrypt: str
    recovery: str = ""

    def fingerprint(self) -> str:
        """32 hex digits in groups of four, over the office code, name, level and every key: read it
        out to check."""
        canon = "\n".join(
            [
                FORMAT,
                self.office,
                self.name,
                self.level,
                self.sign.split()[0],
                self.sign.split()[1],
                self.encrypt,
                self.recovery,
            ]
        )
        digest = hashlib.sha256(canon.encode()).hexdigest().upper()[:32]
        return " ".join(digest[i : i + 4] for i in range(0, 32, 4))

    def to_text(self) -> str:
        """The key file: comment lines for people, ``field value`` lines for :meth:`parse`."""
        role = {COUNTY: "县级", TOWNSHIP: "乡镇", "city": "市级", "province": "省级"}.get(self.level, self.level)
        lines = [
            f"# hecha 单位公钥文件（{role}）：{self.name} {self.office}",
            "# 在对方单位的电脑上运行：hecha keys add 本文件",
            f"# 登记前请电话或当面核对指纹：{self.fingerprint()}",
            FORMAT,
            f"office {self.office}",
            f"name {self.name}",
            f"level {self.level}",
            f"sign {self.sign}",
            f"encrypt {self.encrypt}",
        ]
        if self.recovery:
            lines.append(f"recovery {self.recovery}")
        lines.append(f"fingerprint {self.fingerprint()}")
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str, source: str = "公钥文件") -> PublicKeys:
        """Read a key file written by :meth:`to_text`. Raises :class:`KeyError_` naming the line."""
        if FORMAT not in (line.strip().lstrip("\ufeff") for line in text.splitlines()):
            raise KeyError_(
                f"{source} 不是 hecha 公钥文件（缺少 {FORMAT} 行）。请让对方用 hecha keys show > 文件 导出。"
            )
        fields: dict[str, str] = {}
        for no, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip().lstrip("\ufeff")
            if not line or line.startswith("#"):
                continue
            if line == FORMAT:
                continue
            key, _, value = line.partition(" ")
            if key not in ("office", "name", "level", "sign", "encrypt", "recovery", "fingerprint"):
                raise KeyError_(f"{source} 第{no}行：不认识的内容“{line[:40]}”。请用 hecha keys show 重新导出。")
            fields[key] = value.strip()
        missing = [k for k in ("office", "level", "sign", "encrypt") if not fields.get(k)]
        if missing:
            raise KeyError_(f"{source} 缺少：{'、'.join(missing)}。文件可能不完整，请重新导出。")
        keys = cls(
            office=fields["office"],
            name=fields.get("name", ""),
            level=fields["level"],
            sign=fields["sign"],
            encrypt=fields["encrypt"],
            recovery=fields.get("recovery", ""),
        )
        if keys.level not in (TOWNSHIP, COUNTY, *UPPER_LEVELS):
            raise KeyError_(f"{source}：level 应为 township、county、city 或 province")
        try:
            sshsig.blob_from_line(keys.sign)
        except sshsig.SignatureError as exc:
            raise KeyError_(f"{source}：签名公钥（sign 行）无效：{exc}") from None
        for label, value in (("encrypt", keys.encrypt), ("recovery", keys.recovery)):
            if value:
                try:
                    pyrage.x25519.Recipient.from_str(value)
                except Exception as exc:  # pyrage raises its own RecipientError
                    raise KeyError_(f"{source}：{label} 行的加密公钥无效：{exc}") from None
        if "fingerprint" in fields and fields["fingerprint"] != keys.fingerprint():
            raise KeyError_(f"{source}：文件中的指纹与公钥不符，文件被改动过。请向对方要一份新的。")
        return keys


@dataclass(frozen=True)
class UnlockedKeys:
    """This office's private keys, opened with the passphrase for one operation."""

    sign: Ed25519PrivateKey
    identity: pyrage.x25519.Identity
    retired: tuple[pyrage.x25519.Identity, ...] = ()  # rotated-out encryption keys still in their grace

    @property
    def sign_blob(self) -> bytes:
        return sshsig.public_blob(self.sign.public_key())

    @property
    def identities(self) -> list[pyrage.x25519.Identity]:
        """Every identity a bundle to this office may be encrypted to: the current one first."""
        return [self.identity, *self.retired]


def check_new_passphrase(passphrase: str) -> None:
    """Raise :class:`KeyError_` for a passphrase shorter than 8 characters."""
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise KeyError_(f"口令至少{MIN_PASSPHRASE}个字符。")


def has_keys() -> bool:
    """Whether this office has made its keys."""
    return OwnKey.select().where(OwnKey.active == True).exists()


def create_keys(passphrase: str) -> str | None:
    """Make this office's keys, protected by ``passphrase``; store them; return the recovery secret.

    For a county the returned ``AGE-SECRET-KEY-1…`` is the offline recovery key, shown once and never
    stored; for a township ``None``. Raises :class:`KeyError_` when keys exist or the passphrase is short.
    Takes about a second (scrypt).
    """
    check_new_passphrase(passphrase)
    office = Office.get()
    if has_keys():
        raise KeyError_("本单位已经有密钥。要换新密钥（换了电脑、怀疑泄露）请用 hecha keys rotate。")
    rows, recovery_secret = _new_keys(office, passphrase, recovery=office.level == COUNTY)
    now = now_iso()
    with write_txn():
        OwnKey.insert_many([dict(r, created_at=now, active=True) for r in rows]).execute()
    return recovery_secret


def _new_keys(office: Office, passphrase: str, *, recovery: bool) -> tuple[list[dict], str | None]:
    """New signing and encryption keys (and a recovery key) as :class:`OwnKey` rows, the private
    parts wrapped with ``passphrase``; the recovery secret, never stored, returned apart."""
    sign = Ed25519PrivateKey.generate()
    ssh_private = sign.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    identity = pyrage.x25519.Identity.generate()
    rows: list[dict[str, str | bytes | None]] = [
        dict(
            kind="sign",
            public=sshsig.public_line(sign.public_key(), f"hecha:{office.code}"),
            fingerprint=sshsig.fingerprint(sshsig.public_blob(sign.public_key())),
            private_age=encrypt_passphrase(ssh_private, passphrase),
        ),
        dict(
            kind="encrypt",
            public=str(identity.to_public()),
            fingerprint=age_fingerprint(str(identity.to_public())),
            private_age=encrypt_passphrase(str(identity).encode(), passphrase),
        ),
    ]
    recovery_secret = None
    if recovery:
        rec = pyrage.x25519.Identity.generate()
        recovery_secret = str(rec)
        rows.append(
            dict(
                kind="recovery",
                public=str(rec.to_public()),
                fingerprint=age_fingerprint(str(rec.to_public())),
                private_age=None,
            )
        )
    return rows, recovery_secret


def rotate(passphrase: str, *, grace_days: int = GRACE_DAYS) -> PublicKeys:
    """Replace this office's signing and encryption keys (a new PC, a key that may have leaked, the
    yearly change), keeping the passphrase. The old encryption key stays, retired, and still opens
    bundles encrypted to it for ``grace_days`` (bundles written before the other offices registered
    the new key); a county's recovery key is unchanged, so it opens old and new bundles alike. The
    other offices register the new public key file with ``hecha keys replace`` after checking its
    fingerprint, as at setup. Returns the new public keys. Raises :class:`WrongPassphrase`,
    :class:`KeyError_`."""
    unlock(passphrase)  # the passphrase holder's to do
    if not 0 <= grace_days <= 365:
        raise KeyError_(f"宽限期应在 0–365 天之间，不是 {grace_days}")
    office = Office.get()
    rows, _ = _new_keys(office, passphrase, recovery=False)
    now = now_iso()
    until = _until(grace_days)
    with write_txn():
        OwnKey.update(active=False, retired_at=now, valid_until=until).where(
            OwnKey.kind.in_(["sign", "encrypt"]) & (OwnKey.active == True)  # noqa: E712
        ).execute()
        OwnKey.insert_many([dict(r, created_at=now, active=True) for r in rows]).execute()
    return own_public()


def make_upper_keys(code: str, passphrase: str) -> tuple[PublicKeys, bytes]:
    """Keys for an office above the county (a city, 4 digits, or the province, 2 digits, of the NBS
    2023 table), which has no hecha database of its own yet: returns its public key file's content
    (:class:`PublicKeys`, for the counties to register) and its private keys as one passphrase-protected
    age file (``age -d`` prints an ``AGE-SECRET-KEY-1…`` line, which opens the counties' ``county-up``
    payloads with ``age -d -i``, then the OpenSSH signing key). Raises :class:`KeyError_`."""
    from storage import divisions

    check_new_passphrase(passphrase)
    div = divisions.lookup(code) if len(code) in (2, 4) and code.isascii() and code.isdigit() else None
    if div is None:
        raise KeyError_(f"{code} 不是市（4位）或省（2位）的统计用区划代码（国家统计局2023年）。")
    sign = Ed25519PrivateKey.generate()
    identity = pyrage.x25519.Identity.generate()
    keys = PublicKeys(
        office=code,
        name=div.name,
        level="city" if len(code) == 4 else "province",
        sign=sshsig.public_line(sign.public_key(), f"hecha:{code}"),
        encrypt=str(identity.to_public()),
    )
    secret = (
        f"# hecha 上级单位私钥：{div.name} {code}，指纹 {keys.fingerprint()}\n{identity}\n".encode()
        + sign.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    )
    return keys, encrypt_passphrase(secret, passphrase)


def _until(grace_days: int) -> str:
    """The last day a key retired today still counts for ``grace_days`` days: today and the days
    after, ``grace_days`` in all (0: not even today)."""
    return (_today() + dt.timedelta(days=grace_days - 1)).isoformat()


def _retired_encrypt() -> list[OwnKey]:
    """Retired encryption keys whose grace period has not ended."""
    today = _today().isoformat()
    return list(
        OwnKey.select().where(
            (OwnKey.kind == "encrypt")
            & (OwnKey.active == False)  # noqa: E712
            & OwnKey.private_age.is_null(False)
            & (OwnKey.valid_until >= today)
        )
    )


def _own(kind: str) -> OwnKey | None:
    return OwnKey.get_or_none((OwnKey.kind == kind) & (OwnKey.active == True))


def own_public() -> PublicKeys:
    """This office's public keys. Raises :class:`KeyError_` before ``hecha keys new``."""
    office = Office.get()
    sign, enc, rec = _own("sign"), _own("encrypt"), _own("recovery")
    if not sign or not enc:
        raise KeyError_("本单位还没有密钥：请先运行 hecha keys new。")
    return PublicKeys(office.code, office.name, office.level, sign.public, enc.public, rec.public if rec else "")


def own_encrypt_fingerprints() -> set[str]:
    """Fingerprints of the encryption keys whose private part this database holds."""
    current = OwnKey.select().where((OwnKey.kind == "encrypt") & (OwnKey.active == True))  # noqa: E712
    return {k.fingerprint for k in [*current, *_retired_encrypt()] if k.private_age is not None}


def unlock(passphrase: str) -> UnlockedKeys:
    """Open this office's private keys. Raises :class:`WrongPassphrase` or :class:`KeyError_`."""
    sign, enc = _own("sign"), _own("encrypt")
    if not sign or not enc:
        raise KeyError_("本单位还没有密钥：请先运行 hecha keys new。")
    try:
        ssh_private = agefile.decrypt_passphrase(bytes(sign.private_age), passphrase)
        identity_text = agefile.decrypt_passphrase(bytes(enc.private_age), passphrase).decode()
        retired = tuple(
            pyrage.x25519.Identity.from_str(agefile.decrypt_passphrase(bytes(k.private_age), passphrase).decode())
            for k in _retired_encrypt()
        )
    except agefile.BadPassphrase:
        raise WrongPassphrase("口令不对，打不开本单位的私钥。请重新输入（注意大小写和输入法状态）。") from None
    except (agefile.AgeFileError, UnicodeDecodeError):
        raise KeyError_("本单位的私钥已损坏，打不开：请从备份恢复（hecha restore），或联系县里。") from None
    key = load_ssh_private_key(ssh_private, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_("签名私钥不是 Ed25519 密钥：数据库可能损坏。")
    return UnlockedKeys(key, pyrage.x25519.Identity.from_str(identity_text), retired)


def read_key_file(path: str | Path) -> PublicKeys:
    """The other office's public key file (``hecha keys show`` wrote it), read and parsed. Raises
    :class:`KeyError_` in words for a missing, odd, oversized, non-UTF-8 or malformed file."""
    path = Path(path)
    if not path.exists():
        raise KeyError_(f"找不到公钥文件 {path}：请检查路径（对方用 hecha keys show > 文件 导出）。")
    if not path.is_file():
        raise KeyError_(f"{path} 不是普通文件：请指定对方用 hecha keys show > 文件 导出的公钥文件。")
    if path.stat().st_size > 64 * 1024:
        raise KeyError_(f"{path} 太大（{path.stat().st_size} 字节），不是 hecha 公钥文件。")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KeyError_(f"{path} 不是 UTF-8 文本：请直接传递 hecha keys show 生成的文件，不要用记事本另存。") from None
    return PublicKeys.parse(text, str(path))


def same_fingerprint(typed: str, keys: PublicKeys) -> bool:
    """Whether the fingerprint read out over the phone (spaces, dashes and case as typed) is ``keys``'."""
    return typed.replace(" ", "").replace("-", "").upper() == keys.fingerprint().replace(" ", "")


def register_peer(keys: PublicKeys, *, operator: str | None = None) -> tuple[PeerOffice, bool]:
    """Register (pin) another office's public keys. Returns the row and whether it was new.

    A county registers the townships inside it and the other counties it exchanges assistance
    requests with (协查); a township pins its own county, once. Raises
    :class:`KeyError_` for an office that is not this one's county or township, or for different keys
    under a code already registered (those are :func:`replace_peer`'s, after a phone check).
    """
    _check_peer(keys)
    existing = PeerOffice.get_or_none(PeerOffice.code == keys.office)
    if existing:
        if existing.fingerprint == keys.fingerprint():
            return existing, False
        raise KeyError_(
            f"{keys.office} 已登记了另一组公钥（指纹 {existing.fingerprint}）。若对方确实换了密钥（hecha keys "
            "rotate），先电话核对新指纹，再用 hecha keys replace 新公钥文件 --fingerprint 读出的指纹。"
        )
    with write_txn():
        row = PeerOffice.create(
            code=keys.office,
            name=keys.name,
            level=keys.level,
            sign_public=keys.sign,
            encrypt_public=keys.encrypt,
            recovery_public=keys.recovery,
            fingerprint=keys.fingerprint(),
            registered_at=now_iso(),
            registered_by=operator or operator_login(),
        )
    return row, True


def replace_peer(
    keys: PublicKeys, *, grace_days: int = GRACE_DAYS, operator: str | None = None
) -> tuple[PeerOffice, bool]:
    """Put another office's new public keys (after its ``hecha keys rotate``, or a township's new PC)
    in place of the registered ones; the old ones go to :class:`PeerKey` and bundles signed by them
    are still taken for ``grace_days``. Replacing a revoked registration re-admits the office.
    Returns the row and whether anything changed. Raises :class:`KeyError_` for an office not yet
    registered (``hecha keys add`` first) or one this office may not register."""
    _check_peer(keys)
    if not 0 <= grace_days <= 365:
        raise KeyError_(f"宽限期应在 0–365 天之间，不是 {grace_days}")
    row = PeerOffice.get_or_none(PeerOffice.code == keys.office)
    if row is None:
        raise KeyError_(f"{keys.office} 还没有登记过：第一次请用 hecha keys add。")
    if row.fingerprint == keys.fingerprint() and not row.revoked_at:
        return row, False
    who = operator or operator_login()
    now = now_iso()
    with write_txn():
        if row.fingerprint != keys.fingerprint():
            PeerKey.create(
                code=row.code,
                sign_public=row.sign_public,
                encrypt_public=row.encrypt_public,
                recovery_public=row.recovery_public,
                fingerprint=row.fingerprint,
                registered_at=row.registered_at,
                replaced_at=now,
                replaced_by=who,
                valid_until="" if row.revoked_at else _until(grace_days),
            )
        row.name, row.sign_public, row.encrypt_public = keys.name, keys.sign, keys.encrypt
        row.recovery_public, row.fingerprint = keys.recovery, keys.fingerprint()
        row.registered_at, row.registered_by, row.revoked_at, row.revoked_by = now, who, "", ""
        row.save()
    return row, True


def revoke_peer(code: str, *, operator: str | None = None) -> PeerOffice:
    """Revoke another office's registration (a stolen PC, an office merged away): its bundles are
    refused (B04) from now, even those signed before, and none are written to it; its data already
    imported stays. Undone by registering its new keys with :func:`replace_peer`. Raises
    :class:`KeyError_` for an office not registered."""
    row = PeerOffice.get_or_none(PeerOffice.code == code)
    if row is None:
        raise KeyError_(f"{code} 没有登记过公钥：hecha keys list 列出已登记的单位。")
    if row.revoked_at:
        return row
    with write_txn():
        row.revoked_at, row.revoked_by = now_iso(), operator or operator_login()
        row.save()
        PeerKey.update(valid_until="").where(PeerKey.code == code).execute()  # no old key counts either
    return row


def signing_keys(peer: PeerOffice) -> list[str]:
    """The signing keys (``ssh-ed25519 …`` lines) a bundle from ``peer`` may carry today: its
    registered one, then those replaced within their grace period. Empty when revoked."""
    if peer.revoked_at:
        return []
    today = _today().isoformat()
    older = PeerKey.select(PeerKey.sign_public).where((PeerKey.code == peer.code) & (PeerKey.valid_until >= today))
    return [peer.sign_public, *(k.sign_public for k in older)]


def _check_peer(keys: PublicKeys) -> None:
    """Whether this office may register ``keys``: its county's townships, other counties and its
    city or province (a county), its own county (a township), the province's counties (a province's
    platform). Raises :class:`KeyError_`."""
    me = Office.get()
    if keys.office == me.code:
        raise KeyError_("这是本单位自己的公钥文件，应交给对方单位登记。")
    if me.level == "province":  # the platform (issue 21): the counties of this province
        from storage import divisions

        if keys.level != COUNTY or len(keys.office) != 6 or not keys.office.startswith(me.code):
            raise KeyError_(f"{keys.name}（{keys.office}）不是本省（{me.code}）的县：省级平台登记本省各县的公钥。")
        if divisions.lookup(keys.office) is None:
            raise KeyError_(f"{keys.office} 不是县级区划代码（国家统计局统计用区划代码）：请与对方核对单位代码。")
        if not keys.recovery:
            raise KeyError_("县级公钥文件缺少恢复公钥（recovery 行）：请对方县用 hecha keys show 重新导出。")
    elif me.level == COUNTY and keys.level in UPPER_LEVELS:  # the level above, for county-up bundles
        if keys.office not in (me.code[:4], me.code[:2]) or len(keys.office) != (4 if keys.level == "city" else 2):
            raise KeyError_(f"{keys.name}（{keys.office}）不是本县（{me.code}）的上级市或省：请与对方核对单位代码。")
    elif me.level == COUNTY and keys.level == COUNTY:  # another county, for assistance requests (协查)
        from storage import divisions

        if len(keys.office) != 6 or divisions.lookup(keys.office) is None:
            raise KeyError_(f"{keys.office} 不是县级区划代码（国家统计局统计用区划代码）：请与对方核对单位代码。")
        if not keys.recovery:
            raise KeyError_("县级公钥文件缺少恢复公钥（recovery 行）：请对方县用 hecha keys show 重新导出。")
    elif me.level == COUNTY:
        if keys.level != TOWNSHIP or len(keys.office) != 9 or not keys.office.startswith(me.code):
            raise KeyError_(
                f"{keys.name}（{keys.office}）不是本县（{me.code}）的乡镇：县里登记本县乡镇和外县（协查）的公钥。"
            )
        if not AdminDivision.select().where((AdminDivision.code == keys.office) & (AdminDivision.level == 4)).exists():
            raise KeyError_(
                f"{keys.office} 不在本县的乡镇名单（国家统计局2023年统计用区划代码）中：请与对方核对单位代码。"
            )
    else:
        if keys.level != COUNTY or keys.office != me.county_code:
            raise KeyError_(
                f"{keys.name}（{keys.office}）不是本乡镇所属的县（{me.county_code}），乡镇只登记本县的公钥。"
            )
        if not keys.recovery:
            raise KeyError_("县级公钥文件缺少恢复公钥（recovery 行）：请县里用 hecha keys show 重新导出。")


def county_peer() -> PeerOffice:
    """The county whose keys this township pinned. Raises :class:`KeyError_` when none is registered."""
    me = Office.get()
    peer = PeerOffice.get_or_none(PeerOffice.code == me.county_code)
    if peer is not None and peer.revoked_at:
        raise KeyError_(f"县里（{me.county_code}）的公钥已吊销：请向县里要新公钥文件，核对指纹后 hecha keys replace。")
    if peer is None:
        raise KeyError_(f"还没有登记县里（{me.county_code}）的公钥：请向县人口委要公钥文件，运行 hecha keys add 文件。")
    return peer
