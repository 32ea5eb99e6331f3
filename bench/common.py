"""Helpers shared by the benchmarks: a township database filled fast, offices with keys."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import idnumber  # noqa: E402
from storage.db import now_iso, open_db, write_txn  # noqa: E402
from storage.households import _to_row  # noqa: E402
from storage.models import Birth, Household, Migration, Office, Person, WomanFP  # noqa: E402
from storage.names import normalize  # noqa: E402
from storage.office import villages  # noqa: E402
from storage.synth import Population  # noqa: E402


def fast_fill(db: Path, persons: int, *, as_of: dt.date = dt.date(2026, 11, 29), seed: int = 1) -> int:
    """Fill the township database with about ``persons`` persons using bulk inserts.

    Rows are stamped like the form's (uid, origin, version, updated_*), without per-field audit rows:
    a benchmark of bundles, not of keying. Returns the number of persons written.
    """
    open_db(db)
    office = Office.get()
    pop = Population(office.county_code, [v.code for v in villages()], as_of, seed)
    now, version, written = now_iso(), office.version_counter, 0
    serials: dict[tuple[str, str], int] = {}
    with write_txn():
        while written < persons:
            h = pop.household()
            key = (h.village_code, h.group_no)
            serials[key] = serials.get(key, 0) + 1
            version += 1
            stamp = dict(origin=office.code, updated_at=now, updated_by="bench", deleted=False)
            hh = Household.create(
                household_code=f"{h.village_code}{h.group_no}{serials[key]:04d}",
                village_code=h.village_code,
                group_no=h.group_no,
                serial=serials[key],
                address_detail=h.address_detail,
                form_no=h.form_no,
                version=version,
                **stamp,
            )
            rows = []
            for seq, m in enumerate(h.members, start=1):
                version += 1
                info = idnumber.parse(m.id_number, as_of)
                assert info.birth_date is not None  # Population gives every member a valid ID number
                rows.append(
                    dict(
                        household=hh.id,
                        seq=seq,
                        name=m.name,
                        name_norm=normalize(m.name),
                        id_number=m.id_number,
                        id_number_18=info.number_18,
                        id_check=info.status,
                        sex=info.sex,
                        birth_date=info.birth_date.isoformat(),
                        relation_to_head=m.relation_to_head,
                        ethnicity=m.ethnicity,
                        residence_status=m.residence_status,
                        hukou_place_text=m.hukou_place_text,
                        version=version,
                        **stamp,
                    )
                )
            from storage.models import new_uid

            for r in rows:
                r["uid"] = new_uid()
            Person.insert_many(rows).execute()
            ids = [p.id for p in Person.select(Person.id).where(Person.household == hh.id).order_by(Person.seq)]
            for pid, m in zip(ids, h.members, strict=True):
                extra = {}
                for name in ("marital_status", "education"):
                    extra[name] = getattr(m, name)
                if extra:
                    Person.update(**extra).where(Person.id == pid).execute()
                for page, model, table in (
                    (m.fp, WomanFP, "woman_fp"),
                    *((g, Migration, "migration") for g in m.migrations),
                ):
                    if page is None:
                        continue
                    version += 1
                    row = model(person=pid, version=version, **stamp)
                    _to_row(table, page, row)
                    row.save(force_insert=True)
            for b in h.births:
                version += 1
                assert b.child is not None and b.mother is not None  # Population's births name both
                child = rows[b.child - 1]
                Birth.create(
                    household=hh.id,
                    mother=ids[b.mother - 1],
                    father=ids[0],
                    child=ids[b.child - 1],
                    child_name=child["name"],
                    child_sex=child["sex"],
                    birth_date=child["birth_date"],
                    birth_order=b.birth_order,
                    birth_cert_no=b.birth_cert_no,
                    version=version,
                    **stamp,
                )
            written += len(rows)
        # ages judged at the campaign's day, never the day the bench runs (issue 19: a bench built
        # for 2026-11-29 was refused later, five women having turned 50 since)
        Office.update(version_counter=version, reference_date=as_of.isoformat()).execute()
    return written


def budget(
    what: str,
    measured: float,
    unit: str,
    limit: float,
    *,
    at_most: bool = True,
    anchor: float | None = None,
    anchor_what: str = "",
    note: str = "",
) -> bool:
    """One budget line (DESIGN.md §11), printed and, when ``HECHA_BENCH_REPORT`` names a file, added
    to it as a JSON line for ``bench/run_all.py``. ``limit`` is the budget in ``unit`` (a maximum, or
    with ``at_most=False`` a minimum); ``anchor`` the figure it is compared with in the same run
    (a bare Textual app, the bare parse, ``sqlite3 .dump`` …), named by ``anchor_what``, in the same
    unit. Returns whether the measure is within budget. Memory is given in MB of 10^6 bytes."""
    import json
    import os

    ok = measured <= limit if at_most else measured >= limit
    ratio = measured / anchor if anchor else None
    sign = "≤" if at_most else "≥"
    line = f"BUDGET {what}: {measured:,.3g} {unit} ({sign} {limit:,.3g} {unit}) {'pass' if ok else 'FAIL'}"
    if ratio is not None:
        line += f"; {ratio:.2f}× {anchor_what} ({anchor:,.3g} {unit})"
    print(line + (f" — {note}" if note else ""), flush=True)
    report = os.environ.get("HECHA_BENCH_REPORT")
    if report:
        row = dict(
            what=what, measured=measured, unit=unit, limit=limit, at_most=at_most, ok=ok, note=note,
            anchor=anchor, anchor_what=anchor_what, ratio=ratio,
        )  # fmt: skip
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return ok


def mb(mib: float) -> float:
    """Megabytes of 10^6 bytes from MiB (what :func:`child` returns: the kernel's VmHWM / 1024)."""
    return mib * 1_048_576 / 1e6


def township(db: Path, persons: int, *, as_of: dt.date, seed: int = 1) -> int:
    """A township database at ``db`` of about ``persons`` persons (:func:`fast_fill`), built only
    when the file is missing (benchmarks keep it with ``--db``); prints what it did and returns the
    persons written (0 when the file was there)."""
    import time

    from storage.office import init_office

    if db.exists():
        print(f"database: {db} (kept from an earlier run)")
        return 0
    init_office(db, "130123103")
    t = time.perf_counter()
    n = fast_fill(db, persons, as_of=as_of, seed=seed)
    print(f"database: {n} persons, built in {time.perf_counter() - t:.0f} s")
    return n


def keyed_township(db: Path, persons: int, *, as_of: dt.date, seed: int = 1) -> None:
    """:func:`township` at ``db``, opened, with the name keys written when it was just built."""
    import time

    from storage.db import open_db, write_txn
    from storage.namekeys import index_all

    built = township(db, persons, as_of=as_of, seed=seed)
    open_db(db)
    if built:
        t = time.perf_counter()
        with write_txn():
            index_all()
        print(f"name keys built in {time.perf_counter() - t:.0f} s")


def child(code: str) -> tuple[dict, float]:
    """Run ``code`` (Python, with the project on its path) in a fresh process; it ends by printing
    one JSON object. Returns that object and the process's peak memory in MB, read from its
    VmHWM: getrusage's ru_maxrss is kept across execve on Linux, so a child would report its
    parent's peak (a benchmark that built a big file first) whenever that is higher."""
    import json
    import subprocess

    tail = (
        "\nimport json as _json\n_hwm = next(int(x.split()[1]) for x in open('/proc/self/status') if "
        "x.startswith('VmHWM'))\n"
        "print('PEAK', _hwm / 1024)"
    )
    head = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
    out = subprocess.run([sys.executable, "-c", head + code + tail], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    peak = float(next(x for x in lines if x.startswith("PEAK")).split()[1])
    result = json.loads(next(x for x in reversed(lines) if x.startswith("{")))
    return result, peak
