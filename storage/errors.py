"""The one base class of the refusals an operator can act on (issue 13).

Every refusal of the core derives from :class:`OperatorError`: a validation error, an export
blocked by errors, a bundle refused, a list that cannot be read, a merge or recheck refused … Its
message is Chinese and says what is wrong, where, and how to fix it. The command line catches this
one class (``错误：…``, exit 1); the TUI's workers show it and stay up. Anything else that escapes the
core is a defect, reported as such.

A leaf module: it imports nothing of the project, so every module can derive from it without an
import circle.
"""

from __future__ import annotations


class OperatorError(Exception):
    """A refusal with a message for the operator (Chinese: what, where, how to fix)."""
