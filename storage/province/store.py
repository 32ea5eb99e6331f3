"""The platform's columnar store (issue 21): persons and births as Parquet files, one row per
version received, with the keys the cross-county linkage compares.

Layout of a store folder::

    persons/<county>-<bundle id>.parquet   one file per imported bundle (or list), append-only
    births/<county>-<bundle id>.parquet

The pairs the linkage finds are kept in the database (``platform_pair``), not here.
A file is written under a hidden ``.part`` name and renamed when the import that wrote it commits
(:func:`Writer.commit`); a ``.part`` left by a crash is removed by the next :class:`Writer`. The
same bundle imported twice writes the same file names, and readers keep the newest version of each
``uid`` (:data:`LATEST_PERSONS`, :data:`LATEST_BIRTHS`), so a file written twice counts once.

Keys, computed once here so that DuckDB and Spark compare the same strings:

* names (:func:`storage.names.name_keys`): ``*_norm`` the simplified name (OpenCC, so 陳 is 陈),
  ``*_hkey`` surname reading | given-name pinyin (李晓玲 = 李小玲), ``*_fkey`` the same with dictated
  confusions merged (n/l, -n/-ng, zh/z …), ``surname``, and ``*_del`` the name with each character
  deleted in turn: two names one character apart (one replaced, dropped or added) share one of
  these, a test that is the same in every engine (DuckDB's ``levenshtein`` counts UTF-8 bytes,
  Spark's characters). An unnamed newborn (王芳之女) has no name keys.
* ID numbers (GB 11643-1999): ``*_id18`` the 18-character form (a 15-digit number upgraded, §5.5),
  ``*_id_ok`` whether its check character and date are right: a number with a wrong check character
  is still compared, but only as "one digit off" evidence; ``id_date`` the date its digits 7–14
  hold, even when the check character is wrong (one mistyped digit of 17 is mostly elsewhere).
* dates: ``birth_date`` ``YYYY-MM-DD`` (a person's from a valid ID number, GB 11643 §5.3: the date
  keyed beside it is only a copy, and a slip there is not a second person), ``birth_day``
  days since 1970-01-01, ``birth_swap`` the date with day and month swapped (a keying error),
  ``birth_year``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from storage import idnumber
from storage.names import name_keys, unnamed_child

from . import need

TABLES = ("persons", "births")
EPOCH = dt.date(1970, 1, 1)
BATCH = 50_000

_COMMON = [("uid", "string"), ("county", "string"), ("township", "string"), ("version", "int64")]
_COMMON += [("deleted", "bool"), ("bundle", "string"), ("submitted", "string")]
_DATES = [("birth_date", "string"), ("birth_day", "int32"), ("birth_swap", "string"), ("birth_year", "int32")]
_NAME = ["name", "norm", "surname", "hkey", "fkey", "del"]
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "persons": _COMMON
    + [(k, "list" if k == "del" else "string") for k in _NAME]
    + [("sex", "string")]
    + _DATES
    + [("id_number", "string"), ("id18", "string"), ("id_ok", "bool"), ("id_date", "string")]
    + [("hukou_place_code", "string")],
    "births": _COMMON
    + [("child_uid", "string")]
    + [(f"child_{k}", "list" if k == "del" else "string") for k in _NAME]
    + [("child_sex", "string")]
    + _DATES
    + [("child_id18", "string"), ("birth_cert_no", "string"), ("birth_order", "int32")]
    + [("mother_uid", "string")]
    + [(f"mother_{k}", "list" if k == "del" else "string") for k in _NAME]
    + [("mother_id18", "string"), ("mother_id_ok", "bool"), ("delivery_org", "string")],
}
"""Columns of each table and their Arrow types (``string``, ``int32``, ``int64``, ``bool``, ``list``
of strings)."""


def name_cols(name: str, prefix: str = "") -> dict[str, Any]:
    """``{prefix+name, prefix+norm, prefix+surname, prefix+hkey, prefix+fkey}`` of a name (see the
    module text); empty keys for an empty or unnamed (王芳之女) name."""
    name = (name or "").strip()
    keys = name_keys(name) if name and unnamed_child(name) is None else None
    if keys is None or not keys.simplified:
        return {
            f"{prefix}name": name,
            f"{prefix}norm": "",
            f"{prefix}surname": "",
            f"{prefix}hkey": "",
            f"{prefix}fkey": "",
            f"{prefix}del": None,
        }
    norm = keys.simplified
    return {
        f"{prefix}name": name,
        f"{prefix}norm": keys.simplified,
        f"{prefix}surname": keys.surname,
        f"{prefix}hkey": keys.homophone_keys[0] if keys.homophone_keys else "",
        f"{prefix}fkey": keys.fuzzy_keys[0] if keys.fuzzy_keys else "",
        f"{prefix}del": [norm, *dict.fromkeys(norm[:i] + norm[i + 1 :] for i in range(len(norm)))]
        if len(norm) > 1
        else [norm],
    }


def id_cols(number: str, on: dt.date) -> tuple[str, bool, dt.date | None]:
    """``(18-character form, valid, birth date it holds)`` of an ID number (GB 11643-1999), judged
    against ``on`` (the day the record was sent: a birth date after it is wrong)."""
    info = idnumber.parse(number or "", on)
    return info.number_18, info.ok, info.birth_date


def date_cols(text: str, fallback: dt.date | None = None) -> dict[str, Any]:
    """``birth_date``, ``birth_day``, ``birth_swap``, ``birth_year`` of a ``YYYY-MM-DD`` date (a
    shorter or unreadable one counts as missing; ``fallback``, the ID number's date, stands in)."""
    day: dt.date | None
    try:
        day = dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        day = fallback
    if day is None:
        return dict(birth_date="", birth_day=None, birth_swap="", birth_year=None)
    swap = ""
    if day.day <= 12 and day.day != day.month:
        swap = f"{day.year:04d}-{day.day:02d}-{day.month:02d}"
    return dict(birth_date=day.isoformat(), birth_day=(day - EPOCH).days, birth_swap=swap, birth_year=day.year)


def _common(r: dict[str, Any], county: str, bundle: str, submitted: dt.date) -> dict[str, Any]:
    """The columns every row of the store has (:data:`_COMMON`): the record's uid, county and township
    (its origin), version and tombstone; the bundle and the day it came in."""
    township = str(r.get("origin") or r.get("township") or "")
    return dict(
        uid=str(r["uid"]),
        county=county or township[:6],
        township=township,
        version=int(r.get("version") or 0),
        deleted=bool(r.get("deleted")),
        bundle=bundle,
        submitted=submitted.isoformat(),
    )


def person_row(r: dict[str, Any], *, county: str, bundle: str, submitted: dt.date) -> dict[str, Any]:
    """A person record (a bundle's ``person`` row, or a list's) as a ``persons`` row of the store."""
    id18, ok, id_born = id_cols(str(r.get("id_number") or ""), submitted)
    return dict(
        **_common(r, county, bundle, submitted),
        **name_cols(str(r.get("name") or "")),
        sex=str(r.get("sex") or ""),
        # GB 11643 §5.3: a valid number's digits 7–14 are the birth date; the keyed date only without one
        **date_cols(id_born.isoformat() if ok and id_born else str(r.get("birth_date") or ""), id_born),
        id_number=str(r.get("id_number") or ""),
        id18=id18,
        id_ok=ok,
        id_date=id_born.isoformat() if id_born else "",
        hukou_place_code=str(r.get("hukou_place_code") or ""),
    )


def birth_row(r: dict[str, Any], *, county: str, bundle: str, submitted: dt.date) -> dict[str, Any]:
    """A birth record as a ``births`` row of the store. A bundle's birth names its mother and child
    by uid (their names and numbers are joined from ``persons`` when linking); a list's gives the
    mother's name and number (``mother_name``, ``mother_id_number``, ``child_id_number``)."""
    child_id18, _, _ = id_cols(str(r.get("child_id_number") or ""), submitted)
    mother_id18, mother_ok, _ = id_cols(str(r.get("mother_id_number") or ""), submitted)
    order = r.get("birth_order")
    try:
        order = int(order) if order not in (None, "") else None
    except (TypeError, ValueError):
        order = None
    return dict(
        **_common(r, county, bundle, submitted),
        child_uid=str(r.get("child_uid") or ""),
        **name_cols(str(r.get("child_name") or ""), "child_"),
        child_sex=str(r.get("child_sex") or ""),
        **date_cols(str(r.get("birth_date") or "")),
        child_id18=child_id18,
        birth_cert_no=str(r.get("birth_cert_no") or "").strip().upper(),
        birth_order=order,
        mother_uid=str(r.get("mother_uid") or ""),
        **name_cols(str(r.get("mother_name") or ""), "mother_"),
        mother_id18=mother_id18,
        mother_id_ok=mother_ok,
        delivery_org=str(r.get("delivery_org") or ""),
    )


def _schema(table: str):
    pa = need("pyarrow")
    types = {"string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "bool": pa.bool_()}
    types["list"] = pa.list_(pa.string())
    return pa.schema([(name, types[t]) for name, t in SCHEMAS[table]])


class Writer:
    """Writes one import's rows into a store: rows go to hidden ``.part`` files, :meth:`commit`
    renames them into place (after the import's log row committed; a rename cut short is finished
    by :func:`storage.province.platform.recover`), :meth:`abort` removes them. Made and used under
    the database's write lock, as its :func:`sweep` removes every ``.part`` file. ``name`` (a bundle id or a
    list's name) names the files, with ``county``. Rows are written :data:`BATCH` at a time, never
    held all in memory."""

    def __init__(self, folder: str | Path, county: str, name: str):
        self.folder = Path(folder)
        self.name = name
        self.stem = f"{county}-{name}"
        self.counts = dict.fromkeys(TABLES, 0)
        self._rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self._writers: dict[str, Any] = {}
        self._parts: list[tuple[Path, Path]] = []
        for table in TABLES:
            (self.folder / table).mkdir(parents=True, exist_ok=True)
        sweep(self.folder)

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue one store row of ``table`` (:func:`person_row`, :func:`birth_row`)."""
        rows = self._rows[table]
        rows.append(row)
        self.counts[table] += 1
        if len(rows) >= BATCH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self._rows[table]
        if not rows:
            return
        pa, pq = need("pyarrow"), need("pyarrow.parquet")
        schema = _schema(table)
        batch = pa.Table.from_pylist(rows, schema=schema)
        if table not in self._writers:
            final = self.folder / table / f"{self.stem}.parquet"
            part = final.with_name(f".{final.name}.part")
            self._parts.append((part, final))
            self._writers[table] = pq.ParquetWriter(part, schema, compression="zstd")
        self._writers[table].write_table(batch)
        rows.clear()

    def close(self) -> None:
        """Write what is queued and close the ``.part`` files (still hidden)."""
        for table in TABLES:
            self._flush(table)
        for w in self._writers.values():
            w.close()
        self._writers.clear()

    def commit(self) -> None:
        """Rename the written files into place (after the import's log row committed)."""
        self.close()
        for part, final in self._parts:
            if not part.exists() and final.exists():  # a reader's recover() renamed it first
                continue
            with open(part, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(part, final)
        self._parts.clear()

    def abort(self) -> None:
        """Remove what this writer wrote (the import failed)."""
        for w in self._writers.values():
            try:
                w.close()
            except Exception:  # closing a half-written file: it is removed next
                pass
        self._writers.clear()
        for part, _ in self._parts:
            part.unlink(missing_ok=True)
        self._parts.clear()


def sweep(folder: str | Path) -> int:
    """Remove the ``.part`` files a crashed import left in ``folder``; returns how many."""
    gone = 0
    for table in TABLES:
        for part in (Path(folder) / table).glob(".*.part"):
            part.unlink(missing_ok=True)
            gone += 1
    return gone


def files(folder: str | Path, table: str) -> list[Path]:
    """The committed Parquet files of ``table`` in the store, sorted."""
    return sorted((Path(folder) / table).glob("[!.]*.parquet"))


def sql_list(paths: Iterable[str | Path]) -> str:
    """Paths as a DuckDB list literal for ``read_parquet([...])``, each quoted."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def write_rows(folder: str | Path, county: str, name: str, persons: Iterable[dict], births: Iterable[dict]) -> dict:
    """Write store rows (already made by :func:`person_row`/:func:`birth_row`) as one committed
    import; returns the counts. For lists and benchmarks; bundles go through :class:`Writer`."""
    w = Writer(folder, county, name)
    try:
        for row in persons:
            w.add("persons", row)
        for row in births:
            w.add("births", row)
        w.commit()
    except BaseException:
        w.abort()
        raise
    return w.counts


def rows_of_csv(path: str | Path, table: str, *, submitted: dt.date) -> Iterator[dict[str, Any]]:
    """Store rows from a UTF-8 CSV of ``persons`` (uid, county, township, name, sex, birth_date,
    id_number, hukou_place_code) or ``births`` (uid, county, township, child_name, child_sex,
    birth_date, child_id_number, birth_cert_no, birth_order, mother_name, mother_id_number,
    delivery_org); other columns are ignored. For the benchmark's provinces (bench/province.py)."""
    import csv

    make = person_row if table == "persons" else birth_row
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            yield make(r, county=r.get("county", ""), bundle="csv", submitted=submitted)
