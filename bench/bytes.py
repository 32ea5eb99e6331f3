"""Bytes written to the terminal per character typed into a form field (DESIGN.md §11: ≤ 300).

    python bench/bytes.py [--chars 40]

Starts hecha in a pseudo-terminal of 80x24 (TERM=xterm, like PuTTY), opens the household form, then
types characters into the address field one at a time, waiting for the screen to settle after each,
and counts the bytes hecha writes meanwhile. Cursor blink is off, so an idle field costs nothing.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import budget  # noqa: E402


def drain(fd: int, quiet: float = 0.3, limit: float = 10.0) -> bytes:
    """Read until the program has been quiet for ``quiet`` seconds."""
    out = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=int, default=40)
    args = ap.parse_args()
    from storage.db import close_db
    from storage.office import init_office

    os.umask(0o077)  # hecha refuses a database others can read (issue 14), as an office's would be
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "t.sqlite"
        init_office(db, "130123103")
        close_db()
        hecha = str(Path(sys.executable).parent / "hecha")
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(TERM="xterm", LANG="C.UTF-8", COLUMNS="80", LINES="24")
            os.execv(hecha, [hecha, "--db", str(db)])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        try:
            start = drain(fd, quiet=1.0, limit=20)
            if "新安镇".encode() not in start:  # the menu names the office: anything else is a refusal
                raise SystemExit(f"hecha did not start: {start.decode(errors='replace')[:300]}")
            os.write(fd, b"\x1bOQ")  # F2
            drain(fd, quiet=0.5)
            os.write(fd, b"130123103203" + b"03")
            drain(fd, quiet=0.5)
            total = 0
            for n in range(args.chars):
                os.write(fd, "甲乙丙丁戊己庚辛壬癸".encode()[3 * (n % 10) : 3 * (n % 10) + 3] if n % 2 else b"a")
                total += len(drain(fd, quiet=0.15))
            idle = len(drain(fd, quiet=2.0))
            print(
                f"first screen: {len(start)} bytes; typing {args.chars} characters (ASCII and Chinese): "
                f"{total} bytes, {total / args.chars:.0f} bytes per character; idle 2 s afterwards: {idle} bytes"
            )
            budget("bytes to the terminal per character typed", total / args.chars, "bytes", 300)
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
