"""Bundles through real encryption and signatures: export, import, and every refusal (DESIGN.md §9)."""

import json
import shutil
import subprocess
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from export import keys as keymod
from export.bundle import LOGGED_REFUSALS, BundleError, export_bundle, import_bundle, open_bundle
from export.merge import TABLES
from storage.households import save_household, update_person
from storage.models import BundleLog, MergeConflict, Person

from .conftest import COUNTY, TOWNSHIP, dump_db, reference_input, require_tool
from .forge import read_parts, rebuild, write_zip


def township_export(o, out_name="out"):
    o.use_township()
    return export_bundle(o.township_keys, o.tmp / out_name)


def county_import(o, path):
    o.use_county()
    return import_bundle(path, o.county_keys)


def refused(o, path, code):
    """Import ``path`` into the county; it must be refused with ``code`` and change nothing."""
    o.use_county()
    from storage.db import close_db

    close_db()
    before = dump_db(o.county_db)
    o.use_county()
    with pytest.raises(BundleError) as err:
        import_bundle(path, o.county_keys)
    assert err.value.code == code, str(err.value)
    close_db()
    after = dump_db(o.county_db)
    # the bundle changed nothing; a refusal of a signed bundle is kept on record (issue 18), and only that
    old = set(before.splitlines())
    logged = [line for line in after.splitlines() if line not in old]
    assert all(line.startswith('INSERT INTO "bundle_refusal"') for line in logged), logged
    assert "\n".join(line for line in after.splitlines() if line not in logged) == before
    assert len(logged) == (code in LOGGED_REFUSALS), (code, logged)
    return err.value


@pytest.fixture
def first(offices):
    offices.use_township()
    save_household(reference_input())
    return township_export(offices)


def test_export_then_import_puts_exactly_the_townships_rows_in_the_county(offices, first):
    parts = read_parts(first.path)
    assert list(parts) == ["manifest.json", "manifest.json.sig", "payload.age"]
    with zipfile.ZipFile(first.path) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    manifest = json.loads(parts["manifest.json"])
    assert manifest["sequence"] == 1 and manifest["prev_manifest_sha256"] is None
    from importlib.metadata import version

    assert manifest["software"] == f"hecha {version('hecha')}"  # the installed release (issue 20)
    assert "李建国" not in parts["manifest.json"].decode() and "counts" not in manifest
    assert {k: v for k, v in first.counts.items() if v} == {"household": 1, "person": 4, "birth": 1}
    offices.use_township()
    town = {(p.uid, p.name, p.version) for p in Person.select()}
    result = county_import(offices, first.path)
    assert result.status == "imported" and result.stats.inserted["person"] == 4
    assert {(p.uid, p.name, p.version) for p in Person.select()} == town
    assert all(p.origin == TOWNSHIP for p in Person.select())


def test_importing_twice_changes_nothing(offices, first):
    county_import(offices, first.path)
    from storage.db import close_db

    close_db()
    before = dump_db(offices.county_db)
    again = county_import(offices, first.path)
    assert again.status == "already" and again.code == "I07"
    close_db()
    assert dump_db(offices.county_db) == before


def test_second_export_carries_only_the_change_and_the_next_sequence(offices, first):
    county_import(offices, first.path)
    offices.use_township()
    update_person("130123198707220046", {"name": "王秀瑛"})
    second = township_export(offices, "out2")
    changed = {k: v for k, v in second.counts.items() if v and k != "audit_log"}
    assert second.sequence == 2 and changed == {"person": 1} and second.counts["audit_log"] >= 1  # with its audit rows
    assert json.loads(read_parts(second.path)["manifest.json"])["prev_manifest_sha256"] is not None
    third = township_export(offices, "out3")
    assert third.empty and third.sequence == 3  # an empty week still gets its number
    r2 = county_import(offices, second.path)
    assert r2.stats.updated["person"] == 1
    assert Person.get(Person.id_number == "130123198707220046").name == "王秀瑛"
    assert county_import(offices, third.path).status == "imported"


