"""Detectors for personal data in free text, and the masked form of each hit.

The 个人信息保护法 and the 信访工作条例 forbid letting a petitioner's identity
reach anyone concerned, so every text field is scanned before anything is
built, and `casebook redact` (redact.py) replaces what is found here. Each
detector is strict about what counts, so that project codes, dates, amounts
and the place names a case is legitimately about do not drown the real hits;
masked forms (138****1234, 张某, 李某某, 张XX, x***@qq.com, 和平路**号) never match.

What counts, detector by detector:

Numbers are found however they are typed: full-width digits and letters
(１３８１２３４５６７８, ＋８６, Ｘ), one space, dot or dash (any of - － — ‐ ‑ –, or an
ideographic space) between any two digits (138.1234.5678, 440306 19900307 2411).
`normalize` maps those characters to ASCII one for one, so a finding's span
is where the writer wrote it and `casebook redact` masks it in place. A number
never starts or ends inside a longer one joined by a dot or dash (dates
2024.03.15, codes 2023-440306-47-01-012345, XF-2024-0001), and one dot alone
is a decimal point (13.812345678 亿元), not a separator.

* 身份证号码: 18 characters with a plausible birth date and the ISO 7064
  MOD 11-2 check character; or the old 15-digit form (province code, a real
  YYMMDD birth date, 3 digits — it has no check digit, so the province and
  date are all that tell it from a code).
* 手机号码: 1[3-9] + 9 digits, optionally after +86/0086 (and "(0)").
* 固定电话: 0 + area code (010, 02x, or 0 + three digits 3–9xx), or +86 and
  the area code without its 0, an optional separator or parentheses, then a
  7–8 digit local number (8 for 010/02x), split by a space at most (a dash or
  dot inside it is how codes are written: 010-2023-0001). Dates and amounts
  never start with 0 at a digit boundary.
* 银行卡号: 16–19 digits with a card-issuer prefix and a valid Luhn sum.
* 电子邮箱: local@domain.tld (full width too).
* 详细地址: only an address that reaches a household — a room or house number:
  …号…室, …栋/幢/座/号楼…单元…(室), …栋/号楼…室, …村…组…号. A road and
  building number alone (和平路12号), a building (3 号楼 24 间), a stairwell
  (2单元) or a village group (柳湾村一组、二组被征地农户) name the subject of a
  case or a group of people, not one person, and the sample cases rely on
  naming them.
* 姓名: a full name right after a role word (信访人, 上访人, 来访人, 反映人,
  申请人, 举报人, 投诉人, 控告人, 当事人, 代理人, 委托人, 业主, 村民), optionally
  after "：", "为", "是" or "系": a common surname, one or two characters that
  are common in given names, then a boundary (punctuation, a digit, the end,
  or a word that usually follows a name such as 反映, 称, 向, 等). The
  surname list keeps 业主代表, 业主大会, 信访人数, 反映人员 out; the given-name
  characters keep 信访人向有关机关, 业主安全, 信访人方面 out; the boundary keeps
  文明出行-like phrases out. More names joined by 、/和/及 are found too.
* 受保护姓名: the names listed in settings.yaml `protected_names`, wherever
  they occur (passed in by the caller, who has read the settings).

The scan is called for every text value of a library (about a million at
10,000 records), so each detector only runs when a cheap pre-check passes:
seven digits in a row (separators allowed) for the number detectors (only
then is the text normalized, and only if it holds a character to map), a
digit next to 室/房/单元/组…号 for addresses, "@" for e-mail, a role word for
names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

ID_NUMBER = "身份证号码"
MOBILE = "手机号码"
LANDLINE = "固定电话"
BANK_CARD = "银行卡号"
EMAIL = "电子邮箱"
ADDRESS = "详细地址"
NAME = "姓名"
PROTECTED_NAME = "受保护姓名"

# Province-level codes that begin every resident ID number (GB/T 2260).
PROVINCES = frozenset(
    _words(
        "11 12 13 14 15  21 22 23  31 32 33 34 35 36 37  41 42 43 44 45 46  50 51 52 53 54  61 62 63 64 65  71 81 82"
    )
)

# Writers space, dot and dash numbers as they like (138.1234.5678, 440306 19900307 2411,
# 0571—87654321) and type them full width (１３８１２３４５６７８). Before the number and
# e-mail detectors run, `normalize` maps each such character to its ASCII form one for one,
# so a finding's span in the normalized text is its span in the original; the patterns
# then allow one separator (space, dot, dash) between any two digits.
_SEP = r"[ .\-]?"
_D = rf"(?:{_SEP}\d)"
# A number does not start or end inside a longer one: not after or before a digit, nor
# after or before a dot or dash that joins it to one (2024.03.15.8, 0571-2023-0001).
# Each pattern starts with its first digit and looks back from there: a pattern that starts
# with a character class lets the regex engine skip ahead to the next candidate quickly.
_BEFORE = r"(?<![0-9A-Za-z].)(?<![0-9][.\-].)"
_AFTER = r"(?![0-9A-Za-z]|[.\-][0-9])"
_ID18 = re.compile(rf"[1-9]{_BEFORE}{_D}{{16}}{_SEP}[\dXx]{_AFTER}")
_ID15 = re.compile(rf"[1-8]{_BEFORE}{_D}{{14}}{_AFTER}")
_MOBILE_REST = rf"1{_SEP}[3-9]{_D}{{9}}"
_MOBILE = re.compile(
    r"(?:"
    rf"\+(?<![\d+]\+)(?<![0-9][.\-]\+) ?86(?:[ .\-]|[ .\-]?\(0\)[ .\-]?)?{_MOBILE_REST}"  # +86 138…
    rf"|0(?<![\d+]0)(?<![0-9][.\-]0)0 ?86(?:[ .\-]|[ .\-]?\(0\)[ .\-]?)?{_MOBILE_REST}"  # 0086 138…
    rf"|1(?<![\d+]1)(?<![0-9][.\-]1){_SEP}[3-9]{_D}{{9}}"  # 138…
    r")(?!\d|[.\-]\d)"
)
# Card numbers: 16–19 digits, in groups split by one separator or not at all.
_CARD = re.compile(rf"\d(?<!\d.)(?<![0-9][.\-].){_D}{{15,18}}(?!\d)")
# Issuer prefixes of cards in use in China: UnionPay 62, Visa 4, Mastercard 5, Amex 34/37, JCB 35.
_CARD_PREFIXES = ("62", "4", "5", "34", "37", "35")
# The area code may be split from the local number by any separator; the local number
# itself only by a space (0755 8765 4321): a dash or a dot inside it is how codes and
# dates are written (010-2023-0001, 0571.2023.05).
_AREA = r"(?:10|2\d|[3-9]\d{2})"  # an area code without its 0
# Not inside a longer number; looked back at from the first character, which each
# alternative starts with, so the regex engine can skip ahead to a candidate.
_PLUS, _ZERO, _PAREN, _WIDE_PAREN = (rf"{c}(?<![0-9A-Za-z+\-]{c})(?<![0-9]\.{c})" for c in (r"\+", "0", r"\(", "（"))
_LANDLINE = re.compile(
    r"(?:"
    rf"{_PLUS} ?86[ .\-]?(?P<i>{_AREA})[ .\-]?"
    rf"|{_ZERO}(?:0 ?86[ .\-]?(?P<j>{_AREA})[ .\-]?|(?P<a>{_AREA})[ .\-]?)"
    rf"|{_PAREN}(?P<p>0{_AREA})\) ?"
    rf"|{_WIDE_PAREN}(?P<f>0{_AREA})） ?"
    r")"
    r"(?P<local>[1-9]\d{6,7}|[1-9]\d{2,3} \d{4})(?![0-9A-Za-z]|\.\d)"  # 0571-87654321-8021: an extension
)
_AREA_GROUPS = ("i", "j", "p", "f", "a")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+*\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9\-])"
)

# Address parts; the sample files write a space between digits and Chinese ("7 号楼").
_N = r"(?:\d{1,5}|[一二三四五六七八九十百零〇两]{1,4})"
_S = r" ?"
_BUILDING = rf"{_N}{_S}(?:号楼|栋|幢|座)"
_UNIT = rf"{_N}{_S}单元"
_ROOM = rf"\d{{1,5}}{_S}(?:室|号房|房)"
_ADDRESS = re.compile(
    r"(?<![\d.])(?:"
    # road + house number + (building, unit) + room: 和平路12号3单元502室, 12号院3号楼2单元502室
    rf"\d{{1,5}}{_S}号{_S}院?{_S}(?:{_BUILDING}{_S})?(?:{_UNIT}{_S})?{_ROOM}"
    # building + unit + room: 幸福小区5栋2单元301, 五栋二单元301室
    rf"|{_BUILDING}{_S}{_UNIT}{_S}\d{{1,5}}(?:{_S}(?:室|号房|房|号))?"
    # building + room: 3号楼502室
    rf"|{_BUILDING}{_S}{_ROOM}"
    # unit + room: 3单元502室, 2单元301
    rf"|{_UNIT}{_S}(?:{_ROOM}|\d{{3,4}}(?!\d))"
    # village group + house number: 柳湾村三组12号 (the group alone is no address)
    rf"|(?:(?<=村)|(?<=村 )){_N}{_S}组{_S}\d{{1,5}}{_S}号(?!楼)"
    r")"
)
# Every address form above ends in a room (…301室), a unit's room (单元301) or a house in a group
# (组12号); this cheap search decides whether the slow full pattern runs at all.
_ADDRESS_HINT = re.compile(r"\d ?(?:室|房|号房)|单元 ?\d|组 ?\d{1,5} ?号")
_ADDRESS_HINT_WORDS = ("室", "房", "单元", "组")  # each match of _ADDRESS_HINT holds one of them
_ADDRESS_NUMBER = re.compile(r"\d+|[一二三四五六七八九十百零〇两]+")

# The 百家姓 surnames most common today; 和, 全, 申 and 党 are left out (当事人和解, 业主全体, 申明, 党建).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向"
    "汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬师仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = _words(
    "欧阳 司马 上官 诸葛 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门 呼延 申屠 赫连"
)
# Characters common in given names (and 二…六 for 张三, 李四). Function words and the
# words that follow a role word in case texts (有, 关, 全, 置, 面, 度, 同, 人 …) are absent.
GIVEN_NAME_CHARS = (
    "伟芳娜秀英敏丽强磊军洋勇艳杰娟涛明超兰霞平刚桂玉萍红文辉鹏建飞宁林斌波宇浩凯健俊帆帅旭鑫欣雪梅琳晶婷颖慧"
    "莉燕玲丹蕾倩瑶琴云凤洁华荣佳嘉怡思雨悦涵梓轩博豪毅峰锋志国庆春福贵祥海江山东南成龙虎彪德仁义礼智忠孝良才"
    "旺财宝金银铁钢根树松柏青翠珍珠琼瑞祺琪璐瑾璇婉娴妮娇媛婕菲芬芝芸苗莹萱蓉薇菊荷叶秋冬晓晴昊昌亮光耀星阳晖"
    "彬森楠桐柯樱雅娅妍姗姝嫣茜蓓露霖霏雯雷震霆振宏鸿洪泽润清源渊淑湘滨澜潇兵武威卫永胜利彦翔骏驰鹤鹰凡宸铭锦"
    "钰铮锐坤培基垚尧舜禹汉唐秦翰墨琦琛璋瑜珊琰莲蕊菁蔚蓝岚岩崇嵩巍昆仑伦畅淼焱品爽奇颂珂瑛璞琨辰杭航舟远达进顺"
    "富裕水土木火小二三四五六"
)
ROLE_WORDS = _words("信访人 上访人 来访人 反映人 申请人 举报人 投诉人 控告人 当事人 代理人 委托人 业主 村民")
# Chars before 业主 that make it part of another word: 企业主张…, 物业主管…, 就业主管部门.
_NOT_OWNER_BEFORE = "企物事产创就商农工行专职营作毕失学林渔副主开停歇置实矿基家伟建兴"

# 周二…周日 after a role word is a weekday (信访人周三来访), not 周 + a given name.
_SURNAME = "(?!周[一二三四五六日天末])(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES)) + "])"
_GIVEN = "[" + "".join(sorted(set(GIVEN_NAME_CHARS))) + "]{1,2}"
# What may follow a name: punctuation, a digit, the end, or a word that usually follows one.
_AFTER_NAME = (
    r"(?=[\s\d，。；、：:,.;！？!?（()）“”\"'《》【】—…]|$"
    r"|反映|称|说|因|于|向|在|到|对|等|要|诉|认为|表示|来|去|多次|曾|已|自|提出|申请|不服|之|的|与|和|及"
    r"|夫妇|一家|家|户|本人|同志|先生|女士|老人|系|是|为|现|经|将|把|被|也|仍|又|再|均|先后|个人|签|持|携"
    r"|父|母|妻|丈夫|儿|女儿|所|从|通过|以|就|拨打|致电|共|律师)"
)
_ROLE = re.compile("(?:" + "|".join(w if w != "业主" else f"(?<![{_NOT_OWNER_BEFORE}])业主" for w in ROLE_WORDS) + ")")
_NAME_AFTER_ROLE = re.compile(_ROLE.pattern + rf"(?:[：:] ?| |为|是|系)?(?P<name>{_SURNAME}{_GIVEN}){_AFTER_NAME}")
_NEXT_NAME = re.compile(rf"(?:、|和|及|与)(?P<name>{_SURNAME}{_GIVEN}){_AFTER_NAME}")
_DIGIT = re.compile(r"\d")
# What `normalize` maps, one character to one: full-width digits, letters, ＋ ＠ ． －, the
# dashes and spaces people type between digit groups.
_FULL_WIDTH = "".join(chr(code) for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)))
_DASHES = "－—‐‑–―−﹣"
_SPACES = "\u3000\u00a0\u2002\u2003\u2009\u202f"
_TO_ASCII = {
    **{char: chr(ord(char) - 0xFEE0) for char in _FULL_WIDTH + "＋＠．"},
    **dict.fromkeys(_DASHES, "-"),
    **dict.fromkeys(_SPACES, " "),
}
_WIDE = re.compile("[" + "".join(_TO_ASCII) + "]")
_SEPARATORS = re.escape(" .-．" + _DASHES + _SPACES)
# A run of seven digits (\d is any digit, full width too), possibly split by separators:
# every phone, ID and card number has one. Run on the original text, so that the one
# regular expression is all that most values cost.
_DIGIT_RUN = re.compile(rf"\d(?:[{_SEPARATORS})）]?\d){{6}}")
# Every character a number detector's match can hold, in normalized text: digits (\d, as the
# patterns say), an ID's X, the separators, + ( ) （ ）. A match lies inside one run of them.
_NUMBER_CHARS = r"\dXx +().\-（）"
_NUMBER_RUN = re.compile(rf"[{_NUMBER_CHARS}]*")
# Ten digits, no two of them more than two number characters apart: every finding has such a
# stretch ((010)1234567 and 010-1234567 have ten digits, phones 11, IDs 15, cards 16; the widest
# gap is ") " or " (" in +86 (0) 138…, （0571） 8765432). Dates and case numbers have eight.
_TEN_DIGITS = re.compile(r"\d(?:[ +().\-（）]{0,2}+\d){9}")  # possessive: no backtracking
# The detectors look at most 2 characters before a match (_BEFORE, _PLUS …) and 2 after (_AFTER).
_CONTEXT = 3


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text.

    `masked` is what messages show (it reveals as little as possible: the last
    four digits, the surname); `replacement` is what `casebook redact` writes
    in its place (138****5678, 1101**********1234, 张某, x***@qq.com)."""

    kind: str  # Chinese label, used in messages
    start: int
    end: int
    text: str

    @property
    def masked(self) -> str:
        if self.kind in (NAME, PROTECTED_NAME):
            surname = surname_of(self.text)
            return surname + "*" * (len(self.text) - len(surname)) if surname else "*" * len(self.text)
        if self.kind == EMAIL:
            return mask_email(self.text)
        if self.kind == ADDRESS:
            return mask_address(self.text)
        return mask_digits(self.text)

    @property
    def replacement(self) -> str:
        if self.kind == ID_NUMBER:
            return mask_digits(self.text, keep=4, keep_first=4)
        if self.kind == MOBILE:
            return mask_digits(self.text, keep=4, keep_first=count_digits(self.text) - 8)
        if self.kind == LANDLINE:
            # Every digit up to the end of the area code (0571, +86 571, 0086 571) stays.
            match = _LANDLINE.fullmatch(normalize(self.text))
            end = max(match.end(group) for group in _AREA_GROUPS) if match else 0
            return mask_digits(self.text, keep=4, keep_first=count_digits(self.text[:end]))
        if self.kind == BANK_CARD:
            return mask_digits(self.text, keep=4, keep_first=4)
        if self.kind in (NAME, PROTECTED_NAME):
            return mask_name(self.text)
        return self.masked


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


