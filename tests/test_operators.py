"""Named operators with a PIN where clerks share one Linux account (issue 14): sign-in, lock-out,
the name on every change, through the core, the command line and the TUI."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from main import cli
from storage import operators
from storage.db import close_db
from storage.models import AuditLog, Operator
from storage.paths import operator_login, set_signed_in

from .conftest import reference_input


@pytest.fixture(autouse=True)
def nobody_signed_in():
    set_signed_in(None)
    yield
    set_signed_in(None)


def test_sign_in_checks_the_pin_locks_after_five_and_records_the_name(township_db):
    operators.add("张三", "２４６８")  # full-width digits from an IME count
    assert operators.required() and bytes.fromhex(Operator.get(login="张三").pin_hash.split("$")[3])
    assert "2468" not in Operator.get(login="张三").pin_hash
    now = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.timezone.utc)
    for _ in range(4):
        with pytest.raises(operators.PinRefused, match="名字或 PIN 不对"):
            operators.sign_in("张三", "1357", now=now)
    with pytest.raises(operators.PinRefused, match="锁定 10 分钟"):
        operators.sign_in("张三", "1357", now=now)
    with pytest.raises(operators.PinRefused, match="已锁定到.*hecha operators add 张三"):  # even the right PIN
        operators.sign_in("张三", "2468", now=now + dt.timedelta(minutes=9))
    assert operator_login() != "张三"
    assert operators.sign_in("张三", "2468", now=now + dt.timedelta(minutes=11)) == "张三"
    assert operator_login() == "张三"

    from storage.households import save_household

    save_household(reference_input())
    assert {a.operator for a in AuditLog.select()} == {"张三"}  # every change under the signed-in name

    with pytest.raises(operators.PinRefused, match="^名字或 PIN 不对。$"):  # an unknown name: the same answer
        operators.sign_in("李四", "2468")
    with pytest.raises(operators.PinRefused, match="4–8位数字"):
        operators.add("李四", "12")
    operators.remove("张三")
    assert not operators.required()
    with pytest.raises(operators.PinRefused, match="^名字或 PIN 不对。$"):
        operators.sign_in("张三", "2468")


def test_a_login_name_that_already_made_changes_cannot_become_a_named_operator(township_db):
    from storage.office import ensure_operator

    ensure_operator("clerk1")
    with pytest.raises(operators.PinRefused, match="系统账户名"):
        operators.add("clerk1", "1234")


def test_commands_ask_for_name_and_pin_once_operators_are_registered(offices, tmp_path, monkeypatch):
    from storage.households import save_household

    from .conftest import TOWNSHIP_PASS

    offices.use_township()
    save_household(reference_input())
    close_db()
    runner = CliRunner()
    db = ["--db", str(offices.township_db)]
    passphrase = tmp_path / "pass"
    passphrase.write_text(TOWNSHIP_PASS + "\n")
    monkeypatch.setenv("HECHA_PASSPHRASE_FILE", str(passphrase))
    res = runner.invoke(cli, ["operators", "add", "王五", *db], input="8642\n8642\n")
    assert res.exit_code == 0 and "已登记录入员「王五」" in res.output, res.output
    set_signed_in(None)
    args = ["person", "set", "130123198707220046", "name=王改名", "--reason", "核对户口簿", *db]
    res = runner.invoke(cli, args)  # no terminal, no PIN file: refused before anything is read
    assert res.exit_code == 1 and "HECHA_PIN_FILE" in res.output, res.output
    pin_file = tmp_path / "pin"
    pin_file.write_text("1111\n")
    monkeypatch.setenv("HECHA_OPERATOR", "王五")
    monkeypatch.setenv("HECHA_PIN_FILE", str(pin_file))
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "名字或 PIN 不对" in res.output, res.output
    pin_file.write_text("8642\n")
    pin_file.chmod(0o644)
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "chmod 600" in res.output, res.output  # a PIN others can read is refused
    pin_file.chmod(0o600)
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert AuditLog.select().where(AuditLog.field == "name").order_by(AuditLog.id.desc()).get().operator == "王五"
    res = runner.invoke(cli, ["operators", "list", *db])
    assert "王五" in res.output and "可用" in res.output

    # locked out: the head of office resets the PIN with the passphrase, nobody signed in
    set_signed_in(None)
    monkeypatch.delenv("HECHA_OPERATOR")
    monkeypatch.delenv("HECHA_PIN_FILE")
    for _ in range(5):
        with pytest.raises(operators.PinRefused):
            operators.sign_in("王五", "0000")
    set_signed_in(None)
    res = runner.invoke(cli, ["operators", "add", "王五", *db], input="12\n")
    assert res.exit_code == 1 and "4–8位数字" in res.output  # said at once, not after typing it twice
    res = runner.invoke(cli, ["operators", "add", "王五", *db], input="97531\n97531\n")
    assert res.exit_code == 0 and "已重设「王五」的 PIN，并已解锁" in res.output, res.output
    assert operators.sign_in("王五", "97531") == "王五"
    res = runner.invoke(cli, ["operators", "remove", "王五", *db])
    assert res.exit_code == 0 and "不再要求登录" in res.output, res.output
    passphrase.write_text("wrong passphrase\n")
    res = runner.invoke(cli, ["operators", "add", "赵六", *db], input="1234\n1234\n")
    assert res.exit_code == 1 and "口令不对" in res.output  # only the passphrase holder registers clerks


def test_an_office_without_keys_cannot_register_operators(township_db):
    res = CliRunner().invoke(cli, ["operators", "add", "张三", "--db", str(township_db)], input="1234\n1234\n")
    assert res.exit_code == 1 and "hecha keys new" in res.output, res.output


@pytest.fixture
def signin_app(township_db):
    """The TUI on a database where 赵六 signs in with PIN 97531."""
    from tui.app import make_app

    operators.add("赵六", "97531")
    close_db()
    return make_app(township_db)


async def test_the_tui_opens_on_the_sign_in_and_keys_under_that_name(signin_app):
    from tui.screens.dialogs import SignInScreen
    from tui.screens.home import HomeScreen

    app = signin_app
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        for ch in "赵六":
            await pilot.press(ch)
        await pilot.press("enter", "1", "2", "3", "4", "enter")
        deadline = time.monotonic() + 20
        while "PIN 不对" not in str(app.screen.query_one("#signin-error").render()):
            assert time.monotonic() < deadline, "no refusal shown"
            await pilot.pause(0.05)
        assert "错误：" in str(app.screen.query_one("#signin-error").render())  # in words, not only in red
        await pilot.press(*"97531", "enter")
        while not isinstance(app.screen, HomeScreen):
            assert time.monotonic() < deadline, "did not reach the menu"
            await pilot.pause(0.05)
        assert app.operator == "赵六" and operator_login() == "赵六"


async def test_esc_on_the_sign_in_leaves_hecha(signin_app):
    app = signin_app
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.return_code is None
        await pilot.press("escape")
        await pilot.pause()
        assert app.return_code == 0  # the app was told to end: nothing can be done unsigned


def test_guesses_run_in_parallel_are_counted_one_by_one(township_db, tmp_path):
    """A tester ran 40 guesses at once and each was checked, the right PIN still taken after the lock
    was announced. Each try is now one write transaction: the sixth and later find the name locked."""
    import subprocess
    import sys

    operators.add("张三", "2468")
    close_db()
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); from storage.db import open_db; "
        "from storage import operators; open_db(sys.argv[1]); "
        'exec(\'try:\\n operators.sign_in("张三", sys.argv[3])\\n print("in")\\n'
        "except operators.PinRefused as e:\\n print(e)')"
    )
    root = str(Path(__file__).resolve().parent.parent)
    guesses = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(township_db), root, f"{1000 + i}"], stdout=subprocess.PIPE, text=True
        )
        for i in range(12)
    ]
    said = [g.communicate(timeout=120)[0] for g in guesses]
    assert sum("锁定" in s for s in said) >= 12 - operators.MAX_TRIES, said  # the lock held from the fifth on
    assert not any(s.strip() == "in" for s in said)
    from storage.db import open_db

    open_db(township_db)
    with pytest.raises(operators.PinRefused, match="锁定"):
        operators.sign_in("张三", "2468")  # even the right PIN, now