def test_tombstones_travel(offices, first):
    county_import(offices, first.path)
    offices.use_township()
    from storage.households import load_household

    form = load_household(Person.get(Person.name == "李浩然").household.uid)
    form.members.pop(2)
    form.births[0].child = 3  # 李梓涵 moves up a place
    save_household(form)
    second = township_export(offices, "out2")
    county_import(offices, second.path)
    assert Person.get(Person.name == "李浩然").deleted


def test_truncated(offices, first):
    data = first.path.read_bytes()
    cut = offices.tmp / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    refused(offices, cut, "B01")


def test_another_kind_of_file_named_zip_is_said_to_be_one(offices, first):
    """A text file renamed .zip is not "cut off" (a newcomer's finding): the refusal says it is no zip."""
    renamed = offices.tmp / "hecha-note.zip"
    renamed.write_text("这是一个说明文件，不是数据包。\n" * 20, encoding="utf-8")
    offices.use_county()
    with pytest.raises(BundleError) as err:
        import_bundle(renamed, offices.county_keys)
    assert err.value.code == "B01" and "不是 zip 文件" in str(err.value)
    assert "截断" not in str(err.value)


def test_wrong_structure(offices, first, tmp_path):
    parts = read_parts(first.path)
    extra = write_zip(tmp_path / "extra.zip", [*parts.items(), ("evil.sh", b"rm -rf /")])
    refused(offices, extra, "B01")
    order = write_zip(
        tmp_path / "order.zip", [(n, parts[n]) for n in ("payload.age", "manifest.json", "manifest.json.sig")]
    )
    refused(offices, order, "B01")
    deflated = write_zip(tmp_path / "deflated.zip", list(parts.items()), compress=True)
    refused(offices, deflated, "B01")
    dupe = tmp_path / "dupe.zip"
    with pytest.warns(UserWarning):
        write_zip(dupe, [*parts.items(), ("payload.age", parts["payload.age"])])
    refused(offices, dupe, "B01")
    not_zip = tmp_path / "plain.zip"
    not_zip.write_text("这不是数据包" * 20, encoding="utf-8")
    refused(offices, not_zip, "B01")


def test_bad_manifest(offices, first, tmp_path):
    parts = read_parts(first.path)
    bad = write_zip(
        tmp_path / "m.zip",
        [
            ("manifest.json", b"{not json"),
            ("manifest.json.sig", parts["manifest.json.sig"]),
            ("payload.age", parts["payload.age"]),
        ],
    )
    refused(offices, bad, "B02")
    no_seq = rebuild(
        first.path, tmp_path / "m2.zip", offices.township_keys.sign, manifest_edit=lambda m: m.pop("sequence")
    )
    refused(offices, no_seq, "B02")


def test_tampered_payload(offices, first, tmp_path):
    parts = read_parts(first.path)
    payload = bytearray(parts["payload.age"])
    payload[-10] ^= 0xFF
    tampered = write_zip(
        tmp_path / "t.zip",
        [
            ("manifest.json", parts["manifest.json"]),
            ("manifest.json.sig", parts["manifest.json.sig"]),
            ("payload.age", bytes(payload)),
        ],
    )
    refused(offices, tampered, "B06")


def test_tampered_manifest_breaks_the_signature(offices, first, tmp_path):
    parts = read_parts(first.path)
    manifest = parts["manifest.json"].replace(b'"sequence": 1', b'"sequence": 2')
    tampered = write_zip(
        tmp_path / "t.zip",
        [
            ("manifest.json", manifest),
            ("manifest.json.sig", parts["manifest.json.sig"]),
            ("payload.age", parts["payload.age"]),
        ],
    )
    refused(offices, tampered, "B05")


def test_wrong_recipient(offices, first, tmp_path):
    other = rebuild(
        first.path, tmp_path / "r.zip", offices.township_keys.sign, manifest_edit=lambda m: m.update(recipient="130124")
    )
    refused(offices, other, "B03")


