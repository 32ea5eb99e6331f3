"""hecha in a real terminal (tmux at 80x24, TERM=xterm), Chinese typed as UTF-8, screen read back."""

from __future__ import annotations

import re
import subprocess

import pytest
from rich.cells import cell_len

from storage.db import close_db, open_db
from storage.models import Birth, Person, WomanFP

from .conftest import assert_reference_household_stored, keystroke_sequence, reference_household, require_tool
from .terminal import Tmux, hecha_command, hecha_running, wait_for_state

pytestmark = pytest.mark.terminal


def open_form(t: Tmux) -> None:
    """From the menu on an empty database, F2: a new household form."""
    t.wait_for("已录入：0 户")
    t.keys("F2")
    t.wait_for("一、户的情况")


def test_key_the_reference_household_in_tmux(township_db):
    require_tool("tmux")
    close_db()
    ref = reference_household()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        t.wait_for("已录入：0 户")
        home = t.wait_for("新安镇")
        assert all(cell_len(line) <= 80 for line in home.splitlines())
        t.keys("F2")
        t.wait_for("一、户的情况")
        hh = ref["household"]["typed"]
        t.type(hh["village_code"])
        t.wait_for("李家庄村")  # the village's name shows beside its code
        t.type(hh["group_no"])
        t.type(hh["address_detail"])
        t.keys("Enter")
        t.type(hh["form_no"])
        t.keys("Enter")
        t.wait_for("一、户的情况（续）")
        t.type(hh["household_kind"] + hh["hukou_type"])
        t.keys("Enter")
        t.type(hh["phone"])
        t.keys("F10")
        t.wait_for("二、户内人员")
        for n, m in enumerate(ref["members"]):
            f = m["typed"]
            if n == 0:  # a typo fixed inside one burst: Backspace must act between the characters
                burst = [f["name"][:-1] + "果", "BSpace", f["name"][-1]]  # one write, as over SSH
                subprocess.run([*t.tmux, "send-keys", "-t", t.name, *burst], check=True)
                t.wait_for(f["name"])  # the burst taken, the typo mended, before the next keys
            else:
                t.type(f["name"])
            t.keys("Enter")
            t.type(f["id_number"] + f["relation_to_head"] + f["ethnicity"])  # one burst: type-ahead follows the cursor
            for code in ("marital_status", "education"):
                t.type(f[code]) if code in f else t.keys("Enter")
            t.type(f["residence_status"])
            if "contraception" in f:  # a married woman of 15–49: section 三 opens by itself
                t.wait_for("三、育龄妇女")
                t.type(f["first_marriage_date"] + f["contraception"] + f["contraception_start"])
                t.keys("F10")
                t.wait_for("二、户内人员")
            t.wait_for(f["id_number"])  # the member is in the table
        screen = t.screen()
        for m in ref["members"]:
            assert m["typed"]["name"] in screen
        assert "妻" in screen and "汉族" in screen
        t.keys("Enter")
        t.type("4")
        t.keys("Enter")
        t.type("2")
        t.keys("Enter", "Enter")
        t.type("2")  # 孩次 2 moves on by itself, like the one-digit codes after it
        t.type("11M1304567891")  # 结局 1, 地点 1, certificate, 政策 1: each moves on when full
        t.wait_for("M130456789")
        t.keys("F10")
        t.wait_for("已保存")
        t.wait_for("［新户］")
        t.keys("Escape")
        t.wait_for("已录入：1 户  4 人  1 个出生")
        t.keys("F3", "Tab")  # the household list, the cursor in its table: the row marked in characters
        t.wait_until(lambda text: re.search(r">\s*130123103203030001", text) is not None, "the selected row's >")
        t.keys("Escape")
        t.wait_for("已录入：1 户")
        # quitting from a page above an unsaved form asks first
        t.keys("F2")
        t.wait_for("一、户的情况")
        t.type("130123103203" + "07" + "X")
        t.keys("Enter", "Enter")
        t.wait_for("一、户的情况（续）")
        t.keys("F12")
        t.wait_for("放弃已录的内容吗")
        t.type("y")
        wait_for_state(lambda: not hecha_running(str(township_db)), "hecha leaving after 放弃")
    open_db(township_db)
    assert {p.name for p in Person.select()} == {"李建国", "王秀英", "李浩然", "李梓涵"}
    assert Birth.get().birth_cert_no == "M130456789" and Birth.get().policy_attribute == "1"
    assert WomanFP.get().contraception == "03"


