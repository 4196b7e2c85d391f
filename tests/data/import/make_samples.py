"""Write the synthetic 登记台账 (registration ledger) exports that `casebook import` is tested on.

Run `/work/main/.venv/bin/python tests/data/import/make_samples.py`: it (re)writes every file below
into this folder, byte for byte the same on every run (a fixed seed, fixed workbook properties and
fixed zip entry times). Every person in them is made up: names are drawn from a list of common
surnames and given names, mobile numbers and 身份证号码 are random (with a valid check digit),
addresses are on invented streets of the sample library's 某市; the library's protected_names
(王建国, 刘秀兰) are never used; 包案领导 is always a post, never a name.

The xlsx layout (what offices really send): two sheets, a short `说明` first (it is the active
sheet) and `登记台账` second. Row 1 a title merged across A:AF, row 2 填报单位/统计截止 merged
across A:AF, rows 3-4 a two-row header (row 3: 序号 A3:A4 and 备注 AF3:AF4 merged vertically,
the groups 基本信息 B3:J3, 反映问题 K3:S3, 办理情况 T3:AE3 merged horizontally; row 4: the
column names), data from row 5, then an empty row and three note lines (注：…, 填表人：… with two
names and a phone number, 填报日期：…) which are not data and must never be imported.

Files and what each exercises:

ledger-2024-05.xlsx
    The May export (统计截止 2024-05-31): 220 data rows registered 2024-04-01..2024-05-31, in
    registration order, with 3 empty rows among them (no values; bordered like the rest). Exercises:
    - 信访件编号 XJ+yyyymm+5 digits, a few with a trailing space, full-width ＸＪ, or all full width;
    - 登记日期 as date cells (formats yyyy-mm-dd, yyyy/m/d, yyyy"年"m"月"d"日"), Excel serial
      numbers with no date format (45418), and text 2024年5月6日 / 2024.5.6 / 2024/05/06 /
      2024-05-06 / 2024年05月06日; the other dates mostly date cells, some text;
    - 信访形式 as offices write them (走访, 网信, 网上投诉, 来电, 12345转办 … to be mapped);
    - 联系电话 in many spellings (plain text, a number cell, spaces, hyphens, full width, +86);
    - 身份证号码 as text with a valid ISO 7064 MOD 11-2 check digit, some ending in X;
    - 信访人数 as numbers and as text ("5", "5人", " 12 ", full-width "１２"); 信访人 "张志刚等12人";
    - 问题属地 as 城东区和平街道 / 城东区/和平街道 / 和平街道 / 某市城东区和平街道 (one region each);
    - 反映内容 naming the petitioner, or giving their phone number or address, in about a third
      of the rows (to be masked); 主要诉求 split by ；, by 1.…2.…, or by line breaks in the cell;
    - trailing spaces (also full-width ones) in some vocabulary cells;
    - ~40% open rows (no 办结日期): some never accepted (受理 clock, several 逾期 on 05-31),
      some accepted 04-01..04-08 (临期 on 05-31 under the 60-day 办理 clock), some answered.
    Anonymous 检举 rows (信访标记 匿名) have no 信访人, phone, ID or address.
ledger-2024-06.xlsx
    The June export of the same ledger (统计截止 2024-06-30): 200 of May's rows (20 of May's case
    numbers are gone) in a shuffled order, plus 40 new rows registered in June (XJ202406…); 2
    empty rows. 60 of May's open rows have progressed in June: 答复日期 and 处理意见 filled in,
    and/or 办结日期, 办理结果 and (mostly) 化解方式 and both 满意度 filled in. Every other cell of a
    kept row is exactly May's (same value, same cell type and format), except 序号, which is
    renumbered.
ledger-2024-05-utf8bom.csv, ledger-2024-05-gbk.csv, ledger-2024-05-gb18030.csv, ledger-2024-05-utf8.csv
    May's first 60 data rows as Excel writes them to CSV: one header row (序号, the 30 names of
    row 4, 备注), every value as its displayed text (date cells as formatted, serial numbers as the
    number), cells with line breaks quoted. UTF-8 with BOM and GBK have CRLF line ends (as Excel
    writes), GB18030 and UTF-8 without BOM have LF. Some rows name the estate 㮾溪花园小区,
    whose first character GBK cannot encode: the GB18030 file holds it (4 bytes, so the file
    does not decode as GBK); the GBK file has "?" in its place, as Excel does when saving
    GBK text; that is the only difference between the four files' texts.
ledger-bad.xlsx
    The same layout, 12 data rows in rows 5-16 (no empty rows), of which exactly six are bad,
    one bad cell each; the other rows and cells are good (normalisable noise included):
    - L6: 问题领域 "城乡建没", not in the vocabulary (close to 城乡建设);
    - C8: 登记日期 "2024年13月5日", text that is no date;
    - T10: 责任单位 empty;
    - I12: 信访人数 "若干";
    - D14: 信访形式 "飞鸽传书", not a channel;
    - C16: 登记日期 2024-05-22 after the 办结日期 Z16 (2024-05-18), hence also after that row's
      受理, 交办 and 答复 dates (it was registered 05-03; 05-22 is a typing slip).

The vocabulary values used are checked against ../../../cases/settings.yaml when it is there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

HERE = Path(__file__).resolve().parent
SETTINGS = HERE.parents[2] / "cases" / "settings.yaml"
SEED = 20240531
FIXED_TIME = dt.datetime(2024, 6, 3, 9, 0, 0)  # workbook created / modified
ZIP_TIME = (2024, 6, 3, 9, 0, 0)  # every zip entry's time stamp

# ── layout ───────────────────────────────────────────────────────────────────

GROUPS: list[tuple[str, list[str]]] = [
    (
        "基本信息",
        [
            "信访件编号",
            "登记日期",
            "信访形式",
            "信访人",
            "联系电话",
            "身份证号码",
            "家庭住址",
            "信访人数",
            "信访人类别",
        ],
    ),
    (
        "反映问题",
        ["信访类别", "问题领域", "具体问题", "问题属地", "涉及项目", "事项标题", "反映内容", "主要诉求", "信访标记"],
    ),
    (
        "办理情况",
        [
            "责任单位",
            "协办单位",
            "包案领导",
            "受理日期",
            "交办日期",
            "答复日期",
            "办结日期",
            "办理结果",
            "化解方式",
            "处理意见",
            "责任单位满意度",
            "信访部门满意度",
        ],
    ),
]
COLUMNS: list[str] = ["序号", *(name for _, names in GROUPS for name in names), "备注"]
LETTER: dict[str, str] = {name: get_column_letter(index) for index, name in enumerate(COLUMNS, 1)}
FIRST_DATA_ROW = 5
WIDTHS: dict[str, float] = {
    "序号": 6,
    "信访件编号": 17,
    "信访人": 14,
    "联系电话": 18,
    "身份证号码": 21,
    "家庭住址": 32,
    "信访人数": 8,
    "问题属地": 18,
    "涉及项目": 22,
    "事项标题": 38,
    "反映内容": 64,
    "主要诉求": 40,
    "信访标记": 16,
    "责任单位": 18,
    "协办单位": 30,
    "包案领导": 18,
    "责任单位满意度": 9,
    "信访部门满意度": 9,
    "备注": 16,
}
WRAPPED = ("事项标题", "反映内容", "主要诉求")

# ── vocabularies (cases/settings.yaml) and what offices write instead ───────

REGIONS = [
    "某市/城东区/和平街道",
    "某市/城东区/新华街道",
    "某市/城东区/东关街道",
    "某市/城西区/西湖街道",
    "某市/城西区/长安街道",
    "某市/城西区/金桥镇",
    "某市/高新区/科技园街道",
    "某市/高新区/创业街道",
    "某市/临河县/城关镇",
    "某市/临河县/河口乡",
]
RURAL = ("某市/城西区/金桥镇", "某市/临河县/城关镇", "某市/临河县/河口乡")
FLAG_ORDER = [
    "集体访",
    "重复访",
    "越级访",
    "进京访",
    "初信初访",
    "联名",
    "匿名",
    "重大紧急",
    "涉法涉诉",
    "三跨三分离",
    "积案",
]
# channel as written → weight; the vocabulary value each maps to is in CHANNEL_MEANS
CHANNELS: dict[str, int] = {
    "来信": 12,
    "走访": 15,
    "来访": 8,
    "网信": 9,
    "网上投诉": 8,
    "网上信访": 10,
    "来电": 8,
    "电话": 5,
    "12345转办": 11,
    "领导接访": 6,
    "矛盾排查": 6,
    "上级交办": 2,
}
CHANNEL_MEANS = {"走访": "来访", "网信": "网上信访", "网上投诉": "网上信访", "来电": "电话", "12345转办": "上级交办"}
DISTRICT_UNITS: dict[str, dict[str, str]] = {
    "城东区": {
        "政府": "城东区人民政府",
        "信访": "城东区信访局",
        "建设": "城东区住建局",
        "人社": "城东区人社局",
        "城管": "城东区城管局",
    },
    "城西区": {
        "政府": "城西区人民政府",
        "信访": "城西区信访局",
        "建设": "城西区住建局",
        "人社": "城西区人社局",
        "征收": "城西区征收办",
    },
    "高新区": {"政府": "高新区管委会", "信访": "高新区信访办", "建设": "高新区建设局", "社会": "高新区社会事务局"},
    "临河县": {
        "政府": "临河县人民政府",
        "信访": "临河县信访局",
        "自然资源": "临河县自然资源局",
        "人社": "临河县人社局",
        "农业": "临河县农业农村局",
    },
}
DISTRICT_LEADERS: dict[str, tuple[str, ...]] = {
    "城东区": ("城东区副区长", "城东区委副书记"),
    "城西区": ("城西区副区长", "城西区委常委、政法委书记"),
    "高新区": ("高新区管委会副主任", "高新区党工委副书记"),
    "临河县": ("临河县副县长", "临河县委副书记"),
}
STREET_UNITS = {
    "和平街道": "和平街道办事处",
    "新华街道": "新华街道办事处",
    "东关街道": "东关街道办事处",
    "西湖街道": "西湖街道办事处",
    "长安街道": "长安街道办事处",
    "金桥镇": "金桥镇人民政府",
    "科技园街道": "科技园街道办事处",
    "创业街道": "创业街道办事处",
    "城关镇": "城关镇人民政府",
    "河口乡": "河口乡人民政府",
}

# ── people (all made up) ─────────────────────────────────────────────────────

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = [
    "建华", "淑芬", "国强", "秀英", "志刚", "丽华", "海涛", "桂兰", "德明", "玉梅",
    "春生", "红霞", "永忠", "美玲", "立军", "晓燕", "文斌", "素珍", "宏伟", "金凤",
    "振东", "翠萍", "家豪", "雅琴", "树林", "凤英", "明亮", "春燕", "宝山", "慧敏",
    "长江", "秋菊", "卫平", "月娥", "少华", "兰英", "福生", "爱萍", "连生", "巧云",
]  # fmt: skip
PROTECTED = {"王建国", "刘秀兰"}  # the sample library's protected_names never appear
MOBILE_PREFIXES = ["130", "131", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "158", "159", "177", "180", "182", "186", "187", "188", "189", "199"]  # fmt: skip
ID_AREA = {"城东区": "330102", "城西区": "330106", "高新区": "330108", "临河县": "330122"}
ROADS = {
    "城东区": ("和平路", "新华路", "东关大街", "解放路", "人民路"),
    "城西区": ("西湖路", "长安路", "金桥大道", "建设路"),
    "高新区": ("科技大道", "创业路", "文昌路"),
}
VILLAGES = ("前进村", "红星村", "李家庄村", "河西村", "新民村", "东湾村")

# ── what the rows are about ──────────────────────────────────────────────────

RARE_ESTATE = "㮾溪花园小区"  # 㮾 (U+3BBE) is in GB18030 but not in GBK
SUBJECT_REGION: dict[str, str] = {
    "锦绣花园小区": "某市/城东区/和平街道",
    "和平里小区": "某市/城东区/和平街道",
    "金色家园": "某市/城东区/新华街道",
    "翠湖湾小区": "某市/城西区/西湖街道",
    "长安名邸": "某市/城西区/长安街道",
    "阳光水岸小区": "某市/高新区/科技园街道",
    RARE_ESTATE: "某市/临河县/城关镇",
    "恒远建筑工程有限公司": "某市/城西区/金桥镇",
    "滨江华庭项目工地": "某市/城西区/长安街道",
    "智造产业园三期工程": "某市/高新区/创业街道",
    "某市宏达纺织有限公司": "某市/城东区/东关街道",
    "原某市第二棉纺厂": "某市/城东区/东关街道",
    "原某市机械厂": "某市/城西区/长安街道",
    "原临河县食品公司": "某市/临河县/城关镇",
    "临河工业园二期项目": "某市/临河县/城关镇",
    "滨河农业示范园项目": "某市/临河县/河口乡",
    "金桥物流园项目": "某市/城西区/金桥镇",
    "东关片区棚户区改造项目": "某市/城东区/东关街道",
    "西湖路旧城改造项目": "某市/城西区/西湖街道",
    "鑫盛投资管理有限公司": "某市/高新区/科技园街道",
    "汇金财富咨询有限公司": "某市/城西区/长安街道",
    "优学教育培训中心": "某市/城东区/新华街道",
    "某市第二人民医院": "某市/城西区/西湖街道",
    "临河县华源化工有限公司": "某市/临河县/城关镇",
    "文昌路地铁站施工项目": "某市/高新区/创业街道",
}
ESTATES = ("锦绣花园小区", "和平里小区", "金色家园", "翠湖湾小区", "长安名邸", "阳光水岸小区", RARE_ESTATE)


@dataclass(frozen=True)
class Topic:
    """One kind of matter: its 问题领域/具体问题 and the texts a row about it is made from.

    Texts are templates over {subject} (涉及项目), {street} (the region's street or town),
    {year}, {month} and {amount}; facts[0] always opens the 反映内容, 1-3 more follow in order."""

    domain: str
    topic: str
    kinds: tuple[str, ...]
    title: str
    facts: tuple[str, ...]
    demands: tuple[str, ...]
    city: str  # the city department in charge
    local: tuple[str, ...] = ("政府",)  # kinds of district unit that may lead (DISTRICT_UNITS keys)
    subjects: tuple[str, ...] = ()
    regions: tuple[str, ...] = tuple(REGIONS)
    extra: tuple[str, ...] = ()  # other units that may assist
    street: bool = False  # the street office / town government may lead
    city_only: bool = False
    group: bool = False  # may be a collective petition
    categories: tuple[tuple[str, int], ...] = (("申诉求决类", 1),)
    weight: int = 3


TOPICS: list[Topic] = [
    Topic(
        "城乡建设", "不动产证办理", ("业主",), "{subject}业主反映交房多年无法办理不动产权证",
        ("{subject}于{year}年交付使用，至今未能办理不动产权证书。",
         "据业主反映，开发商欠缴土地出让金，项目至今未完成首次登记。",
         "业主多次向开发商和有关部门反映，均未得到明确答复。",
         "因无法办证，子女入学、房屋交易和抵押贷款均受到影响。"),
        ("尽快办理不动产权证书", "督促开发商补缴土地出让金", "明确办证时间表"),
        "市住建局", ("建设",), ESTATES, extra=("市自然资源和规划局",), group=True, weight=7,
    ),
    Topic(
        "城乡建设", "物业纠纷", ("业主", "居民", "租户"), "{subject}业主反映物业服务不到位、公共收益不公开",
        ("{subject}物业服务企业近年来服务质量明显下降，电梯经常故障停运。",
         "小区电梯广告、停车位出租等公共收益从未向业主公示。",
         "业主委员会多次要求查看账目，物业公司以各种理由拒绝。",
         "部分业主因此拒交物业费，物业公司以停水停电方式催缴，矛盾激化。"),
        ("公开公共收益账目", "督促物业公司整改服务问题", "依法启动更换物业服务企业程序"),
        "市住建局", ("建设",), ESTATES, street=True, group=True, weight=5,
    ),
    Topic(
        "城乡建设", "房屋质量", ("业主",), "{subject}业主反映新建住宅外墙渗水、墙体开裂",
        ("{subject}交付不到两年，多栋楼出现外墙渗水、墙体开裂等问题。",
         "业主向开发商报修后，维修效果不明显，雨季渗水更加严重。",
         "业主担心房屋存在安全隐患，要求进行质量鉴定。"),
        ("委托第三方进行房屋质量鉴定", "督促开发商彻底维修", "赔偿装修损失"),
        "市住建局", ("建设",), ESTATES, group=True,
    ),
    Topic(
        "征地拆迁", "征地补偿", ("村民", "失地农民"), "{subject}被征地村民反映补偿标准偏低",
        ("{year}年，因{subject}建设需要，{street}部分集体土地被征收。",
         "村民认为补偿标准低于周边同类项目，青苗及地上附着物补偿也未足额发放。",
         "部分失地农民至今未纳入被征地农民养老保障。",
         "村民曾多次到乡镇和区县反映，问题未得到解决。"),
        ("按照现行标准提高征地补偿", "足额发放青苗及地上附着物补偿", "落实被征地农民养老保险", "公开补偿款发放明细"),
        "市自然资源和规划局", ("自然资源", "征收", "政府"), ("临河工业园二期项目", "滨河农业示范园项目", "金桥物流园项目"),
        group=True, weight=5,
    ),
    Topic(
        "征地拆迁", "房屋征收安置", ("居民",), "{subject}被征收户反映安置房逾期未交付",
        ("{subject}于{year}年启动，被征收户按约定搬离原住房。",
         "按照征收补偿协议，安置房应于去年底前交付，至今仍未竣工。",
         "过渡期临时安置费今年起停发，被征收户租房压力较大。"),
        ("明确安置房交付时间", "按协议补发过渡期临时安置费", "逾期交付给予相应补偿"),
        "市住建局", ("征收", "政府"), ("东关片区棚户区改造项目", "西湖路旧城改造项目"), group=True,
    ),
    Topic(
        "劳动社保", "拖欠工资", ("农民工",), "{subject}拖欠农民工工资",
        ("信访人在{subject}务工，自{year}年{month}月起被拖欠工资。",
         "据反映，拖欠工资约{amount}万元，施工方以工程款未到位为由一再推诿。",
         "信访人多次找项目负责人讨要，对方承诺的支付时间均未兑现。",
         "部分工友家庭生活困难，情绪较为激动。"),
        ("尽快足额支付拖欠工资", "依法追究用工单位责任", "落实农民工工资保证金制度"),
        "市人社局", ("人社",), ("恒远建筑工程有限公司", "滨江华庭项目工地", "智造产业园三期工程", "某市宏达纺织有限公司"),
        extra=("市住建局",), group=True, weight=8,
    ),
    Topic(
        "劳动社保", "养老保险", ("退休职工", "企业职工"), "反映养老保险视同缴费年限认定有误",
        ("信访人今年办理退休手续，核定的缴费年限比本人实际工作年限少。",
         "信访人称其早年在集体企业工作期间的工龄未被认定为视同缴费年限。",
         "信访人已提供招工登记表、工资发放记录等材料。"),
        ("重新核定视同缴费年限", "补发养老金差额"),
        "市人社局", ("人社",),
    ),
    Topic(
        "劳动社保", "工伤认定", ("企业职工", "农民工"), "反映工伤认定申请超期未作出结论",
        ("信访人在工作中受伤，用人单位未在规定时间内申请工伤认定。",
         "信访人本人提出工伤认定申请后，超过法定期限仍未收到认定结论。",
         "信访人目前无法工作，医疗费用全部自行垫付。"),
        ("尽快作出工伤认定结论", "督促用人单位垫付医疗费用"),
        "市人社局", ("人社",), weight=2,
    ),
    Topic(
        "企业改制", "改制职工安置", ("下岗职工", "退休职工"), "{subject}改制职工反映身份置换补偿未落实",
        ("{subject}于2002年实施改制，部分职工被买断工龄。",
         "信访人反映改制时承诺的身份置换补偿金至今未全部兑现。",
         "改制前企业欠缴的社会保险费也未补缴，影响职工退休待遇。"),
        ("兑现身份置换补偿金", "补缴改制前欠缴的社会保险费", "公开改制方案及资产处置情况"),
        "市国资委", ("政府",), ("原某市第二棉纺厂", "原某市机械厂", "原临河县食品公司"), extra=("市人社局",), group=True,
    ),
    Topic(
        "涉法涉诉", "执行难", ("居民", "个体经营户"), "反映民事判决生效后长期未执行到位",
        ("信访人与他人买卖合同纠纷一案，法院判决已于{year}年生效。",
         "信访人申请强制执行后，至今仅执行到位少部分款项。",
         "信访人认为被执行人有能力履行，怀疑其转移财产。"),
        ("加快执行进度", "依法对被执行人采取强制措施", "告知执行进展情况"),
        "市中级人民法院", extra=("市司法局",), city_only=True, weight=2,
    ),
    Topic(
        "农村农业", "土地承包", ("村民",), "反映承包地被村集体调整收回",
        ("信访人称其家庭承包地在二轮延包中被村集体调整收回。",
         "信访人认为村委会调整程序不合法，未经村民会议讨论通过。",
         "信访人曾向乡镇农经站反映，未得到处理结果。"),
        ("恢复原承包地经营权", "依法确权颁证"),
        "市农业农村局", ("农业", "政府"), regions=RURAL, street=True,
    ),
    Topic(
        "农村农业", "宅基地审批", ("村民",), "反映宅基地建房申请长期未获审批",
        ("信访人家庭人口增加，住房困难，于去年向村委会提出宅基地建房申请。",
         "申请材料报送乡镇后，至今未获审批，也未告知原因。",
         "信访人称同村其他农户的申请已获批准，认为存在不公。"),
        ("尽快审批宅基地建房申请", "说明未获批的原因"),
        "市自然资源和规划局", ("自然资源", "农业", "政府"), regions=RURAL, street=True, weight=2,
    ),
    Topic(
        "生态环境", "噪声扰民", ("居民",), "反映{subject}夜间施工噪声扰民",
        ("{subject}长期在夜间施工，机械噪声严重影响周边居民休息。",
         "居民多次拨打热线反映，施工方仅短暂停工后又继续夜间作业。",
         "周边有学校和住宅小区，老人和学生反映强烈。"),
        ("停止夜间违规施工", "加强噪声监测和执法", "公示夜间施工审批情况"),
        "市生态环境局", ("城管", "政府"), ("文昌路地铁站施工项目", "滨江华庭项目工地"), street=True, group=True, weight=4,
    ),
    Topic(
        "生态环境", "废气污染", ("居民", "村民"), "反映{subject}排放刺激性气味废气",
        ("{subject}夜间排放刺激性气味废气，周边村民开窗即闻到异味。",
         "村民怀疑该企业废气处理设施未正常运行。",
         "村民曾向属地反映，企业整改后不久问题再次出现。"),
        ("依法查处违法排污行为", "公开企业排污监测数据"),
        "市生态环境局", ("政府",), ("临河县华源化工有限公司",),
        categories=(("申诉求决类", 2), ("检举控告类", 1)), group=True, weight=2,
    ),
    Topic(
        "民政", "低保申请", ("居民", "残疾人", "低保对象"), "反映低保申请被退回",
        ("信访人家庭因病致贫，向所在街道提出最低生活保障申请。",
         "街道以家庭收入核对不符合条件为由退回申请。",
         "信访人认为核对时将已分户子女的收入计入家庭收入不合理。"),
        ("重新审核低保资格", "给予临时救助"),
        "市民政局", ("社会", "政府"), street=True, weight=2,
    ),
    Topic(
        "退役军人", "优抚待遇", ("退役军人",), "反映退役士兵一次性经济补助未按标准发放",
        ("信访人系自主就业退役士兵，反映地方一次性经济补助未按标准发放。",
         "信访人称同批退役人员待遇存在差异。",
         "信访人曾向区县退役军人事务部门咨询，对答复不满意。"),
        ("按标准补发一次性经济补助", "说明待遇差异的原因"),
        "市退役军人事务局", group=True, weight=2,
    ),
    Topic(
        "集资融资", "非法集资", ("投资人",), "反映{subject}逾期无法兑付投资本息",
        ("{subject}以高额回报为诱饵，向社会公众吸收资金。",
         "自{year}年{month}月起，该公司停止兑付本息，负责人失联。",
         "投资人损失较大，部分系养老钱。"),
        ("尽快立案侦查并追赃挽损", "依法打击非法集资", "及时通报案件进展"),
        "市地方金融监管局", ("政府",), ("鑫盛投资管理有限公司", "汇金财富咨询有限公司"), extra=("市公安局",),
        group=True, weight=3,
    ),
    Topic(
        "教育", "学区划分", ("学生家长",), "反映{subject}学区调整影响子女就近入学",
        ("今年学区划分方案将{subject}划入距离较远的学校。",
         "家长认为调整方案未充分征求意见，孩子上学路途远、不安全。",
         "家长希望维持原学区划分或增设校车线路。"),
        ("重新论证学区划分方案", "增设校车或公交线路", "公开学区划分依据"),
        "市教育局", ("政府",), ESTATES, categories=(("申诉求决类", 1), ("建议意见类", 1)), group=True,
    ),
    Topic(
        "教育", "校外培训退费", ("学生家长",), "反映{subject}停业后拒不退还培训费",
        ("{subject}突然停业，家长预交的培训费无法退还。",
         "涉及学员较多，预付费金额从数千元到数万元不等。",
         "家长多次联系机构负责人，对方拒绝协商。"),
        ("督促机构退还剩余培训费", "加强校外培训预收费监管"),
        "市教育局", ("政府",), ("优学教育培训中心",), extra=("市市场监管局",), group=True, weight=2,
    ),
    Topic(
        "卫生健康", "医疗纠纷", ("患者家属",), "反映在{subject}就医过程中发生医疗纠纷",
        ("信访人家属在{subject}接受手术后出现严重并发症。",
         "信访人认为医院存在诊疗过错，与医院协商赔偿未果。",
         "信访人对医院提供的病历资料完整性存在疑问。"),
        ("组织医疗损害鉴定", "依法赔偿医疗费用", "封存并复印全部病历"),
        "市卫生健康委", ("政府",), ("某市第二人民医院",), city_only=True, weight=2,
    ),
    Topic(
        "卫生健康", "医保报销", ("居民", "退休职工"), "反映异地就医费用医保报销比例过低",
        ("信访人在外地住院治疗，回本地报销时报销比例明显低于本地就医。",
         "信访人称就医前曾电话咨询，但未被告知需要办理异地就医备案。"),
        ("按本地标准补报医疗费用", "简化异地就医备案手续"),
        "市医保局", city_only=True, weight=2,
    ),
    Topic(
        "城市管理", "违章建筑", ("居民", "业主"), "反映{subject}顶楼住户违章搭建",
        ("{subject}顶楼住户在楼顶违规搭建彩钢房。",
         "违建导致楼顶防水层破坏，楼下住户家中漏水。",
         "居民向城管部门举报后，违建至今未拆除。"),
        ("依法拆除违章建筑", "修复楼顶防水层"),
        "市城管局", ("城管", "政府"), ESTATES, street=True,
    ),
    Topic(
        "城市管理", "占道经营", ("居民",), "反映{street}部分路段占道经营、油烟扰民",
        ("{street}部分路段夜间烧烤摊位占道经营，油烟和噪声扰民。",
         "摊位占用人行道和非机动车道，存在安全隐患。",
         "居民多次反映，整治后很快反弹。"),
        ("加强占道经营整治", "建立长效管理机制"),
        "市城管局", ("城管", "政府"), regions=tuple(r for r in REGIONS if r not in RURAL), street=True,
        categories=(("申诉求决类", 1), ("建议意见类", 1)),
    ),
    Topic(
        "交通运输", "公交线路", ("居民",), "建议增设{street}至市中心的公交线路",
        ("{street}近年新建多个住宅小区，入住居民逐年增加。",
         "目前仅有一条公交线路途经，发车间隔长，高峰时段拥挤。",
         "居民建议增设公交线路或加密现有线路班次。"),
        ("增设公交线路", "加密高峰时段班次"),
        "市交通运输局", city_only=True, categories=(("建议意见类", 1),), weight=2,
    ),
    Topic(
        "交通运输", "出租车服务", ("居民",), "反映出租车拒载、绕路问题",
        ("信访人乘坐出租车时遭遇司机拒载和绕路。",
         "信访人向出租车公司投诉后，对方未作处理。"),
        ("依法查处违规司机", "加强出租车行业监管"),
        "市交通运输局", city_only=True, weight=1,
    ),
    Topic(
        "纪检监察", "村干部违纪", ("村民",), "检举{street}某村干部违规发放补贴、优亲厚友",
        ("信访人检举{street}某村干部在发放惠农补贴时优亲厚友。",
         "信访人称部分不符合条件的亲属被列入补贴名单。",
         "村务公开栏长期未更新，村民无法了解补贴发放情况。"),
        ("调查核实并依法依纪处理", "公开补贴发放名单"),
        "市纪委监委", regions=RURAL, city_only=True, categories=(("检举控告类", 1),), weight=2,
    ),
]  # fmt: skip
TOPIC = {topic.topic: topic for topic in TOPICS}
NOTES = ("", "", "", "", "", "", "", "", "市领导批示件", "信访代办", "已录入信访信息系统", "重复件，已合并办理")


# ── cells ────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DateCell:
    """A real date cell, shown in an Excel number format."""

    day: dt.date
    fmt: str

    def text(self) -> str:
        """The text Excel shows (and writes to CSV)."""
        day = self.day
        if self.fmt == "yyyy-mm-dd":
            return day.isoformat()
        if self.fmt == "yyyy/m/d":
            return f"{day.year}/{day.month}/{day.day}"
        return f"{day.year}年{day.month}月{day.day}日"


Cell = str | int | DateCell | None
Row = dict[str, Cell]
DATE_FORMATS = ("yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"')
TEXT_DATES: tuple[Callable[[dt.date], str], ...] = (
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: d.isoformat(),
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
)
EXCEL_EPOCH = dt.date(1899, 12, 30)
FULL = str.maketrans("0123456789XJ", "０１２３４５６７８９ＸＪ")


def text_of(cell: Cell) -> str:
    """A cell as Excel writes it to CSV."""
    if cell is None:
        return ""
    if isinstance(cell, DateCell):
        return cell.text()
    return str(cell)


# ── the cases behind the rows ────────────────────────────────────────────────


@dataclass
class Case:
    """One registered matter: the truth a row is rendered from."""

    number: str  # XJyyyymmNNNNN
    received: dt.date
    channel: str
    petitioner: str  # as written in 信访人: a name, "张志刚等12人", or "" (anonymous)
    name: str
    phone: str  # 11 digits or ""
    id_number: str
    address: str
    count: int
    kind: str
    category: str
    topic: Topic
    region: str
    region_text: str
    subject: str
    title: str
    summary: str
    demands: str
    flags: list[str]
    lead: str
    assist: list[str]
    official: str
    accepted: dt.date | None = None
    assigned: dt.date | None = None
    replied: dt.date | None = None
    closed: dt.date | None = None
    decision: str = ""
    outcome: str = ""
    route: str = ""
    unit_rating: str = ""
    office_rating: str = ""
    note: str = ""
    date_style: int = 0  # which of DATE_FORMATS this row's date cells use

    def check_dates(self, cutoff: dt.date) -> None:
        """登记 ≤ 受理 ≤ 交办 ≤ 答复 ≤ 办结 ≤ 统计截止, and nothing after an empty one but 交办."""
        dates = [d for d in (self.received, self.accepted, self.assigned, self.replied, self.closed) if d]
        assert dates == sorted(dates) and dates[-1] <= cutoff, (self.number, dates)
        assert self.accepted or not (self.replied or self.closed), self.number
        assert self.replied or not self.closed, self.number
        assert bool(self.outcome) == bool(self.closed) and bool(self.decision) == bool(self.replied), self.number


def weighted(rng: random.Random, choices: dict[str, int] | Sequence[tuple[str, int]]) -> str:
    items = list(choices.items()) if isinstance(choices, dict) else list(choices)
    return rng.choices([value for value, _ in items], [weight for _, weight in items])[0]


def id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a 身份证号码."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True)) % 11]


def id_number(rng: random.Random, district: str, born: dt.date, want_x: bool) -> str:
    while True:
        first17 = f"{ID_AREA[district]}{born:%Y%m%d}{rng.randint(1, 999):03d}"
        check = id_check(first17)
        if (check == "X") == want_x:
            return first17 + check


class People:
    """Makes up petitioners: unique names, mobile numbers, ID numbers and addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = set(PROTECTED)
        self.phones: set[str] = set()

    def name(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.names:
                self.names.add(name)
                return name

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def address(self, region: str, subject: str) -> str:
        rng = self.rng
        _, district, street = region.split("/")
        room = f"{rng.randint(1, 6)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
        if subject in ESTATES and rng.random() < 0.6:
            return f"{district}{street if region in RURAL else ''}{subject}{rng.randint(1, 20)}幢{room}"
        if region in RURAL:
            return f"{district}{street}{rng.choice(VILLAGES)}{rng.randint(1, 9)}组{rng.randint(1, 60)}号"
        return f"{district}{rng.choice(ROADS[district])}{rng.randint(1, 300)}号{room}"


def region_text(rng: random.Random, region: str) -> str:
    """问题属地 as offices write it; each names exactly one region."""
    _, district, street = region.split("/")
    return weighted(
        rng,
        [(f"{district}{street}", 5), (f"{district}/{street}", 2), (street, 2), (f"某市{district}{street}", 1)],
    )


def phone_spelling(rng: random.Random, phone: str) -> str:
    a, b, c = phone[:3], phone[3:7], phone[7:]
    return weighted(
        rng,
        [
            (phone, 5),
            (f"{a} {b} {c}", 2),
            (f"{a}-{b}-{c}", 2),
            (phone.translate(FULL), 1),
            (f"+86 {phone}", 1),
            (f"+86-{a}-{b}-{c}", 1),
        ],
    )


def post_for(unit: str, district: str, rng: random.Random) -> str:
    """包案领导: a post (never a name) fitting the lead unit."""
    if rng.random() < 0.5 or not unit:
        return rng.choice(DISTRICT_LEADERS[district])
    if unit.endswith("人民政府"):
        place = unit.removesuffix("人民政府")
        if place in DISTRICT_LEADERS:
            return rng.choice(DISTRICT_LEADERS[place])
        return rng.choice([f"{place}党委书记", f"{place}{place[-1]}长"])
    if unit.endswith("办事处"):
        return rng.choice([f"{unit.removesuffix('办事处')}党工委书记", f"{unit}主任"])
    if unit.endswith("法院"):
        return f"{unit}副院长"
    if unit == "市纪委监委":
        return "市纪委副书记、监委副主任"
    if unit.endswith(("委", "办", "管委会")):
        return f"{unit}副主任"
    return rng.choice([f"{unit}局长", f"{unit}副局长"])


def make_units(rng: random.Random, topic: Topic, region: str) -> tuple[str, list[str]]:
    _, district, street = region.split("/")
    units = DISTRICT_UNITS[district]
    local = units.get(rng.choice(topic.local), units["政府"])
    street_unit = STREET_UNITS[street]
    r = rng.random()
    if topic.city_only or r < 0.3:
        lead = topic.city
    elif topic.street and r > 0.8:
        lead = street_unit
    else:
        lead = local
    pool = [u for u in (local, topic.city, street_unit, *topic.extra) if u != lead]
    pool = list(dict.fromkeys(pool))
    assist = rng.sample(pool, min(len(pool), rng.choice((0, 0, 1, 1, 2))))
    return lead, assist


def make_summary(rng: random.Random, topic: Topic, values: dict[str, Any]) -> str:
    more = sorted(rng.sample(range(1, len(topic.facts)), rng.randint(1, min(3, len(topic.facts) - 1))))
    return "".join(topic.facts[i].format(**values) for i in (0, *more))


def personal_in_summary(rng: random.Random, summary: str, case: Case) -> str:
    """Name the petitioner, or give their phone or address, as clerks do (to be masked on import)."""
    kinds = rng.sample(["name", "phone", "address"], rng.choice((1, 1, 2)))
    if "name" in kinds:
        if summary.startswith("信访人"):
            summary = f"信访人{case.name}" + summary.removeprefix("信访人")
        else:
            summary = rng.choice([f"{case.name}反映：", f"信访人{case.name}称，", f"{case.name}等人反映，"]) + summary
    if "address" in kinds and case.address:
        summary = rng.choice([f"信访人家住{case.address}。", f"信访人住{case.address}。"]) + summary
    if "phone" in kinds and case.phone:
        summary += rng.choice(["联系电话：", "信访人电话", "联系方式："]) + phone_spelling(rng, case.phone) + "。"
    return summary


def demands_text(rng: random.Random, topic: Topic) -> str:
    size = min(len(topic.demands), rng.randint(1, 3))
    picked = [topic.demands[i] for i in sorted(rng.sample(range(len(topic.demands)), size))]
    if len(picked) == 1:
        return picked[0] + rng.choice(("", "。"))
    style = rng.choice(("semicolon", "numbered", "numbered_semicolon", "lines"))
    if style == "semicolon":
        return "；".join(picked) + rng.choice(("", "。"))
    if style == "numbered":
        return "".join(f"{i}.{d}。" for i, d in enumerate(picked, 1))
    if style == "numbered_semicolon":
        return "；".join(f"{i}.{d}" for i, d in enumerate(picked, 1)) + "。"
    return "\n".join(picked)


def make_flags(rng: random.Random, case: Case) -> list[str]:
    flags: set[str] = set()
    if case.count >= 5 and rng.random() < 0.85:
        flags.add("集体访")
    if case.channel == "来信" and case.count >= 2 and rng.random() < 0.6:
        flags.add("联名")
    r = rng.random()
    if r < 0.18:
        flags.add("重复访")
        if rng.random() < 0.25:
            flags.add("积案")
    elif r < 0.45:
        flags.add("初信初访")
    if case.channel in ("走访", "来访") and rng.random() < 0.06:
        flags.add("越级访")
    if case.topic.domain == "涉法涉诉" and rng.random() < 0.7:
        flags.add("涉法涉诉")
    if case.count >= 30 and rng.random() < 0.5:
        flags.add("重大紧急")
    if not case.petitioner:
        flags.add("匿名")
    return [flag for flag in FLAG_ORDER if flag in flags]


def decide(rng: random.Random, case: Case) -> None:
    """处理意见 when answered."""
    case.decision = weighted(rng, [("支持", 10), ("解释说明", 7), ("不予支持", 3)])


def close(rng: random.Random, case: Case) -> None:
    """办理结果, 化解方式 and the two 满意度 of a closed case."""
    if not case.decision:
        decide(rng, case)
    outcome = {
        "支持": [("已化解", 8), ("部分化解", 2)],
        "解释说明": [("已化解", 5), ("部分化解", 3), ("未化解", 2)],
        "不予支持": [("未化解", 3), ("终结", 1)],
    }[case.decision]
    case.outcome = weighted(rng, outcome)
    if case.outcome in ("已化解", "部分化解"):
        if case.decision == "支持":
            route = "依法解决"
        elif case.topic.domain in ("民政", "劳动社保") and rng.random() < 0.4:
            route = "困难救助"
        else:
            route = "教育疏导"
    else:
        route = weighted(rng, [("稳控", 6), ("教育疏导", 4)])
    case.route = "" if rng.random() < 0.08 else route
    ratings = {
        "已化解": [("满意", 6), ("基本满意", 3), ("未评价", 1)],
        "部分化解": [("满意", 2), ("基本满意", 5), ("不满意", 2), ("未评价", 1)],
        "未化解": [("基本满意", 1), ("不满意", 6), ("未评价", 3)],
        "终结": [("基本满意", 1), ("不满意", 6), ("未评价", 3)],
    }[case.outcome]
    if rng.random() < 0.05:
        case.unit_rating = case.office_rating = ""
    else:
        case.unit_rating = weighted(rng, ratings)
        case.office_rating = case.unit_rating if rng.random() < 0.6 else weighted(rng, ratings)


def later(rng: random.Random, start: dt.date, end: dt.date, low: int, high: int) -> dt.date:
    """A day `low`..`high` days after start, never after end (nor before start)."""
    span = (end - start).days
    return start + dt.timedelta(days=rng.randint(min(low, span), min(high, span)))


def handle(rng: random.Random, case: Case, status: str, cutoff: dt.date) -> None:
    """Fill the handling dates (登记 ≤ 受理 ≤ 交办 ≤ 答复 ≤ 办结 ≤ cutoff) for a status."""
    if status == "unaccepted":
        return
    if status == "due_soon":  # accepted by 04-08: 临期 under the 60-day clock on 05-31
        case.accepted = later(rng, case.received, dt.date(2024, 4, 8), 0, 2)
        case.assigned = later(rng, case.accepted, dt.date(2024, 4, 8), 0, 1) if rng.random() < 0.7 else None
        return
    case.accepted = later(rng, case.received, cutoff, 0, 5)
    case.assigned = later(rng, case.accepted, cutoff, 0, 2) if rng.random() < 0.75 else None
    base = case.assigned or case.accepted
    if status == "accepted":
        return
    case.replied = later(rng, base, cutoff, 3, 45)
    decide(rng, case)
    if status == "replied":
        return
    case.closed = later(rng, case.replied, cutoff, 0, 10)
    close(rng, case)


def status_for(rng: random.Random, received: dt.date, cutoff: dt.date) -> str:
    age = (cutoff - received).days
    if rng.random() < min(0.92, age / 40):
        return "closed"
    return weighted(rng, [("unaccepted", 1), ("accepted", 6), ("replied", 2)])


def make_cases(
    rng: random.Random,
    people: People,
    received: Sequence[dt.date],
    cutoff: dt.date,
    counters: dict[str, int],
    statuses: dict[int, str] | None = None,
    topics: dict[int, Topic] | None = None,
    subjects: dict[int, str] | None = None,
) -> list[Case]:
    """Cases registered on the given days, numbered in that order."""
    statuses, topics, subjects = statuses or {}, topics or {}, subjects or {}
    cases = []
    for index, day in enumerate(received):
        topic = topics.get(index) or rng.choices(TOPICS, [t.weight for t in TOPICS])[0]
        subject = subjects.get(index) or (rng.choice(topic.subjects) if topic.subjects else "")
        region = SUBJECT_REGION[subject] if subject else rng.choice(topic.regions)
        _, district, street = region.split("/")
        month = f"{day:%Y%m}"
        counters[month] = counters.get(month, rng.randint(100, 400)) + rng.randint(1, 6)
        count = 1
        if topic.group and rng.random() < 0.35:
            count = rng.choice((5, 6, 8, 10, 12, 15, 20, 23, 30, 45, 60))
        elif rng.random() < 0.12:
            count = rng.randint(2, 4)
        channel = weighted(rng, CHANNELS)
        if count >= 5 and rng.random() < 0.6:
            channel = rng.choice(("走访", "来访", "领导接访"))
        anonymous = topic.domain == "纪检监察" and rng.random() < 0.5
        if anonymous:
            channel = rng.choice(("来信", "网信", "网上信访"))
        name = "" if anonymous else people.name()
        petitioner = name
        if count >= 5 and name and rng.random() < 0.3:
            petitioner = f"{name}等{count}人"
        kind = rng.choice(topic.kinds)
        born = dt.date(rng.randint(1950, 1964) if kind == "退休职工" else rng.randint(1956, 2001), 1, 1)
        born += dt.timedelta(days=rng.randint(0, 364))
        values = {
            "subject": subject,
            "street": street,
            "year": rng.randint(2016, 2022),
            "month": rng.randint(1, 12),
            "amount": rng.choice((8.6, 12, 23.5, 36, 48.2, 65, 120)),
        }
        lead, assist = make_units(rng, topic, region)
        case = Case(
            number=f"XJ{month}{counters[month]:05d}",
            received=day,
            channel=channel,
            petitioner=petitioner,
            name=name,
            phone="" if anonymous or rng.random() < 0.04 else people.phone(),
            id_number="" if anonymous else id_number(rng, district, born, rng.random() < 0.12),
            address="" if anonymous else people.address(region, subject),
            count=count,
            kind=kind,
            category=weighted(rng, topic.categories),
            topic=topic,
            region=region,
            region_text=region_text(rng, region),
            subject="" if subject and rng.random() < 0.08 else subject,
            title=topic.title.format(**values),
            summary=make_summary(rng, topic, values),
            demands=demands_text(rng, topic),
            flags=[],
            lead=lead,
            assist=assist,
            official="",
            date_style=rng.choice((0, 0, 0, 0, 0, 1, 1, 2)),
        )
        if name and rng.random() < 0.34:
            case.summary = personal_in_summary(rng, case.summary, case)
        case.flags = make_flags(rng, case)
        if case.count >= 5 or {"重复访", "积案", "重大紧急"} & set(case.flags) or rng.random() < 0.15:
            case.official = post_for(lead, district, rng)
        case.note = rng.choice(NOTES)
        handle(rng, case, statuses.get(index) or status_for(rng, day, cutoff), cutoff)
        case.check_dates(cutoff)
        cases.append(case)
    return cases


# ── rendering a case as a row ────────────────────────────────────────────────


def date_cell(rng: random.Random, case: Case, day: dt.date | None, text_share: float) -> Cell:
    if day is None:
        return None
    if rng.random() < text_share:
        return rng.choice(TEXT_DATES)(day)
    return DateCell(day, DATE_FORMATS[case.date_style])


def received_cell(rng: random.Random, case: Case) -> Cell:
    r = rng.random()
    if r < 0.62:
        return DateCell(case.received, DATE_FORMATS[case.date_style])
    if r < 0.70:
        return (case.received - EXCEL_EPOCH).days  # a serial number, no date format
    return TEXT_DATES[int((r - 0.70) / 0.06) % len(TEXT_DATES)](case.received)


def number_cell(rng: random.Random, case: Case) -> str:
    r = rng.random()
    if r < 0.04:
        return case.number + " "
    if r < 0.08:
        return "ＸＪ" + case.number[2:]
    if r < 0.095:
        return case.number.translate(FULL)
    return case.number


def count_cell(rng: random.Random, count: int) -> Cell:
    if count == 1:
        return rng.choice([1] * 18 + ["1", "1人"])
    return rng.choice(
        [count] * 12 + [str(count), str(count), f"{count}人", f"{count}人", f" {count} "]
        + [str(count).translate(FULL), str(count).translate(FULL) + "人"]
    )  # fmt: skip


def phone_cell(rng: random.Random, phone: str) -> Cell:
    if not phone:
        return None
    if rng.random() < 0.1:
        return int(phone)  # a number cell, as when someone typed it into a General column
    return phone_spelling(rng, phone)


def padded(rng: random.Random, value: str) -> str:
    """Sometimes a trailing space, half or full width (never on an empty value)."""
    if not value:
        return value
    r = rng.random()
    return value + (" " if r < 0.025 else "　" if r < 0.035 else "")


def id_cell(rng: random.Random, number: str) -> Cell:
    if not number:
        return None
    return number + (" " if rng.random() < 0.03 else "")  # text, never a number cell


def rating_cells(case: Case) -> tuple[Cell, Cell]:
    return case.unit_rating or None, case.office_rating or None


def render(rng: random.Random, case: Case) -> Row:
    return {
        "序号": None,
        "信访件编号": number_cell(rng, case),
        "登记日期": received_cell(rng, case),
        "信访形式": padded(rng, case.channel),
        "信访人": case.petitioner or None,
        "联系电话": phone_cell(rng, case.phone),
        "身份证号码": id_cell(rng, case.id_number),
        "家庭住址": case.address or None,
        "信访人数": count_cell(rng, case.count),
        "信访人类别": padded(rng, case.kind),
        "信访类别": case.category,
        "问题领域": padded(rng, case.topic.domain),
        "具体问题": padded(rng, case.topic.topic),
        "问题属地": case.region_text,
        "涉及项目": case.subject or None,
        "事项标题": case.title,
        "反映内容": case.summary,
        "主要诉求": case.demands,
        "信访标记": "、".join(case.flags) or None,
        "责任单位": padded(rng, case.lead) or None,
        "协办单位": "、".join(case.assist) or None,
        "包案领导": case.official or None,
        "受理日期": date_cell(rng, case, case.accepted, 0.1),
        "交办日期": date_cell(rng, case, case.assigned, 0.1),
        "答复日期": date_cell(rng, case, case.replied, 0.1),
        "办结日期": date_cell(rng, case, case.closed, 0.1),
        "办理结果": padded(rng, case.outcome) or None,
        "化解方式": case.route or None,
        "处理意见": case.decision or None,
        "责任单位满意度": rating_cells(case)[0],
        "信访部门满意度": rating_cells(case)[1],
        "备注": case.note or None,
    }


def progress(rng: random.Random, case: Case, row: Row, cutoff: dt.date) -> Row:
    """The row one month on: the case was answered, or closed, or both, in June."""
    row = dict(row)
    june = dt.date(2024, 6, 1)
    if case.replied is None:
        case.replied = later(rng, june, cutoff, 0, 24)
        decide(rng, case)
        row["答复日期"] = date_cell(rng, case, case.replied, 0.1)
        row["处理意见"] = case.decision
        if rng.random() < 0.3:
            return row
    case.closed = later(rng, max(case.replied, june), cutoff, 0, 10)
    close(rng, case)
    row["办结日期"] = date_cell(rng, case, case.closed, 0.1)
    row["办理结果"] = case.outcome
    row["化解方式"] = case.route or None
    row["处理意见"] = case.decision
    row["责任单位满意度"], row["信访部门满意度"] = rating_cells(case)
    case.check_dates(cutoff)
    return row


# ── writing ──────────────────────────────────────────────────────────────────

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def write_ledger(path: Path, month: int, cutoff: dt.date, filled: dt.date, rows: Sequence[Row | None]) -> None:
    """An office's export: `rows` are data rows, None an empty row among them."""
    wb = Workbook()
    readme = wb.active
    assert isinstance(readme, Worksheet)
    readme.title = "说明"
    readme["A1"] = "1. “登记台账”工作表为本期信访事项登记明细，由信访信息系统导出，请勿修改表头。"
    readme["A2"] = "2. 办结日期为空的为在办事项；信访人个人信息仅限内部工作使用，不得对外提供。"
    readme.column_dimensions["A"].width = 90
    ws = wb.create_sheet("登记台账")
    last = get_column_letter(len(COLUMNS))

    ws["A1"] = f"某市信访局信访事项登记台账（2024年{month}月）"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = CENTER
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    ws["A2"] = f"填报单位：某市信访局　　统计截止：{cutoff.year}年{cutoff.month}月{cutoff.day}日"
    ws.merge_cells(f"A2:{last}2")

    header_font = Font(bold=True)
    col = 2
    for group, names in GROUPS:
        ws.cell(3, col, group)
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(names) - 1)
        for offset, name in enumerate(names):
            ws.cell(4, col + offset, name)
        col += len(names)
    ws["A3"] = "序号"
    ws.merge_cells("A3:A4")
    ws[f"{last}3"] = "备注"
    ws.merge_cells(f"{last}3:{last}4")
    for r in (3, 4):
        for c in range(1, len(COLUMNS) + 1):
            cell = ws.cell(r, c)
            cell.border = BOX
            cell.font = header_font
            cell.alignment = CENTER

    r = FIRST_DATA_ROW
    serial = 0
    for row in rows:
        if row is not None:
            serial += 1
            row = {**row, "序号": serial}
        for c, name in enumerate(COLUMNS, 1):
            cell = ws.cell(r, c)
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=name in WRAPPED)
            value = None if row is None else row[name]
            if isinstance(value, DateCell):
                cell.value = value.day
                cell.number_format = value.fmt
            else:
                cell.value = value
        r += 1

    r += 1  # an empty row under the table
    ws.cell(
        r, 1, "注：1. 本表由信访信息系统导出，统计截止日期以后登记的事项不在本表内；2. 信访人个人信息仅限内部工作使用。"
    )
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(COLUMNS))
    ws.cell(r + 1, 1, "填表人：陈立新　　审核人：周海燕　　联系电话：0571-86781234")
    ws.cell(r + 2, 1, f"填报日期：{filled.year}年{filled.month}月{filled.day}日")

    for c, name in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS.get(name, 12)

    wb.properties.creator = "casebook"
    wb.properties.lastModifiedBy = "casebook"
    wb.properties.created = FIXED_TIME
    save_workbook(wb, path)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save with fixed times: openpyxl stamps docProps/core.xml's modified and the zip entries with now."""
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.modified = FIXED_TIME
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, core if info.filename == "docProps/core.xml" else source.read(info))
    path.write_bytes(out.getvalue())