def test_unregistered_sender(offices, first, tmp_path):
    other = rebuild(
        first.path,
        tmp_path / "s.zip",
        offices.township_keys.sign,
        manifest_edit=lambda m: m.update(sender="130123104", stream="130123104>130123"),
    )
    refused(offices, other, "B04")


def test_wrong_signing_key(offices, first, tmp_path):
    impostor = Ed25519PrivateKey.generate()
    forged = rebuild(first.path, tmp_path / "k.zip", impostor)
    err = refused(offices, forged, "B05")
    assert "不是 130123103 登记的密钥" in str(err)


def test_encrypted_to_a_key_we_do_not_hold(offices, first, tmp_path, office_templates):
    import pyrage

    stranger = pyrage.x25519.Identity.generate()
    recipient = str(stranger.to_public())

    def swap(m):
        m["recipient_keys"] = [keymod.age_fingerprint(recipient)]

    forged = rebuild(
        first.path,
        tmp_path / "e.zip",
        offices.township_keys.sign,
        manifest_edit=swap,
        lines_edit=lambda lines: None,
        identity=offices.county_keys.identity,
        recipients=[recipient],
    )
    refused(offices, forged, "B11")
    # a manifest that claims our key while the payload is for someone else fails at decryption
    lying = rebuild(
        first.path,
        tmp_path / "d.zip",
        offices.township_keys.sign,
        lines_edit=lambda lines: None,
        identity=offices.county_keys.identity,
        recipients=[recipient],
    )
    refused(offices, lying, "B12")


def test_inner_header_must_equal_the_manifest(offices, first, tmp_path):
    recipients = _county_recipients(offices)
    forged = rebuild(
        first.path,
        tmp_path / "h.zip",
        offices.township_keys.sign,
        lines_edit=lambda lines: lines[0].update(sequence=7),
        identity=offices.county_keys.identity,
        recipients=recipients,
    )
    refused(offices, forged, "B13")
    dropped = rebuild(
        first.path,
        tmp_path / "h2.zip",
        offices.township_keys.sign,
        lines_edit=lambda lines: lines.pop(),
        identity=offices.county_keys.identity,
        recipients=recipients,
    )
    refused(offices, dropped, "B13")


def test_schema_errors(offices, first, tmp_path):
    recipients = _county_recipients(offices)

    def unknown_table(lines):
        lines.append({"t": "secret", "r": {}})
        lines[0]["counts"]["secret"] = 1

    forged = rebuild(
        first.path,
        tmp_path / "x.zip",
        offices.township_keys.sign,
        lines_edit=unknown_table,
        identity=offices.county_keys.identity,
        recipients=recipients,
    )
    refused(offices, forged, "B14")

    def bad_type(lines):
        lines[2]["r"]["version"] = "many"

    forged = rebuild(
        first.path,
        tmp_path / "y.zip",
        offices.township_keys.sign,
        lines_edit=bad_type,
        identity=offices.county_keys.identity,
        recipients=recipients,
    )
    refused(offices, forged, "B14")
    newer = rebuild(
        first.path, tmp_path / "z.zip", offices.township_keys.sign, manifest_edit=lambda m: m.update(schema_version=99)
    )
    refused(offices, newer, "B14")


def test_a_household_outside_the_sending_township_refuses_the_bundle(offices, first, tmp_path):
    """A township sends only its own villages' households, under their own village's codes; a row
    of another township (a forged or broken bundle that would take another township's codes) is
    refused with B15 before anything is written (issue 14)."""
    recipients = _county_recipients(offices)

    def other_village(lines):
        row = next(x["r"] for x in lines[1:] if x.get("t") == "household")
        row["village_code"] = "130123104201"  # a village of 130123104, not of the sender 130123103
        row["household_code"] = "130123104201010001"

    def foreign_code(lines):
        row = next(x["r"] for x in lines[1:] if x.get("t") == "household")
        row["household_code"] = "130123104201010001"  # its village is the sender's, its code is not

    for edit, name in ((other_village, "v.zip"), (foreign_code, "c.zip")):
        forged = rebuild(
            first.path,
            tmp_path / name,
            offices.township_keys.sign,
            lines_edit=edit,
            identity=offices.county_keys.identity,
            recipients=recipients,
        )
        err = refused(offices, forged, "B15")
        assert "130123104201" in str(err)


