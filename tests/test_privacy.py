"""Detectors: positives that must be caught, near misses that must not.

One table per detector. A positive is (text, the exact span it must report); a
near miss must report nothing at all. The near misses are taken from how the
sample library and the seed reports really write (业主代表, 柳湾村一组, 2 号楼 96 户).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.privacy import (
    ADDRESS,
    BANK_CARD,
    EMAIL,
    ID_NUMBER,
    LANDLINE,
    MOBILE,
    NAME,
    PROTECTED_NAME,
    find_personal_data,
    id_check_digit,
    is_old_resident_id,
    is_resident_id,
    luhn_valid,
    mask_digits,
    mask_name,
)
from tests.conftest import SAMPLE, shared_folder

# kind → (positives: text → the span that must be found, near misses: texts with nothing to find)
DETECTORS: dict[str, tuple[dict[str, str], list[str]]] = {
    ID_NUMBER: (
        {
            "身份证110101199003074514": "110101199003074514",
            "11010519491231002X": "11010519491231002X",
            "11010519491231002x": "11010519491231002x",
            "老身份证号110105491231002。": "110105491231002",
            "310104850101123": "310104850101123",
            # every spelling: full width, spaces, dots, dashes, ideographic spaces (issue 13)
            "身份证４４０３０６１９９００３０７２４１１。": "４４０３０６１９９００３０７２４１１",
            "身份证 440306 19900307 2411": "440306 19900307 2411",
            "440306-19900307-2411": "440306-19900307-2411",
            "440306.19900307.2411": "440306.19900307.2411",
            "4403 0619 9003 0724 11": "4403 0619 9003 0724 11",
            "身份证：440306\u300019900307\u30002411": "440306\u300019900307\u30002411",
            "440306－19900307－2411": "440306－19900307－2411",
            "11010519491231002Ｘ": "11010519491231002Ｘ",
            "老身份证 310104 850101 123": "310104 850101 123",
        },
        [
            "110101199003074515",  # an 18-digit project code with a wrong check digit
            "110101199013074514",  # month 13: not a birth date
            "110105491331002",  # 15 digits, month 13
            "110105490230002",  # 15 digits, 30 February
            "990105491231002",  # 15 digits, 99 is no province
            "合同编号 2023110101199003",
            "11010519491231002",  # 17 digits
            "1101**********4514",  # masked
            "4403** ******** 2411",  # masked with its spaces
            "４４０３**********２４１１",  # masked full width
            "日期 2024.03.15、2024-03-15、2024 03 15",
            "1990.03.07-1991.03.07",  # a date range: 16 digits
            "1990 03 07 1991 03 07",
            "项目代码 2023-440306-47-01-012345",  # a project code: an ID's digits inside a longer number
            "440306.199003072411",  # a decimal number
            "4403061990.03072411",
            "GB/T 2260-2007、GB 11643-1999",  # standard numbers
        ],
    ),
    MOBILE: (
        {
            "13812345678": "13812345678",
            "电话 138 1234 5678。": "138 1234 5678",
            "138-1234-5678": "138-1234-5678",
            "+86 13812345678": "+86 13812345678",
            "+8613812345678": "+8613812345678",
            "0086-13812345678": "0086-13812345678",
            "手机19912345678，": "19912345678",
            "手机１３８１２３４５６７８": "１３８１２３４５６７８",
            "138.1234.5678": "138.1234.5678",
            "138—1234—5678": "138—1234—5678",
            "138－1234－5678": "138－1234－5678",
            "138\u30001234\u30005678": "138\u30001234\u30005678",
            "１３８ １２３４ ５６７８": "１３８ １２３４ ５６７８",
            "＋８６ １３８１２３４５６７８": "＋８６ １３８１２３４５６７８",
            "0086 138-1234-5678": "0086 138-1234-5678",
            "+86 (0) 138 1234 5678": "+86 (0) 138 1234 5678",
            "1381 234 5678": "1381 234 5678",
            "2024-03-15 13812345678": "13812345678",  # a date before it does not hide it
        },
        [
            "2023年5月6日",
            "20230506",
            "12812345678",  # 12x is no mobile prefix
            "138****5678",  # masked
            "1381234567",  # ten digits
            "138123456789",  # twelve digits
            "金额 13500000 元",
            "编号 XF-2023-0001",
            "138.****.5678",  # masked with its dots
            "１３８****５６７８",  # masked full width
            "13.812345678 亿元",  # a decimal number
            "138.12345678",
            "2024.03.15",
            "2024-03-15 13:45",
            "2024 03 15",
            "编号 XF-2024-0001、2023-01-2-001",
            "1913.12.31-1914.01.01",
            "《信访工作条例》第十三条、第 138 条",
            "共 138 件 1234 人 5678 元",
            "12.1234.5678",  # no mobile starts with 12
            "2013.1234.5678.9",  # a longer dotted number
        ],
    ),
    LANDLINE: (
        {
            "010-12345678": "010-12345678",
            "(0571)87654321": "(0571)87654321",
            "电话（0571）87654321。": "（0571）87654321",
            "0755 8765 4321": "0755 8765 4321",
            "0571-8765432": "0571-8765432",
            "拨打021 62345678": "021 62345678",
            "01062345678": "01062345678",
            "0571-87654321-8021": "0571-87654321",  # the extension is no one's
            "０５７１－８７６５４３２１": "０５７１－８７６５４３２１",
            "0571.87654321": "0571.87654321",
            "0571—8765 4321": "0571—8765 4321",
            "(0571) 87654321": "(0571) 87654321",
            "+86 571 8765 4321": "+86 571 8765 4321",
            "+86-10-62345678": "+86-10-62345678",
        },
        [
            "2023-12345678",
            "2023-05-06",
            "010-1234567",  # 010 numbers have 8 local digits
            "0571-123456",
            "12345 市民热线",
            "物业费 0.35 元",
            "010-2023-0001",
            "0571-****4321",  # masked
            "比例为 05-06",
            "010.2023.0001",
            "0571-2023-0001",  # a code with an area code's digits
            "０５７１－****４３２１",  # masked full width
            "2024.03.15-0571",
            "3.0571 87654321",
        ],
    ),
    BANK_CARD: (
        {
            "6222021234567890128": "6222021234567890128",
            "卡号 6222 0212 3456 7890 128。": "6222 0212 3456 7890 128",
            "4111111111111111": "4111111111111111",
            "６２２２０２１２３４５６７８９０１２８": "６２２２０２１２３４５６７８９０１２８",
            "6222.0212.3456.7890.128": "6222.0212.3456.7890.128",
            "6222-0212-3456-7890-128": "6222-0212-3456-7890-128",
            "卡号 4111 1111 1111 1111 20 日到期": "4111 1111 1111 1111",  # the card ends where its sum holds
        },
        [
            "6222021234567890127",  # card with a failing Luhn sum
            "1234567812345670",  # Luhn passes, but 12 is no card issuer prefix
            "6222 **** **** ***0 128",  # masked
            "金额 4111111111.111111 元",  # a decimal number
            "2019.01.01-2019.12.31",  # a date range
            "2023440306470101012345",  # 22 digits: no card is that long
        ],
    ),
    EMAIL: (
        {
            "邮箱 zhangsan@example.com。": "zhangsan@example.com",
            "li.si+xf@mail.city.gov.cn": "li.si+xf@mail.city.gov.cn",
            "邮箱 ｚｓ＠ｅｘａｍｐｌｅ．ｃｏｍ。": "ｚｓ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "请发送邮件至 3231169@qq.com 举报": "3231169@qq.com",
        },
        [
            "x***@qq.com",  # masked
            "ｘ***＠ｑｑ．ｃｏｍ",  # masked full width
            "@某某 在群里发言",
            "user@localhost",
            "版本 v1.2@2023",
            "a@b",
        ],
    ),
    ADDRESS: (
        {
            "住和平路12号3单元502室": "12号3单元502室",
            "住和平路 12 号 3 单元 502 室，": "12 号 3 单元 502 室",
            "幸福小区5栋2单元301": "5栋2单元301",
            "幸福小区五栋二单元301室": "五栋二单元301室",
            "滨河湾小区3号楼502室": "3号楼502室",
            "滨河湾小区3号楼502号房": "3号楼502号房",
            "解放大道88号院2号楼1单元1101室": "88号院2号楼1单元1101室",
            "人民路5号502室": "5号502室",
            "3单元502室": "3单元502室",
            "柳湾村三组12号": "三组12号",
            "柳湾村 3 组 45 号": "3 组 45 号",
        },
        [
            "将 1 号楼 24 间商业用房",
            "2 号楼共 96 户",
            "9 号楼两户业主在网上信访",
            "一栋（约 260 平方米）",
            "枫林苑小区共 9 栋 73 户",
            "柳湾村一组、二组被征地农户",
            "柳湾村一组 3 户共被征收",
            "河西村三组 7 户",
            "前进村二组村民 23 人",
            "和平路12号",  # a building, not a household
            "锦绣花园小区 1 号楼",
            "三室一厅、3室2厅",
            "5栋2单元",
            "国发〔2023〕12号文件",
            "12 号楼 1 单元",
            "柳湾村三组 12 号楼",
            "市信访局 502 室",
            "和平路**号**单元**室",  # masked
        ],
    ),
    NAME: (
        {
            "信访人张三反映": "张三",
            "上访人李四称": "李四",
            "业主王五等 12 人": "王五",
            "反映人：赵六": "赵六",
            "申请人为刘德华": "刘德华",
            "举报人陈小明向纪委反映": "陈小明",
            "投诉人欧阳小明于 5 月来电": "欧阳小明",
            "当事人孙丽，": "孙丽",
            "信访人张伟1965年出生": "张伟",
            "村民马建国的承包地": "马建国",
            "控告人刘洋称": "刘洋",
            "委托人赵敏": "赵敏",
            "来访人：黄志强。": "黄志强",
            "代理人郭涛律师": "郭涛",
            "投诉人刘畅在": "刘畅",
        },
        [
            "业主代表 3 人",
            "业主委员会",
            "业主大会决定",
            "信访人数",
            "反映人员",
            "企业主张成本由业主分摊",
            "物业主管部门",
            "就业主管部门",
            "信访人张某",
            "信访人李某某",
            "信访人王某甲",
            "业主张XX",
            "业主张**",
            "信访人x某",
            "信访人张某经调解",
            "信访人向有关机关提出",
            "信访人于同年再次来访",
            "信访人为被征收人",
            "信访人为商品房业主",
            "当事人应当按照约定履行",
            "申请人民法院强制执行",
            "信访人息诉罢访",
            "业主共有部分",
            "业主高度关注",
            "信访人方面，",
            "保障业主安全，",
            "当事人双方",
            "信访人对处理意见不服",
            "指导业主成立的业委会",
            "信访人周三来访",
            "信访人高兴地说",
            "当事人冷静，",
            "业主凌晨3点",
            "村民代表",
            "村民委员会",
            "业主黄金周",
            "信访人王某某等 3 人",
            "业主文明出行",
            "信访人：{petitioner}",
        ],
    ),
}

POSITIVE_CASES = [(kind, text, span) for kind, (positives, _) in DETECTORS.items() for text, span in positives.items()]
NEGATIVE_CASES = [(kind, text) for kind, (_, negatives) in DETECTORS.items() for text in negatives]


@pytest.mark.parametrize(("kind", "text", "span"), POSITIVE_CASES)
def test_positive(kind: str, text: str, span: str) -> None:
    findings = find_personal_data(text)
    assert [(f.kind, f.text) for f in findings] == [(kind, span)]
    assert text[findings[0].start : findings[0].end] == span


@pytest.mark.parametrize(("kind", "text"), NEGATIVE_CASES)
def test_near_miss(kind: str, text: str) -> None:
    assert find_personal_data(text) == []


def test_several_names_after_one_role_word() -> None:
    findings = find_personal_data("业主张三、李四和欧阳小明反映")
    assert [(f.kind, f.text) for f in findings] == [(NAME, "张三"), (NAME, "李四"), (NAME, "欧阳小明")]


def test_protected_names_are_found_anywhere_once() -> None:
    findings = find_personal_data("王建国询问，业主王建国称", protected_names=["王建国", ""])
    assert [(f.kind, f.start) for f in findings] == [(PROTECTED_NAME, 0), (PROTECTED_NAME, 8)]


def test_id_number_is_not_also_a_phone_or_card() -> None:
    assert [f.kind for f in find_personal_data("号码110101199003074514")] == [ID_NUMBER]


def test_every_kind_in_one_text_in_order() -> None:
    text = "信访人张三（110101199003074514，13812345678，zs@qq.com）住和平路12号3单元502室"
    assert [f.kind for f in find_personal_data(text)] == [NAME, ID_NUMBER, MOBILE, EMAIL, ADDRESS]


def test_the_sample_library_has_no_personal_data() -> None:
    """The real texts are the largest set of near misses we have."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE.rglob("*.yaml"))]
    assert [(f.kind, f.text) for text in texts for f in find_personal_data(text)] == []