def gbk_text(text: str) -> str:
    """What Excel writes when saving GBK text: "?" for every character GBK has not."""
    return "".join(ch if ch.encode("gbk", "ignore") else "?" for ch in text)


def write_csv(path: Path, rows: Sequence[Row], encoding: str, newline: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(COLUMNS)
    for serial, row in enumerate(rows, 1):
        writer.writerow([str(serial) if name == "序号" else text_of(row[name]) for name in COLUMNS])
    text = out.getvalue()
    if encoding == "gbk":
        text = gbk_text(text)
    path.write_bytes(text.encode(encoding))


# ── the samples ──────────────────────────────────────────────────────────────


def days(rng: random.Random, count: int, first: dt.date, last: dt.date) -> list[dt.date]:
    span = (last - first).days
    return sorted(first + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))


def may_and_june() -> tuple[list[Row], list[Row | None], list[Row | None], dict[str, int]]:
    """May's rows, May's and June's sheets (None: an empty row), and some counts for the check."""
    rng = random.Random(SEED)
    people = People(rng)
    counters: dict[str, int] = {}
    may_cut, june_cut = dt.date(2024, 5, 31), dt.date(2024, 6, 30)

    received = days(rng, 220, dt.date(2024, 4, 1), may_cut)
    early = [i for i, day in enumerate(received) if day <= dt.date(2024, 4, 6)]
    middle = [i for i, day in enumerate(received) if dt.date(2024, 4, 10) <= day <= dt.date(2024, 5, 10)]
    statuses = dict.fromkeys(rng.sample(early, 5), "due_soon")
    statuses.update(dict.fromkeys(rng.sample([i for i in middle if i not in statuses], 5), "unaccepted"))
    estate = TOPIC["不动产证办理"]
    may = make_cases(
        rng, people, received, may_cut, counters, statuses,
        topics={9: estate, 41: estate, 57: TOPIC["物业纠纷"]},
        subjects={9: RARE_ESTATE, 41: RARE_ESTATE, 57: RARE_ESTATE},
    )  # fmt: skip
    may_rows = [render(rng, case) for case in may]

    open_ = [i for i, case in enumerate(may) if case.closed is None]
    closed = [i for i, case in enumerate(may) if case.closed is not None]
    gone = set(rng.sample(closed, 15) + rng.sample(open_, 5))
    kept = [i for i in range(len(may)) if i not in gone]
    movable = [i for i in kept if may[i].closed is None and may[i].accepted is not None]
    moved = set(rng.sample(movable, 60))
    june_rows = [progress(rng, may[i], may_rows[i], june_cut) if i in moved else may_rows[i] for i in kept]

    new = make_cases(rng, people, days(rng, 40, dt.date(2024, 6, 1), june_cut), june_cut, counters)
    june_rows += [render(rng, case) for case in new]
    rng.shuffle(june_rows)

    may_sheet: list[Row | None] = list(may_rows)
    for at in (190, 131, 57):
        may_sheet.insert(at, None)
    june_sheet: list[Row | None] = list(june_rows)
    for at in (163, 88):
        june_sheet.insert(at, None)
    counts = {"may_open": len(open_), "gone": len(gone), "moved": len(moved), "june_new": len(new)}
    return may_rows, may_sheet, june_sheet, counts


