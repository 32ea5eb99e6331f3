"""The one table of key bindings (DESIGN.md §10).

Every action has a function key and a Ctrl key that PuTTY, Xshell and xterm all send; nothing
needs Alt or the mouse. Ctrl keys that terminals turn into other keys are avoided: Ctrl+H
(Backspace), Ctrl+I (Tab), Ctrl+M (Enter), Ctrl+J, Ctrl+[ (Esc). Each binding has a kebab-case id
so a site can remap it in its configuration (issue 4). The help screen is generated from this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.binding import BindingType


@dataclass(frozen=True)
class KeySpec:
    """One action: ``id`` (kebab-case), the Textual ``action``, its keys, label (F1 help), where it
    applies, and a ``short`` label for the status line when the label is too long for 80 columns."""

    id: str
    action: str
    keys: tuple[str, ...]
    label: str
    scope: str  # "app", "home", "form", "list", … a key of SCOPES
    short: str = ""


TABLE: tuple[KeySpec, ...] = (
    KeySpec("help", "app.help", ("f1", "ctrl+g"), "帮助", "app"),
    KeySpec("quit", "app.quit_app", ("f12", "ctrl+q"), "退出", "app"),
    KeySpec("open-form", "open_form", ("f2", "1"), "录入登记表", "home", "录入"),
    KeySpec("open-list", "open_list", ("f3", "2"), "户列表", "home"),
    KeySpec("open-export", "open_export", ("f5", "3"), "导出数据包", "home", "导出"),
    KeySpec("open-import", "open_import", ("f6", "4"), "导入数据包", "home", "导入"),
    KeySpec("open-check", "open_check", ("f7", "5"), "审核校验", "home", "校验"),
    KeySpec("open-recheck", "open_recheck", ("f8", "6"), "质量复查", "home", "复查"),
    KeySpec("open-duplicates", "open_duplicates", ("f9", "7"), "重复登记", "home", "重复"),
    KeySpec("open-lists", "open_lists", ("f4", "8"), "导入外部名单", "home", "名单"),
    KeySpec("open-reconcile", "open_reconcile", ("f10", "9"), "核查比对", "home", "比对"),
    KeySpec("open-assist", "open_assist", ("f11", "a", "A"), "协查", "home"),
    KeySpec("open-migrants", "open_migrants", ("m", "M"), "流动人口", "home"),
    KeySpec("open-county", "open_county", ("c", "C"), "县级进度", "home"),
    KeySpec("quit-home", "app.quit_app", ("0",), "退出", "home"),
    KeySpec("save-household", "save_household", ("f10", "ctrl+s"), "保存本户", "form", "保存"),
    KeySpec("lookup", "lookup", ("f4", "ctrl+l"), "代码表", "form"),
    KeySpec("new-member", "new_member", ("f7", "ctrl+n"), "下一人", "form"),
    KeySpec("to-births", "to_births", ("f8", "ctrl+b"), "转到出生", "form", "出生"),
    KeySpec("member-page", "member_page", ("f5", "ctrl+e"), "人员详情页", "form", "详情"),
    KeySpec("woman-page", "woman_page", ("f6", "ctrl+w"), "育龄妇女页", "form", "妇女"),
    KeySpec("migration-page", "migration_page", ("f9", "ctrl+r"), "流动人口页", "form", "流动"),
    KeySpec("back", "back", ("escape", "ctrl+x"), "返回", "form"),
    KeySpec("keys-new", "keys_new", ("f2", "ctrl+n"), "生成本单位密钥", "export", "生成密钥"),
    KeySpec("keys-add", "keys_add", ("f3", "ctrl+r"), "登记县里的公钥", "export", "登记公钥"),
    KeySpec("link-same", "link_same", ("f11", "ctrl+y"), "同一人（调出已登记的）", "form", "同一人"),
    KeySpec("list-back", "back", ("escape", "ctrl+x"), "返回", "list"),
    KeySpec("list-more", "more", ("f8", "ctrl+d"), "下一页/重查", "list"),
    KeySpec("list-history", "history", ("f6", "ctrl+w"), "修改记录", "list"),
    KeySpec("recheck-every", "choose_every", ("f5", "ctrl+e"), "每N份抽1", "recheck"),
    KeySpec("recheck-sample", "choose_sample", ("f6", "ctrl+r"), "每村随机抽", "recheck"),
    KeySpec("recheck-rates", "rates", ("f7", "ctrl+t"), "差错率", "recheck"),
    KeySpec("recheck-withdraw", "withdraw", ("f9", "ctrl+w"), "撤销任务", "recheck"),
    KeySpec("recheck-more", "more", ("f8", "ctrl+d"), "下一页", "recheck"),
    KeySpec("recheck-back", "back", ("escape", "ctrl+x"), "返回", "recheck"),
    KeySpec("decide-first", "decide('first')", ("f2", "ctrl+o", "1"), "原录入对", "diff"),
    KeySpec("decide-second", "decide('second')", ("f3", "ctrl+r", "2"), "复查对", "diff"),
    KeySpec("decide-neither", "decide('neither')", ("f4", "ctrl+n", "3"), "都不对", "diff"),
    KeySpec("diff-back", "back", ("escape", "ctrl+x"), "返回", "diff"),
    KeySpec("dup-same", "decide('same')", ("f2", "ctrl+o", "1"), "同一人（合并）", "dups", "同一人"),
    KeySpec("dup-different", "decide('different')", ("f3", "ctrl+r", "2"), "不同人", "dups"),
    KeySpec("dup-unsure", "decide('unsure')", ("f4", "ctrl+n", "3"), "待查", "dups"),
    KeySpec("dup-mark", "mark", ("f5", "ctrl+e", "space"), "标记", "dups"),
    KeySpec("dup-min-score", "min_score", ("f6", "ctrl+t"), "最低得分", "dups", "得分"),
    KeySpec("dup-kind", "kind", ("f7", "ctrl+w"), "人员/名单记录", "dups", "类别"),
    KeySpec("dup-next", "next_page", ("f8", "ctrl+d"), "下一页", "dups"),
    KeySpec("dup-prev", "prev_page", ("f9", "ctrl+u"), "上一页", "dups"),
    KeySpec("dup-back", "back", ("escape", "ctrl+x"), "返回", "dups"),
    KeySpec("recon-result", "result", ("f2", "ctrl+o"), "记录结论", "recon", "结论"),
    KeySpec("recon-evidence", "evidence", ("enter",), "证据对照", "recon", "证据"),
    KeySpec("recon-village", "filter_village", ("f3", "ctrl+v"), "按村筛选", "recon", "村"),
    KeySpec("recon-kind", "filter_kind", ("f4", "ctrl+k"), "按疑点筛选", "recon", "疑点"),
    KeySpec("recon-source", "filter_source", ("f6", "ctrl+t"), "按来源筛选", "recon", "来源"),
    KeySpec("recon-run", "run", ("f5", "ctrl+e"), "重新比对", "recon", "比对"),
    KeySpec("recon-summary", "summary", ("f7", "ctrl+w"), "汇总", "recon"),
    KeySpec("recon-worklist", "worklist", ("f8", "ctrl+d"), "导出入户核查表", "recon", "核查表"),
    KeySpec("recon-assist", "assist", ("f9", "ctrl+y"), "外地出生发协查", "recon", "协查"),
    KeySpec("recon-back", "back", ("escape", "ctrl+x"), "返回", "recon"),
    KeySpec("import-run", "run", ("f10", "ctrl+s"), "导入", "import"),
    KeySpec("import-rejects", "rejects", ("f5", "ctrl+e"), "错误行", "import"),
    KeySpec("import-back", "back", ("escape", "ctrl+x"), "返回", "import"),
    KeySpec("assist-received", "view('received')", ("f2", "ctrl+o"), "收到的", "assist"),
    KeySpec("assist-sent", "view('sent')", ("f3", "ctrl+r"), "发出的", "assist"),
    KeySpec("assist-stats", "view('stats')", ("f4", "ctrl+t"), "统计", "assist"),
    KeySpec("assist-relay", "view('relay')", ("f5", "ctrl+e"), "待分派（县级）", "assist", "待分派"),
    KeySpec("assist-open", "toggle_open", ("f6", "ctrl+w"), "待处理/全部", "assist", "全部"),
    KeySpec("assist-next", "next_page", ("f8", "ctrl+d"), "下一页", "assist"),
    KeySpec("assist-prev", "prev_page", ("f9", "ctrl+u"), "上一页", "assist"),
    KeySpec("assist-back", "back", ("escape", "ctrl+x"), "返回", "assist"),
    KeySpec("assist-reply", "reply", ("f2", "ctrl+o"), "回复", "assistone"),
    KeySpec("assist-visit", "visit", ("f3", "ctrl+r"), "入户核实", "assistone", "入户"),
    KeySpec("assist-verify", "verify", ("f4", "ctrl+t"), "核实回复", "assistone", "核实"),
    KeySpec("assist-route", "route", ("f5", "ctrl+e"), "分派（县级）", "assistone", "分派"),
    KeySpec("assistone-back", "back", ("escape", "ctrl+x"), "返回", "assistone"),
    KeySpec("reply-save", "save", ("f10", "ctrl+s"), "保存回复", "reply", "保存"),
    KeySpec("reply-cancel", "cancel", ("escape", "ctrl+x"), "不回复返回", "reply", "返回"),
    KeySpec("mig-direction", "cycle_direction", ("f2", "ctrl+o"), "流入/流出/全部", "migrants", "流向"),
    KeySpec("mig-village", "filter_village", ("f3", "ctrl+v"), "按村筛选", "migrants", "村"),
    KeySpec("mig-county", "filter_county", ("f4", "ctrl+k"), "按对方县筛选", "migrants", "对方县"),
    KeySpec("mig-assist", "raise_request", ("f5", "ctrl+e"), "发协查", "migrants"),
    KeySpec("mig-current", "toggle_current", ("f6", "ctrl+w"), "在外/全部", "migrants", "全部"),
    KeySpec("mig-months", "months", ("f7", "ctrl+t"), "按村按月统计", "migrants", "统计"),
    KeySpec("mig-next", "next_page", ("f8", "ctrl+d"), "下一页", "migrants"),
    KeySpec("mig-prev", "prev_page", ("f9", "ctrl+u"), "上一页", "migrants"),
    KeySpec("mig-back", "back", ("escape", "ctrl+x"), "返回", "migrants"),
    KeySpec("county-conflicts", "conflicts", ("f3", "ctrl+r"), "合并冲突", "county", "冲突"),
    KeySpec("county-back", "back", ("escape", "ctrl+x"), "返回", "county"),
    KeySpec("conflict-keep", "decide('keep')", ("f2", "ctrl+o"), "保留本库的", "conflicts", "保留本库"),
    KeySpec("conflict-take", "decide('take')", ("f3", "ctrl+r"), "采用数据包的", "conflicts", "采用包里"),
    KeySpec("conflicts-back", "back", ("escape", "ctrl+x"), "返回", "conflicts"),
    KeySpec("plain-back", "back", ("escape", "ctrl+x"), "返回", "plain"),
    KeySpec("page-keep", "keep", ("f10", "ctrl+s"), "保存本页", "page"),
    KeySpec("page-cancel", "cancel", ("escape", "ctrl+x"), "不改返回", "page"),
    KeySpec("page-lookup", "lookup", ("f4", "ctrl+l"), "代码表", "page"),
    KeySpec("page-remove", "remove", ("f8", "ctrl+d"), "删去本页", "page"),
)


SCOPES = {
    "app": "全局",
    "home": "主菜单",
    "form": "登记表",
    "page": "登记表的页（三、五、详情）",
    "list": "户列表、审核校验",
    "recheck": "质量复查任务",
    "diff": "复查差异",
    "dups": "重复登记",
    "import": "导入外部名单",
    "recon": "核查比对（数字键 0 一致 1 漏报 2 瞒报 3 虚报 4 错报 9 待核 记录结论，证据画面同样）",
    "export": "导出数据包",
    "assist": "协查（收到的、发出的、统计）",
    "assistone": "一件协查",
    "reply": "回复协查",
    "migrants": "流动人口",
    "county": "县级进度",
    "conflicts": "合并冲突（县级）",
    "plain": "其他画面",
}
"""Each scope of :data:`TABLE` with its title in the help (F1), in the order shown."""


def keys_of(action: str, scopes: tuple[str, ...], keymap: dict[str, str] | None = None) -> list[str]:
    """The keys that run ``action`` in ``scopes``, in table order, after the site's remapping
    (``keymap``: binding id → ``"f10,ctrl+s"``, :class:`tui.config.Config`). What menus show."""
    keymap = keymap or {}
    out: list[str] = []
    for spec in TABLE:
        if spec.action == action and spec.scope in scopes:
            out += [k.strip() for k in keymap.get(spec.id, ",".join(spec.keys)).split(",") if k.strip()]
    return out


def bindings(scope: str) -> list[BindingType]:
    """Textual bindings for one scope: one binding per action, all its keys, its id the spec's (so a
    site's keymap, ``[keys]`` in the config file, replaces them by id); the first key in the footer."""
    from textual.binding import Binding

    return [
        Binding(
            ",".join(spec.keys),
            spec.action,
            spec.short or spec.label,
            key_display=key_label(spec.keys[0]),
            id=spec.id,
            priority=scope == "app",
        )
        for spec in TABLE
        if spec.scope == scope
    ]


