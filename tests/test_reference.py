"""Reference numbers: format, lenient parsing, and detection of every single typo and adjacent swap."""

from __future__ import annotations

import string

import pytest

from stdnum.iso7064 import mod_37_36

from bridge.tickets.reference import InvalidReference, format_reference, normalise_reference, parse_reference

ALPHANUMERIC = string.digits + string.ascii_uppercase

# 1,000 ticket numbers spread over 1..10^7, plus the edges (including an 8-digit number).
NUMBERS = sorted({1 + (i * 10_007) % 10**7 for i in range(996)} | {1, 123, 9_999_999, 10_000_000, 123_456_789})


def test_format() -> None:
    assert format_reference(123, "KB") == "KB-0000123-4"
    assert format_reference(10_000_000, "KB").startswith("KB-10000000-")


@pytest.mark.parametrize("number", [1, 123, 9_999_999, 10_000_000, 987_654_321])
@pytest.mark.parametrize("prefix", ["KB", "SD", "X", "HELPD"])
def test_round_trip(number: int, prefix: str) -> None:
    reference = format_reference(number, prefix)
    assert parse_reference(reference, prefix) == number
    assert normalise_reference(reference, prefix) == reference


@pytest.mark.parametrize("typed", ["kb 0000123 4", "KB00001234", "kb-0000123-4", " K B 000 0123 - 4 ", "kB\u20130000123\u20134"])
def test_case_spaces_and_dashes_are_ignored(typed: str) -> None:
    assert parse_reference(typed, "KB") == 123
    assert normalise_reference(typed, "KB") == "KB-0000123-4"


def _compact(reference: str) -> str:
    return reference.replace("-", "")


def _substitutions(compact: str, prefix_length: int) -> list[str]:
    """Every single-character change: digits for the number's digits, letters and digits for prefix and check."""
    variants = []
    for position, original in enumerate(compact):
        is_digit_position = prefix_length <= position < len(compact) - 1
        alphabet = string.digits if is_digit_position else ALPHANUMERIC
        variants += [compact[:position] + other + compact[position + 1 :] for other in alphabet if other != original]
    return variants


def _adjacent_swaps(compact: str) -> list[str]:
    return [
        compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
        for i in range(len(compact) - 1)
        if compact[i] != compact[i + 1]
    ]


def _is_rejected(text: str) -> bool:
    try:
        parse_reference(text, "KB")
    except InvalidReference:
        return True
    return False


def test_every_single_substitution_and_adjacent_swap_is_detected() -> None:
    assert len(NUMBERS) >= 1000
    tried, missed = 0, []
    for number in NUMBERS:
        compact = _compact(format_reference(number, "KB"))
        variants = _substitutions(compact, 2) + _adjacent_swaps(compact)
        tried += len(variants)
        missed += [variant for variant in variants if not _is_rejected(variant)]
    assert missed == []
    assert tried > 1000 * 150  # about 170 variants per reference: the loop really ran


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "expected letters, at least 7 digits and a check digit"),
        ("hello", "expected letters, at least 7 digits and a check digit"),
        ("KB--", "expected letters, at least 7 digits and a check digit"),
        ("00001234", "expected letters, at least 7 digits and a check digit"),
        ("KB-0000123-?", "expected letters, at least 7 digits and a check digit"),
        ("KB-0000123-X", "expected letters, at least 7 digits and a check digit"),
        ("KB-123-4", "expected at least 7 digits, got 3"),
        ("KB-00000123-4", "too many leading zeros"),
        ("KB-0000000-0", "the ticket number must not be zero"),
        ("KB-0000123-5", "check digit does not match"),
        ("SD-0000123-4", "expected prefix KB, got SD"),
        (format_reference(123, "SD"), "expected prefix KB, got SD"),
    ],
)
def test_invalid_references(typed: str, problem: str) -> None:
    with pytest.raises(InvalidReference, match="^not a valid reference: ") as raised:
        parse_reference(typed, "KB")
    assert raised.value.problem.startswith(problem)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(("number", "prefix"), [(0, "KB"), (-5, "KB"), (True, "KB"), (12, "kb"), (12, "K1"), (12, "")])
def test_format_rejects_bad_arguments(number: int, prefix: str) -> None:
    with pytest.raises(ValueError):
        format_reference(number, prefix)


def test_parse_rejects_a_misconfigured_prefix() -> None:
    with pytest.raises(ValueError, match="upper-case letters"):
        parse_reference("KB-0000123-4", "kb")


def test_why_not_mod_37_36() -> None:
    """Mod 37,36 would give an alphanumeric check character but misses some adjacent swaps; Damm does not."""
    assert mod_37_36.is_valid("KB0160113J") and mod_37_36.is_valid("KB0161013J")  # "01" <-> "10"
    swapped = format_reference(161013, "KB").replace("0161013", "0160113")
    assert _is_rejected(swapped)