BAD_CELLS = {
    "L6": "城乡建没",
    "C8": "2024年13月5日",
    "T10": None,
    "I12": "若干",
    "D14": "飞鸽传书",
    "C16": DateCell(dt.date(2024, 5, 22), "yyyy-mm-dd"),
}


def bad_rows() -> list[Row | None]:
    """12 rows, six of them with exactly one bad cell each (BAD_CELLS, listed in the docstring)."""
    rng = random.Random(SEED + 1)
    received = [dt.date(2024, 5, d) for d in (2, 4, 6, 7, 9, 10, 13, 14, 16, 17, 20, 3)]
    cases = make_cases(
        rng, People(rng), received, dt.date(2024, 5, 31), {},
        statuses={1: "closed", 11: "accepted"},
        topics={1: TOPIC["不动产证办理"], 7: TOPIC["养老保险"], 11: TOPIC["拖欠工资"]},
    )  # fmt: skip
    row12 = cases[7]  # 信访人数 若干: a single petitioner, nothing that needs a count
    row12.count = 1
    row12.flags = [flag for flag in row12.flags if flag not in ("集体访", "联名")]
    row16 = cases[11]  # closed on 05-18, its 登记日期 (05-03) retyped as 05-22
    row16.accepted, row16.assigned, row16.replied = dt.date(2024, 5, 6), dt.date(2024, 5, 7), dt.date(2024, 5, 15)
    row16.closed = dt.date(2024, 5, 18)
    close(rng, row16)
    rows = [render(rng, case) for case in cases]
    check_vocabularies(rows)  # all good before the six bad cells go in
    column_of = {letter: name for name, letter in LETTER.items()}
    for ref, value in BAD_CELLS.items():
        match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
        assert match
        rows[int(match[2]) - FIRST_DATA_ROW][column_of[match[1]]] = value
    rows[11]["办结日期"] = DateCell(dt.date(2024, 5, 18), "yyyy-mm-dd")
    assert rows[7]["信访人数"] == "若干" and LETTER["信访人数"] == "I" and LETTER["办结日期"] == "Z"
    return list(rows)