def is_old_resident_id(number: str) -> bool:
    """A 15-digit ID number (issued until 1999): province code and a real 19YYMMDD birth date."""
    if len(number) != 15 or not number.isdigit() or number[:2] not in PROVINCES:
        return False
    try:
        dt.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return True


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


def find_personal_data(text: str, protected_names: Iterable[str] = ()) -> list[Finding]:
    """Every piece of personal data in `text`, in order of position.

    Spans never overlap: an ID number is not also reported as a card or a
    phone number, a protected name found after 业主 is reported once.
    """
    findings: list[Finding] = []
    if _DIGIT.search(text):
        if _DIGIT_RUN.search(text):
            _find_numbers(text, normalize(text), findings)
        if any(word in text for word in _ADDRESS_HINT_WORDS) and _ADDRESS_HINT.search(text):
            _add_all(findings, ADDRESS, _ADDRESS.finditer(text))
    if "@" in text or "＠" in text:
        _add_all(findings, EMAIL, _EMAIL.finditer(normalize(text)), text)
    for name in protected_names:
        start = text.find(name) if name else -1
        while start != -1:
            _add(findings, Finding(PROTECTED_NAME, start, start + len(name), name))
            start = text.find(name, start + len(name))
    # str's own search for the words first: the regular expression's alternation reads a page of
    # text ten times slower, and most texts have none of them (2 s of the guard's 3 for a 35 MB
    # changes.json at 100,000 records).
    role = _ROLE.search(text) if any(word in text for word in ROLE_WORDS) else None
    if role:
        _find_names(text, role.start(), findings)
    return sorted(findings, key=lambda finding: finding.start)


