"""``hecha doctor``: what an office machine needs, checked and explained in Chinese (issue 20).

Each check returns :class:`Finding` rows: a level (``ok``, ``warn``, ``error``), a topic, what was
found and, when not ok, the fix. :func:`run` runs them all; :func:`worst` gives the exit status
(0 all ok, 1 a warning, 2 an error). Nothing here writes: the database is read through a read-only
connection (a schema older than the program is reported, not migrated; ``hecha migrate`` does that).

The checks read the machine as it is (real time, the environment given, the terminal's size): they
judge the machine, never a record, so the campaign's reference date plays no part (DESIGN.md §5).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .paths import backup_dir, database_files

OK, WARN, ERROR = "ok", "warn", "error"
LEVEL_WORDS = {OK: "正常", WARN: "注意", ERROR: "错误"}
STATUS = {OK: 0, WARN: 1, ERROR: 2}

MIN_PYTHON = (3, 10)
BACKUP_DAYS = 2  # a daily backup older than this: the TUI has not started for two days, or backups fail
BUNDLE_DAYS = 7  # the weekly bundle (DESIGN.md §9): a week or more since the last one is late
CALENDAR_DAYS = 60  # the working-day calendar must be exact this far ahead (协查 windows run 15 working days)
FREE_FLOOR = 500 * 10**6  # bytes: below this (or twice the database) a backup or a migration may not fit
MIN_COLUMNS, MIN_LINES = 80, 24  # DESIGN.md §10: every screen fits 80x24


@dataclass(frozen=True)
class Finding:
    """One result: ``level`` (:data:`OK`, :data:`WARN`, :data:`ERROR`), ``topic`` (Chinese, short),
    ``text`` (what was found) and ``fix`` (what to do; empty when ok)."""

    level: str
    topic: str
    text: str
    fix: str = ""

    def line(self) -> str:
        """``[注意] 备份：最近一次备份是 9 天前 → 运行 hecha backup``."""
        return f"[{LEVEL_WORDS[self.level]}] {self.topic}：{self.text}" + (
            f"\n        → {self.fix}" if self.fix else ""
        )


def worst(findings: list[Finding]) -> int:
    """The exit status for ``findings``: 0 all ok, 1 at least one warning, 2 at least one error."""
    return max((STATUS[f.level] for f in findings), default=0)


# ------------------------------------------------------------------------------ the program
def _version_tuple(text: str) -> tuple[int, ...]:
    """``"8.2.8"`` → ``(8, 2, 8)``; a pre-release's letters end the number (``"3.1rc1"`` → ``(3, 1)``)."""
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
        if digits.end() < len(piece):
            break
    return tuple(parts)


_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": lambda v, b: v >= b,
    ">": lambda v, b: v > b,
    "<=": lambda v, b: v <= b,
    "<": lambda v, b: v < b,
    "==": lambda v, b: v == b,
    "!=": lambda v, b: v != b,
}


def _padded(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Release numbers of equal length (PEP 440: ``1.2`` is ``1.2.0``)."""
    n = max(len(a), len(b))
    return a + (0,) * (n - len(a)), b + (0,) * (n - len(b))


def requirement_ok(spec: str, installed: str) -> bool:
    """Whether version ``installed`` meets ``spec`` (``">=8.2,<8.3"``): the comparison operators of
    PEP 440 that hecha's ``pyproject.toml`` uses, on release numbers padded with zeros (``1.2`` is
    ``1.2.0``). An operator it does not know (``~=``, ``===``, a ``.*`` wildcard) counts as met."""
    have = _version_tuple(installed)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        match = re.fullmatch(r"(>=|<=|==|!=|>|<)\s*([\w.]+)", clause)
        if match and not _OPS[match.group(1)](*_padded(have, _version_tuple(match.group(2)))):
            return False
    return True


def marker_applies(marker: str, python: tuple[int, ...] | None = None) -> bool | None:
    """Whether a requirement's environment marker (PEP 508) holds on CPython ``python`` (``(3, 10)``;
    the running one when ``None``), for the comparisons of ``python_version`` hecha's requirements
    use (``python_version < '3.11'``); an ``extra`` marker (test tools) never holds; ``None`` for a
    marker it does not read. The kit's builder (scripts/build_kit.py) judges its targets by it."""
    if "extra" in marker:
        return False
    match = re.fullmatch(r"\s*python_version\s*(>=|<=|==|!=|>|<)\s*['\"]([\d.]+)['\"]\s*", marker)
    if not match:
        return None
    have = python or sys.version_info[:2]
    return _OPS[match.group(1)](*_padded(tuple(have), _version_tuple(match.group(2))))


