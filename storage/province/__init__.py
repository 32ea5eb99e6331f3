"""The province's platform (省级平台, issue 21): a level above the county, in the same program.

The province imports its counties' ``county-up`` bundles (:mod:`export.bundle`) into columnar files
(:mod:`.store`, Parquet: one row per person and per birth version, with hecha's Chinese name keys
and GB 11643 forms of the ID numbers), links births and persons across counties with Splink
(:mod:`.link`: DuckDB on one machine, Spark on a cluster, the same settings and SQL), and turns each
cross-county pair into assistance requests (协查) to the counties concerned, with the platform's
statistics per county and month (:mod:`.platform`).

Nothing here is imported at start-up: DuckDB, pyarrow, Splink and pyspark come with the optional
``platform`` extra (``pip install 'hecha[platform]'``) and are imported by the functions that use
them.
"""

from __future__ import annotations

from storage.errors import OperatorError


class PlatformError(OperatorError):
    """A platform command refused (not a province's database, a store file unreadable, Spark not
    started …), in Chinese with what to do."""


def unreadable(exc: Exception, folder: object) -> PlatformError:
    """The refusal for a store file DuckDB or Spark could not read (a file hecha did not write, one
    cut short): the engine's first line names the file."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return PlatformError(
        f"列式存储 {folder} 里有读不出的文件（{first[:300]}）：不是 hecha 写的文件请移走；"
        "hecha 的文件坏了，先移走它，再 hecha platform rebuild 该县的数据包文件。"
    )


class PlatformMissing(OperatorError):
    """The ``platform`` extra (pyarrow, duckdb, splink; pyspark for Spark) is not installed."""


def need(module: str):
    """Import ``module`` of the ``platform`` extra or raise :class:`PlatformMissing` saying how to
    install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise PlatformMissing(
            f"省级平台要用 {module.split('.')[0]}，还没有安装：pip install 'hecha[platform]'"
            "（Spark 另要 pip install 'hecha[spark]' 和 Java 17）"
        ) from None
