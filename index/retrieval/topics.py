"""Topics for the overview: a small, explicit list, with cases assigned by the search itself.

Each topic is a label and a query. A case belongs to a topic when the hybrid search for the
topic's query scores it at least `MIN_SCORE` (scores are in [0, 1], the best case near 1), and
every case belongs at least to the topic that scores it highest. Nothing is assigned by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.retrieval.limits import MAX_K
from index.retrieval.search import SearchEngine

MIN_SCORE = 0.5


@dataclass(frozen=True)
class Topic:
    """A theme of the overview: a short id, a Chinese and an English label, and its query."""

    id: str
    label: str
    label_en: str
    query: str


TOPICS: tuple[Topic, ...] = (
    Topic("funding", "经费投入", "Funding", "教育经费投入 财政教育支出 经费保障"),
    Topic("places", "学校建设与学位", "School building & places",
          "新建改扩建中小学校 增加学位 化解大班额 改善办学条件"),
    Topic("preschool", "学前教育", "Preschool", "幼儿园 学前教育 普惠性幼儿园 入园率"),
    Topic("teachers", "教师队伍", "Teachers",
          "教师招聘补充 教师待遇 职称评审 教师周转宿舍 校长教师轮岗交流"),
    Topic("vocational", "职业教育", "Vocational education",
          "职业教育 中职学校 职业院校 产教融合 校企合作"),
    Topic("health", "体育健康与美育", "Health, sports & arts",
          "学生体质健康 体育 美育 劳动教育 校园足球"),
    Topic("safety", "校园安全", "Safety", "校园安全 校车 防溺水 安保人员"),
    Topic("services", "入学与服务", "Enrollment & services",
          "招生入学 网上报名 课后服务 暑期托管 食堂住宿后勤保障"),
    Topic("governance", "治理与督导", "Governance & supervision",
          "教育督导评价 履行教育职责 考核 问题整改 党建思政"),
)


def assign_topics(engine: SearchEngine, topics: tuple[Topic, ...] = TOPICS,
                  min_score: float = MIN_SCORE) -> dict[str, set[str]]:
    """{topic id: ids of the cases that belong to it}."""
    scores: dict[str, dict[str, float]] = {}
    for topic in topics:
        hits = engine.search(topic.query, k=min(MAX_K, len(engine.cases)))
        scores[topic.id] = {hit.case.id: hit.score for hit in hits}
    members: dict[str, set[str]] = {topic.id: set() for topic in topics}
    for case in engine.cases:
        best = max(topics, key=lambda t: scores[t.id].get(case.id, 0.0))
        members[best.id].add(case.id)
        for topic in topics:
            if scores[topic.id].get(case.id, 0.0) >= min_score:
                members[topic.id].add(case.id)
    return members