def test_the_seed_reports_have_no_personal_data_but_a_public_mailbox() -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(shared_folder("seeds").glob("*.txt"))]
    assert len(texts) == 5
    found = [(f.kind, f.text) for text in texts for f in find_personal_data(text)]
    assert found == [(EMAIL, "3231169@qq.com")]


# ── masks: what messages show and what `casebook redact` writes ────────────────

MASKS = {
    "110101199003074514": ("**************4514", "1101**********4514"),
    "110105491231002": ("***********1002", "1101*******1002"),
    "138-1234-5678": ("***-****-5678", "138-****-5678"),
    "+86 13812345678": ("+** *******5678", "+86 138****5678"),
    "010-12345678": ("***-****5678", "010-****5678"),
    "(0571)87654321": ("(****)****4321", "(0571)****4321"),
    "6222 0212 3456 7890 128": ("**** **** **** ***0 128", "6222 **** **** ***0 128"),
    "zhangsan@example.com": ("z***@example.com", "z***@example.com"),
    "１３８．１２３４．５６７８": ("***．****．５６７８", "１３８．****．５６７８"),
    "440306 19900307 2411": ("****** ******** 2411", "4403** ******** 2411"),
    "１１０１０５１９４９１２３１００２Ｘ": ("**************００２Ｘ", "１１０１**********００２Ｘ"),
    "+86 571 8765 4321": ("+** *** **** 4321", "+86 571 **** 4321"),
    "０５７１－８７６５４３２１": ("****－****４３２１", "０５７１－****４３２１"),
    "ｚｓ＠ｑｑ．ｃｏｍ": ("ｚ***＠ｑｑ．ｃｏｍ", "ｚ***＠ｑｑ．ｃｏｍ"),
    "和平路12号3单元502室": ("**号**单元**室", "**号**单元**室"),
    "信访人欧阳小明反映": ("欧阳**", "欧阳某"),
    "业主张三称": ("张*", "张某"),
}