def test_a_gbk_byte_does_not_end_hecha(township_db):
    require_tool("tmux")
    close_db()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        open_form(t)
        t.type("13012310320303")
        subprocess.run([*t.tmux, "send-keys", "-t", t.name, "-H", "d5", "c5"], check=True)  # 张 in GBK
        screen = t.wait_for("UTF-8")
        assert "一、户的情况" in screen  # still running, on the same form
        t.type("张三")  # and UTF-8 still works after it
        t.wait_for("张三")


def test_a_non_utf8_locale_gets_the_settings(monkeypatch):
    from tui import terminal

    monkeypatch.setattr(terminal.locale, "getpreferredencoding", lambda do_setlocale=False: "GBK")
    message = terminal.locale_problem()
    assert message and "PuTTY" in message and "Xshell" in message and "UTF-8" in message
    monkeypatch.setattr(terminal.locale, "getpreferredencoding", lambda do_setlocale=False: "UTF-8")
    monkeypatch.setattr(terminal.sys, "stdout", type("S", (), {"encoding": "utf-8"})())
    assert terminal.locale_problem() is None


def test_sighup_mid_form_then_resume(township_db):
    """The SSH connection drops (SIGHUP) in the middle of a form; the next start resumes it."""
    require_tool("tmux")
    close_db()
    command = hecha_command(str(township_db))
    with Tmux(command, term="xterm-256color") as t:
        t.wait_for("已录入：0 户")
        t.keys("F2")
        t.wait_for("一、户的情况")
        t.type("13012310320303" + "李家庄村三组18号")
        t.keys("Enter")
        t.type("0001")
        t.keys("Enter")
        t.wait_for("一、户的情况（续）")
        t.keys("F10")
        t.wait_for("二、户内人员")
        t.type("李建国")
        t.keys("Enter")
        t.type("130123198503140036" + "02" + "01" + "20" + "71" + "1")
        t.wait_for("130123198503140036")
        t.type("王秀英")
        t.keys("Enter")
        wait_for_state(lambda: _draft_holds(township_db, "王秀英"), "the draft holding 王秀英 (the field left)")
        pid = hecha_running(str(township_db))
        assert pid, "hecha is not running"
        subprocess.run(["kill", "-HUP", *pid], check=True)
        wait_for_state(lambda: not hecha_running(str(township_db)), "hecha ending on SIGHUP")
    with Tmux(command, term="xterm") as t:
        t.wait_for("继续未完成的登记表")
        t.type("y")
        screen = t.wait_for("已恢复上次未保存的登记表")
        assert "李建国" in screen and "130123198503140036" in screen and "王秀英" in screen
        assert "李家庄村三组18号" in screen


def test_ascii_borders_and_16_colours(township_db, tmp_path):
    """[display] ascii/colors (here from the environment): no East Asian ambiguous-width character
    (box drawing, blocks, "…", "→") anywhere on the menu, the form, a code lookup or the help, and
    only the 16 standard colours (no 256-colour or true-colour sequences)."""
    import re
    import unicodedata

    require_tool("tmux")
    close_db()
    env = {"HECHA_ASCII": "1", "HECHA_COLORS": "16"}
    with Tmux(hecha_command(str(township_db)), term="xterm-256color", env=env) as t:
        screens = [t.wait_for("已录入：0 户")]
        t.keys("F2")
        screens.append(t.wait_for("一、户的情况"))
        t.keys("F4")
        screens.append(t.wait_for("李家庄村"))
        codes = t.screen_with_codes()
        t.keys("Escape")
        t.wait_until(lambda text: "李家庄村" not in text, "the lookup closed")
        t.keys("F1")
        screens.append(t.wait_for("【登记表】"))
        codes += t.screen_with_codes()
        t.keys("Escape")
        t.wait_until(lambda text: "【登记表】" not in text, "the help closed")
        t.type("130123103203" + "0")
        t.keys("Enter")
        screens.append(t.wait_for("01-99"))  # the message's "01–99" (an en dash, ambiguous) written "-"
        t.keys("Escape")  # leave, answering the question, then the list import with its file picker
        t.wait_for("放弃")
        t.type("y")
        t.wait_until(lambda text: "放弃" not in text, "the question answered")
        t.wait_for("已录入：0 户")
        t.keys("F4")
        screens.append(t.wait_for("导入外部名单"))
    for text in screens:
        ambiguous = sorted({c for c in text if unicodedata.east_asian_width(c) == "A"})
        assert not ambiguous, (ambiguous, text)
        assert all(cell_len(line) <= 80 for line in text.splitlines())
    assert "+" in screens[2] and "|" in screens[2]  # the lookup dialog's ASCII border
    assert not re.search(r"\x1b\[[0-9;]*[34]8;[25];", codes), "256-colour or true-colour sequences with colors = 16"
    assert re.search(r"\x1b\[[0-9;]*(9[0-7]|10[0-7]|3[0-7]|4[0-7])[;m]", codes)  # the 16 colours are used


