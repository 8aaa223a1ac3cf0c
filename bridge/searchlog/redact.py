"""What of a customer's query may be kept: no personal data, and nothing that acts on a writer's terminal.

Customers type all sorts into a search box. The log promises no personal data, and `kb gaps`
prints queries to a writer's terminal and into spreadsheets, so a query is cleaned once, before
it is stored, by the rules below (README, "The search log", says the same to its readers):

- Control and format characters (terminal escapes, bidirectional overrides, zero-width
  characters) are removed: they are never part of a question, and they could rewrite a terminal.
- An email address becomes `[email]`.
- A phone number becomes `[phone]`: whatever libphonenumber (Google's phone-number library)
  finds as a valid number, written for the desk's country (the support policy's holiday country)
  or internationally with `+` or `00`. Error codes, versions, dates and order numbers are not
  valid numbers and stay, so the report still shows them.
- A postal address becomes `[address]`: a house number followed by one to four words ending in a
  street word ("12 Acacia Avenue", "221b baker st"), and a full UK postcode ("SW1A 1AA"). A
  postcode's outward half alone ("SW1A") covers thousands of households and stays. Addresses of
  other shapes are not recognised; the rule is kept narrow so that ordinary questions keep their
  words.
"""
from __future__ import annotations

import re
import unicodedata

import phonenumbers

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Cc: C0/C1 controls (ESC, CSI ...); Cf: format (bidi overrides, zero width); Cs/Co: surrogates, private use;
# Zl/Zp: line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Words that end a street name and are not also everyday words of a software question ("close", "way", "drive",
# "park" and "place" are left out: "import 100 invoices this way" is a question, not an address).
STREET_WORDS = ("street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "boulevard", "blvd", "terrace",
                "crescent", "cres", "gardens", "grove", "mews")
STREET = re.compile(
    r"\b\d{1,5}[a-z]?,?(?:\s+[^\W\d_][\w'-]*){1,4}?\s+(?:" + "|".join(STREET_WORDS) + r")\b\.?",
    re.IGNORECASE,
)
UK_POSTCODE = re.compile(r"\b(?:[a-z]{1,2}\d[a-z\d]?|gir)\s*\d[abd-hjlnp-uw-z]{2}\b", re.IGNORECASE)


def printable(text: str) -> str:
    """text without control and format characters, spaces collapsed: safe to print on a terminal."""
    kept = "".join(char for char in text if unicodedata.category(char) not in _UNPRINTABLE)
    return " ".join(kept.split())


def mask_phone_numbers(text: str, region: str) -> str:
    """Each phone number valid for region (or written internationally) replaced by `[phone]`."""
    if sum(char.isdigit() for char in text) < 6:  # no number is shorter; skips the matcher for most queries
        return text
    found = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    pieces, end = [], 0
    for match in found:
        pieces += [text[end:match.start], "[phone]"]
        end = match.end
    return "".join(pieces) + text[end:]


def redact_query(text: str, *, region: str) -> str:
    """A query as the search log may keep it (see the module's rules)."""
    text = EMAIL.sub("[email]", printable(text))
    text = mask_phone_numbers(text, region)
    text = STREET.sub("[address]", text)
    return UK_POSTCODE.sub("[address]", text)


# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets (OWASP's list,
# with the full-width forms some spreadsheets also read).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet shows as the text it is: a formula-like text gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value
