"""One way to run a core call off the UI thread (issue 13): :func:`core_work`.

A screen's method decorated with ``@core_work("group")`` runs in a thread worker (one at a time per
group; the core opens the thread's own database connection, closed when it ends). Whatever it
raises does not end the app: an :class:`~storage.errors.OperatorError` (a refusal with its Chinese
message) or any other exception (a defect, logged with its traceback) is shown to the operator by
:meth:`tui.app.HechaApp.core_failed`, which also hands the message to the screen's own
``core_failed(message)`` when it has one (to clear a busy line).
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any

from textual import work

from storage.errors import OperatorError


def failure_text(exc: BaseException) -> str:
    """What to tell the operator of a failed core call: the refusal's own message, or for a defect
    its kind and that nothing was finished (the core's writes are all-or-nothing transactions)."""
    if isinstance(exc, OperatorError):
        return str(exc)
    return f"内部错误（{type(exc).__name__}：{exc}）：操作未完成。请把这句话告诉维护人员"


def core_work(group: str, *, exclusive: bool = True) -> Callable:
    """``@work(thread=True, exclusive=…, group=…, exit_on_error=False)`` around a method that calls the
    core, reporting any exception instead of ending the app (see the module text)."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def guarded(self, *args: Any, **kwargs: Any) -> Any:
            from storage.db import close_db

            try:
                return method(self, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the point: nothing a core call raises may end the TUI
                if not isinstance(exc, OperatorError):
                    self.app.log.error(traceback.format_exc())
                try:
                    self.app.call_from_thread(self.app.core_failed, self, failure_text(exc))
                except RuntimeError:  # the app is closing
                    pass
                return None
            finally:
                close_db()

        return work(thread=True, exclusive=exclusive, group=group, exit_on_error=False)(guarded)

    return decorate


WAIT_NOTICE_SECONDS = 1.0  # a write still running after this is waiting for the lock: say so


def write_then(node: Any, call: Callable[[], Any], done: Callable[[Any], None], say: Callable[[str], None]) -> None:
    """Run the core write ``call`` off the UI thread (issue 14: no write may freeze the screen while
    another clerk or a list import holds the lock), then ``done(result)`` on the UI thread; a
    refusal or failure goes to ``say(message)`` instead. A write still running after
    :data:`WAIT_NOTICE_SECONDS` says 「正在等待…」 through ``say`` meanwhile. ``node``: the screen."""
    from storage.db import close_db

    from . import text

    finished: list[bool] = []

    def run() -> None:
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - nothing a core call raises may end the TUI
            if not isinstance(exc, OperatorError):
                node.app.log.error(traceback.format_exc())
            finished.append(True)
            node.app.call_from_thread(say, failure_text(exc))
            return
        finally:
            close_db()
        finished.append(True)
        node.app.call_from_thread(done, result)

    def still_waiting() -> None:
        if not finished:
            say(text.WAITING_TO_WRITE)

    node.set_timer(WAIT_NOTICE_SECONDS, still_waiting)
    node.run_worker(run, thread=True, group="write", exclusive=False, exit_on_error=False)
