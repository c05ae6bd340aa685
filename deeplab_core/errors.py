"""One base class for every error a reader can see: it carries a catalogue key and the values that fill it.

Pages translate any `LabError` with `t(error.key, **error.values)`, so a new error needs a message in both
`locales/<lang>/errors.toml` files and nothing else; `str(error)` is the English message for logs and tests.
"""

from __future__ import annotations


class LabError(Exception):
    """`key` is a catalogue key ("errors.<group>.<reason>"); `values` fill its placeholders."""

    def __init__(self, key: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values

    @property
    def reason(self) -> str:
        """The last part of the key: what went wrong, in one word ("too_large", "truncated", ...)."""
        return self.key.rsplit(".", 1)[-1]