def test_long_minority_names_keep_the_member_table_aligned(township_db):
    """Names of 2 to 8 characters (阿依古丽·买买提, with the middle dot of minority names) in the member
    table: every row's ID number starts in the same terminal column as its header."""
    require_tool("tmux")
    close_db()
    members = [("阿依古丽·买买提", "130123198804020249", "02"), ("王五", "130123198609010133", "10")]
    with Tmux(hecha_command(str(township_db)), term="xterm-256color") as t:
        t.wait_for("已录入：0 户")
        t.keys("F2")
        t.wait_for("一、户的情况")
        t.type("13012310320303" + "李家庄村三组20号")
        t.keys("Enter")
        t.type("0002")
        t.keys("Enter")
        t.wait_for("一、户的情况（续）")
        t.keys("F10")
        t.wait_for("二、户内人员")
        for index, (name, number, relation) in enumerate(members, start=1):
            t.type(name)
            t.keys("Enter")
            t.type(number + relation + "01")
            t.keys("Enter", "Enter")
            t.type("1")
            # the member's row in the table (its 序 first), not the number the editor line already shows
            t.wait_until(
                lambda text, i=index, n=number: any(
                    line.split()[:1] == [str(i)] and n in line for line in text.splitlines()
                ),
                f"member {index}'s row in the table",
            )
        screen = t.screen()
    lines = screen.splitlines()
    header = next(line for line in lines if "身份证号" in line and "序" in line)
    column = cell_len(header[: header.index("身份证号")])
    for name, number, _ in members:
        row = next(line for line in lines if number in line and name in line)
        assert cell_len(row[: row.index(number)]) == column, (row, header)
        assert all(cell_len(line) <= 80 for line in lines)


def _draft_holds(db, text: str) -> bool:
    """Whether the database's draft of an unfinished form holds ``text`` (read-only, its own connection)."""
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return any(text in data for (data,) in con.execute("SELECT data FROM draft"))
    except sqlite3.OperationalError:  # locked for a moment by the writer: ask again
        return False
    finally:
        con.close()


def test_esc_then_a_key_in_one_write_is_esc_then_the_key(township_db):
    """Issue 15: on a slow link ``Esc y`` arrives as one read; Textual took it as Alt+y and typed y
    into 门牌地址, so the 放弃 dialog never came. Now it is Esc (the dialog) and y (its answer)."""
    require_tool("tmux")
    close_db()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        open_form(t)
        t.type("13012310320303" + "李家庄")
        t.wait_for("李家庄")
        subprocess.run([*t.tmux, "send-keys", "-t", t.name, "-H", "1b", "79"], check=True)  # Esc y: one write
        screen = t.wait_for("已录入：0 户")  # the form was left through its 放弃 question, answered y
        assert "李家庄y" not in screen


