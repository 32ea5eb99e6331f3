"""Drive hecha in a real terminal: tmux at 80x24, keys sent as a terminal sends them."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid


class Tmux:
    """One tmux session running ``command`` in an 80x24 window with ``TERM=term``."""

    def __init__(self, command: str, *, term: str = "xterm", env: dict[str, str] | None = None, size=(80, 24)):
        self.name = f"hecha-test-{uuid.uuid4().hex[:8]}"
        # a tmux server of its own (-L): the command gets this test's environment, not a server's
        self.tmux = ["tmux", "-L", self.name, "-f", "/dev/null"]
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in {"TERM": term, "LANG": "C.UTF-8", **(env or {})}.items())
        subprocess.run(
            [
                *self.tmux,
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(size[0]),
                "-y",
                str(size[1]),
                f"env {exports} {command}; sleep 30",
            ],
            check=True,
        )

    def keys(self, *keys: str) -> None:
        """Send tmux key names (``Enter``, ``F2``, ``C-s``)."""
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str, pause: float = 0.15) -> None:
        """Send ``text`` literally (UTF-8), as an input method commits it, then let the app catch up."""
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True)
        time.sleep(pause)

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.name], check=True, capture_output=True, text=True
        ).stdout

    def screen_with_codes(self) -> str:
        """The screen with its SGR escape sequences (colours, reverse video)."""
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-e", "-t", self.name], check=True, capture_output=True, text=True
        ).stdout

    def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} did not appear on screen:\n{text}")
            time.sleep(0.1)

    def wait_until(self, done, what: str, timeout: float = 15.0) -> str:
        """The screen once ``done(screen text)`` holds (polled, with a deadline); ``what`` names the
        state for the failure message."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if done(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen:\n{text}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_for_state(done, what: str, timeout: float = 15.0):
    """Poll ``done()`` until it returns something true, with a deadline (never a bare sleep: the
    suite must pass on a loaded machine); returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = done()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


def hecha_running(db: str) -> list[str]:
    """The pids of hecha processes on ``db`` (not the tmux pane's shell that started one: its
    command line names hecha too, and it stays a while after hecha ends)."""
    pids = subprocess.run(["pgrep", "-f", f"hecha --db {db}"], capture_output=True, text=True).stdout.split()
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"sleep 30" in fh.read():
                    continue
        except OSError:  # gone meanwhile
            continue
        out.append(pid)
    return out


def hecha_command(db: str) -> str:
    """The shell command that starts the TUI from this virtual environment on ``db``."""
    import sys
    from pathlib import Path

    return f"{shlex.quote(str(Path(sys.executable).parent / 'hecha'))} --db {shlex.quote(db)}"


__all__ = ["Tmux", "hecha_command", "os"]