KEY_NAME = re.compile(
    r"(f([1-9]|1[0-9]|2[0-4])|ctrl\+[a-z]|escape|enter|tab|space|home|end|pageup|pagedown|delete|insert|up|down|left|right|[a-zA-Z0-9])"
)


def keymap_problems(keymap: dict[str, str]) -> list[str]:
    """Chinese messages for keymap entries (config ``[keys]``) that name no action, or whose keys are
    empty or not keys a terminal sends (F1–F24, Ctrl+letter, Esc, a letter or digit …)."""
    ids = {spec.id for spec in TABLE}
    problems = [f"[keys] {name}：没有这个操作（可用：{'、'.join(sorted(ids))}）" for name in keymap if name not in ids]
    for name, keys in keymap.items():
        if name not in ids:
            continue
        items = [k.strip() for k in keys.split(",")]
        bad = [k for k in items if not KEY_NAME.fullmatch(k)]
        if not keys.strip() or bad:
            shown = "、".join(repr(k) for k in bad) or "空"
            problems.append(
                f'[keys] {name}：{shown} 不是可用的键（写成 "f10,ctrl+s"：F1～F24、ctrl+字母、escape、字母或数字）'
            )
        for k in items:
            if k in TERMINAL_SAME:
                problems.append(f"[keys] {name}：{k} 在终端里和{TERMINAL_SAME[k]}是同一个键，按了也不会生效：请换一个")
    return problems