@pytest.mark.parametrize("text", list(MASKS))
def test_masks_and_replacements(text: str) -> None:
    (finding,) = find_personal_data(text)
    assert (finding.masked, finding.replacement) == MASKS[text]
    redacted = text[: finding.start] + finding.replacement + text[finding.end :]
    assert find_personal_data(redacted) == []


def test_mask_name() -> None:
    assert [mask_name(name) for name in ("张三", "欧阳小明", "司马光", "Zhang San", "某")] == [
        "张某",
        "欧阳某",
        "司马某",
        "某某",
        "某某",
    ]


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


@given(st.sampled_from(["11", "31", "44", "65"]), st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_old_id_numbers_with_a_birth_date_are_found_and_their_replacement_is_not(province: str, rest: str) -> None:
    assert not is_old_resident_id(province + rest[:4] + "750229" + rest[4:])  # 1975 had no 29 February
    number = province + rest[:4] + "760229" + rest[4:]
    (finding,) = find_personal_data(f"身份证{number}")
    assert finding.kind == ID_NUMBER
    assert find_personal_data(finding.replacement) == []


@given(
    st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["", " ", "-"])
)
def test_every_mobile_number_is_found_and_its_replacement_is_not(second: str, rest: str, sep: str) -> None:
    number = f"1{second}{rest[0]}{sep}{rest[1:5]}{sep}{rest[5:]}"
    (finding,) = find_personal_data(f"联系电话{number}。")
    assert (finding.kind, finding.text) == (MOBILE, number)
    assert find_personal_data(finding.replacement) == []


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_detector_tables_cover_every_kind() -> None:
    assert set(DETECTORS) == {ID_NUMBER, MOBILE, LANDLINE, BANK_CARD, EMAIL, ADDRESS, NAME}