def normalize(text: str) -> str:
    """`text` with full-width digits, letters and signs, and the dashes and spaces written
    between digit groups, as ASCII: one character for one, so offsets stay those of `text`."""
    # Nearly every text has none of these characters; str.translate would still look up
    # each character of it, which costs more than all the detectors together.
    if text.isascii() or _WIDE.search(text) is None:
        return text
    return _WIDE.sub(lambda match: _TO_ASCII[match.group()], text)


def digits_of(number: str) -> str:
    """The digits (and an ID's X) of a number as written, in ASCII, without separators."""
    return re.sub(r"[^\dXx]", "", normalize(number)).upper()


def _find_numbers(text: str, plain: str, findings: list[Finding]) -> None:
    """Number detectors over `plain` (normalize(text)); spans and texts are `text`'s.

    Each detector runs only over the windows that can hold a number (number_windows):
    a page of 30,000 characters has a few dozen dates and codes, and five detectors
    searching all of it, restarting one character after every rejected candidate,
    were a third of the output guard's time. The findings are the same (a test
    compares with whole-text detection)."""
    windows = number_windows(plain)
    for kind, pattern, accept in _NUMBER_DETECTORS:  # in order: an earlier detector claims a span first
        for start, end in windows:
            for match in _candidates(pattern, plain, accept, start, end):
                stop = (_card_end(match) or match.end()) if kind == BANK_CARD else match.end()
                _add(findings, Finding(kind, match.start(), stop, text[match.start() : stop]))


