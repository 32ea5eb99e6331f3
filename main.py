"""``hecha``: the command line (click). Imports click only; everything else loads inside commands,
and Textual only when the TUI starts (DESIGN.md §3, §12)."""

from __future__ import annotations

import errno
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # annotations only: main.py imports click alone at start (DESIGN.md §3)
    import datetime as dt

CLICK_TEXTS = {  # click's own words, which clerks read too (issue 15: Usage:, Show this message and exit.)
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用 {command} {option} 看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有 {name!r} 这个命令。",
    "No such option {name!r}.": "没有 {name!r} 这个选项。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 要 {nargs} 个值。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对：{message}",
    "Invalid value: {message}": "值不对：{message}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是数字。",
    "{value} is not in the range {range}.": "{value} 超出范围（应为 {range}）。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{name} {filename!r} does not exist.": "{filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{filename!r} 是文件夹，应为文件。",
    "{name} {filename!r} is a file.": "{filename!r} 是文件，应为文件夹。",
    "{name} {filename!r} is not readable.": "{filename!r} 没有读的权限。",
    "{name} {filename!r} is not writable.": "{filename!r} 没有写的权限。",
    "Aborted!": "已取消。",
    "Do you want to continue?": "要继续吗？",
    "Repeat for confirmation": "再输入一次",
    "Error: The two entered values do not match.": "错误：两次输入的不一样。",
    "Error: invalid input": "错误：输入不对",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "Got unexpected extra argument ({args})": "多了参数（{args}）",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是其中之一：{possibilities}？）",
    "Got unexpected extra arguments ({args})": "多了参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面要给一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面要给 {nargs} 个值。",
}


def _chinese_click() -> None:
    """Give click's modules a ``gettext`` that answers from :data:`CLICK_TEXTS` (they call
    ``gettext``/``ngettext``, bound as module globals, for every word they print)."""
    import importlib

    def one(text: str) -> str:
        return CLICK_TEXTS.get(text, text)

    def many(singular: str, plural: str, n: int) -> str:
        return one(singular if n == 1 else plural)

    for name in ("core", "exceptions", "decorators", "formatting", "parser", "termui", "types"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = one  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = many  # type: ignore[attr-defined]

    def describe_range(self) -> str:  # 0～100, ≥0 for click's 0<=x<=100, x>=0
        low = "" if self.min is None else f"{self.min}{'以上（不含）' if self.min_open else ''}"
        high = "" if self.max is None else f"{self.max}{'（不含）' if self.max_open else ''}"
        return f"{low}～{high}" if low and high else (f"≥{low}" if low else f"≤{high}")

    click.types._NumberRangeBase._describe_range = describe_range  # type: ignore[method-assign]

    def cells(x: str) -> int:  # the help's columns line up with Chinese in them (two cells each)
        import unicodedata

        plain = click._compat.strip_ansi(x)
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)

    click.formatting.term_len = cells

    said = click.exceptions.MissingParameter.format_message

    def missing(self) -> str:  # 缺少参数 'X'。可选：a、b (click joins with ". " and lists choices a line each)
        import re

        text = re.sub(r"\.(\s|$)", "。", said(self), count=1)
        return text.replace(",\n\t", "、").replace("：\n\t", "：")

    click.exceptions.MissingParameter.format_message = missing  # type: ignore[method-assign]


_chinese_click()


ARGUMENT_WORDS = {
    "file": "文件",
    "files": "文件",
    "prefix": "户编码前缀",
    "code": "户编码",
    "id_number": "身份证号",
    "changes": "字段=值",
    "a_uid": "甲UID",
    "b_uid": "乙UID",
    "keep_uid": "保留UID",
    "drop_uid": "删去UID",
    "key": "编号",
    "conclusion": "结论",
    "village": "村代码",
    "year": "年份",
    "recheck_id": "复查任务号",
    "diff_ids": "差异号",
    "day": "日期",
    "backup_file": "备份文件",
    "name": "姓名",
}
"""Each command argument's name on the usage line (click writes the parameter name in capitals)."""


def _type_word(kind: click.ParamType) -> str | None:
    """An option's value named in Chinese on the help (click writes INTEGER, PATH, TEXT)."""
    if isinstance(kind, click.Choice):
        return None  # click lists the choices
    if isinstance(kind, (click.IntRange, click.types.IntParamType)):
        return "整数"
    if isinstance(kind, click.Path):
        return "路径"
    if isinstance(kind, click.types.FloatParamType):
        return "数"
    return "文字"


class _ChineseUsage:
    """Chinese usage words for a click command (issue 15): ``[选项]`` for ``[OPTIONS]``, the arguments
    by :data:`ARGUMENT_WORDS`, option values by :func:`_type_word`."""

    params: list[click.Parameter]

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, click.Argument) and param.metavar is None and param.name in ARGUMENT_WORDS:
                param.metavar = ARGUMENT_WORDS[param.name]
            elif isinstance(param, click.Option) and param.metavar is None and not param.is_flag:
                param.metavar = _type_word(param.type)


class HechaCommand(_ChineseUsage, click.Command):
    """A command whose usage and help read in Chinese (:class:`_ChineseUsage`)."""


class HechaGroup(_ChineseUsage, click.Group):
    """A command group with Chinese usage words (``[选项] 命令 [参数]...``); its commands and groups
    are :class:`HechaCommand` and :class:`HechaGroup`."""

    command_class = HechaCommand
    group_class = type  # subgroups of the same class

    def __init__(self, *args, **kwargs) -> None:
        if kwargs.get("subcommand_metavar") is None:
            optional = kwargs.get("invoke_without_command", False)
            kwargs["subcommand_metavar"] = "[命令] [参数]..." if optional else "命令 [参数]..."
        super().__init__(*args, **kwargs)


PASSPHRASE_ENV = "HECHA_PASSPHRASE_FILE"
ROW_ID = click.IntRange(1, 2**63 - 1)  # a row number: SQLite's INTEGER range


class HechaError(click.ClickException):
    """An error for the operator: printed as ``错误：…`` with exit status 1."""

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def local_time(stamp: str) -> str:
    """A stored UTC time as this machine's local time (storage.dates.local_time), loaded when used."""
    from storage.dates import local_time as local

    return local(stamp)


