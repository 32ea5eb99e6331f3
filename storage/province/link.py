"""The cross-county comparison (issue 21): Splink links the platform's births and persons across
counties, on DuckDB (one machine, the default) or Spark (a cluster, or local mode), with the same
SQL and the same settings on both.

What it finds, in the national platform's words (对各地上报的出生人口个案信息进行分析和比对):

* ``birth``: the same child reported by two counties (a migrant's birth counted twice, or a birth
  one county keyed from its own form and another from a hospital list);
* ``person``: the same person registered in two counties (a woman registered where she lives and
  where her household is registered).

Only pairs whose records come from **different counties** are compared (every blocking rule says
``l.county <> r.county``): within a county, the county's own duplicate search has already run.

The comparisons use hecha's Chinese name keys (:mod:`storage.province.store`: the simplified name,
the homophone key, the key with dictated confusions merged, one character off) and GB 11643 (the
18-character form of a number; one digit off). The u probabilities are estimated by random sampling
and the m probabilities by Splink's expectation maximisation on the data (never hand-set); the prior
from a deterministic rule (the same ID number, or the same birth certificate).

Run on a cluster with the same entry point::

    spark-submit --master yarn storage/province/job.py --engine spark STORE OUT.parquet
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import PlatformError, need, unreadable
from .store import files, sql_list

ENGINES = ("duckdb", "spark")
THRESHOLD = 0.5
"""Match probability from which a pair is reported (Splink's Fellegi–Sunter posterior): more likely
the same than not. A pair only asks two counties to look; 0.9 missed 3 % of the planted pairs on both
provinces measured and gained no precision (bench/province.py, issue 21)."""
CROSS = "l.county <> r.county"
TWO_NUMBERS = "not coalesce(l.valid_id <> r.valid_id, false)"
"""Persons with two valid, different ID numbers are two people (GB 11643-1999: a number is issued
once, and its check character (ISO 7064 MOD 11-2) catches every single mistyped digit and every swap
of two, so a keying slip never leaves a valid number). A rule of the standard, not a weight: such
pairs are neither predicted nor trained on (EM took namesakes born the same day for matches). It
reads ``valid_id``, a column of its own: Splink leaves out of EM every comparison whose columns a
training block names, and the ID comparison must be trained."""

LATEST = """
select * from (
  select t.*, row_number() over (partition by uid order by version desc, submitted desc, bundle desc) as rn_
  from {raw} t
) x where rn_ = 1 and not deleted
"""
"""The newest version of each uid, tombstones dropped (DuckDB and Spark SQL alike)."""

PERSONS_IN = """
select uid as unique_id, county, township,
  nullif(norm, '') as norm, nullif(surname, '') as surname, nullif(hkey, '') as hkey,
  nullif(fkey, '') as fkey, del, nullif(sex, '') as sex, nullif(birth_date, '') as birth_date, birth_day,
  nullif(birth_swap, '') as birth_swap, birth_year, nullif(id18, '') as id18, id_ok,
  case when id_ok then nullif(id18, '') end as valid_id, nullif(id_date, '') as id_date
from persons_latest
"""

BIRTHS_IN = """
select b.uid as unique_id, b.county, b.township,
  coalesce(nullif(b.child_norm, ''), nullif(c.norm, '')) as norm,
  coalesce(nullif(b.child_hkey, ''), nullif(c.hkey, '')) as hkey,
  coalesce(nullif(b.child_fkey, ''), nullif(c.fkey, '')) as fkey,
  coalesce(b.child_del, c.del) as del,
  coalesce(nullif(b.child_sex, ''), nullif(c.sex, '')) as sex,
  nullif(b.birth_date, '') as birth_date, b.birth_day, nullif(b.birth_swap, '') as birth_swap, b.birth_year,
  coalesce(nullif(b.child_id18, ''), nullif(c.id18, '')) as id18,
  nullif(b.birth_cert_no, '') as birth_cert_no, b.birth_order,
  coalesce(nullif(b.mother_norm, ''), nullif(m.norm, '')) as mother_norm,
  coalesce(nullif(b.mother_surname, ''), nullif(m.surname, '')) as mother_surname,
  coalesce(nullif(b.mother_hkey, ''), nullif(m.hkey, '')) as mother_hkey,
  coalesce(nullif(b.mother_fkey, ''), nullif(m.fkey, '')) as mother_fkey,
  coalesce(b.mother_del, m.del) as mother_del,
  coalesce(nullif(b.mother_id18, ''), nullif(m.id18, '')) as mother_id18,
  case when nullif(b.mother_id18, '') is not null then (case when b.mother_id_ok then b.mother_id18 end)
       when m.id_ok then nullif(m.id18, '') end as mother_valid_id
from births_latest b
left join persons_latest c on c.uid = b.child_uid
left join persons_latest m on m.uid = b.mother_uid
"""


def _name(prefix: str, label: str):
    """A Chinese name compared on hecha's keys: the same simplified name (with term frequencies: 王伟
    is weaker evidence than 欧阳晓琳), the same reading, the same reading with dictated confusions,
    one character off."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    norm, hkey, fkey, dels = f"{prefix}norm", f"{prefix}hkey", f"{prefix}fkey", f"{prefix}del"
    return cl.CustomComparison(
        output_column_name=f"{prefix}name" if prefix else "name",
        comparison_description=label,
        comparison_levels=[
            cll.NullLevel(norm),
            cll.ExactMatchLevel(norm, term_frequency_adjustments=True),
            cll.ExactMatchLevel(hkey).configure(label_for_charts="同音"),
            cll.ExactMatchLevel(fkey).configure(label_for_charts="近音（方言混淆）"),
            cll.ArrayIntersectLevel(dels, 1).configure(label_for_charts="错一个字"),
            cll.ElseLevel(),
        ],
    )