def number_windows(plain: str) -> list[tuple[int, int]]:
    """The stretches of `plain` a number detector can match in: each whole run of number
    characters (_NUMBER_CHARS) that holds ten digits close together (_TEN_DIGITS), widened by
    the characters the detectors look at around a match (_CONTEXT), overlapping ones joined.
    Dates (2024-06-30) and case numbers (XF-2024-0001) have eight digits: most pages have no
    window at all, and the one search that says so runs in C."""
    windows: list[tuple[int, int]] = []
    backwards = ""
    position = 0
    while (ten := _TEN_DIGITS.search(plain, position)) is not None:
        backwards = backwards or plain[::-1]
        before = _NUMBER_RUN.match(backwards, len(plain) - ten.start())  # the run's part before `ten`, reversed
        left = ten.start() - len(before.group())  # type: ignore[union-attr]
        right = _NUMBER_RUN.match(plain, ten.start()).end()  # type: ignore[union-attr]
        start, end = max(0, left - _CONTEXT), min(len(plain), right + _CONTEXT)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
        position = right
    return windows


def _not_decimal(match: re.Match[str]) -> bool:
    """One dot in a run of digits is a decimal point (13.812345678 亿元); a number written
    with dots has two or more (138.1234.5678, 440306.19900307.2411)."""
    return match.group().count(".") != 1