# ── checks ───────────────────────────────────────────────────────────────────


def check_vocabularies(rows: Sequence[Row]) -> None:
    """Every vocabulary value used is in the sample library's settings.yaml (when it is there)."""
    if not SETTINGS.exists():
        return
    import yaml

    vocab = yaml.safe_load(SETTINGS.read_text("utf-8"))["vocabularies"]
    domains = {d["name"] for d in vocab["domains"]}
    units, kinds, flags = set(vocab["units"]), set(vocab["petitioner_kinds"]), set(vocab["flags"])
    channels, regions = set(vocab["channels"]), set(vocab["regions"])
    assert set(REGIONS) == regions
    assert {t.domain for t in TOPICS} <= domains
    assert {k for t in TOPICS for k in t.kinds} <= kinds
    for row in rows:
        channel = str(row["信访形式"]).strip().strip("　")
        assert CHANNEL_MEANS.get(channel, channel) in channels, channel
        for name in ("责任单位", "协办单位"):
            assert {u.strip().strip("　") for u in str(row[name] or "").split("、") if u.strip()} <= units, row[name]
        assert set(str(row["信访标记"] or "").split("、")) - {""} <= flags


def check(may_rows: Sequence[Row], may_sheet: Sequence[Row | None], june_sheet: Sequence[Row | None]) -> None:
    def key(row: Row) -> str:
        return str(row["信访件编号"]).strip().translate(str.maketrans("０１２３４５６７８９ＸＪ", "0123456789XJ"))

    june = [row for row in june_sheet if row is not None]
    assert len(may_rows) == 220 and len(june) == 240
    may_keys, june_keys = {key(r) for r in may_rows}, {key(r) for r in june}
    assert len(may_keys) == 220 and len(june_keys) == 240 and len(may_keys - june_keys) == 20
    by_key = {key(r): r for r in may_rows}
    changed = [r for r in june if key(r) in by_key and r != by_key[key(r)]]
    assert len(changed) == 60
    check_vocabularies([*may_rows, *june])


def main() -> None:
    may_rows, may_sheet, june_sheet, counts = may_and_june()
    check(may_rows, may_sheet, june_sheet)
    write_ledger(HERE / "ledger-2024-05.xlsx", 5, dt.date(2024, 5, 31), dt.date(2024, 6, 3), may_sheet)
    write_ledger(HERE / "ledger-2024-06.xlsx", 6, dt.date(2024, 6, 30), dt.date(2024, 7, 2), june_sheet)
    first = may_rows[:60]
    write_csv(HERE / "ledger-2024-05-utf8bom.csv", first, "utf-8-sig", "\r\n")
    write_csv(HERE / "ledger-2024-05-gbk.csv", first, "gbk", "\r\n")
    write_csv(HERE / "ledger-2024-05-gb18030.csv", first, "gb18030", "\n")
    write_csv(HERE / "ledger-2024-05-utf8.csv", first, "utf-8", "\n")
    assert all(ref in (__doc__ or "") for ref in BAD_CELLS)
    write_ledger(HERE / "ledger-bad.xlsx", 5, dt.date(2024, 5, 31), dt.date(2024, 6, 3), bad_rows())
    print("wrote", ", ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
