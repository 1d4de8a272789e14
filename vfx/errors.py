"""The one exception type that reaches users.

Every problem a user can fix (a missing file, a bad prompt, an unknown preset)
raises :class:`VfxError` with a single line that names the problem and the fix.
The CLI prints that line and exits non-zero without a traceback; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations


class VfxError(Exception):
    """A user-facing error whose message is one line: what is wrong and how to fix it."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