def _county_recipients(offices):
    offices.use_county()
    pub = keymod.own_public()
    return [pub.encrypt, pub.recovery]


def test_replay_of_a_used_sequence(offices, first, tmp_path):
    county_import(offices, first.path)
    replay = rebuild(
        first.path,
        tmp_path / "replay.zip",
        offices.township_keys.sign,
        manifest_edit=lambda m: m.update(bundle_id="00000000-0000-4000-8000-000000000000"),
    )
    refused(offices, replay, "B08")


def test_ahead_is_held_until_the_gap_fills(offices, first):
    offices.use_township()
    update_person("130123198707220046", {"name": "王秀瑛"})
    second = township_export(offices, "out2")
    held = county_import(offices, second.path)
    assert held.status == "held" and held.code == "H09"
    assert Person.select().count() == 0
    result = county_import(offices, first.path)
    assert result.status == "imported" and [r.status for r in result.also_imported] == ["imported"]
    assert Person.get(Person.id_number == "130123198707220046").name == "王秀瑛"
    assert BundleLog.select().where(BundleLog.status == "held").count() == 0


def test_chain_broken_after_a_restored_backup(offices, first):
    restored = offices.tmp / "restored.sqlite"
    offices.use_township()
    from storage.db import close_db

    close_db()
    shutil.copy(offices.township_db, restored)
    county_import(offices, first.path)
    # the township loses its database and restores a backup taken before bundle 1 was logged
    from storage.db import open_db

    open_db(restored)
    BundleLog.delete().execute()
    a = export_bundle(offices.township_keys, offices.tmp / "r1")
    b = export_bundle(offices.township_keys, offices.tmp / "r2")
    assert (a.sequence, b.sequence) == (1, 2)
    refused(offices, b.path, "B10")


def test_rows_from_another_origin_become_conflicts(offices, first, tmp_path):
    recipients = _county_recipients(offices)

    def foreign(lines):
        lines[2]["r"]["origin"] = "130123104"

    forged = rebuild(
        first.path,
        tmp_path / "o.zip",
        offices.township_keys.sign,
        lines_edit=foreign,
        identity=offices.county_keys.identity,
        recipients=recipients,
    )
    result = county_import(offices, forged)
    assert result.stats.conflicts["person"] == 1 and result.stats.inserted["person"] == 3
    # the birth that names the held-back person waits with it instead of failing the bundle
    assert result.stats.conflicts["birth"] == 1
    conflict = MergeConflict.get(MergeConflict.table == "person")
    assert "130123104" in conflict.reason and json.loads(conflict.row_json)["origin"] == "130123104"