def _date(id_date: bool = False):
    """A birth date: the same; with ``id_date``, the date in one side's ID number (digits 7–14, read
    even when its check character is wrong) the same as the other's date; day and month swapped;
    within a week; within 60 days (a lunar date keyed as a solar one is 20–50 days off)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            *(
                [
                    cll.CustomLevel(
                        "id_date_l = birth_date_r or birth_date_l = id_date_r", "与对方证号中的日期相同", "duckdb"
                    )
                ]
                if id_date
                else []
            ),
            cll.CustomLevel("birth_date_l = birth_swap_r", "日月颠倒", "duckdb"),
            cll.CustomLevel("abs(birth_day_l - birth_day_r) <= 7", "相差一周内", "duckdb"),
            cll.CustomLevel("abs(birth_day_l - birth_day_r) <= 60", "相差60天内（农历）", "duckdb"),
            cll.ElseLevel(),
        ],
    )


def _id(col: str, label: str, ok: str = ""):
    """An ID number (GB 11643-1999) in its 18-character form: the same; one digit off; the first 15
    the same beside a number that fails its check (``ok``: the column saying a number is valid; a
    spreadsheet kept 15 significant digits: …187000). For persons, two valid numbers that differ
    never meet here (:data:`TWO_NUMBERS` keeps such pairs out); a child's number has no such rule
    (few babies have one, and the number's validity is not stored for them)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    levels = [
        cll.NullLevel(col),
        # u from the data by term frequency: random pairs never share a number, so sampling cannot see
        # it; a number's frequency among the records can (1/N for a number held once)
        cll.ExactMatchLevel(col, term_frequency_adjustments=True),
        cll.LevenshteinLevel(col, 1).configure(label_for_charts="错一位"),
    ]
    if ok:
        levels += [
            cll.CustomLevel(
                f"substr({col}_l, 1, 15) = substr({col}_r, 1, 15) and not ({ok}_l and {ok}_r)",
                "前15位相同（表格截断）",
                "duckdb",
            )
        ]
    return cl.CustomComparison(
        output_column_name=col, comparison_description=label, comparison_levels=[*levels, cll.ElseLevel()]
    )


SIBLINGS = (
    "not coalesce(l.mother_id18 = r.mother_id18 and abs(l.birth_day - r.birth_day) > 280"
    " and l.birth_date <> coalesce(r.birth_swap, ''), false)"
)
"""Two births of one mother (the same number) more than 280 days apart, and not a day and month
swapped, are two children: siblings whose mother moved between counties. A rule, not a weight:
Splink's comparisons are taken as independent, and the mother's number and name, both the same,
outweighed the child's date."""


TWO_MOTHERS = "not coalesce(l.mother_valid_id <> r.mother_valid_id, false)"
"""Births whose mothers have two valid, different ID numbers are two children (:data:`TWO_NUMBERS`):
namesake mothers giving birth on the same day in two counties, with the same child's name even."""


def _across(kind: str) -> str:
    """The condition every pair of ``kind`` meets: two counties, and not :data:`TWO_NUMBERS`
    (persons), not :data:`SIBLINGS` nor :data:`TWO_MOTHERS` (births)."""
    return f"{CROSS} and {TWO_NUMBERS}" if kind == "person" else f"{CROSS} and {SIBLINGS} and {TWO_MOTHERS}"