FRAGMENTS = [text for _, text, _ in POSITIVE_CASES] + [text for _, text in NEGATIVE_CASES]


@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.integers(0, 40), st.booleans()), min_size=1, max_size=6))
def test_values_joined_by_newlines_have_exactly_the_findings_of_the_values(picks: list[tuple[str, int, bool]]) -> None:
    """validate.check_personal_data scans a file's values joined by newlines first and looks at each value
    only when that finds something (and redact scans a file's whole text): sound only if nothing matches
    across a line break. Cut the table's texts at any point, so that a role word ends one value and the
    name starts the next, a number is split…"""
    values = []
    for text, cut, keep_head in picks:
        cut = min(cut, len(text))
        values.append(text[:cut] if keep_head else text[cut:])
    each = [(f.kind, f.text) for value in values for f in find_personal_data(value, ["王建国"])]
    joined = [(f.kind, f.text) for f in find_personal_data("\n".join(values), ["王建国"])]
    assert joined == each


# ── every spelling (issue 13): full width, separators anywhere, +86 ─────────────

SEPARATORS = ["", " ", "-", ".", "\u3000", "－", "—", "‐", "‑", "–"]
WIDE = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@st.composite
def spellings(draw: st.DrawFn, number: str) -> str:
    """`number` as someone might type it: one separator at any cuts, any digit full width."""
    cuts = draw(st.sets(st.integers(1, len(number) - 1), max_size=len(number) - 1))
    separator = draw(st.sampled_from(SEPARATORS))
    if separator == ".":  # one dot reads as a decimal point (13.812345678 亿): see the near misses
        cuts = cuts if len(cuts) != 1 else cuts | {len(number) - 1 if min(cuts) != len(number) - 1 else 1}
    wide = draw(st.lists(st.booleans(), min_size=len(number), max_size=len(number)))
    chars = [char.translate(WIDE) if wide[i] else char for i, char in enumerate(number)]
    return "".join(separator + char if i in cuts else char for i, char in enumerate(chars))