def test_standard_tools_open_the_bundle(offices, first, tmp_path, office_templates):
    ssh_keygen = require_tool("ssh-keygen")
    age = require_tool("age")
    parts = read_parts(first.path)
    (tmp_path / "manifest.json").write_bytes(parts["manifest.json"])
    (tmp_path / "manifest.json.sig").write_bytes(parts["manifest.json.sig"])
    (tmp_path / "payload.age").write_bytes(parts["payload.age"])
    sign_line = " ".join(office_templates["township_pub"].sign.split()[:2])
    (tmp_path / "allowed").write_text(f'{TOWNSHIP} namespaces="hecha-bundle" {sign_line}\n')
    with open(tmp_path / "manifest.json", "rb") as fh:
        out = subprocess.run(
            [
                ssh_keygen,
                "-Y",
                "verify",
                "-f",
                str(tmp_path / "allowed"),
                "-I",
                TOWNSHIP,
                "-n",
                "hecha-bundle",
                "-s",
                str(tmp_path / "manifest.json.sig"),
            ],
            stdin=fh,
            capture_output=True,
            text=True,
        )
    assert out.returncode == 0, out.stderr
    assert "Good" in out.stdout + out.stderr
    # the offline recovery key, as the county keeps it on paper, opens the payload with age(1)
    from export.recovery import recovery_sheet

    (tmp_path / "recovery.txt").write_text(
        recovery_sheet(COUNTY, "正定县", office_templates["recovery"], "age1…"), encoding="utf-8"
    )
    plain = subprocess.run(
        [age, "-d", "-i", str(tmp_path / "recovery.txt"), str(tmp_path / "payload.age")],
        capture_output=True,
        check=True,
    ).stdout
    import gzip

    header = json.loads(gzip.decompress(plain).splitlines()[0])
    assert header["sender"] == TOWNSHIP and header["counts"]["person"] == 4


def test_open_bundle_rejects_symlinks(offices, first, tmp_path):
    link = tmp_path / "link.zip"
    link.symlink_to(first.path)
    with pytest.raises(BundleError) as err:
        open_bundle(link)
    assert err.value.code == "B01"


def test_tables_travel_in_dependency_order():
    assert list(TABLES) == ["household", "person", "birth", "woman_fp", "migration"]


def test_zip_layout_is_read_strictly(offices, first, tmp_path):
    data = first.path.read_bytes()
    cases = {
        "appended.zip": data + b"x" * 70,
        "prepended.zip": b"x" * 70 + data,
        "eocd-count.zip": data[:-12] + bytes([4]) + data[-11:],  # entries on this disk: 3 → 4
        "comment.zip": data[:-2] + b"\x05\x00" + b"hello",
    }
    local_time = bytearray(data)
    local_time[10] ^= 0x01  # the first local header's time differs from the central directory's
    cases["local-time.zip"] = bytes(local_time)
    for name, blob in cases.items():
        path = tmp_path / name
        path.write_bytes(blob)
        refused(offices, path, "B01")


def test_a_held_bundle_refused_later_is_reported_not_raised(offices, first):
    # bundle 2 and 3 from a township database restored from a backup (another chain), 3 arrives first
    other = offices.tmp / "restored.sqlite"
    from storage.db import close_db, open_db

    close_db()
    shutil.copy(offices.township_db, other)
    open_db(other)
    BundleLog.delete().execute()
    export_bundle(offices.township_keys, offices.tmp / "b1")
    export_bundle(offices.township_keys, offices.tmp / "b2")
    b3 = export_bundle(offices.township_keys, offices.tmp / "b3")
    county_import(offices, first.path)
    offices.use_township()
    update_person("130123198707220046", {"name": "王秀瑛"})
    a2 = township_export(offices, "a2")
    assert county_import(offices, b3.path).status == "held"
    result = county_import(offices, a2.path)
    assert result.status == "imported"
    assert [(r.status, r.code) for r in result.also_imported] == [("refused", "B10")]
    assert BundleLog.select().where(BundleLog.status == "held").count() == 1
    assert Person.get(Person.id_number == "130123198707220046").name == "王秀瑛"


def test_an_oversized_record_is_refused_without_reading_it_whole(offices, first, monkeypatch):
    from export import bundle as bundlemod

    monkeypatch.setattr(bundlemod, "MAX_RECORD", 500)  # above the inner header, below a person's record
    refused(offices, first.path, "B14")


