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
