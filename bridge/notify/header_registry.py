"""The standard library's header registry, parsing each header value of one message once.

Composing an acknowledgement and reading it back (bridge/notify/compose.py) asks the library
for the same few header values again and again: the library parses a header anew on every
read, and the feed parser, the walk through the parts and decoding each part read every part's
Content-Type a dozen times between them. A parse depends only on the field's name and value,
so the registry keeps its first answer for the rest of the message; what the library reads is
unchanged. The fields our code and settings write (From, the parts' types and encodings) read
the same on every message, so their parses are kept for the process; a customer's words (To,
Subject) are parsed for one message, and kept no longer than it.
"""
from __future__ import annotations

from functools import lru_cache

from email.headerregistry import BaseHeader, HeaderRegistry
from email.policy import EmailPolicy

# Fields whose values come from our code and settings, never from a customer: From is the configured
# sender, the rest describe the parts we build. A multipart's Content-Type differs by its random
# boundary, so the process keeps only the most recent parses.
OURS = frozenset({"from", "mime-version", "content-type", "content-transfer-encoding", "auto-submitted"})


class _OneClassPerKind(HeaderRegistry):
    """The default registry, making the class for each kind of header once (the library makes one per parse)."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[type, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        kind = self.registry.get(name.lower(), self.default_class)
        made = self._classes.get(kind)
        if made is None:
            made = self._classes[kind] = super().__getitem__(name)
        return made


_LIBRARY = _OneClassPerKind()


@lru_cache(maxsize=64)
def _parsed_ours(name: str, value: str) -> BaseHeader:
    return _LIBRARY(name, value)


class HeadersParsedOnce(HeaderRegistry):
    """A registry for one message: each (name, value) is parsed once, and our own fields once per process."""

    def __init__(self) -> None:
        super().__init__()
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        return _LIBRARY[name]

    def __call__(self, name: str, value: str) -> BaseHeader:
        parsed = self._parsed.get((name, value))
        if parsed is None:
            parse = _parsed_ours if name.lower() in OURS else _LIBRARY
            parsed = self._parsed[(name, value)] = parse(name, value)
        return parsed


def parsing_once(policy: EmailPolicy) -> EmailPolicy:
    """policy with a registry of its own that parses each header value once: use it for one message."""
    return policy.clone(header_factory=HeadersParsedOnce())
