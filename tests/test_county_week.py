"""The county's week (issue 18, Done when): three townships and their county, through real bundles and
the CLI only — weekly exports with one township's bundle missing a week (the gap said by sequence and
by calendar, the later bundle held and applied when the missing one arrives), one township putting
an old backup back by hand (the chain broken and reported; ``hecha rebaseline``; the edit it lost
comes back as a conflict the county decides and the township applies), and the same person keyed in
two townships (listed, 填报单位 decided, the decision sent down, applied and acknowledged)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

import export.bundle
from main import cli
from storage import assist, idnumber
from storage.forms import form_to_dict

from .cli_office import Office
from .conftest import reference_input

COUNTY = "130123"  # 正定县
T1, T2, T3 = "130123103", "130123100", "130123104"  # 新安镇, 正定镇, 南岗镇
SHARED_ID = "130123198707220046"  # 王秀英 of the reference household, keyed again in 南岗镇


def _key_household(office: Office, tmp: Path, form: dict) -> None:
    path = tmp / f"form-{office.code}-{len(list(tmp.glob('form-*')))}.json"
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    office.cli("household", "add", str(path), "--confirm")


def _one_person(village: str, name: str, id_number: str) -> dict:
    form = form_to_dict(reference_input())
    form.update(village_code=village, births=[])
    head = dict(form["members"][0], name=name, id_number=id_number, relation_to_head="02")
    form["members"] = [head]
    return form


def _to(paths: list[str], office: str) -> list[str]:
    return [p for p in paths if f"-{office}-" in Path(p).name]


def test_the_county_week_through_real_bundles(tmp_path, monkeypatch):
    runner = CliRunner()
    clock = {"now": dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.timezone.utc)}  # Wednesday of 2026-W45
    monkeypatch.setattr(export.bundle, "_now", lambda: clock["now"])
    monkeypatch.setattr(assist, "today", lambda: clock["now"].date())

    def week(n: int) -> None:
        clock["now"] += dt.timedelta(weeks=n)

    county = Office(tmp_path, COUNTY, runner)
    towns = {code: Office(tmp_path, code, runner) for code in (T1, T2, T3)}
    for town in towns.values():
        county.add(town)
        town.add(county)
    t1, t2, t3 = towns[T1], towns[T2], towns[T3]

    # week 45: 新安镇 keys the reference household, 正定镇 a household of its own, 南岗镇 keys 王秀英 again
    form = form_to_dict(reference_input())
    _key_household(t1, tmp_path, form)
    own = _one_person(t2.village(), "赵德明", idnumber.make("130123", dt.date(1979, 5, 6), 11))
    _key_household(t2, tmp_path, own)
    _key_household(t3, tmp_path, _one_person(t3.village(), "王秀英", SHARED_ID))
    for town in towns.values():
        out = county.take(town.export())
        assert "已导入" in out, out
    t2.cli("backup")  # 正定镇's backup after its first bundle
    (backup,) = (tmp_path / "backups").glob(f"{T2}-*.sqlite")

    # week 46: everyone exports; 南岗镇's bundle does not reach the county (left on the USB stick)
    week(1)
    t1.cli("person", "set", "130123198503140036", "name=李建华", "--reason", "核对")
    t2.cli("person", "set", own["members"][0]["id_number"], "name=赵德民", "--reason", "入户核对")
    county.take(t1.export())
    county.take(t2.export())
    lost = t3.export()

    # week 47: 南岗镇's next bundle comes, ahead of the missing one
    week(1)
    held = county.cli("import-bundle", *t3.export(), ok=False)
    assert held.exit_code == 3 and "H09" in held.output, held.output
    progress = county.cli("county").output
    line = next(x for x in progress.splitlines() if "南岗镇" in x)
    assert "缺1周" in line and "暂存1个（缺号）" in line, progress

    # 正定镇's database dies; a clerk copies the week-45 backup over it by hand and keys the change again,
    # differently; its bundle reuses number 2, which the county refuses and reports as a broken chain
    for suffix in ("", "-wal", "-shm"):
        Path(f"{t2.db}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, t2.db)
    t2.cli("person", "set", own["members"][0]["id_number"], "name=赵得民", "--reason", "重录")
    refused = county.cli("import-bundle", *t2.export(), ok=False)
    assert refused.exit_code == 1 and "B08" in refused.output, refused.output
    line = next(x for x in county.cli("county").output.splitlines() if "正定镇" in x)
    assert "链断开" in line and "hecha rebaseline --epoch 2" in line, line

    # the missing bundle arrives: applied, and the held one after it
    out = county.take(lost)
    assert out.count("已导入") == 2, out
    line = next(x for x in county.cli("county").output.splitlines() if "南岗镇" in x)
    assert "暂存" not in line and "缺" not in line, line

    # 正定镇 re-bases; the county takes all of it, and the name it holds newer becomes a conflict
    res = t2.cli("rebaseline", "--epoch", "2", "--yes")
    assert "第 2 纪元" in res.output
    out = county.take(t2.export())
    assert "冲突待处理 人1" in out, out
    line = next(x for x in county.cli("county").output.splitlines() if "正定镇" in x)
    assert "链断开" not in line and "冲突待定1" in line, line
    listed = county.cli("conflicts").output
    assert "恢复备份后重传" in listed, listed
    ((conflict_id,),) = county.sql("select id from merge_conflict")
    shown = county.cli("conflicts", str(conflict_id)).output
    assert "赵德民" in shown and "赵得民" in shown, shown
    res = county.cli("conflicts", "--sender", T2, "--keep", "--note", "以入户核对的为准", "--yes")
    assert "已裁定 1 件" in res.output, res.output
    assert county.cli("conflicts", str(conflict_id), "--keep", "--yes", ok=False).exit_code == 1  # once only

    # the same person in 新安镇 and 南岗镇: the county's review lists her, and 新安镇 reports her
    dups = county.cli("duplicates").output
    uids = dict(county.sql(f"select origin, uid from person where id_number = '{SHARED_ID}'"))
    assert uids[T1] in dups and uids[T3] in dups, dups
    county.cli("report-unit", uids[T1], uids[T3], T1, "--note", "户籍在新安镇")

    # down: one bundle to 正定镇 (the conflict's decision), one to 南岗镇 (the 填报单位)
    week(1)
    down = county.export()
    assert len(_to(down, T2)) == 1 and len(_to(down, T3)) == 1, down
    t2.take(_to(down, T2))
    assert t2.sql(f"select name from person where id_number = '{own['members'][0]['id_number']}'") == [("赵德民",)]
    t3.take(_to(down, T3))
    assert t3.sql("select unit from report_unit") == [(T1,)]
    assert "决定未回执" in next(x for x in county.cli("county").output.splitlines() if "南岗镇" in x)

    # up again: the acknowledgements, the row newer from its township, and 新安镇's annual-report births
    t1.cli("reconcile", "annual", t1.village(), "2017", "--reported", "3")
    t1.cli("reconcile", "--as-of", "20261101")  # its findings travel up as a count, for the progress
    ((open_findings,),) = t1.sql("select count(*) from reconcile_finding where kind != 'consistent'")
    assert open_findings >= 1
    for town in (t1, t2, t3):
        out = county.take(town.export())
        assert "已导入" in out, out
    assert county.sql("select count(*) from county_decision where acked_at = ''") == [(0,)]
    assert county.sql(f"select name from person where origin = '{T2}'") == [("赵德民",)]
    assert county.sql("select status from merge_conflict") == [("kept",)]
    assert county.sql(f"select findings_open, findings_concluded from township_status where code = '{T1}'") == [
        (open_findings, 0)
    ]
    progress = county.cli("county").output
    for name in ("新安镇", "正定镇", "南岗镇"):
        line = next(x for x in progress.splitlines() if name in x)
        assert line.rstrip().endswith("正常"), progress
    # persons counted once county-wide: 王秀英 is 新安镇's, not 南岗镇's
    line = next(x for x in progress.splitlines() if "南岗镇" in x)
    assert " 0 " in line, line
    from storage import county as county_mod
    from storage.db import open_db

    open_db(county.db)
    (row,) = [r for r in county_mod.progress(clock["now"].date()) if r.code == T3]
    assert (row.households, row.persons, row.births) == (0, 0, 0)  # her household was keyed for her alone

    # up: the city's keys (no database of its own yet), registered at the county; the county's bundle
    # for it and the flat files with their codebook
    city = tmp_path / "city"
    env = {"HECHA_PASSPHRASE_FILE": str(county.secret)}  # the city's own passphrase, here the county's file
    res = runner.invoke(cli, ["keys", "upper", "1301", "--out", str(city)], env=env)
    assert res.exit_code == 0 and "石家庄市（1301）指纹" in res.output, res.output
    assert runner.invoke(cli, ["keys", "upper", "1399", "--out", str(city)], env=env).exit_code == 1
    county.cli("keys", "add", str(city / "石家庄市.pub"), "--yes")
    assert "市" in county.cli("keys", "list").output
    out = county.cli("export", "--up", "--out", str(tmp_path / "up"))
    bundle, folder = [Path(line) for line in out.stdout.strip().splitlines()]
    assert bundle.name.startswith(f"hecha-{COUNTY}-1301-") and folder.is_dir()
    header, records = _open_up(bundle, city / "石家庄市-私钥.age", county.secret)
    persons = county.sql("select count(*) from person")[0][0]
    assert header["counts"]["person"] == persons == sum(1 for r in records if r["t"] == "person")
    units = [r["r"] for r in records if r["t"] == "assist" and r["r"]["type"] == "report_unit"]
    assert [(u["person_uid"], u["unit"]) for u in units] == [(uids[T3], T1)]
    with open(folder / "人员.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == persons
    marked = next(r for r in rows if r["记录编号"] == uids[T3])
    assert (marked["乡镇"], marked["填报单位"], marked["身份证号"]) == (T3, T1, SHARED_ID)
    assert sum(r["填报单位"] == r["乡镇"] for r in rows if r["身份证号"] == SHARED_ID) == 1  # once county-wide
    from openpyxl import load_workbook

    book = load_workbook(folder / "上报.xlsx")
    assert book.sheetnames == ["人员", "出生", "流动人口", "核查结果", "县汇总", "图表", "代码表"]
    codebook = [[c.value for c in r] for r in book["代码表"].iter_rows()]
    for heading in next(book["人员"].iter_rows(max_row=1, values_only=True)):
        assert any(r[0] == "人员" and r[1] == heading for r in codebook), heading
    assert ["sex", "2", "女"] == [c for c in next(r for r in codebook if r[0] == "sex" and r[1] == "2")[:3]]
    import zipfile

    assert any(n.startswith("xl/charts/chart") for n in zipfile.ZipFile(folder / "上报.xlsx").namelist())
    summary = [[c.value for c in r] for r in book["县汇总"].iter_rows(min_row=2)]
    # 年报 3 from the township's annual figures; 核查出生 1 from its own reconciliation, as its bundle said
    assert summary == [["新安镇（130123103）", 2017, 3, 0, 1, *[0] * 9]], summary
    assert book["图表"]["A2"].value == "新安镇（130123103）"
    # the next upward bundle carries what changed since, only
    t1.cli("person", "set", "130123198503140036", "name=李建民", "--reason", "核对")
    county.take(t1.export())
    out = county.cli("export", "--up", "--out", str(tmp_path / "up2"))
    bundle = Path(out.stdout.strip().splitlines()[0])
    header, records = _open_up(bundle, city / "石家庄市-私钥.age", county.secret)
    assert header["counts"]["person"] == 1 and header["sequence"] == 2
    # the renamed person is found under the new name at the county (its name keys were written again)
    keys = county.sql(
        "select k.key from person_key k join person p on p.id = k.person_id "
        "where p.id_number = '130123198503140036' and k.kind = 'n'"
    )
    assert keys == [("李建民",)], keys


def _open_up(bundle: Path, private: Path, passphrase_file: Path):
    """Open a county-up bundle as the city would: its private key file (age, passphrase), then the
    payload with the identity inside."""
    import gzip
    import io

    import pyrage

    from export.agefile import decrypt_passphrase

    from .forge import read_parts

    secret = decrypt_passphrase(private.read_bytes(), passphrase_file.read_text().strip()).decode()
    identity = next(line for line in secret.splitlines() if line.startswith("AGE-SECRET-KEY-"))
    payload = read_parts(bundle)["payload.age"]
    plain = pyrage.decrypt(payload, [pyrage.x25519.Identity.from_str(identity)])
    lines = [json.loads(line) for line in gzip.GzipFile(fileobj=io.BytesIO(plain)).read().splitlines()]
    return lines[0], lines[1:]
