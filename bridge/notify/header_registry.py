"""The standard library's header registry, parsing each header value of one message once.

Composing an acknowledgement and reading it back (bridge/notify/compose.py) asks the library
for the same few header values again and again: the library parses a header anew on every
read, and the feed parser, the walk through the parts and decoding each part read every part's
Content-Type a dozen times between them. A parse depends only on the field's name and value,
so this registry keeps its first answer for the rest of the message; what the library reads is
unchanged. One registry serves one message, so no customer's header outlives their mail.
"""
from __future__ import annotations

from email.headerregistry import BaseHeader, HeaderRegistry
from email.policy import EmailPolicy

# The library builds a new class for every header it parses; one per kind of header is enough.
_CLASSES: dict[type, type[BaseHeader]] = {}


class HeadersParsedOnce(HeaderRegistry):
    """The default registry, remembering each (name, value) it parsed and each header class it made."""

    def __init__(self) -> None:
        super().__init__()
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        kind = self.registry.get(name.lower(), self.default_class)
        made = _CLASSES.get(kind)
        if made is None:
            made = _CLASSES[kind] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: str) -> BaseHeader:
        parsed = self._parsed.get((name, value))
        if parsed is None:
            parsed = self._parsed[(name, value)] = super().__call__(name, value)
        return parsed


def parsing_once(policy: EmailPolicy) -> EmailPolicy:
    """policy with a registry of its own that parses each header value once: use it for one message."""
    return policy.clone(header_factory=HeadersParsedOnce())