@given(st.data(), st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_spelling_of_a_mobile_number_is_found_where_it_is_written(
    data: st.DataObject, second: str, rest: str
) -> None:
    spelled = data.draw(spellings(f"1{second}{rest}"))
    prefix = data.draw(st.sampled_from(["", "+86 ", "+86-", "0086 ", "＋８６ ", "+86(0)"]))
    text = f"联系电话{prefix}{spelled}。"
    (finding,) = find_personal_data(text)
    assert (finding.kind, finding.text, finding.start) == (MOBILE, prefix + spelled, 4)
    assert find_personal_data(finding.replacement) == []
    assert [c for c in finding.replacement if not c.isdigit() and c != "*"] == [
        c for c in finding.text if not c.isdigit()
    ]  # masked in place: the writer's separators and widths stay


BIRTH_DATES = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))


@given(st.data(), st.integers(1, 9), st.text(alphabet="0123456789", min_size=5, max_size=5), BIRTH_DATES)
def test_every_spelling_of_an_id_number_is_found_where_it_is_written(
    data: st.DataObject, first: int, region: str, born: dt.date
) -> None:
    body = f"{first}{region}{born:%Y%m%d}{data.draw(st.text(alphabet='0123456789', min_size=3, max_size=3))}"
    spelled = data.draw(spellings(body + id_check_digit(body)))
    text = f"身份证号：{spelled}，"
    (finding,) = find_personal_data(text)
    assert (finding.kind, finding.text, finding.start) == (ID_NUMBER, spelled, 5)
    assert find_personal_data(finding.replacement) == []


@given(
    BIRTH_DATES,  # the dates a case text can hold
    BIRTH_DATES,
    st.sampled_from(SEPARATORS),
    st.sampled_from(["-", "—", "至", " ", "～"]),
    st.booleans(),
)
def test_dates_and_date_ranges_in_any_spelling_are_no_personal_data(
    first: dt.date, second: dt.date, separator: str, between: str, wide: bool
) -> None:
    def spelled(day: dt.date) -> str:
        text = f"{day.year:04d}{separator}{day.month:02d}{separator}{day.day:02d}"
        return text.translate(WIDE) if wide else text

    assert find_personal_data(f"于 {spelled(first)} 受理") == []
    assert find_personal_data(f"办理期间 {spelled(first)}{between}{spelled(second)}。") == []


@given(
    st.integers(0, 10**12), st.integers(0, 10**8), st.sampled_from(["元", "万元", "亩", "平方米", ""]), st.booleans()
)
def test_amounts_and_decimal_numbers_are_no_personal_data(whole: int, fraction: int, unit: str, wide: bool) -> None:
    """A decimal point or thousands commas (a bare run of digits may be a real number: 13812345678)."""
    for text in (f"{whole}.{fraction}{unit}", f"{whole:,}.{fraction % 100:02d}{unit}", f"{whole:,}{unit}"):
        if "," not in text and "." not in text:
            continue
        text = text.translate(WIDE).replace(".", "．") if wide else text
        assert find_personal_data(f"金额 {text}，") == []