def test_export_never_overwrites_or_deletes_other_files(offices, first):
    out = first.path.parent
    keep = out / "county-report.zip.part"
    keep.write_text("不是 hecha 的文件", encoding="utf-8")
    offices.use_township()
    BundleLog.delete().where(BundleLog.sequence == 1).execute()  # as after restoring a backup
    before = first.path.read_bytes()
    with pytest.raises(FileExistsError):
        export_bundle(offices.township_keys, out)
    assert first.path.read_bytes() == before and keep.exists()
    assert BundleLog.select().where(BundleLog.direction == "out").count() == 0
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_pages_and_episodes_travel(offices):
    from storage.households import MigrationInput, WomanInput
    from storage.models import Migration, WomanFP

    offices.use_township()
    h = reference_input()
    h.members[0].marital_status = h.members[1].marital_status = "20"
    h.members[1].fp = WomanInput(contraception="03", contraception_start="20170601")
    h.members[0].residence_status = "2"
    h.members[0].migrations.append(
        MigrationInput(direction="2", move_date="202401", current_address="北京市朝阳区十八里店乡吕家营村")
    )
    save_household(h)
    result = county_import(offices, township_export(offices).path)
    assert result.stats.inserted["woman_fp"] == 1 and result.stats.inserted["migration"] == 1
    assert WomanFP.get().person.name == "王秀英" and Migration.get().current_address == "北京市朝阳区十八里店乡吕家营村"


def test_bundles_are_imported_in_sequence_order_whatever_their_names(offices, first, tmp_path):
    """import_order (the command line's and the import screen's): the second bundle named to sort
    first still comes after the first, so nothing is held; an unreadable file comes first."""
    from pathlib import Path

    from export.bundle import import_order

    offices.use_township()
    update_person("130123198707220046", {"name": "王秀瑛"})
    second = township_export(offices, "out2")
    a = shutil.copy(second.path, tmp_path / "a.zip")
    z = shutil.copy(first.path, tmp_path / "z.zip")
    junk = tmp_path / "m.zip"
    junk.write_bytes(b"not a zip")
    assert import_order([Path(a), Path(z), junk]) == [junk, Path(z), Path(a)]


def test_a_restore_starts_a_new_epoch_that_the_county_accepts(offices, first, tmp_path):
    """Restore a backup and export: the bundle opens a new epoch with every row (a re-baseline);
    the county takes it in place of the broken chain, and every later bundle (issue 14). Before,
    the county refused everything after a restore (B08, then B10)."""
    from storage.db import backup, close_db, restore

    assert county_import(offices, first.path).status == "imported"
    offices.use_township()
    saved = backup(offices.township_db)
    update_person("130123198707220046", {"name": "王秀瑛"}, reason="核对")
    second = township_export(offices, "out2")
    assert county_import(offices, second.path).status == "imported"
    offices.use_township()
    late = township_export(offices, "out-late")  # epoch 1's last, still on its way when the township restores
    close_db()
    kept, epoch = restore(saved, offices.township_db)  # the later edit is lost here; the county holds it
    assert epoch == 2 and kept is not None and kept.exists()
    update_person("130123198503140036", {"name": "李建华"}, reason="核对")
    third = township_export(offices, "out")  # beside epoch 1's first bundle: another name (a newcomer hit it)
    assert third.sequence == 1 and "-e2-000001" in third.path.name and first.path.exists()
    result = county_import(offices, third.path)
    assert result.status == "imported", result
    assert Person.get(Person.id_number == "130123198503140036").name == "李建华"
    assert Person.get(Person.id_number == "130123198707220046").name == "王秀瑛"  # the newest data stays
    refused(offices, late.path, "B19")  # an epoch left behind: not a broken chain, nothing to do
    offices.use_township()
    update_person("130123201703060027", {"name": "李梓萱"}, reason="核对")
    fourth = township_export(offices, "out4")
    assert (fourth.sequence, county_import(offices, fourth.path).status) == (2, "imported")
    assert Person.get(Person.id_number == "130123201703060027").name == "李梓萱"
    assert not list(offices.tmp.rglob("*.part"))