def test_sigterm_gives_the_terminal_back(township_db):
    """Issue 15: a SIGTERM (a shutdown, a killed session's process group) left the terminal on the
    alternate screen with the cursor hidden. tmux says which screen and whether the cursor shows."""
    require_tool("tmux")
    close_db()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        t.wait_for("已录入：0 户")

        def state() -> str:
            return subprocess.run(
                [*t.tmux, "display", "-p", "-t", t.name, "#{alternate_on} #{cursor_flag}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()

        assert state().startswith("1")  # full screen
        pid = hecha_running(str(township_db))
        assert pid, "hecha is not running"
        subprocess.run(["kill", "-TERM", *pid], check=True)
        wait_for_state(lambda: not hecha_running(str(township_db)), "hecha ending on SIGTERM")
        wait_for_state(lambda: state() == "0 1", "the normal screen with the cursor shown")


def test_meaning_without_colour_in_a_real_terminal(township_db):
    """Issue 15: with 16 colours (or none) the focused field, the selected row and an error were told
    by colour alone. Read without colours (capture-pane without -e): a ``>`` before the focused
    field's label, ``>`` on the selected row, 「错误：」 before an error."""
    require_tool("tmux")
    close_db()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        t.wait_for("已录入：0 户")
        t.keys("F2")
        screen = t.wait_for(">村(居)委会")
        assert ">村民小组" not in screen
        t.type("130123103203")
        t.wait_for(">村民小组")
        t.type("0")
        t.keys("Enter")
        t.wait_for("错误：村民小组应为2位数字")


def test_a_household_saved_by_its_blank_birth_line_leaves_no_draft(township_db):
    """A newcomer saved a household with Enter on a blank birth line and was offered it again as
    unfinished at the next start: the field left by that Enter wrote the draft after the save had
    cleared it."""
    require_tool("tmux")
    close_db()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        open_form(t)
        t.type("13012310320303" + "李家庄")
        t.keys("Enter")
        t.type("0001")
        t.keys("Enter")
        t.wait_for("一、户的情况（续）")
        t.keys("F10")
        t.wait_for("二、户内人员")
        t.type("王大山")
        t.keys("Enter")
        t.type("130123198503140036" + "02" + "01" + "20" + "71" + "1")
        t.wait_for("130123198503140036")
        t.keys("Enter")  # a blank name: on to the births
        t.keys("Enter", "Enter")  # a blank birth line saves
        t.wait_for("已保存")
        t.keys("Escape")
        t.wait_for("已录入：1 户")
        t.type("0")
        wait_for_state(lambda: not hecha_running(str(township_db)), "hecha leaving")
    assert not _draft_holds(township_db, "130123198503140036")


def test_a_whole_household_in_one_send_keys_keeps_every_key(township_db):
    """Issue 15: a household typed heads-down reaches hecha in a few reads, with pages that open by
    themselves in between (the form from the menu, section 三 after her line); every key is kept."""
    require_tool("tmux")
    close_db()
    ref = reference_household()
    names = {"enter": "Enter", "tab": "Tab", "escape": "Escape"}
    keys = [names.get(k, k.upper() if re.fullmatch(r"f\d+", k) else k) for k in keystroke_sequence(ref)]
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        t.wait_for("已录入：0 户")
        subprocess.run([*t.tmux, "send-keys", "-t", t.name, *keys], check=True)
        open_db(township_db)
        try:
            wait_for_state(lambda: Person.select().count() == 4, "the household saved", timeout=60)
            assert_reference_household_stored(ref)
        finally:
            close_db()


def test_enter_on_a_member_line_and_keys_in_one_write_keep_the_first_key(township_db):
    """A newcomer's finding: Enter on a line of the members' table and the name typed after it in
    one read lost the name's first character (「Enter 沈朋泽」 gave 朋泽; a saved 徐琳 became 琳):
    Enter only posted a message, and the next key was read while the table still had the cursor."""
    require_tool("tmux")
    close_db()
    with Tmux(hecha_command(str(township_db)), term="xterm") as t:
        open_form(t)
        t.type("13012310320303")
        t.type("李家庄村三组18号")
        t.keys("Enter")
        t.type("0001")
        t.keys("Enter", "F10")
        t.wait_for("新增第1人")
        t.type("李建国")
        t.keys("Enter")
        t.type("130123198503140036020120711")
        t.wait_until(
            lambda screen: "新增第2人" in screen and ">姓名" in screen, "the next member's name has the cursor"
        )
        t.keys("BTab")  # back to the members' table: its line is marked
        t.wait_until(lambda screen: re.search(r">\s*1\s+李建国", screen), "the members' table has the cursor")
        subprocess.run([*t.tmux, "send-keys", "-t", t.name, "Enter", "abc"], check=True)
        t.wait_for("姓名abc")