def settings(kind: str):
    """Splink settings for ``kind`` (``person`` or ``birth``): comparisons and the cross-county
    blocking rules that generate the pairs."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    if kind == "person":
        comparisons = [_name("", "姓名"), _date(id_date=True), _id("id18", "身份证号", "id_ok"), cl.ExactMatch("sex")]
        rules = [
            "l.id18 = r.id18",
            "l.birth_date = r.birth_date and l.fkey = r.fkey",
            "l.fkey = r.fkey and l.birth_year = r.birth_year",
            "l.birth_date = r.birth_date and l.surname = r.surname",
        ]
    else:
        comparisons = [
            _name("", "孩子姓名"),
            _date(),
            cl.ExactMatch("sex"),
            _id("id18", "孩子身份证号"),
            cl.ExactMatch("birth_cert_no"),
            cl.ExactMatch("birth_order"),
            _name("mother_", "母亲姓名"),
            _id("mother_id18", "母亲身份证号"),
        ]
        rules = [
            "l.mother_id18 = r.mother_id18",
            "l.birth_cert_no = r.birth_cert_no",
            "l.id18 = r.id18",
            "l.birth_date = r.birth_date and l.mother_fkey = r.mother_fkey",
            "l.birth_date = r.birth_date and l.fkey = r.fkey",
            "l.mother_fkey = r.mother_fkey and l.birth_year = r.birth_year",
            "l.birth_date = r.birth_date and l.mother_surname = r.mother_surname and l.sex = r.sex",
        ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[f"{r} and {_across(kind)}" for r in rules],  # type: ignore[misc]  # SQL strings are rules too
        additional_columns_to_retain=["county", "township"],
        retain_intermediate_calculation_columns=False,
    )


TRAINING = {
    "person": (
        ["l.id18 = r.id18"],
        [
            "l.id18 = r.id18",
            "l.birth_date = r.birth_date and l.fkey = r.fkey",
            "l.fkey = r.fkey and l.birth_year = r.birth_year",
        ],
    ),
    "birth": (
        ["l.birth_cert_no = r.birth_cert_no", "l.mother_id18 = r.mother_id18 and l.birth_date = r.birth_date"],
        [
            "l.birth_cert_no = r.birth_cert_no",
            "l.mother_id18 = r.mother_id18 and l.birth_year = r.birth_year",
            "l.birth_date = r.birth_date and l.mother_fkey = r.mother_fkey",
        ],
    ),
}
"""Per kind: deterministic rules for the prior, and blocking rules for expectation maximisation, each
leaving the others' fields free to learn. All are taken across counties (``l.county <> r.county``),
like the pairs predicted. None blocks on the mother's number alone: her births are siblings, and EM
would learn "the same mother" instead of "the same birth"."""


@dataclass
class Pair:
    """One cross-county pair: ``kind`` (``person``/``birth``), the two uids (``uid_l`` < ``uid_r``),
    their counties and townships, Splink's match probability and weight."""

    kind: str
    uid_l: str
    uid_r: str
    county_l: str
    county_r: str
    township_l: str
    township_r: str
    probability: float
    weight: float


@dataclass
class Result:
    """Pairs found, records compared per kind, seconds per step."""

    pairs: list[Pair] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class _DuckDB:
    name = "duckdb"

    def __init__(self, memory_limit: str | None = None):
        duckdb = need("duckdb")
        self.con = duckdb.connect()
        if memory_limit:
            self.con.execute(f"set memory_limit = '{memory_limit}'").fetchall()

    def load(self, view: str, paths: list[Path]) -> None:
        self.con.execute(f"create or replace view {view} as select * from read_parquet({sql_list(paths)})").fetchall()

    def table(self, name: str, query: str) -> int:
        self.con.execute(f"create or replace table {name} as {query}").fetchall()
        return self.con.execute(f"select count(*) from {name}").fetchone()[0]

    def api(self):
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self.con)

    def input(self, api, name: str):
        return api.register(name)

    def rows(self, predictions, columns: list[str]) -> list[tuple]:
        return self.con.execute(f"select {', '.join(columns)} from {predictions.physical_name}").fetchall()

    def close(self) -> None:
        self.con.close()


