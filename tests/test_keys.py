"""Key files, passphrase protection and pinning."""

import pyrage
import pytest

from export import agefile
from export import keys as keymod
from storage.models import OwnKey


def test_passphrase_files_open_with_rage_and_cost_64_mib():
    data = "AGE-SECRET-KEY-1 测试".encode() * 5000  # several STREAM chunks
    sealed = agefile.encrypt_passphrase(data, "口令 passphrase")
    assert b"-> scrypt " in sealed and sealed.split(b"\n")[1].endswith(b" 16")
    assert pyrage.passphrase.decrypt(sealed, "口令 passphrase") == data
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(sealed, "wrong")
    for size in (0, agefile.CHUNK, agefile.CHUNK + 1):
        assert pyrage.passphrase.decrypt(agefile.encrypt_passphrase(b"a" * size, "p"), "p") == b"a" * size


def test_keys_are_stored_encrypted_and_unlock(township_db):
    assert keymod.create_keys("township-pass") is None  # no recovery key for a township
    rows = {k.kind: k for k in OwnKey.select()}
    assert set(rows) == {"sign", "encrypt"}
    assert bytes(rows["sign"].private_age).startswith(b"age-encryption.org/v1\n-> scrypt ")
    assert b"OPENSSH" not in bytes(rows["sign"].private_age)
    unlocked = keymod.unlock("township-pass")
    assert str(unlocked.identity.to_public()) == rows["encrypt"].public
    with pytest.raises(keymod.WrongPassphrase):
        keymod.unlock("township-pasS")
    with pytest.raises(keymod.KeyError_, match="已经有密钥"):
        keymod.create_keys("township-pass")
    with pytest.raises(keymod.KeyError_, match="至少8个字符"):
        keymod.check_new_passphrase("short")


def test_key_file_round_trip_and_tampering(office_templates):
    pub = office_templates["county_pub"]
    text = pub.to_text()
    assert keymod.PublicKeys.parse(text) == pub
    assert pub.fingerprint() in text and len(pub.fingerprint().split()) == 8
    swapped = text.replace(pub.encrypt, str(pyrage.x25519.Identity.generate().to_public()))
    with pytest.raises(keymod.KeyError_, match="指纹与公钥不符"):
        keymod.PublicKeys.parse(swapped)
    with pytest.raises(keymod.KeyError_, match="不是 hecha 公钥文件"):
        keymod.PublicKeys.parse("ssh-ed25519 AAAA")
    with pytest.raises(keymod.KeyError_, match="sign 行"):
        keymod.PublicKeys.parse(
            text.replace("sign ssh-ed25519 AAAA", "sign ssh-ed25519 BBBB").replace(
                f"fingerprint {pub.fingerprint()}\n", ""
            )
        )


def test_pinning_rules(offices, office_templates):
    offices.use_township()
    other_county = keymod.PublicKeys(
        "130124",
        "x",
        "county",
        office_templates["county_pub"].sign,
        office_templates["county_pub"].encrypt,
        office_templates["county_pub"].recovery,
    )
    with pytest.raises(keymod.KeyError_, match="不是本乡镇所属的县"):
        keymod.register_peer(other_county)
    again, created = keymod.register_peer(office_templates["county_pub"])
    assert not created
    changed = keymod.PublicKeys(
        "130123",
        "正定县",
        "county",
        office_templates["township_pub"].sign,
        office_templates["county_pub"].encrypt,
        office_templates["county_pub"].recovery,
    )
    with pytest.raises(keymod.KeyError_, match="已登记了另一组公钥"):
        keymod.register_peer(changed)
    offices.use_county()
    stranger = keymod.PublicKeys(
        "130102001", "y", "township", office_templates["township_pub"].sign, office_templates["township_pub"].encrypt
    )
    with pytest.raises(keymod.KeyError_, match="不是本县"):
        keymod.register_peer(stranger)
    with pytest.raises(keymod.KeyError_, match="自己的公钥"):
        keymod.register_peer(keymod.own_public())


def test_the_fingerprint_covers_the_name_and_the_county_checks_codes(offices, office_templates):
    pub = office_templates["township_pub"]
    renamed = pub.to_text().replace("name 新安镇", "name 假冒镇")
    with pytest.raises(keymod.KeyError_, match="指纹与公钥不符"):
        keymod.PublicKeys.parse(renamed)
    offices.use_county()
    unknown = keymod.PublicKeys("130123999", "无此乡", "township", pub.sign, pub.encrypt)
    with pytest.raises(keymod.KeyError_, match="不在本县的乡镇名单"):
        keymod.register_peer(unknown)