def test_a_bundle_committed_but_not_yet_renamed_is_finished_by_the_next_export(offices, first):
    """A kill between the commit and the rename leaves a logged .part: the next export gives it its
    name, so no bundle exists that the township does not know, and none is lost (issue 14)."""
    out = offices.tmp / "out"
    path = first.path
    part = out / f".{path.name}.part"
    path.rename(part)  # as if killed right after the commit
    (out / ".hecha-999999999-999999-2026W01-000009.zip.part").write_bytes(b"half")  # never committed
    offices.use_township()
    update_person("130123198707220046", {"name": "王秀瑛"}, reason="核对")
    township_export(offices)
    assert path.exists() and not list(out.glob("*.part"))


def _second(offices, first, name="王秀瑛"):
    """The first bundle imported, then one change carried in a second bundle, imported too."""
    assert county_import(offices, first.path).status == "imported"
    offices.use_township()
    update_person("130123198707220046", {"name": name})
    second = township_export(offices, "out2")
    assert county_import(offices, second.path).status == "imported"
    offices.use_township()
    return second


def test_bundles_carry_the_audit_chain_and_the_county_follows_it(offices, first):
    """Issue 14: each bundle carries the audit rows since the last one; the county keeps the hash it
    ended on and takes the next bundle only if its rows chain on from there."""
    second = _second(offices, first)
    offices.use_county()
    logged = BundleLog.get((BundleLog.direction == "in") & (BundleLog.sequence == 2))
    offices.use_township()
    from storage.models import Office

    assert logged.audit_head and logged.audit_head == Office.get().audit_head  # the county holds the head
    assert second.counts["audit_log"] >= 1


def test_history_rewritten_after_it_was_sent_is_refused_by_the_county(offices, first):
    """Someone edits an audit row the county already holds and recomputes every hash (and the
    export log) so that hecha audit verify passes at the township: the county still refuses (B16)."""
    from storage.auditchain import rechain
    from storage.models import AuditLog, Office

    _second(offices, first)
    AuditLog.update(new="改过的值").where(
        AuditLog.id == AuditLog.select(AuditLog.id).where(AuditLog.field == "name")
    ).execute()
    rechain()
    BundleLog.update(audit_head=Office.get().audit_head).where(BundleLog.direction == "out").execute()
    update_person("130123198707220046", {"name": "王秀英"})
    third = township_export(offices, "out3")
    err = refused(offices, third.path, "B16")
    assert "审计链应接" in str(err)


def test_an_audit_row_deleted_since_the_last_bundle_blocks_the_export(offices, first):
    from export.bundle import ExportBlocked
    from storage.models import AuditLog

    _second(offices, first)
    update_person("130123198707220046", {"name": "王秀英"})
    update_person("130123198707220046", {"name": "王秀瑛"})
    newest = AuditLog.select(AuditLog.id).order_by(AuditLog.id.desc())
    AuditLog.delete().where(AuditLog.id == newest.offset(1).limit(1)).execute()
    with pytest.raises(ExportBlocked, match="审计记录第 .* 条与前一条接不上"):
        township_export(offices, "out3")


def test_a_record_changed_in_sqlite_without_an_audit_row_is_refused_by_the_county(offices, first):
    from storage.models import Office

    _second(offices, first)
    Office.update(version_counter=Office.version_counter + 1).execute()
    top = Office.get().version_counter
    Person.update(name="绕过", version=top).where(Person.id_number == "130123198707220046").execute()
    third = township_export(offices, "out3")
    assert third.counts["person"] == 1 and third.counts["audit_log"] == 0
    err = refused(offices, third.path, "B16")
    assert "没有修改记录" in str(err)