class _Spark:
    name = "spark"

    def __init__(self, session=None):
        need("pyspark")
        from pyspark import SparkConf
        from pyspark.sql import SparkSession

        self.own = session is None
        self._checkpoints = ""
        # spark-submit's --master stands (it is in SparkConf); HECHA_SPARK_MASTER, else local mode
        given = SparkConf().get("spark.master", None)
        master = os.environ.get("HECHA_SPARK_MASTER") or given or "local[2]"
        if session is None and not (os.environ.get("JAVA_HOME") or shutil.which("java")):
            raise PlatformError(
                "Spark 要用 Java 17，本机没有（找不到 java，也没设 JAVA_HOME）："
                "apt-get install openjdk-17-jre-headless；或者不加 --engine spark，用 DuckDB 比对"
            )
        try:
            self.spark = session or (
                SparkSession.builder.master(master)
                .appName("hecha-platform")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")  # no [Stage n:> …] bars over our own lines
                .config("spark.sql.shuffle.partitions", os.environ.get("HECHA_SPARK_PARTITIONS", "4"))
                .getOrCreate()
            )
            self.spark.sparkContext.setLogLevel("ERROR")  # not the WARN lines of every step
            if not self.spark.sparkContext.getCheckpointDir():
                self._checkpoints = tempfile.mkdtemp(prefix="hecha-spark-")
                self.spark.sparkContext.setCheckpointDir(self._checkpoints)
        except Exception as exc:  # a master that does not answer, a JVM that did not start
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise PlatformError(
                f"Spark 没有启动（{master}：{first}）："
                "检查 HECHA_SPARK_MASTER 和集群；或者不加 --engine spark，用 DuckDB"
            ) from None

    def load(self, view: str, paths: list) -> None:
        self.spark.read.parquet(*(str(p) for p in paths)).createOrReplaceTempView(view)

    def table(self, name: str, query: str) -> int:
        df = self.spark.sql(query).cache()
        df.createOrReplaceTempView(name)
        return df.count()

    def api(self):
        from splink import SparkAPI

        return SparkAPI(spark_session=self.spark, register_udfs_automatically=False)

    def input(self, api, name: str):
        return api.register(self.spark.table(name))

    def rows(self, predictions, columns: list[str]) -> list[tuple]:
        return [tuple(r) for r in predictions.as_spark_dataframe().select(*columns).collect()]

    def close(self) -> None:
        if self.own:
            self.spark.stop()
        if self._checkpoints:
            shutil.rmtree(self._checkpoints, ignore_errors=True)


def link(
    store: str | Path,
    *,
    engine: str = "duckdb",
    kinds: tuple[str, ...] = ("birth", "person"),
    threshold: float = THRESHOLD,
    seed: int = 1,
    u_pairs: float | None = None,
    spark_session=None,
    progress: Callable[[str], None] = lambda _t: None,
) -> Result:
    """Link the store's births and persons across counties on ``engine`` (``duckdb`` or ``spark``;
    ``spark_session`` an existing session, else local mode or ``HECHA_SPARK_MASTER``). Returns the
    pairs of match probability ≥ ``threshold``, sorted. ``u_pairs``: the random pairs u is estimated
    on (default ten per record, at least a million, at most five million; a level never met among
    them gets u = 1 / those pairs, :func:`_unseen_u`). Raises
    :class:`~storage.province.PlatformMissing` without the extra, ``ValueError`` for an unknown
    engine."""
    need("splink")
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: duckdb or spark")
    if not 0 < threshold < 1:  # nan too: it passes click's range and would reach the SQL
        raise PlatformError(f"匹配概率下限 {threshold} 不对：应在 0.5 和 1 之间（不含 1）")
    eng: Any = _DuckDB() if engine == "duckdb" else _Spark(spark_session)
    result = Result()
    try:
        t0 = time.perf_counter()
        if "://" in str(store):  # a cluster's store (hdfs://, s3a://): Spark reads the folders and
            # leaves out hidden files (.part) itself; pathlib cannot list them
            if engine != "spark":
                raise PlatformError(f"{store} 在集群的文件系统上：用 --engine spark 读")
            persons: list = [f"{store}/persons"]
            births: list = [f"{store}/births"]
        else:
            persons, births = files(store, "persons"), files(store, "births")
        if not persons:
            return result
        try:
            eng.load("persons_raw", persons)
            eng.table("persons_latest", LATEST.format(raw="persons_raw"))
            if births:
                eng.load("births_raw", births)
                eng.table("births_latest", LATEST.format(raw="births_raw"))
            result.records["person"] = eng.table("person_in", PERSONS_IN)
            if births:
                result.records["birth"] = eng.table("birth_in", BIRTHS_IN)
        except Exception as exc:  # duckdb.Error, or Spark's AnalysisException: a file not Parquet
            if type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb", "pyspark", "py4j"):
                raise unreadable(exc, store) from None
            raise
        result.seconds["load"] = time.perf_counter() - t0
        for kind in kinds:
            if not result.records.get(kind):
                continue
            t1 = time.perf_counter()
            progress(f"比对{'出生' if kind == 'birth' else '人员'}：{result.records[kind]:,} 条")
            pairs = u_pairs or min(5e6, max(1e6, result.records[kind] * 10.0))
            result.pairs += _link_kind(eng, kind, result.records[kind], threshold, seed, pairs)
            result.seconds[kind] = time.perf_counter() - t1
    finally:
        eng.close()
    result.pairs.sort(key=lambda p: (p.kind, p.uid_l, p.uid_r))
    return result