def db_option(func):
    """``--db PATH`` on every command (default: ``$HECHA_DB`` or the platform's user data folder)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path),
        default=None,
        help="数据库文件（默认：$HECHA_DB 或用户数据目录下的 hecha/hecha.sqlite）",
    )(func)


def given_db(db_path: Path | None) -> Path | None:
    """The command's ``--db``, else its group's (``hecha platform --db X stats``, ``hecha --db X cmd``:
    the nearest given), else ``None``."""
    ctx = click.get_current_context(silent=True)
    while db_path is None and ctx is not None:
        db_path = ctx.params.get("db_path")
        ctx = ctx.parent
    return Path(db_path) if db_path else None


def hecha_on(db_path: Path | None) -> str:
    """``hecha`` as the next command on this database should be typed: with ``--db`` unless it is
    the default one (a hint without it would act on another office's database)."""
    from storage.paths import default_db_path

    given = given_db(db_path)
    return "hecha" if given is None or given == default_db_path() else f"hecha --db {given}"


def resolve_db(db_path: Path | None) -> Path:
    """The command's ``--db``, else the group's (``hecha --db X cmd``), else the default path.

    Sets the umask so that what the command writes is private, and refuses a database other users
    can read (:func:`storage.paths.check_private`)."""
    from storage.paths import check_private, default_db_path, keep_private

    path = given_db(db_path) or default_db_path()
    keep_private(path)  # what this command writes (backups, bundles, lists) is the owner's only
    from storage.db import check_is_database

    check_is_database(path)  # what the path is comes before who may read it
    check_private(path)
    return path


def handled(func):
    """Turn the core's operator errors into ``错误：…`` messages with exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from storage.errors import OperatorError

        try:
            return func(*args, **kwargs)
        except OperatorError as exc:  # every refusal of the core (storage/errors.py): its message says what to do
            raise HechaError(str(exc)) from None
        except click.Abort:
            raise HechaError("已取消。") from None
        except BrokenPipeError:  # hecha … | head: the reader left; say nothing more
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except OSError as exc:
            from storage.db import os_reason

            if exc.errno == errno.EEXIST and exc.strerror and not exc.strerror.isascii():
                raise HechaError(exc.strerror) from None  # hecha's own words: where and what to do
            where = f"{exc.filename}：" if exc.filename else ""
            detail = (
                exc.strerror
                if exc.errno == errno.EEXIST and exc.strerror and not exc.strerror.isascii()
                else os_reason(exc)
            )
            raise HechaError(f"{where}{detail}。请检查路径和权限（或磁盘空间），或换一个文件夹。") from None

    return wrapper


def table(header: tuple[str, ...], rows, right: frozenset[int] = frozenset()) -> None:
    """Echo rows as columns aligned in terminal cells (a Chinese character takes two); column
    numbers in ``right`` are right-aligned."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    lines = [tuple(str(v) for v in header)] + [tuple(str(v) for v in r) for r in rows]
    widths = [max(width(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = []
        for i, value in enumerate(line):
            gap = " " * (widths[i] - width(value))
            cells.append(gap + value if i in right else value + gap)
        click.echo("  ".join(cells).rstrip())


def open_office_db(db_path: Path | None, *, sign_in: bool = True):
    """Open the office database and return its office row; where the office signs in with names and
    PINs, ask for them first (:func:`sign_in_if_required`) unless ``sign_in`` is false (a backup,
    which changes nothing and runs from cron)."""
    from storage.db import open_db
    from storage.office import current_office

    open_db(resolve_db(db_path))
    office = current_office()
    if sign_in:
        sign_in_if_required()
    return office


PIN_ENV = "HECHA_PIN_FILE"


def sign_in_if_required() -> None:
    """Where the office registered named operators (``hecha operators add``), ask for a name and PIN
    before any command uses the data: the name from ``$HECHA_OPERATOR`` or asked, the PIN from the
    first line of ``$HECHA_PIN_FILE`` or asked (hidden). Raises :class:`HechaError` when refused."""
    from storage import operators
    from storage.paths import signed_in

    if signed_in() or not operators.required():
        return
    name = os.environ.get("HECHA_OPERATOR", "")
    pin_file = os.environ.get(PIN_ENV)
    if not sys.stdin.isatty() and not (name and pin_file):
        raise HechaError(
            "本办公室的录入员用名字和 PIN 登录（hecha operators）：请在终端运行，"
            f"或设置 HECHA_OPERATOR=名字 和 {PIN_ENV}=PIN 文件（第一行是 PIN，文件只许本人读）。"
        )
    try:
        if not name:
            name = click.prompt("录入员")
        if pin_file:
            pin = secret_file_line(pin_file, "PIN ", PIN_ENV)
        else:
            pin = click.prompt("PIN", hide_input=True)
    except click.Abort:
        raise HechaError("已取消。") from None
    operators.sign_in(name, pin)


def secret_file_line(path: str, what: str, env: str) -> str:
    """The first line of the file ``path`` that holds a secret (``what``: 口令, PIN) for a script;
    refused when other users can read it (issue 14), when it is not UTF-8 or its first line is empty."""
    import stat

    try:
        mode = Path(path).stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            raise HechaError(f"{what}文件 {path} 别人也能读：请运行 chmod 600 {path} 后再试。")
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise HechaError(f"{what}文件 {path} 不是 UTF-8 文本：请用 UTF-8 保存（不要用 GBK）。") from None
    except OSError as exc:
        raise HechaError(f"读不出{what}文件 {path}（{exc.strerror}）：请检查 {env}。") from None
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise HechaError(f"{what}文件 {path} 的第一行是空的：请把{what}写在第一行。")
    return first


def read_passphrase(prompt: str = "本单位口令", *, confirm: bool = False, min_length: int = 0) -> str:
    """The passphrase: the first line of ``$HECHA_PASSPHRASE_FILE``, else asked at the terminal.
    With ``confirm`` (a new passphrase) it is asked twice, and one shorter than ``min_length``
    characters is said at once and asked again, up to three times, before the second entry."""
    path = os.environ.get(PASSPHRASE_ENV)
    if path:
        return secret_file_line(path, "口令", PASSPHRASE_ENV)
    if not sys.stdin.isatty():
        raise HechaError(f"没有终端可以输入口令：请在终端运行，或把口令写进一个文件并设置 {PASSPHRASE_ENV}=文件路径。")
    try:
        first = click.prompt(prompt, hide_input=True)
        for _ in range(2):
            if len(first) >= min_length:
                break
            click.echo(f"口令至少{min_length}个字符，请重新输入。", err=True)
            first = click.prompt(prompt, hide_input=True)
        if confirm and click.prompt("再输入一次", hide_input=True) != first:
            raise HechaError("两次输入的口令不一样，请重新运行。")
    except UnicodeDecodeError:
        raise HechaError(
            "终端送来的不是 UTF-8 文字：请把 PuTTY（Window → Translation）或 Xshell（编码）设为 UTF-8 后重新输入。"
        ) from None
    return first


@click.group(cls=HechaGroup, invoke_without_command=True)
@click.version_option(package_name="hecha", prog_name="hecha", message="%(prog)s %(version)s")
@db_option
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None) -> None:
    """hecha 核查：乡镇计生办人口信息核查与县级汇总（离线）。

    不带命令时启动全屏界面（同 hecha tui）。
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui, db_path=db_path)


@cli.command()
@click.option(
    "--office",
    "office_code",
    required=True,
    help="乡镇9位、县6位统计用区划代码（国家统计局2023年版）；省级平台填省的2位代码",
)
@db_option
@handled
def init(office_code: str, db_path: Path | None) -> None:
    """建立本单位的数据库（乡镇、县，或省级平台）。"""
    from storage.office import init_office

    path = resolve_db(db_path)
    office = init_office(path, office_code)
    level = {"township": "乡镇", "county": "县", "province": "省级平台"}.get(office.level, office.level)
    click.echo(f"已建立{level}数据库：{office.full_name}（{office.code}）\n文件：{path}")
    click.echo(f"下一步：{hecha_on(path)} keys new（生成本单位密钥）")


@cli.group()
def keys() -> None:
    """本单位密钥：生成、显示（交给对方）、登记对方公钥、列出、换新（rotate/replace）、吊销。"""


@keys.command("new")
@click.option(
    "--recovery-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="县级恢复密钥写到此文件（默认：当前目录 hecha-recovery-县代码.txt）",
)
@db_option
@handled
def keys_new(recovery_out: Path | None, db_path: Path | None) -> None:
    """生成本单位的签名和加密密钥（口令保护）；县级另得离线恢复密钥。"""
    from export.keys import MIN_PASSPHRASE, check_new_passphrase, create_keys, has_keys, own_public

    office = open_office_db(db_path)
    if has_keys():
        raise HechaError(
            "本单位已经有密钥（hecha keys show 查看）；要换新密钥（换了电脑、怀疑泄露）请用 hecha keys rotate。"
        )
    if office.level == "county":
        recovery_out = recovery_out or Path.cwd() / f"hecha-recovery-{office.code}.txt"
        if recovery_out.exists():
            raise HechaError(f"{recovery_out} 已存在：请换一个 --recovery-out 路径，不要覆盖已有的恢复密钥。")
    passphrase = read_passphrase(
        f"设置本单位口令（至少{MIN_PASSPHRASE}个字符）", confirm=True, min_length=MIN_PASSPHRASE
    )
    check_new_passphrase(passphrase)
    click.echo("正在生成密钥（口令加密需要几秒钟）……", err=True)
    secret = create_keys(passphrase)
    pub = own_public()
    click.echo(f"已生成 {office.name}（{office.code}）的密钥。指纹：{pub.fingerprint()}")
    if secret:
        from export.recovery import recovery_sheet

        assert recovery_out is not None  # only a county gets a recovery key, and its path is set above
        fd = os.open(recovery_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(recovery_sheet(office.code, office.name, secret, pub.recovery))
        click.echo(f"离线恢复密钥已写入：{recovery_out}")
        click.echo("请立即打印（或抄写）此文件，装入信封密封，交单位负责人锁入保险柜；然后从本机删除该文件。")
        click.echo("本机不保存恢复密钥：县级私钥或口令丢失时，只有它能打开各乡镇发来的数据包。")
    click.echo(f"下一步：{hecha_on(db_path)} keys show > 公钥文件，交给对方单位登记。")


@keys.command("show")
@db_option
@handled
def keys_show(db_path: Path | None) -> None:
    """打印本单位公钥和指纹（重定向到文件交给对方：hecha keys show > 文件）。"""
    from export.keys import own_public

    open_office_db(db_path)
    click.echo(own_public().to_text(), nl=False)


@keys.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--fingerprint", "expected", default=None, help="对方读出的指纹；给出时自动核对")
@click.option("--yes", is_flag=True, help="不询问，直接登记（脚本用；须已用 --fingerprint 或其他方式核对）")
@db_option
@handled
def keys_add(file: Path, expected: str | None, yes: bool, db_path: Path | None) -> None:
    """登记对方单位的公钥文件（县登记各乡镇；乡镇登记本县）。"""
    from export.keys import read_key_file, register_peer, same_fingerprint

    open_office_db(db_path)
    keys_ = read_key_file(file)
    fp = keys_.fingerprint()
    level = {"county": "县", "township": "乡镇", "city": "市", "province": "省"}.get(keys_.level, keys_.level)
    from storage.outbox import printable

    click.echo(printable(f"单位：{keys_.name}（{keys_.office}，{level}）") + f"\n指纹：{fp}")
    if expected is not None:
        if not same_fingerprint(expected, keys_):
            raise HechaError("指纹与对方读出的不一致：不要登记，请与对方核实公钥文件。")
    elif not yes:
        if not sys.stdin.isatty():
            raise HechaError("请用 --fingerprint 给出对方读出的指纹，或在终端运行以便确认。")
        if not click.confirm("与对方电话或当面读出的指纹一致吗？", default=False):
            raise HechaError("未登记。")
    row, created = register_peer(keys_)
    click.echo(
        f"已登记 {row.name}（{row.code}）的公钥。" if created else f"{row.name}（{row.code}）的公钥已登记过，无变化。"
    )


@keys.command("upper")
@click.argument("code", metavar="市或省代码")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), help="写到此文件夹"
)
@handled
def keys_upper(code: str, out_dir: Path) -> None:
    """县以上单位（市4位、省2位代码）的密钥，用于接收各县的上报数据包：写出公钥文件（交各县
    hecha keys add）和口令保护的私钥文件（age -d 打开，内有解密用的 AGE-SECRET-KEY 行）。不需要数据库。"""
    from export.keys import MIN_PASSPHRASE, make_upper_keys

    passphrase = read_passphrase(
        f"设置上级单位私钥文件的口令（至少{MIN_PASSPHRASE}个字符）", confirm=True, min_length=MIN_PASSPHRASE
    )
    keys_, private = make_upper_keys(code, passphrase)
    out_dir.mkdir(parents=True, exist_ok=True)
    pub, key = out_dir / f"{keys_.name}.pub", out_dir / f"{keys_.name}-私钥.age"
    for path in (pub, key):
        if path.exists():
            raise HechaError(f"{path} 已存在：不覆盖已有的密钥文件，请换一个 --out 文件夹。")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private)
    pub.write_text(keys_.to_text(), encoding="utf-8")
    click.echo(f"{keys_.name}（{code}）指纹：{keys_.fingerprint()}")
    click.echo(f"公钥文件：{pub}（交给各县，县里电话核对指纹后 hecha keys add）")
    click.echo(f"私钥文件：{key}（口令保护；打开上报数据包：age -d {key.name} 取出 AGE-SECRET-KEY 行存为文件，")
    click.echo("再 age -d -i 该文件 payload.age | gunzip）")


@keys.command("list")
@db_option
@handled
def keys_list(db_path: Path | None) -> None:
    """已登记的对方单位：县级列出本县每个乡镇（国家统计局区划表）的公钥状态和外县；乡镇列出本县。"""
    from storage.models import AdminDivision, PeerOffice
    from storage.outbox import printable

    office = open_office_db(db_path)
    peers = {p.code: p for p in PeerOffice.select()}
    rows = []

    def state(p) -> str:
        if p is None:
            return "未登记"
        return f"已吊销 {local_time(p.revoked_at)}" if p.revoked_at else f"已登记 {local_time(p.registered_at)}"

    if office.level == "county":
        for t in AdminDivision.select().where(AdminDivision.level == 4).order_by(AdminDivision.code):
            p = peers.pop(t.code, None)
            rows.append((printable(t.name), t.code, "乡镇", state(p), p.fingerprint if p else ""))
    for p in sorted(peers.values(), key=lambda p: p.code):
        level = {"county": "县", "township": "乡镇", "city": "市", "province": "省"}.get(p.level, p.level)
        rows.append((printable(p.name), p.code, level, state(p), p.fingerprint))
    table(("单位", "代码", "级别", "状态", "指纹"), rows or [("（还没有登记任何单位）", "", "", "", "")])


@keys.command("rotate")
@click.option("--grace", type=click.IntRange(0, 365), default=30, show_default=True, help="旧加密密钥还能解密的天数")
@db_option
@handled
def keys_rotate(grace: int, db_path: Path | None) -> None:
    """换本单位的签名和加密密钥（换电脑、怀疑泄露、每年一换）：口令不变；旧加密密钥在宽限期内仍能打开
    发给本单位的数据包；县级恢复密钥不变。之后把新公钥文件交给各对方单位，电话核对指纹后 hecha keys replace。"""
    from export.keys import rotate

    office = open_office_db(db_path)
    from export.keys import unlock

    passphrase = read_passphrase("本单位口令（换密钥要负责人的口令）")
    unlock(passphrase)  # a wrong passphrase is said before anything is made
    click.echo("正在生成新密钥（口令加密需要几秒钟）……", err=True)
    pub = rotate(passphrase, grace_days=grace)
    click.echo(f"已换 {office.name}（{office.code}）的密钥。新指纹：{pub.fingerprint()}")
    click.echo(f"旧加密密钥在 {grace} 天内仍能打开发给本单位的数据包。")
    others = "本县各乡镇和登记过的外县" if office.level == "county" else "县里"
    click.echo(f"下一步：{hecha_on(db_path)} keys show > 新公钥文件，交给{others}；对方电话核对新指纹后运行")
    click.echo('  hecha keys replace 新公钥文件 --fingerprint "读出的指纹"')


@keys.command("replace")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--fingerprint", "expected", default=None, help="对方读出的新指纹；给出时自动核对")
@click.option("--yes", is_flag=True, help="不询问（脚本用；须已用 --fingerprint 或其他方式核对）")
@click.option("--grace", type=click.IntRange(0, 365), default=30, show_default=True, help="旧签名密钥还认几天")
@db_option
@handled
def keys_replace(file: Path, expected: str | None, yes: bool, grace: int, db_path: Path | None) -> None:
    """登记对方单位换过的新公钥（对方 hecha keys rotate 之后，或乡镇换了电脑）；旧签名密钥在宽限期内
    签的数据包仍然接收。也用于恢复一个吊销过的单位。"""
    from export.keys import read_key_file, replace_peer, same_fingerprint

    open_office_db(db_path)
    keys_ = read_key_file(file)
    fp = keys_.fingerprint()
    from storage.outbox import printable

    click.echo(printable(f"单位：{keys_.name}（{keys_.office}）") + f"\n新指纹：{fp}")
    if expected is not None:
        if not same_fingerprint(expected, keys_):
            raise HechaError("指纹与对方读出的不一致：不要登记，请与对方核实公钥文件。")
    elif not yes:
        if not sys.stdin.isatty():
            raise HechaError("请用 --fingerprint 给出对方读出的新指纹，或在终端运行以便确认。")
        if not click.confirm("与对方电话或当面读出的新指纹一致吗？", default=False):
            raise HechaError("未更换。")
    from storage.models import PeerOffice

    before = PeerOffice.get_or_none(PeerOffice.code == keys_.office)
    was_revoked = bool(before and before.revoked_at)
    row, changed = replace_peer(keys_, grace_days=grace)
    who = printable(f"{row.name}（{row.code}）")
    if changed and was_revoked:
        click.echo(f"已换登 {who} 的公钥，恢复接收；吊销的旧密钥签的数据包仍一律拒收。")
    elif changed:
        click.echo(f"已换登 {who} 的公钥；旧签名密钥签的数据包在 {grace} 天内仍接收。")
    else:
        click.echo(f"{who} 登记的就是这组公钥，无变化。")


@keys.command("revoke")
@click.argument("code", metavar="单位代码")
@click.option("--yes", is_flag=True, help="不再询问")
@db_option
@handled
def keys_revoke(code: str, yes: bool, db_path: Path | None) -> None:
    """吊销对方单位的公钥（电脑被盗、密钥泄露）：此后它的数据包一律拒收（B04），也不再给它写数据包；
    已导入的数据不动。它换新密钥后用 hecha keys replace 恢复。"""
    from export.keys import revoke_peer
    from storage.models import PeerOffice
    from storage.outbox import printable

    open_office_db(db_path)
    peer = PeerOffice.get_or_none(PeerOffice.code == code)
    if peer is None:
        raise HechaError(f"{code} 没有登记过公钥：hecha keys list 列出已登记的单位。")
    if not yes:
        click.confirm(printable(f"吊销 {peer.name}（{code}）的公钥？此后它发来的数据包都将拒收"), abort=True)
    row = revoke_peer(code)
    click.echo(
        printable(f"已吊销 {row.name}（{row.code}）的公钥。恢复：对方换新密钥后，hecha keys replace 新公钥文件。")
    )


@cli.command()
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=None, help="数据包写到此目录（默认：~/hecha-bundles）"
)
@click.option("--to", default="", help="县级：只写发往这个单位（本县乡镇、外县，或与 --up 一起：上级）的数据包")
@click.option("--up", is_flag=True, help="县级：向上级（市或省）导出本县数据包，并写给省级系统的平面文件和代码表")
@db_option
@handled
def export(out_dir: Path, to: str, up: bool, db_path: Path | None) -> None:
    """导出数据包（加密、签名），打印其路径。乡镇：本周发往县里的数据包（含协查和回复）；
    县级：把待转的协查和回复下发给各乡镇、转往外县（每个收件单位一个数据包）；加 --up：本县上报上级的
    数据包（county-up）和平面文件（人员、出生、流动人口、核查结果的 .csv 和 .xlsx，代码表，县汇总和图表）。"""
    from export.bundle import export_bundle
    from export.keys import county_peer, unlock

    office = open_office_db(db_path)
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise HechaError(f"--out {out_dir} 是一个文件：请指定文件夹。")
    from storage.paths import default_bundle_dir

    if up:
        if office.level != "county":
            raise HechaError(
                "向上导出（--up）是县级的：乡镇每周 hecha export 把数据包交县里；"
                "省级平台用 hecha export 把协查下发各县。"
            )
        from export.bundle import upper_peer
        from export.upfiles import write_flat_files
        from storage import assist

        upper_peer(to or None)  # said before the passphrase is asked
        keys_ = unlock(read_passphrase())
        out = out_dir or default_bundle_dir()
        import shutil
        import uuid

        # the flat files first (into a hidden folder), then the bundle, then the folder named after
        # the bundle's number: a failure anywhere leaves neither a bundle without its files nor files
        # without their bundle
        folder = write_flat_files(
            out, office.code, assist.today(), progress=lambda t: click.echo(t, err=True), name=f".{uuid.uuid4()}"
        )
        try:
            result = export_bundle(keys_, out, to=to or None, up=True)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        final = out / f"{office.code}-{assist.today():%Y%m%d}-上报-{result.sequence:06d}"
        os.replace(folder, final)
        click.echo(f"上报数据包{result.summary()}", err=True)
        click.echo(str(result.path))
        click.echo(f"平面文件（.csv、上报.xlsx，含代码表和县汇总图表）：{final}", err=True)
        click.echo(str(final))
        return
    if office.level in ("county", "province"):
        from storage.assist import pending_hops

        hops = [to] if to else pending_hops()
        if not hops:
            if office.level == "province":
                click.echo(
                    "没有要下发各县的协查。跨县比对后发协查：hecha platform link，再 hecha platform requests", err=True
                )
            else:
                click.echo("没有要下发或转往外县的协查和决定。向上级上报：hecha export --up", err=True)
            return
        keys_ = unlock(read_passphrase())
        for hop in hops:
            result = export_bundle(keys_, out_dir or default_bundle_dir(), to=hop)
            click.echo(f"发往 {hop} 的数据包{result.summary()}", err=True)
            click.echo(str(result.path))
        return
    county_peer()
    keys_ = unlock(read_passphrase())
    result = export_bundle(keys_, out_dir or default_bundle_dir())
    click.echo(f"数据包{result.summary()}", err=True)
    click.echo(str(result.path))


def bundle_paths(files: tuple[Path, ...]) -> list[Path]:
    """The bundle files named: each file, and every ``.zip`` of each folder. Raises
    :class:`HechaError` for a path that does not exist, or when there is no bundle at all."""
    paths: list[Path] = []
    for given in files:
        if given.is_dir():
            paths += sorted(given.glob("*.zip"))
        elif given.exists():
            paths.append(given)
        else:
            raise HechaError(f"找不到文件 {given}：请检查路径。")
    if not paths:
        raise HechaError(f"{', '.join(map(str, files))} 中没有 .zip 数据包。")
    return paths


@cli.command("import-bundle")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@handled
def import_bundle(files: tuple[Path, ...], db_path: Path | None) -> None:
    """导入数据包：县级导入乡镇和外县的，乡镇导入县里下发的（协查、回复）。文件，或文件夹中的全部
    .zip。每个数据包要么全部导入，要么不动数据库。

    退出状态：0 全部导入（或已导入过），1 有数据包被拒绝，3 有数据包因缺号暂存。
    """
    from export.bundle import BundleError, import_many
    from export.keys import unlock

    open_office_db(db_path)

    paths = bundle_paths(files)

    keys_ = unlock(read_passphrase())
    refused = held = 0
    for _path, result in import_many(paths, keys_, say=lambda line: click.echo(line, err=True)):
        if isinstance(result, BundleError):
            refused += 1
            click.echo(f"拒绝 {result}", err=True)
            continue
        for r in [result, *result.also_imported]:
            label = {"imported": "已导入", "already": "已导入过", "held": "暂存", "refused": "拒绝"}[r.status]
            click.echo(f"{label} {Path(r.path).name}：{r.message}", err=r.status == "refused")
            held += r.status == "held"
            refused += r.status == "refused"
    if refused:
        sys.exit(1)
    if held:
        sys.exit(3)


@cli.command()
@click.option("--households", default=300, show_default=True, type=click.IntRange(1, 100_000), help="演示户数")
@click.option("--seed", default=1, show_default=True, help="随机种子（相同种子得到相同人口）")
@click.option("--as-of", "as_of", default=None, help="参考日期 YYYYMMDD（默认今天）：出生落在此前十年内")
@click.option("--office", "office_code", default="130123103", show_default=True, help="数据库不存在时用此乡镇代码建立")
@click.option("--start", is_flag=True, help="填好后启动全屏界面；演示库已有数据时直接启动")
@click.option(
    "--lists/--no-lists",
    default=True,
    show_default=True,
    help="同时生成演示名单并比对（--no-lists：只生成登记表，名单自己导入）",
)
@db_option
@handled
def demo(
    households: int, seed: int, as_of: str | None, office_code: str, start: bool, lists: bool, db_path: Path | None
) -> None:
    """建立或填充一个演示乡镇数据库（合成人口，身份证号有效，不是真实人员）。"""
    from storage import synth
    from storage.models import Household
    from storage.office import init_office

    path = resolve_db(db_path)
    if not path.exists():
        init_office(path, office_code, demo=True)
        click.echo(f"已建立演示数据库：{path}", err=True)
    open_office_db(path, sign_in=False)  # opened first: whether it holds data decides who signs in
    synth.demo_check()  # a database hecha init made is refused, before anyone signs in
    filled = Household.select().exists()
    if not (start and filled):
        sign_in_if_required()  # the TUI signs in itself
    if start and filled:
        click.echo("演示数据库已有数据，直接启动。", err=True)
    else:

        def say(line: str, *, end: bool = True) -> None:
            click.echo(line, nl=end, err=True)

        synth.demo(
            households,
            as_of=_as_of(as_of),
            seed=seed,
            lists_folder=path.parent / "演示名单" if lists else None,
            say=say,
        )
    if start:
        from storage.db import close_db

        close_db()
        run_tui(path)


@cli.command()
@click.argument("prefix", default="")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0, 2**62), help="从第几户开始（分页）")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000), help="最多列出几户")
@db_option
@handled
def households(prefix: str, offset: int, limit: int, db_path: Path | None) -> None:
    """户列表（与界面的户列表相同）：户编码以“户编码前缀”开头的户，按户编码排序。"""
    from storage.households import list_households

    open_office_db(db_path)
    rows = list_households(prefix, offset=offset, limit=limit)
    for h in rows:
        click.echo(f"{h.household_code}  {h.head_name or '（无户主）'}  {h.members}人  {h.address_detail}")
    click.echo(f"共列出 {len(rows)} 户（从第 {offset + 1} 户起）。", err=True)


@cli.group()
def household() -> None:
    """登记表（一户）：打印、录入、修改，格式为 JSON，与界面同一保存和检查。"""


@household.command("show")
@click.argument("code")
@db_option
@handled
def household_show(code: str, db_path: Path | None) -> None:
    """打印一户的登记表（JSON）：户编码或 uid。改好后用 hecha household edit 保存。"""
    import json

    from storage.forms import form_to_dict
    from storage.households import load_household
    from storage.models import Household

    open_office_db(db_path)
    hh = Household.get_or_none(
        ((Household.household_code == code) | (Household.uid == code)) & (Household.deleted == False)
    )
    if hh is None:
        raise HechaError(f"没有户编码或 uid 为 {code} 的户：户编码见 hecha households")
    click.echo(json.dumps(form_to_dict(load_household(hh.uid)), ensure_ascii=False, indent=1))


def _save_form(file: Path, new: bool, confirm: bool, confirm_duplicates: bool, db_path: Path | None) -> None:
    import json

    from storage.households import DuplicatesNotConfirmed, WarningsNotConfirmed, save_form

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise HechaError(f"{file} 读不出登记表（{exc}）：应为 hecha household show 打印的 JSON（UTF-8）") from None
    open_office_db(db_path)
    try:
        hh = save_form(data, new=new, confirm_warnings=confirm, confirm_duplicates=confirm_duplicates)
    except WarningsNotConfirmed as exc:
        raise HechaError(f"需要确认的提示：{exc}。核实无误后加 --confirm 保存（确认记在各条记录上）") from None
    except DuplicatesNotConfirmed as exc:
        raise HechaError(f"{exc}：先用 hecha duplicates 核实；确实是不同的人，加 --confirm-duplicates 保存") from None
    click.echo(f"已保存 户 {hh.household_code}（uid {hh.uid}）")


@household.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--confirm", is_flag=True, help="确认表中的提示（记在各条记录上）")
@click.option("--confirm-duplicates", is_flag=True, help="身份证号别处已有的，核实为不同的人后保存")
@db_option
@handled
def household_add(file: Path, confirm: bool, confirm_duplicates: bool, db_path: Path | None) -> None:
    """录入一户（JSON 登记表，无 uid），与界面保存同样检查。"""
    _save_form(file, True, confirm, confirm_duplicates, db_path)


@household.command("edit")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--confirm", is_flag=True, help="确认表中的提示（记在各条记录上）")
@click.option("--confirm-duplicates", is_flag=True, help="身份证号别处已有的，核实为不同的人后保存")
@db_option
@handled
def household_edit(file: Path, confirm: bool, confirm_duplicates: bool, db_path: Path | None) -> None:
    """修改已登记的一户（hecha household show 打印、改过的 JSON，带 uid）。"""
    _save_form(file, False, confirm, confirm_duplicates, db_path)


@cli.group()
def person() -> None:
    """查看或修改人员（按身份证号）。"""


@person.command("show")
@click.argument("id_number")
@db_option
@handled
def person_show(id_number: str, db_path: Path | None) -> None:
    """显示一个人员的记录（身份证号，或 hecha duplicates 列出的 uid）。"""
    from storage.households import person_card

    open_office_db(db_path)
    for line in person_card(id_number):
        click.echo(line)


@person.command("set")
@click.argument("id_number")
@click.argument("changes", nargs=-1, required=True)
@click.option("--reason", default="", help="修改原因（记入审计日志）")
@click.option("--confirm", "confirm_warnings", is_flag=True, help="确认修改引起的提示（记入记录）")
@db_option
@handled
def person_set(
    id_number: str, changes: tuple[str, ...], reason: str, confirm_warnings: bool, db_path: Path | None
) -> None:
    """修改人员字段：hecha person set 身份证号 name=王秀瑛 [字段=值 …]"""
    from storage.households import update_person

    open_office_db(db_path)
    pairs = {}
    for item in changes:
        key, sep, value = item.partition("=")
        if not sep:
            raise HechaError(f"“{item}”应写成 字段=值")
        pairs[key] = value
    from storage.households import WarningsNotConfirmed

    try:
        p = update_person(id_number, pairs, reason=reason, confirm_warnings=confirm_warnings)
    except KeyError as exc:
        raise HechaError(exc.args[0]) from None
    except WarningsNotConfirmed as exc:
        raise HechaError(f"需要核实：{exc}。核实无误后加 --confirm 再运行（确认记入记录）。") from None
    click.echo(f"已修改 {p.name}（版本 {p.version}）")


@cli.group(invoke_without_command=True)
@click.option(
    "--min-score",
    default=65,
    show_default=True,
    type=click.IntRange(0, 100),
    help="只列得分不低于此值的（0–100；两个人员得分低于10的不保存）",
)
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000), help="最多列出几对")
@click.option("--rescan", is_flag=True, help="全部重新比对（不只比改过的人员和名单）")
@click.option(
    "--offset", default=0, type=click.IntRange(0), help="跳过得分最高的前几对（分页：--offset 500 列第 501 对起）"
)
@click.option(
    "--kind",
    type=click.Choice(["persons", "records"]),
    default=None,
    help="只列一类：persons 人员之间的，records 人员与外部名单记录的（默认两类都列）",
)
@db_option
@click.pass_context
@handled
def duplicates(
    ctx: click.Context, min_score: int, limit: int, offset: int, rescan: bool, kind: str | None, db_path: Path | None
) -> None:
    """可能重复登记的人员对（同号、号码差一位、同音同生日、同母亲相近生日 …），
    以及与外部名单对不上的疑似同一人，得分高的在前。"""
    if ctx.invoked_subcommand:
        return
    from storage import pairstore

    open_office_db(db_path)
    if rescan:
        pairstore.mark_all()
    from storage.db import Locked

    persons, lists = pairstore.pending()
    what = "、".join(x for x in (f"{persons} 人" if persons else "", f"{lists} 份名单" if lists else "") if x)
    busy = False
    try:
        pairstore.refresh(progress=lambda done, of: click.echo(f"正在重新比对改过的{what}：{done}/{of}", err=True))
    except (pairstore.Busy, Locked) as exc:
        busy = True
        click.echo(f"注意：{exc}；下面是上次比对的结果，改过的 {what} 还没有重新比对。", err=True)
    found = pairstore.page(kind=kind or "", min_score=min_score, limit=limit, offset=offset)
    counted = pairstore.count(kind=kind or "", min_score=min_score)
    if not found and busy:
        # a newcomer's finding: while the first scoring ran, this said there were no duplicates
        click.echo(f"还不能说有没有重复：改过的 {what} 正由另一个程序比对，比对完后再运行本命令。")
        return
    if not found:
        click.echo(
            f"共 {counted} 对，--offset {offset} 已超出：用较小的 --offset。"
            if counted
            else f"没有得分不低于 {min_score} 的可能重复（已判定为不同人的不再列出）。"
        )
        return
    decided = {"same": "同一人", "unsure": "待查", "": "—"}
    table(
        ("得分", "依据", "人员甲", "人员乙", "不同之处", "已判定", "甲 uid", "乙 uid"),
        [
            (
                p.b.score,
                p.b.rule_text,
                *p.sides(),
                p.b.differs_text,
                decided.get(p.decision, p.decision),
                p.a_uid,
                p.b.person_uid,
            )
            for p in found
        ],
        frozenset({0}),
    )
    more = f"，列出第 {offset + 1}-{offset + len(found)} 对（--offset、--limit 翻页）" if counted > len(found) else ""
    from storage.pairstore import STORE_FLOOR

    floor = f"（两个人员得分低于{STORE_FLOOR}的不保存，不列）" if min_score < STORE_FLOOR else ""
    click.echo(f"共 {counted} 对{floor}{more}。判定：hecha duplicates decide different|same|unsure 甲uid 乙uid")


@duplicates.command("decide")
@click.argument("decision", type=click.Choice(["same", "different", "unsure"]))
@click.argument("a_uid")
@click.argument("b_uid")
@click.option("--note", default="", help="说明（记入判定）")
@db_option
@handled
def duplicates_decide(decision: str, a_uid: str, b_uid: str, note: str, db_path: Path | None) -> None:
    """判定一对人员（或人员与外部名单记录 ref:N）：different 不同人（不再提示）、same 同一人（待合并）、unsure 待查。"""
    import unicodedata

    a_uid, b_uid = (
        unicodedata.normalize("NFKC", u).strip() for u in (a_uid, b_uid)
    )  # ｒｅｆ：４ typed by an input method
    from storage.dedup import decide_pair
    from storage.models import Person, RefRecord

    open_office_db(db_path)
    for uid in (a_uid, b_uid):
        if uid.startswith("ref:"):
            if a_uid.startswith("ref:") and b_uid.startswith("ref:"):
                raise HechaError("两个都是外部名单记录：判定的是一个人员和一条名单记录，甲应为人员 uid")
            rid = uid[4:]
            if not (rid.isdigit() and int(rid) < 2**63 and RefRecord.select().where(RefRecord.id == int(rid)).exists()):
                raise HechaError(
                    f"没有 {uid} 这条外部名单记录（名单被替换后旧记录不再有）：见 hecha duplicates 的最后一列"
                )
        elif not Person.select().where((Person.uid == uid) & (Person.deleted == False)).exists():
            raise HechaError(
                f"没有 uid 为 {uid} 的在册人员（已合并或删除的不能再判定）：uid 见 hecha duplicates 的最后两列"
            )
    if a_uid == b_uid:
        raise HechaError("两个 uid 相同：请给出两个不同的人员")
    decide_pair(a_uid, b_uid, decision, note=note)
    same = (
        "已判定为同一人：记下了人员与这条名单记录的对应"
        if b_uid.startswith("ref:") or a_uid.startswith("ref:")
        else "已判定为同一人（只记下判定，不合并）：合并用 hecha duplicates merge 保留uid 删去uid"
    )
    click.echo({"same": same, "different": "已判定为不同人：这一对不再提示", "unsure": "已记为待查"}[decision])


@duplicates.command("merge")
@click.argument("keep_uid")
@click.argument("drop_uid")
@click.option("--note", default="", help="说明（记入审计日志）")
@click.option("--yes", is_flag=True, help="不询问，直接合并")
@db_option
@handled
def duplicates_merge(keep_uid: str, drop_uid: str, note: str, yes: bool, db_path: Path | None) -> None:
    """同一人登记了两次：把“删去UID”的人并入“保留UID”的人（出生、流动、育龄妇女页随之转移，删去的注销，留审计记录）。"""
    from storage.dedup import merge_check, merge_persons

    open_office_db(db_path)
    keep, drop = merge_check(keep_uid, drop_uid)  # refused before the question, not after it
    if not yes:
        click.confirm(
            f"把 {drop.name}（户 {drop.household.household_code}）并入 {keep.name}（户 "
            f"{keep.household.household_code}），"
            f"注销 {drop.name} 这一条？",
            abort=True,
        )
    done = merge_persons(keep_uid, drop_uid, note=note)
    click.echo(
        f"已合并：转移 {done.moved} 条记录"
        + (f"，补上 {'、'.join(done.filled)}" if done.filled else "")
        + ("；原户已无人，一并注销" if done.household_removed else "")
    )


def _as_of(text: str | None) -> dt.date:
    """The reference date of ``--as-of`` (:func:`storage.reconcile.reference_date`; default today)."""
    from storage.reconcile import reference_date

    try:
        return reference_date(text or "")
    except ValueError as exc:
        raise HechaError(f"--as-of：{exc}") from None


def _mask_default() -> bool:
    """Whether work lists mask ID numbers: [worklist] mask_ids in the config (default true)."""
    from tui.config import ConfigError, load_config

    try:
        return load_config().mask_ids
    except ConfigError as exc:
        raise HechaError(str(exc)) from None


@cli.group("reconcile", invoke_without_command=True)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="参考日期 YYYYMMDD（默认本单位的标准时点 hecha reference-date，未设时为今天）：比对此前十年的出生",
)
@click.option("--village", default="", help="只列这个村（村代码、其后三位或村名）")
@click.option(
    "--kind",
    type=click.Choice(["omission", "misreport", "false", "elsewhere", "consistent"]),
    default=None,
    help="只列一种：omission 疑似漏报、misreport 疑似错报、false 疑似虚报、elsewhere 外地出生、consistent 一致",
)
@click.option(
    "--source",
    "group",
    type=click.Choice(["forms", "wis", "health", "education", "police"]),
    default=None,
    help="只列出现于这一来源的：forms 登记表、wis 人口系统、health 卫生、education 教育、police 公安",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="把入户核查表写到这个 .xlsx 或 .xls（每村一张表）",
)
@click.option(
    "--mask/--no-mask", default=None, help="核查表里的身份证号只显示后四位（默认按配置 [worklist] mask_ids，缺省为是）"
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000), help="最多列出几条")
@db_option
@click.pass_context
@handled
def reconcile_cmd(
    ctx: click.Context,
    as_of: str | None,
    village: str,
    kind: str | None,
    group: str | None,
    out: Path | None,
    mask: bool | None,
    limit: int,
    db_path: Path | None,
) -> None:
    """核查比对：把十年内的每个出生与登记表、人口系统、卫生、教育、公安名单逐一比对，列出疑似漏报、错报、虚报。"""
    if ctx.invoked_subcommand:
        return
    from storage import reconcile
    from storage.office import village_label

    _check_out(out, (".xlsx", ".xls"), "入户核查.xlsx")
    masked = _mask_default() if mask is None else mask
    open_office_db(db_path)  # first: an empty --as-of is the office's campaign date
    day = _as_of(as_of)
    village = _village_code(village) if village else ""
    report = reconcile.run(day, progress=lambda text: click.echo(text, err=True))
    first, last = reconcile.window(day)
    counts = "，".join(f"{reconcile.KINDS[k]} {report.kinds.get(k, 0)}" for k in reconcile.KINDS)
    click.echo(
        f"比对 {first} 至 {last} 的出生：{report.records} 条记录，{report.births} 个出生（{report.seconds:.1f} 秒）。"
        f"{counts}"
    )
    if report.warning:
        click.echo(f"注意：{report.warning}")
    rows = reconcile.findings(village=village, kind=kind or "", group=group or "", limit=limit)
    if rows:
        decided = reconcile.CONCLUSIONS
        table(
            ("村", "疑点", "姓名", "出生日期", "母亲", "出现于", "结论", "核查编号"),
            [
                (
                    village_label(f.village_code),
                    reconcile.KINDS[f.kind],
                    f.child_name or "（未起名）",
                    f.birth_date,
                    f.mother_name,
                    "、".join(reconcile.GROUP_NAMES[g] for g in f.groups.split()),
                    decided.get(v.conclusion, "") if v else "",
                    f.code,
                )
                for f, v in rows
            ],
        )
        more = f"（只列前 {limit} 条，--limit 可放宽）" if len(rows) >= limit else ""
        click.echo(
            f"共列出 {len(rows)} 条{more}。记录入户结论：hecha reconcile result 核查编号 结论（0 一致 1 漏报 2 瞒报 "
            "3 虚报 4 错报 9 待核）"
        )
    else:
        click.echo(
            "没有"
            + (reconcile.KINDS[kind] if kind else "要核实")
            + "的出生"
            + (f"（{village_label(village)}）" if village else "")
            + "。"
        )
    if out:
        try:
            from export.sheets import write_worklist

            n = write_worklist(
                out, village=village, masked=masked, kinds=(kind,) if kind else ("omission", "misreport", "false")
            )
        except OSError as exc:
            raise HechaError(f"写不了 {out}：{exc.strerror}") from None
        click.echo(f"入户核查表已写到 {out}：{n} 个出生待核" + ("（身份证号只显示后四位）" if masked else ""))


def _check_out(out: Path | None, suffixes: tuple[str, ...], example: str, option: str = "--out") -> None:
    """Refuse a file to write (``--out``, ``--rejects``) that cannot be written, before any work is done."""
    if out and (
        out.suffix.lower() not in suffixes
        or out.is_dir()
        or not out.parent.is_dir()
        or not os.access(out.parent, os.W_OK)
    ):
        raise HechaError(
            f"{option} {out}：要写到一个已有文件夹（可写）里的 {' 或 '.join(suffixes)} 文件（如 {example}）"
        )


def _village_code(text: str) -> str:
    """The village code that ``text`` names (:func:`storage.office.find_villages`), or an error
    listing the villages of this township."""
    from storage.office import find_villages, village_label, villages

    found = find_villages(text)
    if len(found) == 1:
        return found[0].code
    shown = "、".join(f"{v.code[-3:]} {village_label(v.code)}" for v in (found or villages())[:40])
    raise HechaError(
        f"村「{text}」：{'有几个村都对得上' if found else '本乡镇没有这个村'}。本乡镇的村（代码后三位 村名）：{shown}"
    )


@reconcile_cmd.command("show")
@click.argument("key")
@db_option
@handled
def reconcile_show(key: str, db_path: Path | None) -> None:
    """一个出生在各来源的记录（证据对照，与界面上回车看到的相同）：编号见 hecha reconcile 列表。"""
    import json

    from storage import reconcile
    from storage.office import village_label

    open_office_db(db_path)
    try:
        f = reconcile.find(key)
    except reconcile.ResultError as exc:
        raise HechaError(str(exc)) from None
    click.echo(
        f"{f.code}  {reconcile.KINDS[f.kind]}  {f.child_name or '未起名'} {f.birth_date}  "
        f"{village_label(f.village_code)}"
    )
    sexes = {"1": "男", "2": "女"}
    table(
        ("来源", "姓名", "性别", "出生日期", "身份证号", "母亲", "母亲身份证号", "出生证", "位置"),
        [
            (
                reconcile.SOURCE_NAMES.get(e["source"], e["source"]),
                e["name"] or "未起名",
                sexes.get(e["sex"], ""),
                e["born"],
                e["child_id"] or "-",
                e["mother_name"] or "-",
                e["mother_id"] or "-",
                e["cert"] or "-",
                e["where"],
            )
            for e in json.loads(f.evidence)
        ],
    )
    for d in json.loads(f.differences):
        click.echo(f"不一致：{reconcile.FIELD_WORDS.get(d[0], d[0])} 人口系统 {d[1]}，{d[3]} {d[2]}")
    if f.reason:
        click.echo(f"说明：{f.reason}")
    from storage.models import VisitResult

    done = VisitResult.get_or_none(VisitResult.key == f.key)
    if done:
        click.echo(
            f"已核：{reconcile.CONCLUSIONS[done.conclusion]} {done.note}（{done.who} {local_time(done.at)[:10]}）"
        )


@reconcile_cmd.command("result")
@click.argument("key")
@click.argument("conclusion")
@click.option("--note", default="", help="核查说明")
@click.option(
    "--set",
    "sets",
    multiple=True,
    help="错报时更正：--set birth_date=20170307、child_sex=2、birth_order=1、birth_cert_no=…",
)
@db_option
@handled
def reconcile_result(key: str, conclusion: str, note: str, sets: tuple[str, ...], db_path: Path | None) -> None:
    """记录入户核查结论：0 一致、1 漏报、2 瞒报、3 虚报、4 错报、9 待核（确认的漏报补录为出生）。"""
    from storage import reconcile

    corrections = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep:
            raise HechaError(f"--set {item!r} 应写成 字段=值，如 birth_date=20170307")
        corrections[name.strip()] = value.strip()
    open_office_db(db_path)
    try:
        click.echo(reconcile.record_result(key, conclusion, note=note, corrections=corrections))
    except reconcile.ResultError as exc:
        raise HechaError(str(exc)) from None


@reconcile_cmd.command("summary")
@click.option("--village", default="", help="只看这个村（村代码、其后三位或村名）")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="写到这个 .xlsx")
@db_option
@handled
def reconcile_summary(village: str, out: Path | None, db_path: Path | None) -> None:
    """按村、按统计年度（上年10月1日至当年9月30日）汇总：年报出生、以前已纠正、核查出生、本次查出的漏报瞒报虚报错报、差额、漏报率。"""
    from storage import reconcile
    from storage.office import village_label

    _check_out(out, (".xlsx",), "汇总.xlsx")
    open_office_db(db_path)
    village = _village_code(village) if village else ""
    rows = reconcile.summary(village=village)
    if not rows:
        from storage import assist

        if out and assist.stats():  # a county's week: the requests counted before any births are
            from export.sheets import write_summary

            write_summary(out, [])
            click.echo(f"还没有比对结果或年报数；已写出 {out}（只有协查统计）。")
            return
        raise HechaError("还没有比对结果或年报数：先运行 hecha reconcile，年报数用 hecha reconcile annual 录入。")
    last = reconcile.last_run()
    if last:
        click.echo(
            f"按 {local_time(last.at)} 的比对（参考日期 {last.as_of}）；核查出生不含外地出生和只在人口系统的记录"
        )
    t = reconcile.total(rows)
    from storage.office import current_office, division_name

    at_county = current_office().level == "county"

    def place(code: str) -> str:  # at a county, the village with its township (issue 18)
        label = village_label(code)
        return f"{short_name(division_name(code[:9]))}{label}" if at_county and len(code) == 12 else label

    from storage.divisions import short_name

    table(
        ("村", "年度", *reconcile.COUNT_HEADINGS, "漏报率"),
        [(place(r.village_code), r.year, *r.counts(), f"{r.omission_rate:.1%}") for r in rows]
        + [("合计", "", *t.counts(), f"{t.omission_rate:.1%}")],
        frozenset(range(1, 12)),
    )
    click.echo("差额 = 核查出生 − 年报出生 − 以前已纠正；漏报率 = （漏报 + 瞒报）÷ 核查出生")
    if out:
        try:
            from export.sheets import write_summary

            write_summary(out, rows)
        except OSError as exc:
            raise HechaError(f"写不了 {out}：{exc.strerror}") from None
        click.echo(f"汇总已写到 {out}")


@reconcile_cmd.command("annual")
@click.argument("village")
@click.argument("year", type=click.IntRange(1990, 2100))
@click.option("--reported", type=click.IntRange(0, 100_000), required=True, help="年报的出生数")
@click.option("--corrected", type=click.IntRange(0, 100_000), default=0, help="以前核查已纠正的出生数")
@db_option
@handled
def reconcile_annual(village: str, year: int, reported: int, corrected: int, db_path: Path | None) -> None:
    """录入一个村一个统计年度的年报出生数（及以前已纠正数），供汇总比较（村代码：12位代码、其后三位或村名）。"""
    from storage import reconcile
    from storage.office import village_label

    office = open_office_db(db_path)
    if office.level != "township":
        raise HechaError("年报出生数由乡镇录入：这是县级数据库")
    village = _village_code(village)
    before = reconcile.set_annual(village, year, reported=reported, corrected=corrected)
    was = f"（替换原来的年报出生 {before[0]}、以前已纠正 {before[1]}）" if before else ""
    click.echo(f"已录入 {village_label(village)} {year} 年度：年报出生 {reported}，以前已纠正 {corrected}{was}")


@cli.command("import-list")
@click.option(
    "--source",
    "source",
    required=True,
    help="来源：wis gpl birth_cert delivery vaccination kindergarten school police_hukou police_temporary marriage",
)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="确认用这一份替换已导入的同来源名单")
@click.option(
    "--map",
    "maps",
    multiple=True,
    help=(
        "表头认不出时指定列的含义：--map 表头=字段 或 --map 第2列=name（字段：name id_number sex birth_date "
        "mother_name mother_id_number father_name father_id_number address birth_cert_no birth_order village "
        "parent_name household_no relation）"
    ),
)
@click.option("--encoding", default=None, help="老 .xls 的编码不对时指定，如 gb18030")
@click.option(
    "--rejects",
    "rejects_out",
    type=click.Path(path_type=Path),
    default=None,
    help="把没导入的行写到这个 .xlsx，交原单位改正",
)
@db_option
@handled
def import_list_cmd(
    source: str,
    file: Path,
    replace: bool,
    maps: tuple[str, ...],
    encoding: str | None,
    rejects_out: Path | None,
    db_path: Path | None,
) -> None:
    """导入外部名单（.xls .xlsx .csv，或存成 .xls 的网页）：每行导入或列为错误行，整份要么全导入要么不导入。"""
    from storage.reflists import NeedsReplace, UnknownLayout, import_list
    from storage.sources import SourceError
    from storage.sources.profiles import FIELDS

    mapping: dict[str, str] = {}
    from storage.sources.profiles import FIELD_NAMES

    by_name = {name: key for key, name in FIELD_NAMES.items()}  # 姓名 as well as name, as the import screen offers them
    source = source.strip().lower()
    for item in maps:
        header, sep, fld = item.partition("=")
        fld = by_name.get(fld.strip(), fld.strip())
        if not sep or fld not in FIELDS:
            raise HechaError(
                f"--map {item!r} 应写成 表头=字段，字段为 {'、'.join(f'{k}（{v}）' for k, v in FIELD_NAMES.items())} "
                "之一"
            )
        if header.strip() in mapping and mapping[header.strip()] != fld:
            raise HechaError(
                f"--map：{header.strip()} 指定了两次（{FIELD_NAMES[mapping[header.strip()]]}、{FIELD_NAMES[fld]}）："
                "只留一个"
            )
        other = next((h for h, f in mapping.items() if f == fld and h != header.strip()), None)
        if other is not None:  # two columns into one field: one of them would be lost without a word
            raise HechaError(f"--map：{other} 和 {header.strip()} 都指定为{FIELD_NAMES[fld]}：一个字段只能对应一列")
        mapping[header.strip()] = fld
    _check_out(rejects_out, (".xlsx",), "错误行.xlsx", "--rejects")
    open_office_db(db_path)
    try:
        report = import_list(
            file,
            source,
            replace=replace,
            mapping=mapping or None,
            encoding=encoding,
            progress=lambda n: click.echo(f"已读 {n} 行", err=True),
        )
    except (SourceError, NeedsReplace, ValueError) as exc:
        raise HechaError(f"{file}：{exc}") from None
    except UnknownLayout as exc:
        shown = "\n".join("  " + " | ".join(f"第{i + 1}列 {v}" for i, v in enumerate(r) if v) for r in exc.rows)
        raise HechaError(f"{file}：{exc}\n前几行：\n{shown}") from None
    if report.same_file:
        click.echo(f"{file.name} 已经导入过（同一文件，批次 {report.batch_id}，{report.rows_loaded} 条）：没有改动。")
    else:
        _import_report(file, report, rejects_out)
    if rejects_out:
        from export.sheets import write_rejects

        if not report.rows_rejected and not report.rows_warned:
            click.echo("没有错误行：不写错误行文件。")
            return
        assert report.batch_id is not None  # import_list returns with the batch's id set
        try:
            write_rejects(report.batch_id, rejects_out)
        except OSError as exc:
            raise HechaError(
                f"名单已导入，但错误行写不到 {rejects_out}（{exc.strerror}）：换个文件夹，再运行同一命令导出"
            ) from None
        click.echo(f"错误行已写到 {rejects_out}")


def _import_report(file: Path, report, rejects_out: Path | None) -> None:
    """Echo what an import did (counts, layout, unused columns, skipped sheets, the first errors)."""
    from storage.reflists import report_lines

    lines = report_lines(report)
    click.echo(lines[0])
    if report.skipped_sheets:
        click.echo(
            f"  没有读的工作表（表头认不出，看来不是名单）：{'、'.join(report.skipped_sheets)}。"
            "其中若有名单：用 --map 指定列，加 --replace 重新导入这个文件"
        )
    for line in lines[1:]:
        click.echo(line)
    if report.rows_rejected > 10:
        click.echo(
            f"  ……共 {report.rows_rejected} 行错误" + ("" if rejects_out else "（--rejects 文件.xlsx 导出全部）")
        )


@cli.command("lists")
@db_option
@handled
def lists_cmd(db_path: Path | None) -> None:
    """已导入的外部名单。"""
    from storage.models import ImportBatch
    from storage.sources.profiles import profiles

    open_office_db(db_path)
    sources, _ = profiles()
    rows = list(ImportBatch.select().order_by(ImportBatch.id))
    if not rows:
        click.echo("还没有导入外部名单（hecha import-list --source 来源 文件）。")
        return
    table(
        ("批次", "来源", "文件", "导入时间", "读", "导入", "错误", "号码未用", "状态"),
        [
            (
                b.id,
                sources.get(b.source, b.source),
                b.file_name,
                local_time(b.imported_at),
                b.rows_read,
                b.rows_loaded,
                b.rows_rejected,
                b.rows_warned,
                {"active": "在用", "loading": "正在导入（或中断）"}.get(b.status, "已替换"),
            )
            for b in rows
        ],
        frozenset({4, 5, 6, 7}),
    )
    import json

    for b in rows:
        unused = json.loads(b.unused_columns or "[]")
        if unused and b.status == "active":
            click.echo(f"批次 {b.id} 未使用的列：{'、'.join(unused)}")


@cli.group()
def recheck() -> None:
    """质量复查：抽取登记表、查看差异、判定（复录在全屏界面“质量复查”里做）。"""


@recheck.command("choose")
@click.option(
    "--every", type=click.IntRange(1, 1_000_000), default=None, help="按录入顺序每隔 N 份抽 1 份（第 N、2N … 份）"
)
@click.option("--per-village", type=click.IntRange(1, 1_000_000), default=None, help="每个村随机抽 K 份")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=None, help="随机抽样的种子（不给则随机产生并记下）")
@click.option("--village", default="", help="只抽一个村（12位代码）或代码前缀")
@db_option
@handled
def recheck_choose(
    every: int | None, per_village: int | None, seed: int | None, village: str, db_path: Path | None
) -> None:
    """抽取要复录的登记表：--every N 或 --per-village K（二选一）。"""
    from storage.recheck import choose_every, choose_sample, nothing_to_choose

    if (every is None) == (per_village is None):
        raise HechaError("请给出 --every N（每隔N份抽1份）或 --per-village K（每村随机抽K份）中的一个。")
    if seed is not None and every is not None:
        raise HechaError("--seed 只用于 --per-village（随机抽样）；--every 按录入顺序抽，不用种子。")
    open_office_db(db_path)
    if every is not None:
        rows = choose_every(every, village=village)
    else:
        assert per_village is not None  # exactly one of the two, checked above
        rows = choose_sample(per_village, seed=seed, village=village)
    if not rows:
        click.echo(nothing_to_choose() + "。")
        return
    click.echo(f"已抽取 {len(rows)} 份登记表待复录（方案 {rows[0].plan}）：")
    table(
        ("任务", "登记表编号", "户编码", "原录入员"),
        [(r.id, r.form_no or "—", r.household_code, r.first_operator or "—") for r in rows],
    )


@recheck.command("list")
@click.option("--status", type=click.Choice(["pending", "keyed", "decided"]), default=None, help="只列一种状态")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0, 2**62), help="从第几条开始（分页）")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000), help="最多列出几条")
@db_option
@handled
def recheck_list(status: str | None, offset: int, limit: int, db_path: Path | None) -> None:
    """列出复查任务：待复查（等复录）、待判定、已判定。"""
    from storage.recheck import STATUS_NAMES, list_rechecks

    open_office_db(db_path)
    rows = list_rechecks(status or "", offset=offset, limit=limit)
    if not rows:
        click.echo(f"没有{STATUS_NAMES[status]}的复查任务。" if status else "没有复查任务。")
        return
    table(
        ("任务", "状态", "登记表编号", "户编码", "原录入员", "复录员", "比对项", "差异"),
        [
            (
                r.id,
                STATUS_NAMES[r.status],
                r.form_no or "—",
                r.household_code,
                r.first_operator or "—",
                r.second_operator or "—",
                r.fields_compared,
                r.differences,
            )
            for r in rows
        ],
        frozenset({6, 7}),
    )


@recheck.command("show")
@click.argument("recheck_id", type=ROW_ID)
@db_option
@handled
def recheck_show(recheck_id: int, db_path: Path | None) -> None:
    """一份复查的逐项差异（差异编号用于 decide）。"""
    from storage.models import Recheck, RecheckDiff
    from storage.recheck import DECISIONS, STATUS_NAMES, RecheckError, shown

    open_office_db(db_path)
    row = Recheck.get_or_none(Recheck.id == recheck_id)
    if row is None:
        raise RecheckError(f"没有编号为 {recheck_id} 的复查任务：用 hecha recheck list 查看")
    click.echo(
        f"复查任务 {row.id}：登记表 {row.form_no or '—'}  户 {row.household_code}  {STATUS_NAMES[row.status]}  "
        f"原录入 {row.first_operator or '—'}  复录 {row.second_operator or '—'}  比对 {row.fields_compared} 项，差异 "
        f"{row.differences} 项"
        f"  抽取 {local_time(row.chosen_at)[:10]} {row.chosen_by}（方案 {row.plan}）"
    )
    diffs = list(RecheckDiff.select().where(RecheckDiff.recheck == row).order_by(RecheckDiff.id))
    if diffs:
        table(
            ("差异", "位置", "原录入", "复录", "判定"),
            [
                (
                    d.id,
                    d.label,
                    shown(d.section, d.field, d.first_value),
                    shown(d.section, d.field, d.second_value),
                    DECISIONS.get(d.decision, "待判定"),
                )
                for d in diffs
            ],
        )


@recheck.command("key")
@click.argument("recheck_id", type=ROW_ID)
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@handled
def recheck_key(recheck_id: int, file: Path, db_path: Path | None) -> None:
    """复录：把照纸质登记表另行录入的一户（JSON，格式同 hecha household show）与原录入比对。"""
    import json

    from storage.forms import form_from_dict
    from storage.recheck import record_second_keying

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise HechaError(f"{file} 读不出登记表（{exc}）：应为与 hecha household show 同格式的 JSON（UTF-8）") from None
    form = form_from_dict(data)  # a field of the wrong shape is named (FormDataError)
    open_office_db(db_path)
    row = record_second_keying(recheck_id, form)
    click.echo(
        f"复录已比对：{row.fields_compared} 项，差异 {row.differences} 项"
        + ("（hecha recheck show 查看、decide 判定）" if row.differences else "")
    )


@recheck.command("decide")
@click.argument("decision", type=click.Choice(["first", "second", "neither"]))
@click.argument("diff_ids", nargs=-1, required=True, type=ROW_ID)
@db_option
@handled
def recheck_decide(decision: str, diff_ids: tuple[int, ...], db_path: Path | None) -> None:
    """判定差异：first 原录入正确、second 复查正确（按复录值更正户记录）、neither 两次都错。

    hecha recheck decide second 12 13（按顺序判定，遇到不能判定的一项即停）
    """
    from storage.recheck import DECISIONS, decide

    open_office_db(db_path)
    for diff_id in diff_ids:
        done = decide(diff_id, decision)
        d = done.diff
        click.echo(f"差异 {d.id}（{d.label}）：{DECISIONS[decision]}" + ("，已更正户记录" if done.corrected else ""))
        for warning in done.confirmed:
            click.echo(f"  已一并确认提示：{warning}")
        if done.todo:
            click.echo(f"  {done.todo}")


@recheck.command("withdraw")
@click.argument("recheck_id", type=ROW_ID)
@click.option("--yes", is_flag=True, help="不询问，直接撤销")
@db_option
@handled
def recheck_withdraw(recheck_id: int, yes: bool, db_path: Path | None) -> None:
    """撤销一个还没有判定的复查任务（抽错了、户已删除）。"""
    from storage.recheck import delete_recheck, withdrawable

    open_office_db(db_path)
    withdrawable(recheck_id)  # say why not before asking
    if not yes:
        click.confirm(f"撤销复查任务 {recheck_id}（复录内容一并删除）？", abort=True)
    delete_recheck(recheck_id)
    click.echo(f"已撤销复查任务 {recheck_id}。")


@recheck.command("report")
@db_option
@handled
def recheck_report(db_path: Path | None) -> None:
    """每个录入员的质量复查差错率。"""
    from storage.recheck import clerk_rates

    open_office_db(db_path)
    echo_rates(clerk_rates())


@cli.command()
@db_option
@handled
def status(db_path: Path | None) -> None:
    """本单位概况：户数、人数、出生数、数据包。"""
    from storage.models import BundleLog, PeerOffice
    from storage.office import live_counts

    office = open_office_db(db_path)
    c = live_counts()
    click.echo(f"{office.full_name}（{office.code}）{'【演示】' if office.is_demo else ''}")
    click.echo(f"户 {c['household']}  人 {c['person']}  出生 {c['birth']}")
    click.echo(f"已登记单位：{', '.join(p.code for p in PeerOffice.select()) or '无'}")
    states = {"exported": "已导出", "imported": "已导入", "held": "暂存（等缺号）"}
    for b in BundleLog.select().order_by(BundleLog.id.desc()).limit(5):
        click.echo(
            f"{'导出' if b.direction == 'out' else '导入'} {b.sender}→{b.recipient} 第{b.sequence}号 "
            f"{states.get(b.status, b.status)} {local_time(b.at)}" + (f"（第{b.epoch}纪元）" if b.epoch > 1 else "")
        )


@cli.command()
@click.option("--quiet", "-q", is_flag=True, help="只列出要注意的和错误")
@db_option
def doctor(quiet: bool, db_path: Path | None) -> None:
    """检查本机能否正常使用 hecha：Python 和程序包版本、字符编码和终端、数据库（完整性、权限、结构版本）、
    磁盘空间、最近的备份和数据包、工作日日历、县里的公钥。每一项都说明怎么解决。退出状态：0 正常，1 有要注意的，
    2 有错误。"""
    from storage import doctor as doc
    from storage import program_version
    from storage.paths import default_db_path

    path = given_db(db_path) or default_db_path()
    click.echo(f"hecha {program_version()}，数据库 {path}")
    findings = doc.run(path)
    for f in findings:
        if not quiet or f.level != doc.OK:
            click.echo(f.line())
    counts = {level: sum(f.level == level for f in findings) for level in (doc.ERROR, doc.WARN)}
    click.echo(f"共 {len(findings)} 项：错误 {counts[doc.ERROR]}，要注意 {counts[doc.WARN]}。")
    sys.exit(doc.worst(findings))


@cli.command()
@db_option
@handled
def migrate(db_path: Path | None) -> None:
    """升级数据库结构到本程序的版本（先在 backups 文件夹里备份）。安装新版后 install.sh 会运行它；不运行也行：
    打开 hecha 时同样会先备份再升级。数据库比程序新时拒绝，什么都不改。"""
    from storage.db import SCHEMA_VERSION
    from storage.db import migrate as migrate_db

    path = resolve_db(db_path)
    before = migrate_db(path)
    if before == SCHEMA_VERSION:
        click.echo(f"数据库已是第 {SCHEMA_VERSION} 版结构，不用升级。")
    else:
        click.echo(
            f"数据库结构已从第 {before} 版升级到第 {SCHEMA_VERSION} 版；升级前的备份在 {path.parent / 'backups'}。"
        )


@cli.command()
@click.option("--village", default=None, help="只查一个村（12位代码）")
@click.option("--household", default=None, help="只查一户（18位户编码）")
@click.option("--all", "include_confirmed", is_flag=True, help="也列出已确认的提示")
@db_option
@handled
def check(village: str | None, household: str | None, include_confirmed: bool, db_path: Path | None) -> None:
    """审核校验：列出数据库中的全部错误和提示（按级别），有错误时退出状态为 1。"""
    from storage.check import check_database
    from storage.models import Household

    open_office_db(db_path)
    for option, value, column in (
        ("--village", village, Household.village_code),
        ("--household", household, Household.household_code),
    ):
        if value and not Household.select().where(column.startswith(value) & (Household.deleted == False)).exists():
            raise HechaError(f"{option} {value}：没有这样的户（村代码可只写开头，户编码写18位或开头）。")
    found = sorted(
        check_database(village=village, household=household, include_confirmed=include_confirmed, remember=True),
        key=lambda x: (x.level != "error", x.household_code, x.finding.index),
    )
    errors = [x for x in found if x.level == "error"]
    warnings = [x for x in found if x.level != "error"]
    for x in errors + warnings:
        click.echo(x.line() + ("（已确认）" if x.finding.confirmed else ""))
    click.echo(f"共 {len(errors)} 处错误，{len(warnings)} 处提示。", err=True)
    if errors:
        sys.exit(1)


@cli.command()
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650), help="最近几天（1–3650）")
@db_option
@handled
def clerks(days: int, db_path: Path | None) -> None:
    """录入员工作量：每人每天录入的户数、人数、平均每户用时（秒）、修改的户数；质量复查差错率。"""
    import datetime as dt

    from storage.recheck import clerk_rates
    from storage.stats import clerk_days

    open_office_db(db_path)
    from storage.idnumber import real_day

    rows = clerk_days(real_day() - dt.timedelta(days=days))  # a window of real days: the clerks' work
    if rows:
        table(
            ("日期", "录入员", "新录户", "人数", "平均每户(秒)", "修改户"),
            [(r.day, r.operator, r.forms, r.persons, f"{r.average_seconds:.0f}", r.edits) for r in rows],
            frozenset({2, 3, 4, 5}),
        )
    else:
        click.echo(f"最近{days}天没有在全屏界面保存过登记表。")
    echo_rates(clerk_rates())


def echo_rates(rates) -> None:
    """The per-clerk recheck table (hecha clerks, hecha recheck report)."""
    if not rates:
        click.echo("还没有完成复录的质量复查（hecha recheck choose 抽取登记表）。")
        return
    click.echo("\n质量复查（差错率 = 判定为录入差错的项 / 比对项）：")
    table(
        ("录入员", "被复查表", "比对项", "差错", "差错率", "待判定", "复录表", "复录差错"),
        [
            (
                r.operator or "（不明）",
                r.forms,
                r.fields,
                r.errors,
                f"{r.rate:.2%}",
                r.undecided,
                r.rechecked,
                r.recheck_errors,
            )
            for r in rates
        ],
        frozenset(range(1, 8)),
    )


@cli.command("reference-date")
@click.argument("day", required=False)
@click.option("--clear", is_flag=True, help="不再用标准时点：年龄按检查当天算")
@db_option
@handled
def reference_date_cmd(day: str | None, clear: bool, db_path: Path | None) -> None:
    """本次核查的标准时点（YYYYMMDD）：年龄、育龄妇女（15–49岁）、婚龄都按这一天算，不按检查当天算。
    不带参数时显示当前设置。"""
    import datetime as dt

    from storage.dates import DateInputError, parse_typed
    from storage.office import reference_date, set_reference_date

    open_office_db(db_path)
    if clear and day:
        raise HechaError("--clear 是不再用标准时点，不能同时给日期：二者选一。")
    if clear or day:
        if day:
            try:
                iso, prec = parse_typed(day)
            except DateInputError as exc:
                raise HechaError(str(exc)) from None
            if prec != "D":
                raise HechaError("标准时点要写到日：YYYYMMDD")
        set_reference_date(dt.date.fromisoformat(iso) if day else None)
    current = reference_date()
    click.echo(f"标准时点：{current:%Y年%m月%d日}" if current else "没有设标准时点：年龄按检查当天算")


@cli.command("rebaseline")
@click.option(
    "--epoch", type=click.IntRange(2, 10**6), default=None, help="县里说已见过本单位的纪元时，用它给的新纪元号"
)
@click.option("--yes", is_flag=True, help="不再询问")
@db_option
@handled
def rebaseline_cmd(epoch: int | None, yes: bool, db_path: Path | None) -> None:
    """数据库被人直接用旧备份覆盖过（没有用 hecha restore），县里拒收（B08 序号重复、B10 链断开）时：
    开始新的纪元，下一个数据包带上本单位全部记录，县里据此重新接上。"""
    from export import keys
    from storage.db import rebaseline

    me = open_office_db(db_path)
    if me.level != "township":
        raise HechaError("重新接链用于乡镇数据库：县里不用")
    from storage.models import BundleLog

    if not BundleLog.select().where(BundleLog.direction == "out").exists():
        raise HechaError(f"本乡镇还没有导出过数据包，没有要重新接上的链：直接 {hecha_on(db_path)} export 即可")
    if keys.has_keys():
        keys.unlock(read_passphrase("本单位口令（重新接链要负责人的口令）"))
    if not yes:
        click.confirm(
            f"{me.name} 开始新的纪元？下一个数据包将带上本单位全部记录（第 {me.epoch} 纪元的序号作废）", abort=True
        )
    new = rebaseline(epoch)
    then = f"{hecha_on(db_path)} export"
    click.echo(f"已开始第 {new} 纪元。下一步：{then} 导出数据包（带上本单位全部记录），交县里导入；")
    click.echo("县里本库较新而内容不同的记录会列为冲突（hecha conflicts），由县里裁定后发回本乡镇。")


@cli.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path))  # a folder or a missing file: said in Chinese
@click.option("--yes", is_flag=True, help="不再询问，直接恢复")
@db_option
@handled
def restore_cmd(backup_file: Path, yes: bool, db_path: Path | None) -> None:
    """用备份恢复本单位数据库。当前数据库改名留存（不删除）；恢复后开始新的纪元，下一个数据包带上
    本单位的全部记录，县里据此重新接上（不会再因为序号接不上而拒收）。"""
    from storage.db import OPEN_ELSEWHERE, alone, check_backup, close_db, restore
    from storage.errors import OperatorError

    path = resolve_db(db_path)
    check_backup(backup_file, path)  # said before the passphrase and the question, not after them
    with alone(path, OPEN_ELSEWHERE):
        pass
    if not yes:  # asked before the database is opened: opening an old one upgrades it (a breaker's finding)
        click.confirm(
            f"用备份 {backup_file} 替换数据库 {path}？备份之后录入的内容将不在本机（县里已收到的仍在）", abort=True
        )
    try:  # where the office has keys, a restore is the head of office's (the passphrase holder's) to make
        open_office_db(path)  # and a signed-in operator's, where the office has them
        from export import keys

        guarded = keys.has_keys()
    except OperatorError:  # a database that cannot be opened: nothing to check the passphrase against
        guarded = False
    if guarded:
        keys.unlock(read_passphrase("本单位口令（恢复备份要负责人的口令）"))
    close_db()
    kept, epoch = restore(backup_file, path)
    click.echo(f"已恢复：{path}（第 {epoch} 纪元：从这次起重新计数，下一个数据包带上本单位的全部记录）")
    if kept:
        click.echo(f"原数据库留存为：{kept}")
    click.echo(f"下一步：{hecha_on(db_path)} export 导出数据包（带上本单位全部记录），交县里导入。")


@cli.group()
def audit() -> None:
    """审计记录（每一处改动：谁、何时、改了什么）。"""


@audit.command("verify")
@db_option
@handled
def audit_verify(db_path: Path | None) -> None:
    """核对审计记录：哈希链是否完整（有没有被改、删、调换），本单位的每条记录是否都与审计记录一致
    （有没有绕过 hecha 直接改数据库）。发现问题时退出状态为 1。"""
    from storage.audit import verify
    from storage.models import AuditLog

    open_office_db(db_path)
    problems = list(verify())
    for p in problems:
        click.echo(p.text)
    if problems:
        click.echo(
            "下一步：先不要导出；请负责人与县里核对。这些改动没有经过 hecha，县里不会接受（B16）："
            f"找出改动发生的时间，用那之前的备份恢复（{hecha_on(db_path)} restore），再把之后的正常修改重新录入。"
        )
        raise click.exceptions.Exit(1)
    click.echo(f"审计记录完整：{AuditLog.select().count()} 条，哈希链无断点；本单位的记录都与审计记录一致。")


@cli.group()
def operators() -> None:
    """录入员（多人共用一个系统账户时）：每人用自己的名字和 PIN 登录，修改记录记在这个名字下。"""


def _head_of_office() -> None:
    """Adding, resetting or removing a named operator takes the office passphrase (the head of
    office's): a clerk cannot give himself another clerk's name, and a forgotten or locked PIN is
    reset without anyone signed in. Refused where the office has no keys yet, or without a terminal."""
    from export import keys

    if not keys.has_keys():
        raise HechaError("录入员的登记和重设 PIN 要本单位口令（负责人）：请先运行 hecha keys new 设好密钥和口令。")
    if not sys.stdin.isatty() and not os.environ.get(PASSPHRASE_ENV):
        raise HechaError("登记录入员要在终端里运行（要输入口令和 PIN）。")
    keys.unlock(read_passphrase("本单位口令（负责人）"))


@operators.command("add")
@click.argument("name")
@db_option
@handled
def operators_add(name: str, db_path: Path | None) -> None:
    """登记录入员（姓名）并设 PIN（4–8位数字；已登记的则重设 PIN 并解锁）。有密钥的单位要输入本单位口令。
    登记了第一个录入员之后，hecha 的界面和命令都要先用名字和 PIN 登录。"""
    from storage import operators as ops

    open_office_db(db_path, sign_in=False)  # the passphrase stands for it: a locked-out office gets back in
    name = ops.clean_name(name)
    _head_of_office()
    pin = ops.clean_pin(click.prompt("新 PIN（4–8位数字）", hide_input=True))
    if ops.clean_pin(click.prompt("再输入一次", hide_input=True)) != pin:
        raise HechaError("两次输入的 PIN 不一样，没有登记。")
    row, new = ops.add(name, pin)
    if new:
        click.echo(f"已登记录入员「{row.login}」。以后打开 hecha 要先用名字和 PIN 登录。")
    else:
        click.echo(f"已重设「{row.login}」的 PIN，并已解锁。")


@operators.command("list")
@db_option
@handled
def operators_list(db_path: Path | None) -> None:
    """列出登记的录入员（名字、登记时间、是否锁定）。"""
    from storage import operators as ops
    from storage.db import now_iso
    from storage.operators import REMOVED

    open_office_db(db_path)
    rows = ops.named()
    if not rows:
        click.echo("没有登记录入员：各人用自己的系统账户，修改记录记在系统账户名下。")
        return

    def state(o) -> str:
        if o.pin_hash == REMOVED:
            return "已停用"
        if o.locked_until and o.locked_until > now_iso():
            return f"锁定到 {local_time(o.locked_until)[11:]}"
        return "可用"

    table(("录入员", "登记时间", "状态"), [(o.login, local_time(o.created_at), state(o)) for o in rows])


@operators.command("remove")
@click.argument("name")
@db_option
@handled
def operators_remove(name: str, db_path: Path | None) -> None:
    """停用录入员（不能再登录；他做过的修改仍记在他名下）。有密钥的单位要输入本单位口令。"""
    from storage import operators as ops

    open_office_db(db_path, sign_in=False)
    _head_of_office()
    ops.remove(name)
    click.echo(f"已停用录入员「{name}」。")
    if not ops.required():
        click.echo("这是最后一个录入员：以后打开 hecha 不再要求登录，修改记录记在系统账户名下。")


@cli.command()
@click.option("--keep", default=10, show_default=True, type=click.IntRange(1, 1000), help="保留最近几份备份（1–1000）")
@click.option("--daily", is_flag=True, help="每日备份：今天已有就不再备份；保留最近7天和最近4周每周一份（适合 cron）")
@db_option
@handled
def backup(keep: int, daily: bool, db_path: Path | None) -> None:
    """备份数据库（SQLite 在线备份，可在录入时运行；适合每晚由 cron 运行）。"""
    from storage.db import backup as backup_db
    from storage.db import daily_backup

    path = resolve_db(db_path)
    open_office_db(path, sign_in=False)
    if daily:
        made = daily_backup(path)
        click.echo(str(made) if made else "今天已经备份过。")
        return
    click.echo(str(backup_db(path, reason="manual", keep=keep)))


# ------------------------------------------------------------------------------ 协查 (issue 17)
@cli.group("assist", invoke_without_command=True)
@click.option("--sent", "role", flag_value="sent", help="列本单位发出的（默认：收到待回复的）")
@click.option("--relay", "role", flag_value="relay", help="县级：列转发中等待分派的")
@click.option("--all", "show_all", is_flag=True, help="连已回复、已核实的一起列出")
@click.option("--offset", default=0, type=click.IntRange(0), help="跳过前几件（分页）")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000), help="最多列出几件")
@db_option
@click.pass_context
@handled
def assist_cmd(
    ctx: click.Context, role: str | None, show_all: bool, offset: int, limit: int, db_path: Path | None
) -> None:
    """协查：收到的待回复协查，按到期日排在前（剩余或逾期的工作日）。"""
    if ctx.invoked_subcommand:
        return
    from storage import assist

    office = open_office_db(db_path)
    role = role or ("relay" if office.level == "county" else "received")
    rows = assist.inbox(role, open_only=not show_all, offset=offset, limit=limit)
    total = assist.count(role, open_only=not show_all)
    what = {"received": "收到的协查", "sent": "本单位发出的协查", "relay": "等待分派的协查"}[role]
    if not rows:
        none = f"没有{'' if show_all else '待处理的'}{what}。"
        click.echo(none if not offset else f"共 {total} 件，--offset 已超出。")
        return
    table(
        ("编号", "对象", "对方单位", "到期日", "状态", "紧急"),
        [
            (
                r.request_no,
                assist.printable(r.name),
                assist.printable(f"{r.origin_name}（{r.origin}）" if role != "sent" else r.to_name),
                (r.due + ("（暂定）" if r.provisional else "")) if r.due else "—",
                r.state,
                assist.PRIORITIES.get(r.priority, ""),
            )
            for r in rows
        ],
    )
    then = {
        "received": "回复：hecha assist reply 编号 --outcome 一致",
        "sent": "收到回复后核实：hecha assist verify 编号",
        "relay": "分派：hecha assist route 编号 单位代码",
    }[role]
    click.echo(f"共 {total} 件{what}。查看：hecha assist show 编号；{then}")


@assist_cmd.command("show")
@click.argument("ref", metavar="编号")
@db_option
@handled
def assist_show(ref: str, db_path: Path | None) -> None:
    """一件协查的全部内容：对象、所问事项、本地可能是同一人的人员、回复和经过。"""
    from storage import assist

    open_office_db(db_path)
    req = assist.find(ref)
    assist.opened(req)
    for line in assist.describe(req, local_time):
        click.echo(line)


def _subject_options(func):
    for opt in reversed(
        [
            click.option("--person", "person_ref", default="", help="本单位的人员：身份证号或 uid"),
            click.option("--birth", "birth_uid", default="", help="本单位的出生记录：孩子的身份证号，或出生记录 uid"),
            click.option("--migration", "migration_uid", default="", help="本单位的流动记录 uid"),
            click.option("--finding", "finding", default="", help="外地出生的比对结果编号（hecha reconcile 列出的）"),
            click.option("--duplicate", nargs=2, default=None, help="疑似重复、另一条属于别的单位的两人：甲uid 乙uid"),
            click.option("--name", default="", help="手工发起：对象姓名"),
            click.option("--id-number", default="", help="手工发起：对象身份证号"),
            click.option("--birth-date", default="", help="手工发起：对象出生日期 YYYYMMDD"),
            click.option("--child-name", default="", help="手工发起：孩子姓名"),
            click.option("--child-birth-date", default="", help="手工发起：孩子出生日期 YYYYMMDD"),
        ]
    ):
        func = opt(func)
    return func


@assist_cmd.command("new")
@_subject_options
@click.option("--county", default="", help="对方县的6位区划代码（默认：对象户籍地或流入地所在的县）")
@click.option("--township", default="", help="对方乡镇的9位区划代码（知道时填）")
@click.option("--item", "items", multiple=True, help="所问事项（可多次）：exists birth birth_cert address marriage …")
@click.option("--priority", default="3", type=click.Choice(["1", "2", "3"]), help="1 紧急（现孕）、2 急、3 一般")
@click.option("--kind", default="", help="协查类别：birth 出生核查、migrant 流动人口、person 人员、pregnancy 孕情")
@click.option("--question", default="", help="说明：请对方核实什么")
@db_option
@handled
def assist_new(
    person_ref: str,
    birth_uid: str,
    migration_uid: str,
    finding: str,
    duplicate: tuple[str, str] | None,
    name: str,
    id_number: str,
    birth_date: str,
    child_name: str,
    child_birth_date: str,
    county: str,
    township: str,
    items: tuple[str, ...],
    priority: str,
    kind: str,
    question: str,
    db_path: Path | None,
) -> None:
    """发起协查：关于本单位的人员、出生、流动记录、外地出生的比对结果、属于别的单位的疑似重复，
    或手工填写的对象。
    随下一个数据包发往县里，由县里转给对方。"""
    from storage import assist
    from storage.dates import parse_typed

    open_office_db(db_path)
    kw: dict = dict(priority=priority, question=question)
    if items:
        kw["items"] = items
    if kind:
        kw["kind"] = kind
    given = [x for x in (person_ref, birth_uid, migration_uid, finding, duplicate) if x]
    if len(given) > 1:
        raise HechaError("--person、--birth、--migration、--finding、--duplicate 只能给一个。")
    if person_ref:
        from storage.models import Person

        p = Person.get_or_none(
            ((Person.uid == person_ref) | (Person.id_number == person_ref.upper())) & (Person.deleted == False)  # noqa: E712
        )
        if p is None:
            raise HechaError(f"本单位没有人员「{person_ref}」：请给身份证号或 uid。")
        req = assist.from_person(p.uid, to_county=county, to_township=township, source="hand", **kw)
    elif birth_uid:
        req = assist.from_birth(birth_uid, to_county=county, to_township=township, **kw)
    elif migration_uid:
        req = assist.from_migration(migration_uid, **kw)
    elif finding:
        req = assist.from_finding(finding, **kw)
    elif duplicate:
        req = assist.from_duplicate(*duplicate, **kw)
    else:
        if not (name or id_number or child_name):
            raise HechaError("要说明协查谁：--person、--birth、--migration、--finding，或 --name/--id-number。")
        subject = dict(name=name, id_number=id_number.upper(), child_name=child_name)
        if birth_date:
            subject["birth_date"] = parse_typed(birth_date)[0]
        if child_birth_date:
            subject["child_birth_date"] = parse_typed(child_birth_date)[0]
        if not county and len(id_number) >= 6:
            county = id_number[:6]
        req = assist.raise_request(to_county=county, to_township=township, subject=subject, **kw)
    to = req.to_township or req.to_county
    click.echo(f"已发起协查 {req.request_no}，发往 {req.to_name}（{to}）；随下一个数据包发出。")


@assist_cmd.command("reply")
@click.argument("ref", metavar="编号")
@click.option("--outcome", required=True, type=click.Choice(["一致", "不一致", "查无此人", "已迁出"]), help="核实结果")
@click.option("--set", "sets", multiple=True, help="不一致时核实到的情况，如 出生日期=20260503（可多次）")
@click.option("--moved-to", default="", help="已迁出时：迁往何处（地址或区划代码）")
@click.option("--note", default="", help="说明")
@click.option("--visited", is_flag=True, help="已入户核实")
@db_option
@handled
def assist_reply(
    ref: str, outcome: str, sets: tuple[str, ...], moved_to: str, note: str, visited: bool, db_path: Path | None
) -> None:
    """回复收到的协查；随下一个数据包发往县里，转回发起单位。"""
    from storage import assist

    open_office_db(db_path)
    by_label = {v: k for k, v in assist.CORRECTABLE.items()}
    fixed = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep:
            raise HechaError(f"--set {item}：应写成 字段=值，如 出生日期=20260503")
        fixed[by_label.get(key.strip(), key.strip())] = value.strip()
    req = assist.find(ref)
    ans = assist.reply(req.uid, outcome, corrections=fixed, moved_to=moved_to, note=note, visited=visited)
    due = f"（应于 {ans.due_date} 前，{'按时' if not ans.due_date or ans.replied_on <= ans.due_date else '逾期'}）"
    click.echo(f"已回复协查 {req.request_no}：{outcome}{due}；随下一个数据包发出。")


@assist_cmd.command("visit")
@click.argument("ref", metavar="编号")
@click.option("--note", default="", help="入户情况")
@db_option
@handled
def assist_visit(ref: str, note: str, db_path: Path | None) -> None:
    """记下为这件协查入户核实过（写进协查经过）。"""
    from storage import assist

    open_office_db(db_path)
    assist.record_visit(ref, note)
    click.echo("已记下入户核实。")


@assist_cmd.command("verify")
@click.argument("ref", metavar="编号")
@click.option("--no-apply", is_flag=True, help="不按回复改本单位的记录（已手工更正，或不采纳）")
@db_option
@handled
def assist_verify(ref: str, no_apply: bool, db_path: Path | None) -> None:
    """核实收到的回复：不一致时按回复更正本单位的人员和出生记录，协查关闭。"""
    from storage import assist

    open_office_db(db_path)
    ans = assist.verify(ref, apply=not no_apply)
    click.echo(f"已核实：{assist.OUTCOMES[ans.outcome]}" + (f"；{ans.applied}" if ans.applied else "") + "。")


@assist_cmd.command("route")
@click.argument("ref", metavar="编号")
@click.argument("code", metavar="单位代码")
@db_option
@handled
def assist_route(ref: str, code: str, db_path: Path | None) -> None:
    """县级：把等待分派的协查转给本县乡镇（9位）或外县（6位）。"""
    from storage import assist

    open_office_db(db_path)
    req = assist.route(ref, code)
    click.echo(f"协查 {req.request_no} 已分派给 {req.next_hop}：随下一个发往它的数据包发出（hecha export）。")


@assist_cmd.command("stats")
@click.option("--month", default="", help="只列一个月，如 2026-10")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="另存为 .xlsx 表格")
@db_option
@handled
def assist_stats(month: str, out: Path | None, db_path: Path | None) -> None:
    """协查统计（按单位、按月）：发出、收到外地、已回复（按时、逾期）、已核实。"""
    import re

    from storage import assist

    if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise HechaError(f"--month {month}：应写成 2026-10 这样（年-月）。")
    open_office_db(db_path)
    rows = assist.stats(month)
    header = ("月份", "单位", "发出", "收到外地", "已回复", "按时", "逾期", "已核实")
    from storage.office import division_name

    values = [
        (
            r.month,
            f"{division_name(r.office)}（{r.office}）",
            r.sent,
            r.received,
            r.answered,
            r.on_time,
            r.late,
            r.verified,
        )
        for r in rows
    ]
    if out is not None:
        _check_out(out, (".xlsx",), "assist-stats.xlsx")
        from export.sheets import write_assist_stats

        write_assist_stats(out)
        click.echo(f"已写出 {out}")
        return
    if not rows:
        click.echo("还没有协查。")
        return
    table(header, values, frozenset(range(2, 8)))


@cli.group("migrants", invoke_without_command=True)
@click.option("--direction", type=click.Choice(["流入", "流出", "1", "2"]), default=None, help="只列流入或流出")
@click.option("--village", default="", help="村：12位代码或村名")
@click.option("--county", "other_county", default="", help="对方县（流入的户籍地、流出的去向）6位代码")
@click.option("--all", "show_all", is_flag=True, help="连已返回、已结束的一起列出（默认只列在外或在本地的）")
@click.option("--offset", default=0, type=click.IntRange(0), help="跳过前几条（分页）")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000), help="最多列出几条")
@db_option
@click.pass_context
@handled
def migrants_cmd(
    ctx: click.Context,
    direction: str | None,
    village: str,
    other_county: str,
    show_all: bool,
    offset: int,
    limit: int,
    db_path: Path | None,
) -> None:
    """流动人口：流入、流出的人，从哪来、到哪去、从何时起、现在的状态。"""
    if ctx.invoked_subcommand:
        return
    from storage import migrants
    from storage.office import village_label

    open_office_db(db_path)
    import unicodedata

    from storage import divisions

    way = {"流入": "1", "流出": "2"}.get(direction or "", direction or "")
    code = _village_code(village) if village else ""
    other_county = unicodedata.normalize("NFKC", other_county).strip()
    if other_county and not (len(other_county) == 6 and other_county.isascii() and other_county.isdigit()):
        raise HechaError(f"--county {other_county}：应为6位县级区划代码，如 130125")
    if other_county and divisions.lookup(other_county) is None:
        raise HechaError(f"--county {other_county}：国家统计局区划代码里没有这个县，请核对")
    rows = migrants.page(way, code, other_county, not show_all, offset=offset, limit=limit)
    total = migrants.count(way, code, other_county, not show_all)
    if not rows:
        click.echo("没有符合条件的流动人口。" if not offset else f"共 {total} 条，--offset 已超出。")
        return
    table(
        ("姓名", "身份证号", "村", "流向", "从哪来/到哪去", "起始", "状态", "流动记录 uid"),
        [
            (r.name, r.id_number, village_label(r.village_code), r.direction_text, r.place, r.since, r.status, r.uid)
            for r in rows
        ],
    )
    click.echo(f"共 {total} 条。发协查：hecha assist new --migration 流动记录uid")


@migrants_cmd.command("months")
@click.option("--village", default="", help="村：12位代码或村名")
@click.option("--year", default="", help="只列一年，如 2026")
@db_option
@handled
def migrants_months(village: str, year: str, db_path: Path | None) -> None:
    """流动人口按村、按月统计：当月开始流入、流出的人数。"""
    from storage import migrants
    from storage.office import village_label

    if year and not (len(year) == 4 and year.isascii() and year.isdigit()):
        raise HechaError(f"--year {year}：应为4位年份，如 2026")
    open_office_db(db_path)
    rows = migrants.monthly(_village_code(village) if village else "", year)
    if not rows:
        click.echo("没有记了流动日期的流动人口。")
        return
    table(
        ("村", "月份", "流入", "流出"),
        [(village_label(r.village_code), r.month, r.inflow, r.outflow) for r in rows],
        frozenset({2, 3}),
    )


@migrants_cmd.command("gpl")
@click.option(
    "--batch",
    "batch_id",
    type=click.IntRange(1),
    default=None,
    help="名单批次号（hecha lists 列出；默认最新的 GPL 名单）",
)
@click.option("--direction", type=click.Choice(["流入", "流出", "1", "2"]), default=None, help="表里没有流动类型时用")
@db_option
@handled
def migrants_gpl(batch_id: int | None, direction: str | None, db_path: Path | None) -> None:
    """把导入的流动人口系统（GPL）名单放进本乡人员的流动记录；对不上的逐行列出。"""
    from storage import migrants

    open_office_db(db_path)
    result = migrants.apply_gpl(batch_id, direction=direction or "")
    click.echo(result.summary())
    if result.unmatched:
        click.echo("没有放进流动记录的行：")
        table(("行", "姓名", "身份证号", "原因"), result.unmatched)
    if result.warnings:
        click.echo("已放进流动记录、请核对的行：")
        table(("行", "姓名", "身份证号", "说明"), result.warnings)


@cli.group("platform", invoke_without_command=True)
@db_option
@click.pass_context
@handled
def platform_cmd(ctx: click.Context, db_path: Path | None) -> None:
    """省级平台（省级数据库，hecha init --office 13）：各县上报数据包用 hecha import-bundle 导入列式存储
    （Parquet）；link 跨县比对出生和人员（Splink，DuckDB 或 Spark）；requests 把每对跨县记录变成发往两县的
    协查，hecha export 下发；stats 各县各月的上报、协查、反馈、核实。不带子命令：平台概况。"""
    if ctx.invoked_subcommand:
        return
    from storage.province import platform

    open_office_db(db_path, sign_in=False)
    info = platform.summary()
    listed = "、".join(info["counties"]) or "无"
    click.echo(f"已上报的县：{len(info['counties'])} 个（{listed}）；导入数据包 {info['bundles']} 个")
    births, persons = info["pairs"]["birth"], info["pairs"]["person"]
    click.echo(f"跨县比对找到：出生 {births} 对，人员 {persons} 对；已发协查 {info['asked']} 对")
    click.echo(f"列式存储：{info['store']}")
    if info["lost"]:
        click.echo(
            f"注意：列式存储里缺了 {len(info['lost'])} 个已导入数据包的记录（如 {info['lost'][0]}）："
            "从备份放回文件夹，或 hecha platform rebuild 这些数据包文件",
            err=True,
        )


@platform_cmd.command("link")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="比对引擎：duckdb 本机；spark 本机 local 模式或 HECHA_SPARK_MASTER 指定的集群",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=None,
    help="匹配概率下限（默认 0.5：比不是更像是；小于 1）",
)
@db_option
@handled
def platform_link(engine: str, threshold: float | None, db_path: Path | None) -> None:
    """跨县比对：同一孩子两县都报了出生、同一人在两县登记（Splink，参数由数据估计）。"""
    from storage.province import platform

    open_office_db(db_path)
    platform.check_province()
    r = platform.link(engine=engine, threshold=threshold, progress=lambda t: click.echo(t, err=True))
    for kind, label in platform.KIND_LABEL.items():
        compared, found, new = r.records.get(kind, 0), r.found.get(kind, 0), r.new.get(kind, 0)
        click.echo(f"{label}：比对 {compared:,} 条，跨县成对 {found} 对，其中新发现 {new} 对")
    click.echo(f"用时 {sum(r.seconds.values()):.1f} 秒（{engine}）。发协查：hecha platform requests", err=True)


@platform_cmd.command("pairs")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000), help="最多列出几对")
@db_option
@handled
def platform_pairs(limit: int, db_path: Path | None) -> None:
    """列出跨县比对找到的记录对：类别、概率、两边的协查状态、两边的乡镇和记录（姓名、出生日期、母亲）、
    记录编号。"""
    from storage.assist import STATUS_TEXT
    from storage.models import AssistRequest, PlatformPair
    from storage.province import platform

    open_office_db(db_path, sign_in=False)
    platform.check_province()
    pairs = list(PlatformPair.select().order_by(PlatformPair.id).limit(limit))
    records = platform.records_of(sorted({u for p in pairs for u in (p.uid_l, p.uid_r)}))
    asked = {p.request_l for p in pairs} | {p.request_r for p in pairs}
    state = {
        r.uid: STATUS_TEXT.get(r.status, r.status) for r in AssistRequest.select().where(AssistRequest.uid.in_(asked))
    }

    def status(uid: str) -> str:
        return state.get(uid, "待发") if uid else "待发"

    rows = [
        (
            platform.KIND_LABEL.get(p.kind, p.kind),
            f"{p.probability:.3f}",
            f"{status(p.request_l)}/{status(p.request_r)}",
            p.township_l or p.county_l,
            platform.said(records.get(p.uid_l, {})),
            p.township_r or p.county_r,
            platform.said(records.get(p.uid_r, {})),
            f"{p.uid_l} {p.uid_r}",
        )
        for p in pairs
    ]
    table(("类别", "概率", "协查", "一方", "一方记录", "另一方", "另一方记录", "记录编号"), rows)


@platform_cmd.command("requests")
@db_option
@handled
def platform_requests(db_path: Path | None) -> None:
    """把还没问过的每对跨县记录变成发往两县的协查（待发），再 hecha export 写各县的数据包。"""
    from storage.province import platform

    open_office_db(db_path)
    c = platform.send_requests()
    click.echo(f"{c['pairs']} 对记录，发起协查 {c['requests']} 件。下发：hecha export")
    if c["skipped"]:
        click.echo(
            f"有 {c['skipped']} 件因对方县的公钥没有登记或已吊销而未发：没登记的 hecha keys add 该县公钥，"
            "吊销的 hecha keys replace 该县新公钥，再运行本命令。",
            err=True,
        )
    if c["gone"]:
        click.echo(f"有 {c['gone']} 对记录有一边已被所在县删除，两边都不发协查。", err=True)
    for problem in c["problems"]:
        click.echo(f"未发：{problem}", err=True)


@platform_cmd.command("rebuild")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@handled
def platform_rebuild(files: tuple[Path, ...], db_path: Path | None) -> None:
    """列式存储丢了（文件夹被移走、删了）时，把已导入过的上报数据包重新读入列式存储：只补缺的，
    数据包照样核对签名和解密，导入记录不变。文件，或文件夹中的全部 .zip。"""
    from export.bundle import rebuild_platform_rows
    from export.keys import unlock
    from storage.province import platform

    open_office_db(db_path)
    platform.check_province()
    paths = bundle_paths(files)
    missing = {b.manifest_sha256 for b in platform.missing()}
    if not missing:
        click.echo("列式存储不缺已导入数据包的记录，不用重建。")
        return
    from export.bundle import BundleError

    keys_ = unlock(read_passphrase())
    done = 0
    for path in dict.fromkeys(p.resolve() for p in paths):  # a file named twice is read once
        try:
            said = rebuild_platform_rows(path, keys_, only=missing)
        except BundleError as exc:  # one bad file stops no other
            click.echo(f"未读 {path.name}：{exc}", err=True)
            continue
        if said:
            click.echo(said)
            done += 1
        else:
            click.echo(f"跳过 {path.name}：不是本平台缺记录的上报数据包（别的数据包，或没有导入过）", err=True)
    left = len(platform.missing())
    click.echo(f"重建了 {done} 个数据包的记录；还缺 {left} 个。", err=True)
    if left:
        sys.exit(1)


@platform_cmd.command("stats")
@click.option("--month", default="", help="只看这个月（YYYY-MM）")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="写到这个 .xlsx")
@db_option
@handled
def platform_stats(month: str, out: Path | None, db_path: Path | None) -> None:
    """各县各月：上报出生、收到协查、已反馈、已核实（国家平台公布的口径）。"""
    import re
    import unicodedata

    from storage.province import platform

    month = unicodedata.normalize("NFKC", month).strip()  # full-width digits typed by an IME
    if month and not (re.fullmatch(r"\d{4}-\d{2}", month) and 1 <= int(month[5:]) <= 12):
        raise HechaError(f"--month {month} 不对：写成 YYYY-MM，如 2026-11。")
    if out is not None:
        _check_out(out, (".xlsx",), "各县统计.xlsx")
    open_office_db(db_path, sign_in=False)
    rows = platform.stats_rows(month)
    table(platform.STAT_HEADER, rows, right=frozenset({3, 4, 5, 6}))
    if out is not None:
        n = platform.write_stats(out, month)
        click.echo(f"已写 {out}（{n} 行）", err=True)


@cli.command("county")
@db_option
@handled
def county_cmd(db_path: Path | None) -> None:
    """县级：各乡镇的进度——最后收到的数据包、按日历缺了几周、暂存（缺号）、链断开、户人出生数、可能重复、
    核查疑点（未结/已结，乡镇数据包所报）、协查逾期、冲突待定、决定未回执；最要打电话问的乡镇在前。"""
    from storage import assist, county
    from storage.outbox import printable

    office = open_office_db(db_path)
    if office.level != "county":
        raise HechaError("本命令用于县级数据库：列出本县各乡镇的进度。")
    rows = county.progress(assist.today())
    table(
        (
            "乡镇",
            "代码",
            "末号",
            "所属周",
            "缺周",
            "暂存",
            "户",
            "人",
            "出生",
            "重复",
            "疑点未结",
            "已结",
            "协查逾期",
            "冲突",
            "要问的",
        ),
        [
            (
                printable(r.name),
                r.code,
                r.last_sequence or "—",
                r.last_week or "—",
                r.weeks_missing,
                r.held,
                r.households,
                r.persons,
                r.births,
                r.duplicates,
                r.findings_open,
                r.findings_concluded,
                r.overdue,
                r.conflicts,
                "、".join(r.calls_for) or "正常",
            )
            for r in rows
        ],
        frozenset({2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}),
    )
    behind = sum(1 for r in rows if r.calls_for)
    click.echo(
        f"共 {len(rows)} 个乡镇，{behind} 个要问。缺周按日历算（本周的还不算缺）；暂存的数据包在缺号补上后自动导入。"
    )


@cli.command("villages")
@click.argument("text", metavar="[村名、代码末几位或拼音首字母]", required=False, default="")
@db_option
@handled
def villages_cmd(text: str, db_path: Path | None) -> None:
    """本单位的村（居）委会及其12位代码（登记表的“村”一栏、hecha household add 的 village_code）；
    给出文字则只列对得上的（如 ljz 列出李家庄村）。"""
    from storage.office import find_villages, villages
    from storage.outbox import printable

    open_office_db(db_path)
    text = text.strip()
    found = find_villages(text) if text else villages()
    if not found:
        shown = printable(text if len(text) <= 20 else text[:20] + "…")
        raise HechaError(f"没有对得上「{shown}」的村：不带参数列出全部。")
    table(("代码", "村（居）委会"), [(v.code, printable(v.name)) for v in found])
    click.echo(f"共 {len(found)} 个。")


@cli.command("report-unit")
@click.argument("a_uid", metavar="甲UID")
@click.argument("b_uid", metavar="乙UID")
@click.argument("unit", metavar="填报乡镇代码")
@click.option("--note", default="", help="说明（如：户籍在该乡镇）")
@db_option
@handled
def report_unit_cmd(a_uid: str, b_uid: str, unit: str, note: str, db_path: Path | None) -> None:
    """县级：同一人在两个乡镇都登记了（hecha duplicates 列出的两人），定由哪个乡镇填报；另一个乡镇的记录
    标为“不在本乡镇填报”（不删，不计入该乡镇），决定随下一次 hecha export 下发，乡镇执行后回执。"""
    from storage.decisions import decide_report_unit

    open_office_db(db_path)
    decision = decide_report_unit(a_uid, b_uid, unit, note=note)
    click.echo(f"已定由 {unit} 填报；{decision.to_office} 的记录标为不在本乡镇填报，随下一次 hecha export 下发。")


@cli.command("conflicts")
@click.argument("conflict_ids", metavar="[编号]...", nargs=-1, type=click.IntRange(1, 2**62))
@click.option("--all", "show_all", is_flag=True, help="连已处理的一起列出")
@click.option("--keep", is_flag=True, help="裁定：保留本库的（发回乡镇）")
@click.option("--take", is_flag=True, help="裁定：采用数据包的")
@click.option("--sender", metavar="乡镇代码", help="与 --keep/--take 一起：这个乡镇发来的全部待处理冲突")
@click.option("--note", default="", help="裁定的说明")
@click.option("--yes", is_flag=True, help="不再询问")
@db_option
@handled
def conflicts_cmd(
    conflict_ids: tuple[int, ...],
    show_all: bool,
    keep: bool,
    take: bool,
    sender: str | None,
    note: str,
    yes: bool,
    db_path: Path | None,
) -> None:
    """县级：导入时没能并入的记录（来源单位不符、版本更旧、恢复备份后重传），列出；给编号则把本库的和
    数据包里的逐项并排；加 --keep 或 --take 则裁定，裁定经县里下一个数据包发给该乡镇照办并回执。"""

    from storage.assist import printable

    if keep and take:
        raise HechaError("--keep 和 --take 只能选一个：保留本库的用 --keep，采用数据包的用 --take")
    choice = "keep" if keep else "take" if take else None
    open_office_db(db_path)
    if choice is not None:
        _decide_conflicts(list(conflict_ids), choice, sender, note, yes)
        return
    if sender:
        raise HechaError("--sender 与 --keep 或 --take 一起用：裁定这个乡镇发来的全部待处理冲突")
    if len(conflict_ids) > 1:
        raise HechaError("逐项并排一次看一件：hecha conflicts 编号；裁定多件加 --keep 或 --take")
    conflict_id = conflict_ids[0] if conflict_ids else None
    if conflict_id is None:
        from storage.decisions import open_conflicts

        rows = open_conflicts(1000, decided_too=show_all)
        if not rows:
            click.echo("没有待处理的冲突。" if not show_all else "没有冲突。")
            return
        table(
            ("编号", "乡镇", "表", "记录", "原因", "状态", "时间"),
            [
                (
                    c.id,
                    printable(c.town),
                    c.table_words,
                    printable(c.name or c.uid[:8]),
                    printable(c.reason),
                    c.status_words,
                    local_time(c.at),
                )
                for c in rows
            ],
        )
        click.echo(f"共 {len(rows)} 件。逐项并排：hecha conflicts 编号；裁定：hecha conflicts 编号 --keep 或 --take")
        return
    from storage.decisions import conflict_sides

    c, sides, held = conflict_sides(conflict_id)
    click.echo(printable(f"冲突 {c.id}：{c.town} 的{c.table_words} {c.name or ''}（记录 {c.uid}）"))
    click.echo(printable(f"{c.reason}；数据包 {c.bundle_id[:8]}，{local_time(c.at)}；{c.status_words}"))
    if not held:
        click.echo("本库没有这条记录：数据包里的是：")
    lines = [tuple(printable(x) for x in line) for line in sides]
    table(("字段", "本库", "数据包"), lines or [("（各项相同）", "", "")])


def _decide_conflicts(ids: list[int], choice: str, sender: str | None, note: str, yes: bool) -> None:
    """Decide the conflicts ``ids`` (or every open one a township's bundles carried) as ``choice``."""
    from storage.decisions import CHOICES, decide_conflict, open_conflicts
    from storage.errors import OperatorError

    if sender:
        if ids:
            raise HechaError("给了编号就不用 --sender：二者选一")
        ids = [c.id for c in open_conflicts(1_000_000) if c.sender == sender]
        if not ids:
            raise HechaError(f"{sender} 发来的没有待处理的冲突：hecha conflicts 列出")
    if not ids:
        raise HechaError("裁定哪几件？给出编号（hecha conflicts 列出），或 --sender 乡镇代码")
    if not yes:
        click.confirm(f"{len(ids)} 件冲突裁定为「{CHOICES[choice]}」？", abort=True)
    sent = done = 0
    for conflict_id in ids:
        try:
            decision = decide_conflict(conflict_id, choice, note=note)
        except OperatorError as exc:
            before = f"（此前已裁定 {done} 件，{sent} 件的决定待发）" if done else ""
            raise HechaError(f"{exc}{before}") from None
        done += 1
        sent += decision is not None
    click.echo(f"已裁定 {len(ids)} 件（{CHOICES[choice]}）；{sent} 件的决定随县里下一个数据包发给乡镇（hecha export）")


@cli.group("calendar", invoke_without_command=True)
@db_option
@click.pass_context
@handled
def calendar_cmd(ctx: click.Context, db_path: Path | None) -> None:
    """工作日日历：本单位载入的国务院放假安排，以及到哪天为止的工作日是确定的。"""
    if ctx.invoked_subcommand:
        return
    import datetime as dt

    from storage import assist
    from storage.models import CalendarOverride
    from storage.workdays import Calendar

    open_office_db(db_path)
    day = assist.today()
    until = Calendar().covered_until(day)
    years = sorted({r.day[:4] for r in CalendarOverride.select(CalendarOverride.day)})
    guessed = until < day + dt.timedelta(days=730)
    click.echo(f"工作日确定到 {until}" + ("（之后按周末估算，到期日标“暂定”）" if guessed else ""))
    click.echo("载入的放假安排：" + ("、".join(years) + " 年" if years else "无（用 chinesecalendar 自带的）"))
    click.echo("载入新一年的放假安排：hecha calendar load 文件（每行一天：2027-02-07 休 春节 / 2027-02-06 班 调休）")


@calendar_cmd.command("load")
@click.argument("file", metavar="文件", type=click.Path(path_type=Path))
@db_option
@handled
def calendar_load(file: Path, db_path: Path | None) -> None:
    """载入国务院放假安排（节假日和调休上班日）；已收到的协查的暂定到期日随之重算。县级载入的随下一次
    导出下发给各乡镇。"""
    from storage import assist
    from storage.paths import operator_login
    from storage.workdays import load_override, parse_override

    office = open_office_db(db_path)
    days, years = load_override(file, operator=operator_login())
    exact = assist.refresh_provisional()
    click.echo(f"已载入 {'、'.join(map(str, years))} 年的放假安排 {days} 天；{exact} 件协查的到期日由暂定改为确定。")
    if office.level == "county":
        towns = assist.share_calendar(parse_override(file))
        click.echo(f"将随下一次 hecha export 下发给 {towns} 个已登记的乡镇。")


@cli.command()
@db_option
@handled
def tui(db_path: Path | None) -> None:
    """启动全屏界面。"""
    run_tui(resolve_db(db_path))


def pause_gc_for_start() -> None:
    """Switch Python's cyclic garbage collector off until the first screen is drawn
    (:meth:`tui.app.HechaApp.on_mount` switches it back on and freezes what start-up made).

    Start-up creates some 10^5 objects that all stay alive (Textual's and peewee's classes, the
    parsed CSS, the widgets); each collection would walk them again for nothing. Measured with
    bench/startup.py: about 25 ms of 340 (issue 19)."""
    import gc

    gc.disable()


def run_tui(path: Path) -> None:
    """Open the database at ``path`` and run the Textual app until the operator leaves."""
    pause_gc_for_start()
    from storage.db import DatabaseError, open_db

    if not path.exists():
        raise DatabaseError(
            f"数据库文件不存在：{path}。先运行 hecha init --office 代码（或 hecha demo --start 试用）。"
        )
    open_db(path).close()
    from tui.config import ConfigError, apply_colors, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        raise HechaError(str(exc)) from None
    apply_colors(config)  # before Textual loads: it reads its colour setting once
    from tui.app import run

    run(path, config)


if __name__ == "__main__":
    cli()