def test_conflicts_are_listed_and_shown_side_by_side(offices, first, tmp_path):
    """Issue 18 (item 3, the listing): merge conflicts were stored but nothing showed them."""
    from click.testing import CliRunner

    from main import cli
    from storage.db import close_db

    recipients = _county_recipients(offices)

    def foreign(lines):
        lines[2]["r"]["origin"] = "130123104"
        lines[2]["r"]["name"] = "改过的名字"

    forged = rebuild(
        first.path,
        tmp_path / "o.zip",
        offices.township_keys.sign,
        lines_edit=foreign,
        identity=offices.county_keys.identity,
        recipients=recipients,
    )
    county_import(offices, forged)
    close_db()
    db = ["--db", str(offices.county_db)]
    listed = CliRunner().invoke(cli, ["conflicts", *db])
    assert listed.exit_code == 0 and "130123104" in listed.output and "共 2 件" in listed.output, listed.output
    first_id = MergeConflict.select().order_by(MergeConflict.id).first().id  # the person
    shown = CliRunner().invoke(cli, ["conflicts", str(first_id), *db])
    assert shown.exit_code == 0 and "本库没有这条记录" in shown.output and "改过的名字" in shown.output, shown.output
    assert (
        "）?" not in shown.output.splitlines()[0]
    )  # the reason on a line of its own, not a "?" (a newcomer's finding)
    assert CliRunner().invoke(cli, ["conflicts", "999", *db]).exit_code == 1
    both = CliRunner().invoke(cli, ["conflicts", str(first_id), "--keep", "--take", "--yes", *db])
    assert both.exit_code == 1 and "只能选一个" in both.output, both.output
    assert MergeConflict.get_by_id(first_id).status == "open"  # nothing decided


def test_a_record_line_is_json_the_standard_library_reads_back_as_it_was():
    """Bundle records are written with orjson (issue 19); any JSON reader, the standard tools' and
    an older hecha's ``json.loads``, must read them back unchanged: extension-B characters, control
    characters a damaged export left, quotes, backslashes, U+2028, a BOM, empty and None values."""
    import json

    import orjson

    values = ["王𠮷祥", "欧阳\u3000娜", 'a"b\\c', "line\nbreak\ttab\x00\x1f", "\u2028\u2029", "\ufeff", "", None, 0, -1]
    rec = {"t": "person", "r": {f"k{i}": v for i, v in enumerate(values)} | {"deleted": False, "ok": True}}
    line = orjson.dumps(rec)
    assert b"\n" not in line  # one record, one line
    assert json.loads(line) == rec
    assert line == json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()


def test_the_export_s_compressing_thread_passes_a_write_error_on_and_never_hides_another():
    """The export deflates in a second thread (issue 19): a write that fails there (a full disk)
    fails the export in the main thread; an error of the export itself is not replaced by it."""
    import errno
    import gzip
    import random

    import pytest

    from export.bundle import _Deflater

    class FullDisk:
        def __init__(self) -> None:
            self.written = 0

        def write(self, data: bytes) -> int:
            self.written += len(data)
            if self.written > 10_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return len(data)

        def flush(self) -> None:
            pass

    chunk = random.Random(7).randbytes(100_000)  # does not compress away
    with pytest.raises(OSError, match="No space"):
        with gzip.GzipFile(fileobj=FullDisk(), mode="wb", mtime=0) as gzfile, _Deflater(gzfile) as gz:
            for _ in range(50):
                gz.write(chunk)
    with pytest.raises(KeyError, match="the export's own"):
        gzfile = gzip.GzipFile(fileobj=FullDisk(), mode="wb", mtime=0)
        with _Deflater(gzfile) as gz:
            for _ in range(3):
                gz.write(chunk)
            raise KeyError("the export's own")


def test_the_export_summary_names_its_messages_as_the_importer_will():
    """The township read 「协查等消息 47」 where the county's import said 「年报数（村、年度） 47 件」
    (a newcomer's finding, twice): the summary now says the kinds."""
    from pathlib import Path

    from export.bundle import ExportResult

    result = ExportResult(Path("x.zip"), 3, "b", {"person": 2, "assist": 49}, {"annual": 47, "request": 2})
    assert result.summary() == "第3号：人 2，消息 49（年报数（村、年度） 47，协查 2）"
