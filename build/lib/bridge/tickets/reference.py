"""Ticket reference numbers that survive being read out over the phone: KB-0000123-4.

A reference is the desk's prefix of letters, the database's ticket number
zero-padded to at least seven digits, and a Damm check digit over those digits.
Every single mistyped character and every swap of two adjacent characters must be
caught, because a wrong-but-valid reference would point at somebody else's ticket:

* the prefix is fixed per desk, so it is compared exactly (a letter typed among the
  digits, or a digit in the prefix, breaks the letters-digits-check shape);
* the Damm algorithm (a totally anti-symmetric quasigroup of order 10) catches
  every single-digit error and every adjacent transposition, including a swap of
  the last digit with the check digit.

ISO 7064 Mod 37,36 was considered for an alphanumeric check character but rejected:
as a hybrid system it misses some adjacent transpositions (KB-0160113-J and
KB-0161013-J are both valid); tests/test_reference.py keeps that counter-example.
People type references with any case, spacing and dashes, so parsing ignores all
three; everything else must match exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import damm

MIN_DIGITS = 7

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")  # whitespace, hyphen-minus and the Unicode dashes phones substitute
_COMPACT = re.compile(r"([A-Z]+)([0-9]+)([0-9])")
_PREFIX = re.compile(r"[A-Z]+")


class InvalidReference(ValueError):
    """Text that is not a reference this desk issued; the message says what is wrong, for showing to the customer."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"not a valid reference: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class _Parts:
    prefix: str
    digits: str
    check: str


def format_reference(number: int, prefix: str) -> str:
    """The canonical reference for a ticket number, e.g. format_reference(123, "KB") == "KB-0000123-4"."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"ticket number must be a positive integer, got {number!r}")
    _require_prefix(prefix)
    digits = f"{number:0{MIN_DIGITS}d}"
    return f"{prefix}-{digits}-{damm.calc_check_digit(digits)}"


def parse_reference(text: str, prefix: str) -> int:
    """The ticket number in a reference typed by a person; the prefix is required because only it guards the letters."""
    _require_prefix(prefix)
    parts = _split(text)
    if parts.prefix != prefix:
        raise InvalidReference(f"expected prefix {prefix}, got {parts.prefix}")
    return _verified_number(parts)


def normalise_reference(text: str, prefix: str) -> str:
    """The canonical form (PREFIX-NNNNNNN-C) of a reference typed by a person, e.g. "kb 0000123 4" -> "KB-0000123-4"."""
    return format_reference(parse_reference(text, prefix), prefix)


def _require_prefix(prefix: str) -> None:
    """A misconfigured prefix is a programming error, not a customer's typo, so it is a plain ValueError."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"reference prefix must be upper-case letters A-Z, got {prefix!r}")


def _split(text: str) -> _Parts:
    compact = _SEPARATORS.sub("", text).upper()
    match = _COMPACT.fullmatch(compact)
    if match is None:
        raise InvalidReference(f"expected letters, at least {MIN_DIGITS} digits and a check digit")
    return _Parts(*match.groups())


def _verified_number(parts: _Parts) -> int:
    """The number, once the digits are in canonical form and the check digit matches."""
    number = int(parts.digits)
    if number == 0:
        raise InvalidReference("the ticket number must not be zero")
    if len(parts.digits) < MIN_DIGITS:
        raise InvalidReference(f"expected at least {MIN_DIGITS} digits, got {len(parts.digits)}")
    if parts.digits != f"{number:0{MIN_DIGITS}d}":
        raise InvalidReference(f"too many leading zeros (the number is padded to {MIN_DIGITS} digits only)")
    if not damm.is_valid(parts.digits + parts.check):
        raise InvalidReference("check digit does not match")
    return number
