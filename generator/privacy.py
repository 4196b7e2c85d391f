"""Detectors for personal data in free text.

The 个人信息保护法 and the 信访工作条例 forbid letting a petitioner's identity
reach anyone concerned, so every text field is scanned before anything is
built. Each detector is strict about what counts (a check digit, a Luhn sum,
a mobile prefix, digit boundaries) so that project codes, dates and amounts
do not drown the real hits; masked forms (138****1234, 张某) never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_ID18 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
# Card numbers: 16–19 digits, optionally in groups of four split by space or dash.
_CARD = re.compile(r"(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?:[ -]?\d{1,3})?(?!\d)")
# Issuer prefixes of cards in use in China: UnionPay 62, Visa 4, Mastercard 5, Amex 34/37, JCB 35.
_CARD_PREFIXES = ("62", "4", "5", "34", "37", "35")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text."""

    kind: str  # Chinese label, used in messages
    start: int
    end: int
    text: str

    @property
    def masked(self) -> str:
        return mask_digits(self.text)


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of an 18-digit resident ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_resident_id(number: str) -> bool:
    """An 18-character ID number with a plausible birth date and a valid check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not (1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    return id_check_digit(number[:17]) == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that every bank card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_personal_data(text: str) -> list[Finding]:
    """Every ID number, mobile number and bank card number in `text`, in order.

    Spans never overlap: an ID number is not also reported as a card or a
    phone number.
    """
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _ID18.finditer(text):
        if is_resident_id(match.group()):
            findings.append(Finding("身份证号码", match.start(), match.end(), match.group()))
            taken.append(match.span())
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 16 <= len(digits) <= 19 and digits.startswith(_CARD_PREFIXES) and luhn_valid(digits) and free(*match.span()):
            findings.append(Finding("银行卡号", match.start(), match.end(), match.group()))
            taken.append(match.span())
    for match in _MOBILE.finditer(text):
        if free(*match.span()):
            findings.append(Finding("手机号码", match.start(), match.end(), match.group()))
            taken.append(match.span())
    return sorted(findings, key=lambda finding: finding.start)


def mask_digits(text: str, keep: int = 4) -> str:
    """Replace every digit but the last `keep` with *, keeping separators."""
    digit_positions = [i for i, char in enumerate(text) if char.isdigit() or char in "Xx"]
    hide = set(digit_positions[:-keep] if keep else digit_positions)
    return "".join("*" if i in hide else char for i, char in enumerate(text))
