"""Chinese UI strings, gathered here rather than scattered through the screens."""

from rich.cells import cell_len


def pad(label: str, width: int) -> str:
    """Pad to ``width`` terminal cells (a Chinese character takes two), at least one space after."""
    return label + " " * max(width - cell_len(label), 1)


APP_TITLE = "hecha 核查"
DEMO_TAG = "【演示数据库】"

HOME_ENTRIES = (
    ("录入核查登记表", "open_form"),
    ("户列表（查看、修改）", "open_list"),
    ("导出数据包", "open_export"),
    ("导入数据包", "open_import"),
    ("审核校验", "open_check"),
    ("质量复查（复录、判定）", "open_recheck"),
    ("重复登记（查找、合并）", "open_duplicates"),
    ("导入外部名单", "open_lists"),
    ("核查比对（漏报错报虚报）", "open_reconcile"),
    ("协查（收到、发出、统计）", "open_assist"),
    ("流动人口", "open_migrants"),
    ("县级进度（各乡镇）", "open_county"),
    ("退出", "app.quit_app"),
)
"""The home menu: each entry's label and action; its keys are drawn from the binding table
(:func:`tui.keys.keys_of`, after the site's remapping)."""

FORM_TITLE = "核查登记表"
SEC_HOUSEHOLD = "一、户的情况"
SEC_MEMBERS = "二、户内人员（户主写在第一行；姓名空着按回车转到出生）"
SEC_BIRTHS = "四、近十年出生（孩子序号和姓名都空着按回车即保存本户）"
CODE_PENDING = "（保存时编号）"
NEW_MEMBER = "新增第{n}人"
EDIT_MEMBER = "修改第{n}人"
NEW_BIRTH = "新增第{n}个出生"
EDIT_BIRTH = "修改第{n}个出生"

DUP_WARNING = "！重号：身份证号 {id} 已登记为 {name}\n  {village} 户编码 {code}；F11 同一人（调出），保存时须确认"
DUP_SIMILAR = "！可能重复登记（{rule}）：{name} {id}\n  {village} 户编码 {code}；F11 同一人（调出），保存时须确认"
LINKED = "已调出已登记的 {name}（户 {code}）：核对后录完这一行，保存时此人转入本户"
ON_LIST = "外部名单有此人（{rule}）：{name}\n  {where}"


def duplicate_warning(found, refs) -> str:
    """The warning under the member being typed: the first registered person the duplicate check
    found (and how many), else the first reference-list record, else nothing. ``found`` and
    ``refs`` are :class:`storage.dedup.Candidate` sequences."""
    if not found:
        r = refs[0] if refs else None
        return ON_LIST.format(name=r.name, where=r.village_name, rule=r.rule_text) if r else ""
    c = found[0]
    more = f" 等{len(found)}人" if len(found) > 1 else ""
    if c.rule == "same_id":
        return DUP_WARNING.format(id=c.id_number, name=c.name, village=c.village_name, code=c.household_code) + more
    return (
        DUP_SIMILAR.format(
            rule=c.rule_text,
            name=c.name,
            id=c.id_number or c.birth_date.replace("-", ""),
            village=c.village_name,
            code=c.household_code,
        )
        + more
    )


DUP_CONFIRM_TITLE = "以下人员可能已经登记"
DUP_CONFIRM_BODY = (
    "请核对是否录错，或是否同一人重复登记（同一人：按N返回，在提示出现时按F11调出）。\n"
    "Y：是不同的人，保存（记住这一对，以后不再提示；同号的仍列入重复登记待查）"
)
WARN_CONFIRM_TITLE = "以下情况需要核实确认"
WARN_CONFIRM_BODY = "已按原件核实无误、确认保存吗？（确认记入记录，以后不再提示）"
SAVED = "已保存 户编码 {code}（{n}人，{b}个出生）"
DISCARD = "本户还没有保存，放弃已录的内容吗？"
NEED_HEAD = "请先录入户主（第一行）"
ERROR_PREFIX = "错误："  # an error in words, not only in red (16 colours, issue 15)
WAITING_TO_WRITE = "正在等待其他录入员完成保存…（稍候自动写入，不用重按）"
WAITING_FOR_LOCK = "正在等待其他录入员完成保存…（本户已录的内容都在，稍候自动保存）"
MEMBER_INCOMPLETE = "当前人员还没有填与户主关系：请填上（或清空姓名），再保存、换人或打开其他页"

YES_NO = "Y 是    N 否"
PASSPHRASE_PROMPT = "本单位口令："
SIGN_IN_TITLE = "录入员登录"
SIGN_IN_PROMPT = "本办公室共用一个系统账户：请输入你的名字和 PIN，修改记录记在你的名下。"
SIGN_IN_CHECKING = "正在核对…"
EXPORTING = "正在导出数据包..."
IMPORTING = "正在导入..."

RECHECK_FORM_TITLE = "质量复查 盲录 任务{n} 登记表{form_no}：照纸表从头录入 "
RECHECK_SAVED = "已复录登记表 {form_no}：比对 {n} 项，差异 {d} 项"
BUSY = "正在处理，请稍候..."  # Textual's LoadingIndicator says "Loading..." with animations off

NOT_DONE = "未完成"
"""The title of the note that a core call failed (tui.workers.core_work)."""
