"""How people say the official terms of this domain: a small, documented glossary.

People ask in their own words (老师没地方住, 班里人太多, 放学没人管); the cases use the
government's (教师周转宿舍, 大班额, 课后服务). Each entry maps an everyday word or phrase to the
official terms it stands for; a question containing it also asks BM25 for those terms (only
terms the corpus uses count). The entries were written from the official terms of education-
duty reports (teachers, funding, preschool, places, transport, safety, vocational education,
health, after-school care, supervision), not fitted to single questions; docs/QUALITY.md
measures what it does on questions it never saw.
"""

from __future__ import annotations

from functools import lru_cache

EVERYDAY: dict[str, tuple[str, ...]] = {
    # people
    "老师": ("教师",), "先生": ("教师",), "孩子": ("学生",), "小孩": ("学生",),
    "娃": ("学生",), "残疾": ("特殊教育",), "残障": ("特殊教育",),
    # teachers' housing, pay, titles, supply
    "住": ("周转宿舍", "住房"), "房子": ("周转宿舍", "住房"), "宿舍": ("周转宿舍",),
    "工资": ("待遇", "绩效工资", "补贴"), "收入": ("待遇", "补贴"), "钱少": ("待遇", "津贴"),
    "评职称": ("高级教师", "职称"), "职称": ("高级教师",), "缺老师": ("补充教师", "短缺"),
    "老师不够": ("补充教师", "短缺"), "招老师": ("招聘", "补充教师"), "请假": ("临时", "短缺"),
    "代课": ("临时", "短缺", "购买服务"), "调回": ("回引",), "回老家": ("回引", "回本市"),
    "回家乡": ("回引", "回本市"), "干多干少": ("绩效", "差异化分配"),
    # money
    "钱": ("经费", "投入", "资金"), "花钱": ("经费", "投入"), "拨款": ("经费", "拨付"),
    "预算": ("预算", "教育支出"),
    # places and classes
    "人太多": ("大班额",), "太挤": ("大班额",), "挤不下": ("大班额", "学位"),
    "班里人多": ("大班额",), "上不了学": ("学位", "入学"), "没学上": ("学位", "入学"),
    "太贵": ("普惠性", "公办"), "上不起": ("普惠性", "公办"), "便宜": ("普惠性",),
    "收费": ("普惠性",), "家门口": ("公办", "就近入学"),
    # enrolment
    "报名": ("入学", "招生"), "开证明": ("零证明",), "跑部门": ("零跑腿", "一网通办"),
    "跑腿": ("零跑腿",), "网上": ("一网通办", "全网办"), "离家近": ("就近入学", "划片招生"),
    # transport and safety
    "坐车": ("校车",), "接送": ("校车", "接送"), "路远": ("校车",), "没车": ("校车",),
    "玩水": ("溺水",), "游泳": ("溺水",), "河边": ("溺水",), "门口": ("保安", "安全"),
    "出事": ("安全", "事故"),
    # care after school
    "放学": ("课后服务", "托管"), "没人管": ("托管", "看护", "课后服务"),
    "没人看": ("托管", "看护"), "放假": ("暑期", "托管"), "暑假": ("暑期", "托管"),
    # vocational education
    "手艺": ("职业教育", "中职"), "技校": ("职业教育", "中职"), "职校": ("职业院校", "中职"),
    "学技术": ("职业教育",), "找工作": ("产教融合", "校企合作"), "就业": ("产教融合",),
    "对口": ("校企", "精准对接"),
    # school buildings
    "吃饭": ("食堂", "餐厅"), "伙食": ("食堂", "配餐"), "厕所": ("厕所", "办学条件"),
    "操场": ("运动场地",), "条件差": ("办学条件", "薄改"), "太破": ("改造", "办学条件"),
    # health, sport, character
    "运动": ("体育", "体质健康"), "锻炼": ("体育", "体质健康"), "身体": ("体质健康",),
    "体质": ("体质健康",), "品德": ("德育",), "思想": ("思政",), "道德": ("德育",),
    "踢球": ("足球",),
    # fairness and quality
    "差距": ("均衡发展", "优质均衡"), "不公平": ("均衡发展",), "好学校": ("优质", "集团化办学"),
    "带": ("集团化办学",), "只看分数": ("综合素质评价", "片面追求升学率"),
    "考试": ("中考", "考试招生"),
    # government
    "领导": ("党委政府", "主要负责人"), "重视": ("履行教育职责", "高度重视"),
    "查出来": ("督查", "整改"), "检查": ("督查", "督导"), "改了": ("整改",),
}


@lru_cache(maxsize=4096)
def official_terms(question: str) -> tuple[str, ...]:
    """The official terms that the everyday words of `question` stand for, in order."""
    found: list[str] = []
    for phrase, terms in EVERYDAY.items():
        if phrase in question:
            found += terms
    return tuple(dict.fromkeys(found))