def _link_kind(eng: Any, kind: str, records: int, threshold: float, seed: int, u_pairs: float) -> list[Pair]:
    from splink import Linker
    from splink.internals.exceptions import SplinkException

    api = eng.api()
    linker = Linker(eng.input(api, f"{kind}_in"), settings(kind), log_level=40)
    prior_rules, em_rules = TRAINING[kind]
    across = _across(kind)
    linker.training.estimate_probability_two_random_records_match(
        [f"{r} and {across}" for r in prior_rules], recall=0.7
    )
    if not linker._settings_obj._probability_two_random_records_match:  # the rules met no pair (no
        # two counties share a number): rarer than one in all the pairs, as _unseen_u says of a level
        linker._settings_obj._probability_two_random_records_match = 2.0 / max(records * (records - 1), 2)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    _unseen_u(linker, u_pairs)

    for rule in em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                f"{rule} and {across}", estimate_without_term_frequencies=True
            )
        except SplinkException:  # a block of matches only (a small province: the planted pair alone)
            # makes EM's match share 1 and a weight infinite; the other blocks still train (a trial's
            # 100 households per county ended in a traceback: a newcomer's finding)
            continue
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    cols = ["unique_id_l", "unique_id_r", "county_l", "county_r", "township_l", "township_r"]
    cols += ["match_probability", "match_weight"]
    out = []
    for a, b, ca, cb, ta, tb, prob, weight in eng.rows(predictions, cols):
        if str(a) > str(b):
            a, b, ca, cb, ta, tb = b, a, cb, ca, tb, ta
        out.append(Pair(kind, str(a), str(b), ca, cb, ta or "", tb or "", float(prob), float(weight)))
    return out


def _unseen_u(linker: Any, sampled: float) -> None:
    """A level random sampling never met (two numbers one digit apart, a date the other's number
    holds) gets u = 1 / the pairs sampled: what the sample says, that it is rarer than that. Splink
    would give it a default weight instead (its levels' interpolated priors), which took a number one
    digit off for weak evidence."""
    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            if not level._has_estimated_u_values and not level._is_else_level:  # "all other": not a rarity
                level._add_trained_u_probability(1.0 / sampled, "not met in random sampling: 1 / pairs sampled")
    linker._populate_m_u_from_trained_values()


def write_pairs(pairs: list[Pair], path: str | Path) -> None:
    """The pairs as a Parquet file (written under a hidden name, then renamed)."""
    pa, pq = need("pyarrow"), need("pyarrow.parquet")
    path = Path(path)
    names = list(Pair.__dataclass_fields__)
    table = (
        pa.table({n: [getattr(p, n) for p in pairs] for n in names})
        if pairs
        else pa.table({n: pa.array([], pa.float64() if n in ("probability", "weight") else pa.string()) for n in names})
    )
    part = path.with_name(f".{path.name}.part")
    pq.write_table(table, part)
    os.replace(part, path)


def main(argv: list[str] | None = None) -> None:
    """``python storage/province/link.py [--engine spark] STORE OUT.parquet``: the entry point
    ``spark-submit`` runs on a cluster (and ``hecha platform link`` on one machine)."""
    ap = argparse.ArgumentParser(description="hecha 省级平台：跨县比对出生和人员（Splink）")
    ap.add_argument("store")
    ap.add_argument("out")
    ap.add_argument("--engine", choices=ENGINES, default="duckdb")
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    args = ap.parse_args(argv)
    result = link(args.store, engine=args.engine, threshold=args.threshold, progress=print)
    write_pairs(result.pairs, args.out)
    print(f"{len(result.pairs)} pairs → {args.out}; records {result.records}; seconds {result.seconds}")