def check_program() -> Iterator[Finding]:
    """Python's version (3.10 or newer) and every package hecha requires, installed in a version its
    ``pyproject.toml`` admits (read from the installed package's metadata)."""
    py = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] < MIN_PYTHON:
        yield Finding(
            ERROR, "Python", f"版本 {py}，hecha 需要 3.10 或更新", "用安装包里 install.sh 的说明安装新版 Python"
        )
    else:
        yield Finding(OK, "Python", f"{py}（{sys.executable}）")
    try:
        me = metadata.version("hecha")
        wanted = metadata.requires("hecha") or []
    except metadata.PackageNotFoundError:
        yield Finding(ERROR, "程序包", "hecha 没有安装成包（直接从源码运行）", "用安装包的 install.sh 安装")
        return
    bad, checked = [], 0
    for req in wanted:
        text, _, marker = req.partition(";")
        if marker and marker_applies(marker) is False:  # one it does not read counts as holding
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(.*)", text)
        if not match:
            continue
        name, spec = match.group(1), match.group(2).strip().strip("()")
        checked += 1
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            bad.append(f"缺少 {name}")
            continue
        if not requirement_ok(spec, have):
            bad.append(f"{name} {have} 不符合 {spec}")
    if bad:
        yield Finding(ERROR, "程序包", "；".join(bad), "重新运行同一版本安装包的 install.sh（会装回所需的版本）")
    else:
        yield Finding(OK, "程序包", f"hecha {me}，{checked} 个依赖包版本都对")


# ------------------------------------------------------------------------------ the terminal
def check_terminal(env: Mapping[str, str], size: os.terminal_size | None) -> Iterator[Finding]:
    """The locale's character encoding (UTF-8: every name is Chinese), ``TERM`` (set, not ``dumb``), and
    the window's size (80x24 at least, DESIGN.md §10; ``size`` ``None`` when not run in a terminal).

    The encoding is the locale's as the C library picks it (``LC_ALL``, else ``LC_CTYPE``, else
    ``LANG``); what the SSH client (PuTTY, Xshell) decodes cannot be seen from here, so the fix says
    where to set it too."""
    locale_name = next((env[k] for k in ("LC_ALL", "LC_CTYPE", "LANG") if env.get(k)), "")
    if re.search(r"utf-?8", locale_name, re.IGNORECASE):
        yield Finding(OK, "字符编码", f"{locale_name}")
    else:
        yield Finding(
            WARN,
            "字符编码",
            f"区域设置是 {locale_name or '未设置（C）'}，不是 UTF-8：中文可能显示成乱码",
            "在 ~/.profile 加一行 export LANG=C.UTF-8（或 zh_CN.UTF-8）；PuTTY：窗口→转换→远程字符集选 UTF-8；"
            "Xshell：文件→属性→终端→编码选 UTF-8",
        )
    term = env.get("TERM", "")
    if not term.isprintable():
        term = repr(term)
    if not term or term == "dumb":
        yield Finding(
            ERROR,
            "终端类型",
            f"TERM 是 {term or '空的'}：全屏界面不能显示",
            "用 PuTTY 或 Xshell 登录（它们会设好 TERM），或运行 export TERM=xterm-256color",
        )
    elif not _terminfo_knows(term):
        yield Finding(
            WARN,
            "终端类型",
            f"本机没有 TERM={term} 的终端说明（terminfo）：按键和画面可能不对",
            "在 PuTTY / Xshell 里把终端类型设为 xterm-256color（或 xterm），或装发行版的 ncurses-term 包",
        )
    else:  # hecha draws in 16 colours (README: Terminal settings); more is a nicety
        many = "256color" in term or env.get("COLORTERM") in ("truecolor", "24bit")
        yield Finding(OK, "终端类型", f"{term}，{'256' if many else '16'} 色")
    if size is None:
        yield Finding(OK, "窗口大小", "不在终端里运行，未检查（登录后再运行 hecha doctor 可查）")
    elif size.columns < MIN_COLUMNS or size.lines < MIN_LINES:
        yield Finding(
            WARN,
            "窗口大小",
            f"{size.columns}x{size.lines}，小于 {MIN_COLUMNS}x{MIN_LINES}：录入表显示不全",
            "把 PuTTY / Xshell 窗口拉大，或在设置里把列数设为 80、行数设为 24 以上",
        )
    else:
        yield Finding(OK, "窗口大小", f"{size.columns}x{size.lines}")


