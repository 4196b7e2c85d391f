"""Detectors: positives that must be caught, near misses that must not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.privacy import find_personal_data, id_check_digit, is_resident_id, luhn_valid, mask_digits

POSITIVES = {
    "110101199003074514": "身份证号码",
    "11010519491231002X": "身份证号码",
    "11010519491231002x": "身份证号码",
    "13812345678": "手机号码",
    "138 1234 5678": "手机号码",
    "138-1234-5678": "手机号码",
    "+86 13812345678": "手机号码",
    "+8613812345678": "手机号码",
    "19912345678": "手机号码",
    "6222021234567890128": "银行卡号",
    "6222 0212 3456 7890 128": "银行卡号",
    "4111111111111111": "银行卡号",
}

NEGATIVES = [
    "110101199003074515",  # an 18-digit project code with a wrong check digit
    "110101199013074514",  # month 13: not a birth date
    "2023年5月6日",
    "20230506",
    "12812345678",  # 12x is no mobile prefix
    "138****5678",  # masked
    "1381234567",  # ten digits
    "138123456789",  # twelve digits
    "6222021234567890127",  # card with a failing Luhn sum
    "1234567812345670",  # Luhn passes, but 12 is no card issuer prefix
    "合同编号 2023110101199003",
    "张某、李某某反映",
    "金额 13500000 元",
]


@pytest.mark.parametrize("text", list(POSITIVES))
def test_positive(text: str) -> None:
    findings = find_personal_data(f"信访人称{text}，请核实")
    assert [f.kind for f in findings] == [POSITIVES[text]]
    assert findings[0].text == text


@pytest.mark.parametrize("text", NEGATIVES)
def test_near_miss(text: str) -> None:
    assert find_personal_data(text) == []


def test_id_number_is_not_also_a_phone_or_card() -> None:
    assert [f.kind for f in find_personal_data("号码110101199003074514")] == ["身份证号码"]


def test_masking_keeps_last_four() -> None:
    assert mask_digits("138-1234-5678") == "***-****-5678"
    assert mask_digits("11010519491231002X") == "**************002X"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_any_seventeen_digits_with_their_check_digit_is_detected_when_dated(body: str) -> None:
    number = body[:6] + "19900307" + body[14:]
    number = number[:17] + id_check_digit(number[:17])
    assert is_resident_id(number)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert not is_resident_id(wrong)


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