def _candidates(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], bool], start: int = 0, end: int | None = None
) -> Iterator[re.Match[str]]:
    """Accepted matches of `pattern` in text[start:end] (the lookbehinds still see what is
    before `start`); after a rejected one the search goes on from its next character, so a
    spaced run of digits that is no ID does not hide the ID inside it."""
    position, stop = start, len(text) if end is None else end
    while (match := pattern.search(text, position, stop)) is not None:
        if accept(match):
            yield match
            position = match.end()
        else:
            position = match.start() + 1


def _card_end(match: re.Match[str]) -> int | None:
    """Where the card number in a candidate ends: the candidate may have taken a few digits
    of what follows it (4111 1111 1111 1111 20 …); a card ends at a separator or at the end."""
    written = match.group()
    digits = digits_of(written)
    ends = [i + 1 for i, char in enumerate(written) if char.isdigit()]
    for length in range(min(len(digits), 19), 15, -1):
        end = ends[length - 1]
        if end < len(written) and written[end].isdigit():
            continue
        card = digits[:length]
        if written[:end].count(".") != 1 and card.startswith(_CARD_PREFIXES) and luhn_valid(card):
            return match.start() + end
    return None


def _is_landline(match: re.Match[str]) -> bool:
    area = next(match.group(group) for group in _AREA_GROUPS if match.group(group)).lstrip("0")
    local = match.group("local").replace(" ", "")
    return len(area) == 3 or len(local) == 8  # 010 and 02x numbers have 8 local digits


