"""Export the week's bundle (township) and import bundles (county), each in a worker thread.

Both screens ask for the passphrase, then call the same functions as ``hecha export`` and
``hecha import-bundle``; the worker returns plain results that come back as messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from storage.db import close_db
from storage.paths import default_bundle_dir

from .. import text
from ..keys import bindings
from ..widgets.fields import PlainInput
from ..widgets.keyline import KeyLine
from ..workers import core_work
from .dialogs import AskScreen, PassphraseScreen

if TYPE_CHECKING:
    from ..base import HechaBase


class _BundleScreen(Screen):
    BINDINGS = bindings("plain")
    if TYPE_CHECKING:
        app: HechaBase  # self.app, with hecha's attributes (operator, office …)

    def action_back(self) -> None:
        if not self.query_one("#busy", Static).display:
            self.app.pop_screen()

    def busy(self, on_: bool, message: str = "") -> None:
        self.query_one("#busy", Static).display = on_
        self.query_one("#bundle-result", Static).update(message)

    def core_failed(self, message: str) -> None:
        """A core call of this screen failed (:func:`tui.workers.core_work`): the message in place of the busy line."""
        self.busy(False, message)


def key_path(typed: str) -> Path:
    """A key file's path as a clerk types it: ``~`` expanded, a bare name looked up in the home folder
    (where hecha writes the office's own and where a USB copy usually lands)."""
    path = Path(typed.strip()).expanduser()
    return path if path.is_absolute() else Path.home() / path


class ExportScreen(_BundleScreen):
    """Write this week's bundle for the county into a folder; before the first, make this office's
    keys (F2) and register the county's key file (F3), checking the fingerprint read out over the
    phone (issue 15: the weekly export could not be set up from the TUI)."""

    BINDINGS = [*bindings("export"), *bindings("plain")]

    @dataclass
    class BundleWritten(Message):
        path: str
        summary: str

    @dataclass
    class BundleFailed(Message):
        message: str

    def compose(self) -> ComposeResult:
        yield Static("导出数据包（加密并签名：乡镇交县人口委；县级下发协查）", classes="title")
        yield Static("", id="bundle-info")
        yield Static("保存到文件夹（回车开始导出）：")
        yield PlainInput(str(default_bundle_dir()), id="out-dir")
        yield Static(text.BUSY, id="busy")
        yield Static("", id="bundle-result")
        yield KeyLine()

    def on_mount(self) -> None:
        self.query_one("#busy", Static).display = False
        self.refresh_info()
        self.query_one("#out-dir", Input).focus()

    def on_screen_resume(self) -> None:
        """Back from a dialog, or keys registered meanwhile from the command line: say it as it is now."""
        self.refresh_info()

    def refresh_info(self) -> None:
        from export.keys import KeyError_, county_peer, has_keys
        from storage.dates import local_time
        from storage.models import BundleLog

        self.ready = False
        info = self.query_one("#bundle-info", Static)
        if self.app.office.level != "township":
            from storage.assist import pending_hops

            hops = pending_hops()
            self.ready = bool(hops) and has_keys()
            info.update(
                f"县级：把待转的协查和回复下发给 {'、'.join(hops)}（每个单位一个数据包，回车开始）。"
                if hops
                else "县级：现在没有要下发或转往外县的协查。县级向上导出还未实现。"
            )
            return
        try:
            peer = county_peer()
            state = f"收件：{peer.name}（{peer.code}）"
            self.ready = has_keys()
        except KeyError_ as exc:
            add = self.app.key_name("keys_add", "export")
            state = str(exc) + f"\n按 {add} 登记县里的公钥文件（县里 hecha keys show 导出，电话里核对指纹）。"
        if not has_keys():
            make, add = self.app.key_name("keys_new", "export"), self.app.key_name("keys_add", "export")
            state = f"本单位还没有密钥：按 {make} 生成（要设本单位口令），再按 {add} 登记县里的公钥。"
        last = BundleLog.select().where(BundleLog.direction == "out").order_by(BundleLog.id.desc()).first()
        info.update(state + (f"\n上次导出：第{last.sequence}号 {local_time(last.at)}" if last else "\n还没有导出过"))

    def action_keys_new(self) -> None:
        """F2: make this office's keys under a passphrase typed twice, then write its public key file
        for the county (``~/<office>.pub``) and show the fingerprint to read out."""
        from export.keys import MIN_PASSPHRASE, has_keys

        if has_keys() or self.app.office.level != "township":
            self.busy(
                False, "本单位已经有密钥。" if has_keys() else "县级请在命令行用 hecha keys new（要保存恢复密钥）。"
            )
            return

        def first(passphrase: str | None) -> None:
            if passphrase and len(passphrase) < MIN_PASSPHRASE:
                self.busy(False, f"错误：口令至少{MIN_PASSPHRASE}个字符，没有生成密钥。")
            elif passphrase:
                self.app.push_screen(PassphraseScreen("再输入一次口令"), lambda again: second(passphrase, again))

        def second(passphrase: str, again: str | None) -> None:
            if again is None:
                return
            if again != passphrase:
                self.busy(False, "错误：两次输入的口令不一样，没有生成密钥。")
                return
            self.busy(True, "正在生成密钥（口令加密需要几秒钟）……")
            self.doing = "生成密钥"
            self.make_keys(passphrase)

        self.app.push_screen(PassphraseScreen("设置本单位口令（至少8个字符，负责人保管）"), first)

    @core_work("bundle")
    def make_keys(self, passphrase: str) -> None:
        from export.keys import create_keys, own_public

        create_keys(passphrase)
        pub = own_public()
        path = Path.home() / f"{self.app.office.name}.pub"
        path.write_text(pub.to_text(), encoding="utf-8")
        said = f"已生成密钥。指纹：{pub.fingerprint()}\n公钥文件：{path}（交给县里登记，并在电话里读出指纹）"
        self.app.call_from_thread(self.keys_done, said)

    def keys_done(self, said: str) -> None:
        self.refresh_info()
        self.busy(False, said)

    def action_keys_add(self) -> None:
        """F3: register the county's key file: its path, then the fingerprint the county read out."""

        def got_path(path: str | None) -> None:
            from export.keys import KeyError_, read_key_file

            if not path:
                return
            try:  # the file first: a wrong path is said before a fingerprint is asked for
                read_key_file(key_path(path))
            except KeyError_ as exc:
                self.busy(False, f"错误：{exc}")
                return
            ask = AskScreen("核对指纹", "县里在电话里读出的指纹（32位，空格可有可无）：")
            self.doing = "登记公钥"
            self.app.push_screen(ask, lambda fp: self.register(path, fp) if fp else None)

        self.app.push_screen(AskScreen("登记县里的公钥", "县里给的公钥文件（路径）："), got_path)

    @core_work("bundle")
    def register(self, path: str, fingerprint: str) -> None:
        from export.keys import read_key_file, register_peer, same_fingerprint

        keys = read_key_file(key_path(path))
        if not same_fingerprint(fingerprint, keys):  # the file's own is not shown: it is not to be copied
            said = "错误：指纹与文件的不一致：不要登记，请打电话与县里核实公钥文件。"
        else:
            row, created = register_peer(keys)
            said = f"已登记 {row.name}（{row.code}）的公钥。" if created else f"{row.name} 的公钥已登记过。"
        self.app.call_from_thread(self.keys_done, said)

    @on(Input.Submitted, "#out-dir")
    def start(self, event: Input.Submitted) -> None:
        if not self.ready:
            return
        out = Path(event.value.strip() or default_bundle_dir()).expanduser()

        def got(passphrase: str | None) -> None:
            if passphrase:
                self.busy(True, text.EXPORTING)
                self.write(passphrase, out)

        self.app.push_screen(PassphraseScreen("导出数据包需要本单位口令"), got)

    @core_work("bundle")
    def write(self, passphrase: str, out: Path) -> None:
        from export.bundle import export_bundle
        from export.keys import unlock

        try:
            keys = unlock(passphrase)
            if self.app.office.level == "county":  # one county-request bundle per office with messages
                from storage.assist import pending_hops

                written = [export_bundle(keys, out, to=hop) for hop in pending_hops()]
                paths = "\n".join(str(r.path) for r in written)
                self.post_message(self.BundleWritten(paths, "；".join(r.summary() for r in written)))
                return
            result = export_bundle(keys, out)
            self.post_message(self.BundleWritten(str(result.path), result.summary()))
        except OSError as exc:
            self.post_message(self.BundleFailed(str(exc)))

    def core_failed(self, message: str) -> None:
        """The export, or the key step under way, was refused (:class:`export.bundle.ExportBlocked`, a
        wrong passphrase, a key file …): said as what failed."""
        self.busy(False, f"{getattr(self, 'doing', '导出')}失败：{message}")
        self.doing = "导出"

    def on_export_screen_bundle_written(self, event: BundleWritten) -> None:
        self.refresh_info()  # 上次导出 is this one now
        to = "县人口委" if self.app.office.level == "township" else "各收件单位"
        self.busy(False, f"已导出 {event.summary}\n{event.path}\n请把文件交给{to}。")

    def on_export_screen_bundle_failed(self, event: BundleFailed) -> None:
        self.busy(False, f"导出失败：{event.message}")


class ImportScreen(_BundleScreen):
    """Import bundles (a file, or every ``.zip`` in a folder): at the county, its townships' and other
    counties' (协查); at a township, its county's (requests and replies, issue 17)."""

    @dataclass
    class BundlesImported(Message):
        lines: list[str]

    def compose(self) -> ComposeResult:
        yield Static("导入数据包（县级：乡镇和外县的；乡镇：县里下发的协查）", classes="title")
        yield Static("", id="bundle-info")
        yield Static("数据包文件或文件夹（回车开始导入）：")
        yield PlainInput(str(Path.home()), id="in-path")
        yield Static(text.BUSY, id="busy")
        yield Static("", id="bundle-result")
        yield KeyLine()

    def on_mount(self) -> None:
        self.query_one("#busy", Static).display = False
        self.query_one("#in-path", Input).focus()

    @on(Input.Submitted, "#in-path")
    def start(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        files = sorted(path.glob("*.zip")) if path.is_dir() else [path]
        if not files or not all(f.exists() for f in files):
            self.busy(False, f"找不到数据包：{path}")
            return

        def got(passphrase: str | None) -> None:
            if passphrase:
                self.busy(True, text.IMPORTING)
                self.read(passphrase, files)

        self.app.push_screen(PassphraseScreen("导入数据包需要本单位口令"), got)

    @core_work("bundle")
    def read(self, passphrase: str, files: list[Path]) -> None:
        from export.bundle import BundleError, import_many
        from export.keys import KeyError_, unlock

        lines: list[str] = []

        def say(line: str) -> None:  # progress on the busy line: a county's first import takes minutes
            self.app.call_from_thread(self.busy, True, line)

        try:
            keys = unlock(passphrase)
            for done, (f, result) in enumerate(import_many(files, keys, say=say), start=1):  # in sequence order
                if isinstance(result, BundleError):
                    lines.append(f"拒绝 {result}")
                else:
                    lines += [f"{f.name}：{r.message}" for r in (result, *result.also_imported)]
                say(f"{text.IMPORTING}（已处理 {done}/{len(files)} 个）")
        except KeyError_ as exc:
            lines.append(str(exc))
        finally:
            close_db()
        self.post_message(self.BundlesImported(lines))

    def on_import_screen_bundles_imported(self, event: BundlesImported) -> None:
        self.busy(False, "\n".join(event.lines))
