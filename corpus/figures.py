"""Figures: the quantitative statements of a text, as records an analyst can compare.

`全市一般公共预算教育支出2138084万元，比2019年增加275709万元，增长14.80%` holds three figures:
a level (教育支出, 2138084 万元 = 213.8 亿元), and two changes of the same metric (an amount
and a growth rate). Each figure keeps the metric phrase it measures, its value and unit as
written and normalized, its kind (`level`, `change` or `rank`), its year and where it stands
in the text, so that every number shown elsewhere traces back to its sentence.

The rules read the text around each number: what is counted follows the measure word (`购置
30辆新国标校车`) or precedes the number (`普惠性幼儿园覆盖率提高至90%`); `A、B分别达到x、y`
pairs metrics with values; a change or a rank without a subject of its own (`比2019年增长
10.4%`, `居全省首位`) measures what the figure before it measured. jieba's part-of-speech
tags tell where a noun phrase after a measure word ends. Measured against hand-judged figures
in docs/QUALITY.md ("Figures").
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from decimal import Decimal

from corpus.text import sentence_spans

KINDS = ("level", "change", "rank")

# Full-width digits and signs read as ASCII (one character for one, so offsets hold).
_WIDTH = str.maketrans("０１２３４５６７８９％．，", "0123456789%.,")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_MAGNITUDE = {"万": 1e4, "亿": 1e8, "千": 1e3}
# Measure words, longest first, and the unit each is normalized to (people are 人).
_MEASURES = ("个百分点", "百分点", "平方米", "人次", "万元", "亿元", "公里", "课时", "学时",
             "元", "人", "名", "位", "所", "个", "辆", "条", "次", "套", "项", "门", "家", "台",
             "间", "张", "座", "册", "件", "场", "期", "批", "户", "支", "处", "亩", "班",
             "栋", "篇", "部", "倍", "%")
_UNIT_OF = {"名": "人", "位": "人", "个百分点": "百分点", "万元": "元", "亿元": "元"}
_MAGNITUDE_OF = {"万元": 1e4, "亿元": 1e8}
# What a count of the text's own parts is counted in (`从…等10个方面`): not a figure.
_STRUCTURAL = ("方面", "部分", "环节", "维度", "层面")

# Quantities are read in digits, as these reports write them; in Chinese numerals they are
# names and slogans (三大行动, 五位一体, 四个方面), but for ranks (第一) and 一半.
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_BEFORE = r"(?P<pre>约|近|超过|逾|将近|大约)?"
_AFTER = r"(?P<post>余|多)?"
_UNIT = "(?P<unit>" + "|".join(map(re.escape, _MEASURES)) + ")"
_TAIL = r"(?P<tail>以上|左右|余|多)?"
_QUANTITY = re.compile(
    _BEFORE + rf"(?P<num>{_NUMBER})(?P<mag>[万亿千](?=[^\d]))?" + _AFTER + _UNIT
    + rf"(?:\s*(?:至|到|—|-|~|～)\s*(?P<high>{_NUMBER})(?P<hmag>[万亿])?(?P=unit))?" + _TAIL)
_RANK = re.compile(r"(?:(?:位居|位列|排名|排|名列|居于|居|列)(?:全国|全省|全市|全区|全县)?"
                   r"(?P<ord>第(?P<n>\d+|[一二三四五六七八九十]+)(?:名|位)?|首位|前列|前茅)"
                   r"|(?P<streak>[一二三四五六七八九十\d]+)连冠)")
_HALF = re.compile(r"(?P<verb>减免|减少|降低|下降|提高|增加)(?P<num>一半)")
_YEAR = re.compile(r"(?<![\d])(?P<year>(?:19|20)\d{2})\s*年(?:度)?")

# Words between a metric and its number that say how it is stated, not what it measures.
_LINKS = ("分别达到", "分别达", "分别为", "分别", "达到了", "达到", "提高到", "提高至", "提升到",
          "提升至", "增加到", "增加至", "增至", "降至", "下降到", "下降至", "减少到", "减少至",
          "突破", "超过", "累计达", "总计", "合计", "共计", "共有", "达", "为", "是", "在",
          "有", "共", "约", "近", "超", "逾", "均", "由", "从", "每月", "每年", "每生每年",
          "每人每月")
_AGAINST = ("超", "比", "较", "高于", "低于", "同比", "环比")
_CHANGE_VERBS = ("增长", "增加", "提高", "提升", "下降", "减少", "降低", "减免", "上升", "扩大",
                 "缩小", "核增", "增")
# Who or where, before a metric: kept as the figure's scope, not its name.
_SCOPES = ("全市", "全省", "全县", "全区", "全国", "全年", "市本级", "县本级", "各县市区",
           "其中", "今年", "当年", "年度", "分别")
_COMPARISON = re.compile(r"^(?:比|较|同比|环比|与)(?:上年|去年|(?:19|20)\d{2}\s*年(?:度)?)?"
                         r"(?:同期)?(?:相比)?")
_STREAK = re.compile(r"连续[一二三四五六七八九十\d]+年")
# What turns a counted thing into what it was rated: `4所学校评为“全国文明校园”`.
_RATED = re.compile(r"^(?:被)?(?:评为|成为|建设为|建成为|认定为|列为|入选|获评|获批)")
_CLAUSE_END = "，。；;,！？!?：:\n"
_QUOTES = "“”\"'‘’「」『』《》"
_NOUN_TAGS = {"n", "nr", "ns", "nz", "nt", "nrt", "nrfg", "j", "b", "vn", "an", "ng", "l", "eng"}

# Verbs that say what was done with the things a count names after its measure word.
_COUNT_VERBS = ("购置", "新购置", "组建", "建立", "建成", "新建", "惠及", "招聘", "引进", "培训",
                "配备", "开通", "设立", "成立", "创建", "认定", "命名", "评选", "资助", "安置")
_SPENDING = ("投资", "投入", "投入资金", "安排", "安排资金", "拨付", "筹措", "筹措资金")
_ACTORS = ("政府", "编办", "财政", "部门", "教育局", "委员会", "学校", "学生", "中小学校", "幼儿园",
           "县", "区")
_RANK_LEAD = re.compile(r"(?:位居|位列|排名|名列|居于|居|列|排)(?:全国|全省|全市|全区|全县)?$")
_lock = threading.Lock()
_tagger = None


@dataclass(frozen=True)
class Figure:
    """One quantitative statement of a text.

    Attributes:
        metric: the phrase naming what is measured (`普惠性幼儿园覆盖率`, `新增学位`).
        text: the figure as written (`2138084万元`, `2100余人`, `第一`), at text[start:end].
        value: normalized (money in 元, 万 and 亿 multiplied out); None for a rank such as 前列.
        high: the end of a range (`600元至1000元`), else None.
        unit: the normalized unit (`元`, `%`, `人`, `所`, `名次` for ranks …).
        kind: `level`, `change` (against an earlier value or a target, or a growth rate) or
            `rank`.
        year: the year the text names for it, else None (the document's year applies).
        sentence: the [start, end) span of its sentence in the text.
        approx: how the text qualifies it (`约`, `近`, `余`, `多`, `以上`), or "".
        scope: a part of the whole it is about (`市中区`, `农村`), or "".
    """

    metric: str
    text: str
    start: int
    end: int
    value: float | None
    unit: str
    kind: str
    sentence: tuple[int, int]
    high: float | None = None
    year: int | None = None
    approx: str = ""
    scope: str = ""

    def to_dict(self) -> dict:
        return {"metric": self.metric, "text": self.text, "start": self.start, "end": self.end,
                "value": self.value, "high": self.high, "unit": self.unit, "kind": self.kind,
                "year": self.year, "sentence": list(self.sentence), "approx": self.approx,
                "scope": self.scope}

    @classmethod
    def from_dict(cls, data: dict) -> Figure:
        return cls(**{**data, "sentence": tuple(data["sentence"])})


def chinese_number(text: str) -> int | None:
    """`三` → 3, `十二` → 12, `二百五十` → 250; None if it is not a Chinese numeral."""
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (digit if digit is not None else 1) * _CN_UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _number(text: str, scale: float = 1) -> float | None:
    """A written number times a scale (`68.1` × 1e8 is 6810000000 exactly, not 6809999999.99)."""
    if text and text[0].isdigit():
        return float(Decimal(text.replace(",", "")) * Decimal(int(scale)))
    value = chinese_number(text)
    return float(value * scale) if value is not None else None


def format_value(value: float | None, unit: str, high: float | None = None) -> str:
    """A normalized value as a reader expects it: `213.8 亿元`, `26,700 个`, `93.37 %`."""
    if value is None:
        return "—"
    if unit == "元":
        scale, name = ((1e8, "亿元") if max(value, high or 0) >= 1e8 else
                       (1e4, "万元") if max(value, high or 0) >= 1e4 else (1, "元"))
        shown = f"{value / scale:,.4g}" + (f"–{high / scale:,.4g}" if high else "")
        return f"{shown} {name}"
    if unit == "名次":
        return f"第 {value:g}"

    def plain(number: float) -> str:
        return f"{number:,.0f}" if number == int(number) else f"{number:,.6g}"

    return f"{plain(value)}{'–' + plain(high) if high else ''} {unit}"


def extract_figures(text: str) -> list[Figure]:
    """Every figure of a text, in order of appearance."""
    flat = text.translate(_WIDTH)
    found: list[Figure] = []
    for start, end in sentence_spans(text):
        found += _sentence_figures(flat, start, end)
    return [replace(figure, text=text[figure.start:figure.end]) for figure in found]


def _sentence_figures(text: str, start: int, end: int) -> list[Figure]:
    sentence = text[start:end]
    candidates = [*_quantities(sentence), *_ranks(sentence), *_halves(sentence)]
    candidates.sort(key=lambda figure: figure.start)
    quoted = _quoted_spans(sentence)
    kept = [figure for figure in candidates
            if figure.kind == "rank" or not _inside(figure.start, quoted)]
    figures: list[Figure] = []
    for figure in kept:
        figure = _name(sentence, figure, figures)
        if figure is not None:
            figures.append(figure)
    _pair_respectively(sentence, figures)
    return [replace(figure, start=figure.start + start, end=figure.end + start,
                    sentence=(start, end)) for figure in figures]


def _quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans of 《titles》 and of short “quoted names” and slogans (numbers in them are names)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"《[^》]*》", sentence)]
    spans += [(m.start(), m.end()) for m in re.finditer(r"[“\"][^”\"]{1,12}[”\"]", sentence)]
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= position < b for a, b in spans)


def _quantities(sentence: str) -> list[Figure]:
    figures = []
    for match in _QUANTITY.finditer(sentence):
        number, unit = match.group("num"), match.group("unit")
        scale = _MAGNITUDE.get(match.group("mag") or "", 1) * _MAGNITUDE_OF.get(unit, 1)
        value = _number(number, scale)
        if value is None or _not_a_quantity(sentence, match):
            continue
        high = match.group("high")
        high_value = (_number(high, _MAGNITUDE.get(match.group("hmag") or "", 1)
                              * _MAGNITUDE_OF.get(unit, 1)) if high else None)
        approx = match.group("pre") or match.group("post") or match.group("tail") or ""
        figures.append(Figure(metric="", text=match.group(0), start=match.start(),
                              end=match.end(), value=value,
                              high=high_value, unit=_UNIT_OF.get(unit, unit),
                              kind="level", sentence=(0, len(sentence)), approx=approx))
    return figures


def _not_a_quantity(sentence: str, match: re.Match) -> bool:
    """Ordinals, streaks and counts of a text's own parts (`10个方面`) look like quantities."""
    after = sentence[match.end():]
    return (sentence[:match.start()].endswith(("第", "连续"))
            or after.startswith(_STRUCTURAL))


def _ranks(sentence: str) -> list[Figure]:
    figures = []
    for match in _RANK.finditer(sentence):
        if match.group("streak"):
            shown = match.group("streak") + "连冠"
            at = match.start("streak")
            value = 1.0
        else:
            shown = match.group("ord")
            at = match.start("ord")
            value = (1.0 if shown == "首位" else None if shown in ("前列", "前茅")
                     else _number(match.group("n")))
        figures.append(Figure(metric="", text=shown, start=at, end=at + len(shown),
                              value=value, unit="名次", kind="rank",
                              sentence=(0, len(sentence))))
    return figures


def _halves(sentence: str) -> list[Figure]:
    return [Figure(metric="", text="一半", start=m.start("num"), end=m.end("num"), value=50.0,
                   unit="%", kind="change", sentence=(0, len(sentence)))
            for m in _HALF.finditer(sentence)]


def _clause_start(sentence: str, position: int) -> int:
    """Where the clause holding `position` begins (after the last comma or semicolon)."""
    for at in range(position - 1, -1, -1):
        if sentence[at] in _CLAUSE_END:
            return at + 1
    return 0


def _name(sentence: str, figure: Figure, before: list[Figure]) -> Figure | None:
    """The figure with its metric, kind and year read from the sentence around it."""
    clause = _clause_start(sentence, figure.start)
    if before and before[-1].end > clause:
        clause = before[-1].end  # `普通高中7所、综合高中2所`: after the previous figure
    lead = sentence[clause:figure.start]
    year = _year(lead)
    kind = figure.kind if figure.kind != "level" else _kind(lead, figure)
    metric, scope = "", ""
    if figure.kind != "rank":
        metric = _counted_after(sentence, figure)
        if metric:
            metric = _with_verb(lead, metric)
    if not metric:
        metric, scope = _named_before(lead, kind)
        metric = _with_purpose(sentence, figure, metric)
    previous = before[-1] if before else None
    if previous is not None and kind == "change" and lead.lstrip().startswith(_AGAINST):
        metric = ""  # `，超国家、省规定目标10个百分点`: the same metric, against a target
    if previous is not None and _continues(metric, previous):
        scope = scope or metric
        metric = previous.metric
    elif previous is not None and metric and kind != "level" and previous.metric.startswith(
            metric):
        metric = previous.metric
    if not metric:
        return None
    return replace(figure, metric=metric, kind=kind, year=year, scope=scope)


def _continues(metric: str, previous: Figure) -> bool:
    """Whether a figure with this phrase measures what the figure before it measured: no
    subject of its own (`，增长14.80%`, `，居全省首位`, `、6000个`), or only the verb of it
    (`市本级拨付经费355万元，市中区拨付3700万元`)."""
    if not metric:
        return True
    verb = metric[-2:]
    return (len(metric) > 2 and previous.metric.startswith(verb) and metric.endswith(verb)
            and verb != previous.metric)


def _year(lead: str) -> int | None:
    """The year a clause states for its figure (not a comparison's base year)."""
    years = [m for m in _YEAR.finditer(lead)
             if not re.search(r"(?:比|较|到|至|截至)\s*$", lead[:m.start()])]
    return int(years[-1].group("year")) if years else None


def _kind(lead: str, figure: Figure) -> str:
    """`change` for a difference or a growth rate, else `level`."""
    if figure.unit == "百分点":
        return "change"
    stripped = lead.rstrip()
    for verb in _CHANGE_VERBS:
        if stripped.endswith(verb) or stripped.endswith(verb + "了"):
            compared = _COMPARISON.search(stripped[: -len(verb)].split("，")[-1] or "") or \
                re.search(r"(?:比|较|同比|环比)", stripped)
            if figure.unit == "%" or compared:
                return "change"
    return "level"


def _posseg():
    """jieba's part-of-speech tagger, loaded once."""
    global _tagger
    with _lock:
        if _tagger is None:
            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            _tagger = jieba.posseg
    return _tagger


def _with_verb(lead: str, noun: str) -> str:
    """`购置30辆新国标校车` → 购置新国标校车: the verb right before a count says what was done
    with the things counted (bought, built, reached), which tells 购置校车 from 运营校车; a
    scope between them (`惠及全市21万个家庭`) is passed over."""
    lead = lead.rstrip()
    for word in _SCOPES:
        if lead.endswith(word):
            lead = lead[: -len(word)]
            break
    for verb in _COUNT_VERBS:
        if lead.endswith(verb):
            return verb + noun
    return noun


def _with_purpose(sentence: str, figure: Figure, metric: str) -> str:
    """`投资4.7亿元新建、改扩建幼儿园101所` → 新建、改扩建幼儿园投资: an amount named only by
    its verb (投资, 投入) takes what it paid for, when the clause says so right after it."""
    if figure.unit != "元" or metric not in _SPENDING:
        return metric
    rest = sentence[figure.end:]
    end = next((i for i, char in enumerate(rest) if char in _CLAUSE_END or char.isdigit()),
               len(rest))
    purpose = re.sub(r"^(?:用于|实施|开展|推进|支持)", "", rest[:end]).strip(" 、")
    if not purpose or len(purpose) > 16 or _posseg().lcut(purpose[:2])[0].flag == "x":
        return metric
    return purpose + metric


def _counted_after(sentence: str, figure: Figure) -> str:
    """What a count names after its measure word (`30辆新国标校车` → 新国标校车); what it was
    rated (`4所学校评为“全国文明校园”` → 全国文明校园); "" when nothing is counted there."""
    rest = sentence[figure.end:]
    linked = rest.startswith("的")
    rest = rest[1:] if linked else rest
    if figure.unit in ("元", "%") and not linked:
        return ""  # amounts and rates follow what they measure: 投资4.7亿元新建…
    noun = _noun_run(rest)
    after_noun = rest[len(noun):]
    rated = _RATED.match(after_noun)
    if rated:
        title = _noun_run(after_noun[rated.end():])
        return _clean(title) or _clean(noun)
    return _clean(noun)


def _noun_run(text: str) -> str:
    """The noun phrase a text starts with, by jieba's tags ("" if it starts otherwise).

    A word that is not a noun joins only as a bridge to a noun right after it: an adjective
    or verb first (新国标校车, 新录用教师), or inside, a verb, a locality word, a one-character
    adverb or 及 (市外在编教师, 中小学正高级教师, 省示范性及优质特色中职学校) — jieba tags
    these short phrases unevenly. A rating verb (评为, 成为) ends the phrase."""
    end = next((i for i, char in enumerate(text) if char in _CLAUSE_END + "、"), len(text))
    words = _posseg().lcut(text[:end])
    tags = [tag for _, tag in words]
    kept: list[tuple[str, str]] = []
    at = 0
    for number, (word, tag) in enumerate(words):
        if _RATED.match(text[at:]) or word in ("为", "是", "有", "被", "和", "与"):
            break
        if not (tag in _NOUN_TAGS or word in _QUOTES or _bridges(word, tag, tags[number + 1:],
                                                                 bool(kept))):
            break
        kept.append((word, tag))
        at += len(word)
    while kept and (kept[-1][1] == "b" or kept[-1][0] in "“"):
        kept.pop()  # 高级职称教师主动: a distinguishing word ends no noun phrase
    return "".join(word for word, _ in kept)


def _bridges(word: str, tag: str, following: list[str], inside: bool) -> bool:
    """Whether a word that is not a noun joins a noun phrase: it leads to a noun within two
    words (一 adjective or verb first; a verb, locality word, one-character adverb or 及 inside)."""
    ahead = following[:1] == ["v"] and following[1:2] and following[1] in _NOUN_TAGS
    if not (following[:1] and following[0] in _NOUN_TAGS) and not ahead:
        return False
    if not inside:
        return tag in ("a", "v", "vn")
    return tag in ("v", "f") or (tag == "d" and len(word) == 1) or word == "及"


def _named_before(lead: str, kind: str) -> tuple[str, str]:
    """The metric a clause names before its number, and a scope word in front of it."""
    phrase = _STREAK.sub("", lead).strip()
    phrase = _YEAR.sub("", phrase)
    if kind != "level":
        phrase = _COMPARISON.sub("", phrase)
        phrase = re.sub(r"(?:比|较)(?:上年|去年|(?:19|20)\d{2}\s*年(?:度)?)", "", phrase)
        phrase = re.sub(r"(?:同比|环比)", "", phrase)
    for _ in range(3):
        stripped = _strip_links(phrase, kind)
        if stripped == phrase:
            break
        phrase = stripped
    scope = ""
    for word in _SCOPES:
        if phrase.startswith(word) and len(phrase) > len(word):
            phrase = phrase[len(word):]
            scope = word if word in ("市本级", "县本级") else scope
    return _without_actor(_clean(phrase)), scope


def _without_actor(phrase: str) -> str:
    """`学校学生参加…运动会` → `参加…运动会`: who acted is not what was counted. Only a
    leading actor (a body, a school, its students) directly followed by a verb and its object
    is dropped; `专职保安人员配备数量` and `学前三年毛入园率` keep their words."""
    words = _posseg().lcut(phrase)
    for number, (_, tag) in enumerate(words):
        if tag not in _NOUN_TAGS:
            lead = "".join(w for w, _ in words[:number])
            if (tag == "v" and number > 0 and number + 1 < len(words)
                    and lead.endswith(_ACTORS)):
                return phrase[len(lead):]
            break
    return phrase


def _strip_links(phrase: str, kind: str) -> str:
    phrase = phrase.rstrip("的 ")
    for word in _LINKS:
        if phrase.endswith(word):
            return phrase[: -len(word)]
    if kind == "change":
        for verb in _CHANGE_VERBS:
            if phrase.endswith(verb):
                return phrase[: -len(verb)]
    if kind == "rank":
        if _RANK_LEAD.search(phrase):
            return _RANK_LEAD.sub("", phrase)
        if phrase.endswith(("均", "都")):
            return phrase[:-1]
    return phrase


def _clean(phrase: str) -> str:
    """A metric phrase without edge punctuation, and with `在全省…` reduced to what it names."""
    phrase = phrase.strip(" 、，。；,;的“”\"")
    # `向普惠性民办园发放防疫补贴`: to whom is not what
    phrase = re.sub(r"^(?:向|为|给)[^，、]{1,12}?(?=发放|拨付|提供|下达|安排|补助)", "", phrase)
    phrase = re.sub(r"^(?:在|于|对|向|从|以|把)(?=.)", "", phrase)
    phrase = re.sub(r"(?:中|上|里)?(?:实现|获得|取得)$", "", phrase)
    return phrase.strip(" 、，")


def _pair_respectively(sentence: str, figures: list[Figure]) -> None:
    """`A、B分别达到x、y`: metric i is the i-th name before 分别 (in place)."""
    done: set[int] = set()
    for index, figure in enumerate(figures):
        lead = sentence[_clause_start(sentence, figure.start):figure.start]
        if index in done or "分别" not in lead:
            continue
        names = [name for name in _clean(_named_before(lead.split("分别")[0], "level")[0])
                 .split("、") if name]
        run = [index]
        while run[-1] + 1 < len(figures) and sentence[figures[run[-1]].end:
                                                      figures[run[-1] + 1].start] == "、":
            run.append(run[-1] + 1)
        done.update(run)
        if len(names) == len(run) > 1:
            for name, at in zip(names, run, strict=True):
                figures[at] = replace(figures[at], metric=name)
        elif len(run) > 1:  # `普通高中7所、综合高中2所,分别新增学位x、y`: one metric, scopes
            subjects = [f.metric for f in figures[:index] if f.unit != figure.unit][-len(run):]
            if len(subjects) == len(run):
                for subject, at in zip(subjects, run, strict=True):
                    figures[at] = replace(figures[at], scope=subject)