# (kind, pattern, whether a match is one), most specific first.
_NUMBER_DETECTORS: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]]] = [
    (ID_NUMBER, _ID18, lambda m: _not_decimal(m) and is_resident_id(digits_of(m.group()))),
    (ID_NUMBER, _ID15, lambda m: _not_decimal(m) and is_old_resident_id(digits_of(m.group()))),
    (BANK_CARD, _CARD, lambda m: _card_end(m) is not None),
    (MOBILE, _MOBILE, _not_decimal),
    (LANDLINE, _LANDLINE, _is_landline),
]


def _find_names(text: str, first_role: int, findings: list[Finding]) -> None:
    for match in _NAME_AFTER_ROLE.finditer(text, first_role):
        start, end = match.span("name")
        _add(findings, Finding(NAME, start, end, match.group("name")))
        follower = _NEXT_NAME.match(text, end)
        while follower:
            start, end = follower.span("name")
            _add(findings, Finding(NAME, start, end, follower.group("name")))
            follower = _NEXT_NAME.match(text, end)


def _add_all(findings: list[Finding], kind: str, matches: Iterable[re.Match[str]], text: str | None = None) -> None:
    """One finding per match; with `text`, the matches are in its normalized form."""
    for match in matches:
        found = match.group() if text is None else text[match.start() : match.end()]
        _add(findings, Finding(kind, match.start(), match.end(), found))


def _add(findings: list[Finding], finding: Finding) -> None:
    """Keep `finding` unless an earlier (more specific) detector already claimed its span."""
    if all(finding.end <= other.start or finding.start >= other.end for other in findings):
        findings.append(finding)


def personal_data_message(finding: Finding, suffix: str = "") -> str:
    """What validate says of a finding (the data itself only masked); `suffix` adds where it matters."""
    if finding.kind == PROTECTED_NAME:
        return "含有受保护姓名（settings.yaml protected_names），请改为“某某”"
    return f"含有{finding.kind}（{finding.masked}），请删除或脱敏{suffix}"


def count_digits(text: str) -> int:
    return sum(char.isdigit() for char in text)


def mask_digits(text: str, keep: int = 4, keep_first: int = 0) -> str:
    """Replace every digit but the first `keep_first` and the last `keep` with *, keeping
    separators (and full-width digits stay full width: the mask is written in place)."""
    positions = [i for i, char in enumerate(text) if char.isdigit() or char in "XxＸｘ"]
    hide = set(positions[keep_first : len(positions) - keep])
    return "".join("*" if i in hide else char for i, char in enumerate(text))


def mask_email(address: str) -> str:
    """x***@domain: the domain says which provider, not who."""
    at = normalize(address).index("@")
    return f"{address[:1]}***{address[at:]}"


def mask_address(address: str) -> str:
    """Every house, building, unit and room number becomes **; the words around them stay."""
    return _ADDRESS_NUMBER.sub("**", address)


def surname_of(name: str) -> str:
    """The surname of a Chinese full name, or "" when it does not start with a known one."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    if 2 <= len(name) <= 4 and name[0] in SURNAMES:
        return name[0]
    return ""


def mask_name(name: str) -> str:
    """张三 → 张某, 欧阳小明 → 欧阳某; a name with no known surname → 某某."""
    surname = surname_of(name)
    return surname + "某" if surname else "某某"
