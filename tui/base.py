"""What a screen may ask of hecha's app, in a module no screen's import leads back from.

:class:`HechaBase` declares the app's attributes (the office, the clerk, the settings, the last
household's village) and the way home; :class:`tui.app.HechaApp` is the app. Screens type
``self.app`` as :class:`HechaBase` (issue 13: no import circles, not even for type checking).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from textual.app import App

if TYPE_CHECKING:
    from storage.models import Office

    from .config import Config


class HechaBase(App):
    """The app as the screens see it: ``config`` (tui.config), ``office`` (this database's office
    row), ``operator`` (the clerk's login), ``is_demo`` (the demo database), ``last_carry`` (village,
    group and address of the last household saved, for the next form), ``reference_date`` (the
    campaign's 标准时点, storage.office, or ``None``)."""

    config: Config
    office: Office
    operator: str
    is_demo: bool
    last_carry: tuple[str, str, str] | None
    reference_date: dt.date | None

    gbk_notice_until: float = 0.0  # monotonic time before which no second GBK notice is shown

    def key_name(self, action: str, scope: str) -> str:
        """The first key of ``action`` in ``scope`` as people write it (``F5``), after this site's
        remapping: what a screen names when it says which key to press (tui.keys)."""
        from .keys import key_label, keys_of

        keys = keys_of(action, (scope,), dict(self.config.keymap))
        return key_label(keys[0]) if keys else ""

    def pop_to_home(self) -> None:
        """Close every screen above the home menu."""
        raise NotImplementedError