TERMINAL_SAME = {  # a terminal sends these Ctrl keys as the control character of another key (ASCII)
    "ctrl+h": "退格（Backspace）",
    "ctrl+i": "Tab",
    "ctrl+m": "回车",
    "ctrl+j": "回车",
    "ctrl+[": "Esc",
}


KEY_WORDS = {  # the names a clerk knows, single-width (F1 said "enter" and "space", issue 15)
    "escape": "Esc",
    "enter": "回车",
    "space": "空格",
    "tab": "Tab",
    "backspace": "退格",
    "delete": "Del",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "up": "上",
    "down": "下",
    "left": "左",
    "right": "右",
}


def scope_of(bindings_: list) -> str | None:
    """The key-table scope of a screen, from the ids of its ``BINDINGS`` (``None`` for none of ours)."""
    ids = {getattr(b, "id", None) for b in bindings_}
    return next((spec.scope for spec in TABLE if spec.id in ids and spec.scope != "app"), None)


def key_label(key: str) -> str:
    """How a key is written for people: ``F10``, ``Ctrl+S``, ``Esc``."""
    if key[:1] == "f" and key[1:].isdigit():
        return key.upper()
    if key.startswith("ctrl+"):
        return "Ctrl+" + key[5:].upper()
    return KEY_WORDS.get(key, key)


def keys_text(spec: KeySpec, remapped: str | None = None) -> str:
    """``F10 / Ctrl+S`` for a spec (or for the keys a site's keymap gave it)."""
    keys = [k.strip() for k in remapped.split(",")] if remapped else spec.keys
    return " / ".join(key_label(k) for k in keys)
