"""Keys typed ahead go where the cursor is when their turn comes (issue 15).

Textual hands each key the driver reads to the widget focused *at that moment*: it posts the key
into that widget's queue and takes the next key at once. A fast clerk over SSH sends a dozen keys
in one read; when the first of them completes a field that opens a page (the form from the menu,
section 三 after a married woman's line), the keys after it are already queued in the old field,
which is hidden or gone by the time it reads them, and they are lost without a word.

:class:`KeysInOrder` (mixed into the app) hands over one key at a time: a key (or a paste) that
arrives while the one before it is still on its way is held; the one before is done when a callback
posted after it has followed it up every queue it can bubble through to the app (so a binding of the
screen or the app has run too); when that key opened a screen, the next waits until the new screen
is mounted and has its focus (at most :data:`SETTLE_SECONDS`), and until a screen that has a
``ready_for_keys`` attribute says it is ready (the duplicate review, before its first page of pairs
is read); an Esc at the head of the held keys goes at once. The held keys are then handed over, in
order, to whatever has the focus. Typing at a human pace sees no difference: a key is done in
well under a millisecond.
"""

from __future__ import annotations

import time
from collections import deque

from textual import events
from textual.app import App, ScreenStackError
from textual.dom import DOMNode, NoScreen
from textual.timer import Timer

GONE = (NoScreen, ScreenStackError)  # no screen (the app closing) or a widget removed as we looked

SETTLE_SECONDS = 10.0
"""The longest a held key waits for a screen that was opened to be ready (or for the key before it
to report), before it goes anyway: long, for a loaded machine; it is never reached in normal use."""
CHECK_SECONDS = 0.05
"""How often a key in flight is looked after: one whose widget was closed with it is done."""


class KeysInOrder(App):
    """An :class:`~textual.app.App` whose keys and pastes reach the focus one at a time (see the
    module text). Only events the driver read are held; keys a test or a binding posts as forwarded
    events go as Textual sends them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Event] = deque()
        self._in_flight = False
        self._settle_until = 0.0
        self._screen_before: object = None
        self._handed = 0  # keys handed over so far: a watchdog knows whether the one it watches is done
        self._waiting_on: DOMNode | None = None  # where the callback following the key in flight is queued
        self._watch: Timer | None = None  # runs only while keys are in flight
        self._since = 0.0
        self._seen: tuple | None = None  # the settled screen and focus at the last look

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if self._in_flight or self._held:
                self._held.append(event)
                return
            await self._hand_over(event)
            return
        await super().on_event(event)

    async def _hand_over(self, event: events.Event) -> None:
        """Give ``event`` to Textual (priority bindings, then the focus) and follow it."""
        try:
            target: DOMNode = self.focused or self.screen
        except GONE:  # the app is closing: Textual decides what becomes of the key
            target = self
        self._screen_before = self.screen
        self._in_flight = True
        self._handed += 1
        self._since = time.monotonic()
        if self._watch is None:
            self._watch = self.set_interval(CHECK_SECONDS, self._look_after)
        else:
            self._watch.resume()
        await super().on_event(event)
        self._follow(target, self._handed)

    async def _look_after(self) -> None:
        """A key in flight whose callback can no longer come (its widget was closed with the key and
        the callback queued: Esc on a page), or that never reported within :data:`SETTLE_SECONDS`:
        the keys held behind it go on."""
        if not self._in_flight or self._settle_until:
            return
        node = self._waiting_on
        closed = node is not None and node is not self and (node._closing or node._closed or not node.is_attached)
        if closed or time.monotonic() - self._since > SETTLE_SECONDS:
            await self._key_done(self._handed)

    def _follow(self, node: DOMNode, handed: int) -> None:
        """Post a callback after the key in ``node``'s queue; when it runs, the key has been handled
        there and, if it bubbled, posted to the parent: follow it there, up to the app."""
        if handed != self._handed:
            return  # the watchdog let this key go already
        self._waiting_on = node
        if node is self:
            self.call_later(self._key_done, handed)
            return
        parent = node.parent
        if not node.call_later(self._follow, parent if parent is not None else self, handed):
            self.call_later(self._key_done, handed)  # a widget closed meanwhile: its queue, and the key, are gone

    async def _key_done(self, handed: int) -> None:
        """The key handed over as number ``handed`` is handled: hand over the next one once the
        screen is ready (a late report of a key the watchdog let go is ignored)."""
        if handed != self._handed or not self._in_flight:
            return
        try:
            changed = self.screen is not self._screen_before
            now = (self.screen, self.focused) if self._screen_settled() else None
        except GONE:  # the app is closing
            return
        if changed and not self._settle_until:
            self._settle_until = time.monotonic() + SETTLE_SECONDS
            self._seen = None
        if self._settle_until:
            # settled, and the same screen and focus as a tick ago: a page that a closing page's
            # callback opens (section 三 after 五) comes within that tick
            stable, self._seen = now is not None and now == self._seen, now
            if not stable and time.monotonic() < self._settle_until and not self._escape_next():
                self.set_timer(0.01, lambda: self._key_done(handed))
                return
        self._settle_until = 0.0
        self._in_flight = False
        self._waiting_on = None
        if self._held:
            await self._hand_over(self._held.popleft())
        elif self._watch is not None:
            self._watch.pause()

    def _escape_next(self) -> bool:
        """Whether the next held key is Esc: it goes at once, ready or not (a clerk leaving a screen
        that is still reading must not wait for it)."""
        return bool(self._held) and isinstance(self._held[0], events.Key) and self._held[0].key == "escape"

    def _screen_settled(self) -> bool:
        """Whether the active screen is mounted, ready (its ``ready_for_keys``, true when it has
        none) and holds the focus (or has nothing to focus)."""
        try:
            screen = self.screen
            if not screen.is_mounted or not getattr(screen, "ready_for_keys", True):
                return False  # a screen may say it is not ready yet (the review before its first page)
            focused = self.focused
            if focused is not None:
                return focused.screen is screen
            return not screen.focus_chain
        except GONE:  # the focused widget was removed as we looked: not settled yet
            return False
