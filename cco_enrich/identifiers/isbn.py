"""ISBNs: the spellings people paste, check digits, and ISBN-10 -> ISBN-13. Pure."""

from __future__ import annotations

import re

from cco_enrich.identifiers.model import InvalidIdentifier, ParsedIdentifier, Scheme

# "isbn:", "ISBN ", "ISBN: ", "ISBN-13: ", "ISBN-10 ", "ISBN13:", "urn:isbn:".
PREFIX = re.compile(r"^(?:urn:isbn:|isbn(?:[-\s]?1[03])?(?:\s*:\s*|\s+))", re.IGNORECASE)
# Digits in groups split by single hyphens or spaces; only an ISBN-10 may end in X.
_ISBN10 = re.compile(r"^\d(?:[\s-]?\d){8}[\s-]?[\dXx]$")
_ISBN13 = re.compile(r"^\d(?:[\s-]?\d){12}$")
_SEPARATORS = re.compile(r"[\s-]")


def isbn10_check_digit(first9: str) -> str:
    """The ISBN-10 check digit of nine digits: weights 10..2, mod 11, 10 written as X."""
    total = sum(weight * int(digit) for weight, digit in zip(range(10, 1, -1), first9, strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn13_check_digit(first12: str) -> str:
    """The ISBN-13 (EAN-13) check digit of twelve digits: weights 1,3,1,3..., mod 10."""
    total = sum((3 if i % 2 else 1) * int(digit) for i, digit in enumerate(first12))
    return str((10 - total % 10) % 10)


def isbn10_to_isbn13(isbn10: str) -> str:
    """The ISBN-13 of an ISBN-10: 978, its first nine digits, a new check digit."""
    first12 = "978" + isbn10[:9]
    return first12 + isbn13_check_digit(first12)


def parse_isbn(
    raw: str, body: str, *, prefixed: bool
) -> ParsedIdentifier | InvalidIdentifier | None:
    """`body` (the text after any prefix) as an ISBN-13; None when it does not look like one.

    With a prefix ("ISBN ...") anything unreadable is invalid; without one, only what has
    the shape of an ISBN (10 or 13 digits, hyphens or spaces between) is taken for one.
    """
    if not (_ISBN10.match(body) or _ISBN13.match(body)):
        if not prefixed:
            return None
        return InvalidIdentifier(
            raw,
            f"{raw!r} is not an ISBN: expected 10 digits (the last may be X) or 13 digits, "
            "with or without hyphens, such as 'ISBN 978-0-306-40615-7'.",
            Scheme.ISBN,
        )
    digits = _SEPARATORS.sub("", body).upper()
    if len(digits) == 13 and not digits.startswith(("978", "979")):
        return InvalidIdentifier(
            raw, f"{raw!r} is not an ISBN: an ISBN-13 starts with 978 or 979.", Scheme.ISBN
        )
    body_digits = digits[:-1]
    expected = (
        isbn10_check_digit(body_digits) if len(digits) == 10 else isbn13_check_digit(body_digits)
    )
    if digits[-1] != expected:
        return InvalidIdentifier(
            raw,
            f"{raw!r} is not a valid ISBN: its check digit is {digits[-1]!r} but the other "
            f"digits need {expected!r}; look for a mistyped digit.",
            Scheme.ISBN,
        )
    isbn13 = isbn10_to_isbn13(digits) if len(digits) == 10 else digits
    return ParsedIdentifier(raw=raw, scheme=Scheme.ISBN, pid=isbn13, isbn=isbn13)