def _terminfo_knows(term: str) -> bool:
    """Whether this machine's terminfo describes ``term`` (``infocmp`` finds it); ``True`` when
    that cannot be asked (no ``infocmp``), so a machine without ncurses' tools is not warned."""
    import subprocess

    if not shutil.which("infocmp") or not term.isprintable():
        return term.isprintable()
    try:
        return subprocess.run(["infocmp", term], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return True


# ------------------------------------------------------------------------------ the database
def _others_can_read(path: Path) -> bool:
    return path.exists() and bool(path.stat().st_mode & stat.S_IROTH)


def check_database(
    db_path: Path, *, now: dt.datetime, override: list[tuple[str, bool]] | None = None
) -> Iterator[Finding]:
    """The office database: there, a hecha database of a schema this program knows, intact
    (``PRAGMA quick_check``), writable, closed to other users (with its ``-wal``, ``-shm`` and
    backups), free disk beside it, the last backup's age (the TUI takes one daily), and for a
    township the county's key pinned and the last weekly bundle's age. ``now``: aware UTC time.
    ``override``: filled with the office's working-day override rows (for :func:`check_calendar`)."""
    from .db import SCHEMA_VERSION, read_only_uri

    if db_path.is_dir():
        yield Finding(ERROR, "数据库", f"{db_path} 是文件夹，不是数据库文件", "用 --db 指定 hecha 的数据库文件")
        return
    try:
        there = db_path.exists()
        if there:
            with open(db_path, "rb") as fh:
                magic = fh.read(16)
    except OSError:  # a folder this login may not enter, or a file it may not read
        yield _not_allowed(db_path)
        return
    if not there:
        yield Finding(
            WARN,
            "数据库",
            f"{db_path} 不存在",
            "新单位：hecha init --office 乡镇代码；已有数据库在别处：用 --db 指定，或设 HECHA_DB",
        )
        return
    if magic != b"SQLite format 3\x00":
        yield Finding(ERROR, "数据库", f"{db_path} 不是 SQLite 数据库", "用 --db 指定 hecha 的数据库文件")
        return
    try:
        con = sqlite3.connect(read_only_uri(db_path), uri=True, timeout=5)
    except sqlite3.Error as exc:
        yield Finding(ERROR, "数据库", f"{db_path} 打不开（{exc}）", "请检查文件和文件夹的权限")
        return
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        check = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
        office = _office(con)
        last_out = _last_bundle(con, office)
        county_pinned = _county_pinned(con, office)
        demo = bool(_rows(con, "SELECT 1 FROM office WHERE is_demo"))
        if override is not None:
            override += _rows(con, "SELECT day, working FROM calendar_override")
    except sqlite3.Error as exc:
        if "readonly" in str(exc) or "unable to open" in str(exc):
            # a WAL database is read through its -shm, which this login must be able to write: a
            # question of permissions, not of damage (a breaker's finding: this said "restore")
            yield _check_writable(db_path)
        else:
            yield Finding(
                ERROR,
                "数据库",
                f"{db_path} 读取出错，可能已损坏（SQLite：{exc}）",
                "用最近的备份恢复：hecha restore backups 文件夹里的文件（恢复前会先备份当前文件）",
            )
        return
    finally:
        con.close()
    if version == 0 or office is None:
        yield Finding(
            ERROR,
            "数据库",
            f"{db_path} 不是 hecha 的数据库（别的程序的，或还没有 hecha init）",
            "用 --db 指定 hecha 的数据库文件；新单位先运行 hecha init --office 代码",
        )
        return
    if demo:
        yield Finding(
            WARN,
            "演示数据库",
            "这是演示数据库（hecha demo 生成的合成人口，不是真实的人）",
            "不要把它的数据包交给县里；本单位的正式数据库用 hecha init --office 代码 另建（用 --db 或 HECHA_DB 指定）",
        )
    if version > SCHEMA_VERSION:
        yield Finding(
            ERROR,
            "结构版本",
            f"数据库是第 {version} 版结构，本程序只认到第 {SCHEMA_VERSION} 版：它被更新的 hecha 用过",
            "安装与之相同或更新的 hecha 安装包；不要用旧程序打开",
        )
    elif version < SCHEMA_VERSION:
        yield Finding(
            WARN,
            "结构版本",
            f"数据库是第 {version} 版结构，本程序是第 {SCHEMA_VERSION} 版",
            "运行 hecha migrate（先自动备份，再升级结构；打开 hecha 时也会这样做）",
        )
    else:
        yield Finding(OK, "结构版本", f"第 {version} 版")
    if check != ["ok"]:
        yield Finding(
            ERROR,
            "数据库完整性",
            f"检查发现损坏：{'；'.join(check)[:200]}",
            "停止录入，用最近的备份恢复：hecha restore backups 文件夹里的文件，并把损坏的文件交给县里",
        )
    else:
        yield Finding(OK, "数据库完整性", "完好")
    yield _check_writable(db_path)
    exposed = [p for p in (*database_files(db_path), backup_dir(db_path)) if _others_can_read(p)]  # as check_private
    if exposed:
        yield Finding(
            ERROR,
            "文件权限",
            f"其他用户能读到本单位的数据：{'、'.join(map(str, exposed))}",
            f"chmod o-rwx {' '.join(map(str, exposed))}（几名录入员共用时文件 660、文件夹 2770，并设好用户组）",
        )
    else:
        yield Finding(OK, "文件权限", "只有本账号（或本组）能读")
    yield from _check_disk(db_path)
    yield from _check_backup(db_path, backup_dir(db_path), now)
    if office and office[1] == "province":  # the platform (issue 21) needs its optional extra
        yield _check_platform()
    if office and office[1] == "township" and version == SCHEMA_VERSION:  # (an older schema lacks their columns)
        yield from _check_bundle(last_out, now)
        if county_pinned:
            yield Finding(OK, "县里公钥", f"已登记（{office[2]}）")
        else:
            yield Finding(
                WARN,
                "县里公钥",
                f"还没有登记县里（{office[2]}）的公钥：数据包导不出",
                "（负责人）向县人口委要公钥文件，核对电话里念的指纹后运行 hecha keys add 文件（或在导出界面按 F3）",
            )


def _check_platform() -> Finding:
    """A province's platform needs the ``platform`` extra (pyarrow, duckdb, splink); Spark is optional."""
    import importlib.util

    missing = [m for m in ("pyarrow", "duckdb", "splink") if importlib.util.find_spec(m) is None]
    if missing:
        return Finding(
            ERROR,
            "省级平台",
            f"缺少 {'、'.join(missing)}：导入上报数据包和跨县比对都要用",
            "pip install 'hecha[platform]'（离线：把这些包的 wheel 放进安装包再装）",
        )
    spark = importlib.util.find_spec("pyspark") is not None
    return Finding(OK, "省级平台", "pyarrow、duckdb、splink 已安装" + ("，另有 pyspark" if spark else ""))


def _not_allowed(db_path: Path) -> Finding:
    """This login may not read the database or enter its folder: not in the clerks' group (or not
    logged in again since it was added; a newcomer's finding: this was a traceback)."""
    folder = db_path.parent
    try:
        group = _group_name(folder.stat().st_gid)
    except OSError:
        group = "数据库的用户组"
    return Finding(
        ERROR,
        "读取权限",
        f"本账号（{_login()}）读不了 {db_path}：不在用户组 {group} 里，或加入后还没有重新登录",
        f"请管理员运行 usermod -aG {group} {_login()}，然后退出再登录",
    )


def _rows(con: sqlite3.Connection, sql: str, params: tuple = ()) -> list[tuple]:
    """``sql``'s rows, or none when the database's schema predates its table or column (an old
    database the program has not migrated yet: doctor reads, it never migrates)."""
    try:
        return con.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such" in str(exc):
            return []
        raise


def _check_writable(db_path: Path) -> Finding:
    """This login may write the database, its ``-wal``/``-shm`` and its folder; in a folder a
    clerks' group shares (set-group-ID), so may the group: a file one clerk's hecha left ``0640``
    locks the others out, whoever runs doctor (a newcomer's finding, issue 20)."""
    files = [p for p in database_files(db_path) if p.exists()]
    folder = db_path.parent
    shared = bool(folder.stat().st_mode & stat.S_ISGID)
    group = _group_name(folder.stat().st_gid) if shared else ""
    if shared:
        closed = [p for p in files if p.stat().st_mode & 0o060 != 0o060 or p.stat().st_gid != folder.stat().st_gid]
        if closed:
            names = " ".join(map(str, closed))
            return Finding(
                ERROR,
                "写入权限",
                f"用户组 {group} 的其他人不能写 {'、'.join(p.name for p in closed)}：别的录入员打不开数据库",
                f"请管理员运行 chgrp {group} {names} && chmod 660 {names}（或重新运行安装包的 install.sh，它会改好）",
            )
    if all(os.access(p, os.W_OK) for p in files) and os.access(folder, os.W_OK):
        return Finding(OK, "写入权限", "可以写入" + (f"（用户组 {group} 共用）" if shared else ""))
    fix = (
        f"请管理员把本账号加入用户组 {group}（usermod -aG {group} {_login()}，重新登录后生效）"
        if shared
        else f"请管理员让本账号能写这些文件（chown {_login()} 或 chmod u+w），文件夹也要能写"
    )
    return Finding(ERROR, "写入权限", f"本账号不能写 {db_path} 或它旁边的文件（SQLite 要写 -wal、-shm 文件）", fix)


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _login() -> str:
    from .paths import operator_login

    return operator_login()


def _office(con: sqlite3.Connection) -> tuple[str, str, str] | None:
    """``(code, level, county_code)`` of the office row, or ``None`` before ``hecha init``."""
    rows = _rows(con, "SELECT code, level, county_code FROM office LIMIT 1")
    return tuple(rows[0]) if rows else None


def _last_bundle(con: sqlite3.Connection, office: tuple[str, str, str] | None) -> str | None:
    """When the newest bundle this office wrote was written (stored UTC ISO time), or ``None``."""
    if office is None:
        return None
    rows = _rows(
        con,
        "SELECT max(at) FROM bundle_log WHERE direction = 'out' AND sender = ? AND status = 'exported'",
        (office[0],),
    )
    return rows[0][0] if rows else None


def _county_pinned(con: sqlite3.Connection, office: tuple[str, str, str] | None) -> bool:
    if office is None or office[1] != "township":
        return False
    return bool(_rows(con, "SELECT 1 FROM peer_office WHERE code = ? AND coalesce(revoked_at, '') = ''", (office[2],)))


def _check_disk(db_path: Path) -> Iterator[Finding]:
    size = db_path.stat().st_size
    free = shutil.disk_usage(db_path.parent).free
    need = max(FREE_FLOOR, 2 * size)
    if free < size + 50 * 10**6:
        level = ERROR
    elif free < need:
        level = WARN
    else:
        yield Finding(OK, "磁盘空间", f"剩余 {free / 1e9:.1f} GB（数据库 {size / 1e6:.0f} MB）")
        return
    yield Finding(
        level,
        "磁盘空间",
        f"{db_path.parent} 所在磁盘只剩 {free / 1e6:.0f} MB，数据库 {size / 1e6:.0f} MB：备份和升级需要至少 "
        f"{need / 1e6:.0f} MB",
        "删掉不用的文件（旧的数据包、下载的名单），或把数据库和 backups 文件夹移到空间大的分区后用 --db 指定",
    )


def _age_days(then: dt.datetime, now: dt.datetime) -> float:
    return (now - then).total_seconds() / 86400


def _check_backup(db_path: Path, folder: Path, now: dt.datetime) -> Iterator[Finding]:
    """The newest backup in ``backups/`` (any kind: daily, manual, pre-migration), by its file time."""
    from .db import backup_stem

    files = []
    for path in folder.glob(f"{backup_stem(db_path)}.sqlite") if folder.is_dir() else []:
        try:  # a regular file with something in it: not a folder, a broken link or an empty file
            info = path.stat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size > 0:
            files.append((info.st_mtime, path))
    files.sort()
    if not files:
        yield Finding(
            WARN,
            "备份",
            f"{folder} 里没有备份",
            "运行 hecha backup；每天第一次打开 hecha 时会自动备份，也可以让 cron 每天运行 hecha backup --daily",
        )
        return
    when = dt.datetime.fromtimestamp(files[-1][0], dt.timezone.utc)
    days = _age_days(when, now)
    if days < -1:
        yield _clock("最近一次备份", when)
        return
    local = when.astimezone().strftime("%Y-%m-%d %H:%M")
    if days > BACKUP_DAYS:
        yield Finding(
            WARN,
            "备份",
            f"最近一次备份是 {int(days)} 天前（{local}）",
            "运行 hecha backup；若每天都打开过 hecha，请检查 backups 文件夹能否写入、磁盘是否已满",
        )
    else:
        yield Finding(OK, "备份", f"最近一次 {local}（共 {len(files)} 份）")


def _clock(what: str, when: dt.datetime) -> Finding:
    """A time recorded in the future: the machine's clock is (or was) wrong."""
    return Finding(
        WARN,
        "时钟",
        f"{what}的时间是 {when.astimezone().strftime('%Y-%m-%d %H:%M')}，在现在之后：本机时钟可能不对",
        "请管理员校准系统时间（date 命令查看；timedatectl set-time 设定）；时间错了，到期日和备份轮换都会错",
    )


def _check_bundle(last_at: str | None, now: dt.datetime) -> Iterator[Finding]:
    if not last_at:
        yield Finding(WARN, "数据包", "还没有导出过数据包", "（负责人）每周导出一次：菜单 3 / F5，或 hecha export")
        return
    try:
        when = dt.datetime.fromisoformat(last_at.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        days = _age_days(when, now)
        when.astimezone()
    except (ValueError, OverflowError, OSError):
        fix = "（负责人）导出本周的数据包（菜单 3 / F5，或 hecha export）"
        yield Finding(WARN, "数据包", f"上次导出的时间记录看不懂（{last_at!r}）", fix)
        return
    if days < -1:
        yield _clock("上次导出数据包", when)
        return
    local = when.astimezone().strftime("%Y-%m-%d %H:%M")
    if days >= BUNDLE_DAYS:
        yield Finding(
            WARN,
            "数据包",
            f"上次导出数据包是 {int(days)} 天前（{local}），已超过一周",
            "（负责人）导出本周的数据包（菜单 3 / F5，或 hecha export），送交县人口委",
        )
    else:
        yield Finding(OK, "数据包", f"上次导出 {local}")


# ------------------------------------------------------------------------------ the calendar
def check_calendar(covered_until: dt.date, today: dt.date) -> Iterator[Finding]:
    """Whether working days are exact for the next :data:`CALENDAR_DAYS` days (a 协查's 15 working
    days; from December, the new year's holidays): ``covered_until`` from
    :meth:`storage.workdays.Calendar.covered_until`."""
    horizon = today + dt.timedelta(days=CALENDAR_DAYS)
    if covered_until >= horizon:
        yield Finding(OK, "工作日日历", f"确定到 {covered_until}")
        return
    year = (covered_until + dt.timedelta(days=1)).year  # the first year not covered: maybe this one
    yield Finding(
        WARN,
        "工作日日历",
        f"放假安排只到 {covered_until}：之后的协查到期日按周末估算，标“暂定”",
        f"（负责人）国务院公布 {year} 年放假安排后，把它写成文件"
        f"（每行一天：{year}-02-07 休 春节 / {year}-02-06 班 调休），运行 hecha calendar load 文件；"
        "县里载入的会随数据包下发",
    )


def run(db_path: Path, *, env: Mapping[str, str] | None = None, now: dt.datetime | None = None) -> list[Finding]:
    """Every check for the database at ``db_path`` in this process's environment (or ``env``), at
    ``now`` (aware; the real time when ``None``)."""
    from .workdays import Calendar

    env = os.environ if env is None else env
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        size: os.terminal_size | None = os.get_terminal_size(sys.stdout.fileno()) if sys.stdout.isatty() else None
    except (OSError, ValueError):
        size = None
    override: list[tuple[str, bool]] = []
    findings = [*check_program(), *check_terminal(env, size), *check_database(db_path, now=now, override=override)]
    today = now.astimezone().date()
    findings += check_calendar(Calendar(override).covered_until(today), today)
    return findings