def detector_counts() -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) of each detector over the tables above:
    a positive is found when exactly its span is reported with its kind; any finding in a near miss,
    or a second or other finding in a positive, is a false positive of the detector that made it."""
    counts = {kind: [0, 0, 0] for kind in DETECTORS}
    for kind, text, span in POSITIVE_CASES:
        found = [(f.kind, f.text) for f in find_personal_data(text)]
        if (kind, span) in found:
            counts[kind][0] += 1
        else:
            counts[kind][2] += 1
        for other in found:
            if other != (kind, span):
                counts.setdefault(other[0], [0, 0, 0])[1] += 1
    for _, text in NEGATIVE_CASES:
        for finding in find_personal_data(text):
            counts.setdefault(finding.kind, [0, 0, 0])[1] += 1
    return {kind: (tp, fp, fn) for kind, (tp, fp, fn) in counts.items()}


def test_detector_tables_have_no_false_positive_or_negative() -> None:
    counts = detector_counts()
    assert {kind: (fp, fn) for kind, (_, fp, fn) in counts.items()} == dict.fromkeys(DETECTORS, (0, 0))


# ── the number detectors look only where a number can be (privacy.number_windows) ──

NUMBERISH = st.text(alphabet="0123456789０１２３Xx -.．—()（）+86年月日号室电话身份证卡", max_size=40)


@given(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), NUMBERISH), min_size=1, max_size=8), st.sampled_from(["", "\n", " "])
)
def test_number_windows_find_what_the_whole_text_finds(parts: list[str], joint: str) -> None:
    """Running the five number detectors over the windows only must give exactly the findings of
    running them over the whole text: numbers cut and glued to dates, codes, brackets and
    separators of every width, so that windows start and end next to each other and near matches."""
    import generator.privacy as privacy

    text = joint.join(parts)
    windowed = [(f.kind, f.start, f.end) for f in find_personal_data(text)]
    original = privacy.number_windows
    privacy.number_windows = lambda plain: [(0, len(plain))]
    try:
        whole = [(f.kind, f.start, f.end) for f in find_personal_data(text)]
    finally:
        privacy.number_windows = original
    assert windowed == whole


def test_number_windows_cover_each_number_with_its_context() -> None:
    from generator.privacy import number_windows

    text = "于2024-06-30受理，联系电话 138 1234 5678，编号XF-2024-0001，身份证１１０１０１１９９００３０７４５１４。"
    windows = [text[start:end] for start, end in number_windows(text)]
    # Dates and case numbers have eight digits, fewer than any finding: no window.
    assert windows == ["系电话 138 1234 5678，编号", "身份证１１０１０１１９９００３０７４５１４。"]
    assert number_windows("没有号码，2024 年 6 月 30 日，XF-2024-0001") == []


# ── the words a role or an address needs are looked for first (privacy.find_personal_data) ──

ROLE_OR_ADDRESS = st.sampled_from(
    [
        "信访人",
        "业主",
        "物业主",
        "村民",
        "申请人：",
        "王小明",
        "李",
        "反映",
        "3号楼2单元501室",
        "柳湾村三组12号",
        "柳湾村 3 组 45 号",
        "房",
        "室",
        "单元",
        "组",
    ]
)


@given(st.lists(st.one_of(ROLE_OR_ADDRESS, st.sampled_from(FRAGMENTS), NUMBERISH), min_size=1, max_size=8))
def test_looking_for_role_and_address_words_first_finds_what_the_patterns_find(parts: list[str]) -> None:
    """find_personal_data skips the role and address patterns when the text has none of the words
    they need: the findings are those of running the patterns on every text."""
    import generator.privacy as privacy

    text = "".join(parts)
    found = [(f.kind, f.start, f.end) for f in find_personal_data(text)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(privacy, "ROLE_WORDS", ("",))  # "" is in every text: the patterns always run
        patch.setattr(privacy, "_ADDRESS_HINT_WORDS", ("",))
        always = [(f.kind, f.start, f.end) for f in find_personal_data(text)]
    assert found == always
