"""How a place and its level are told to people, in Chinese and English, on the pages, in
briefs and on the terminal: a level `区县 / district` (a card reads `崂山区 · 区县 / district`),
a comparison's section `区县 · districts and counties`, a chain `山东省 / 青岛市 / 崂山区`."""

from __future__ import annotations

from collections.abc import Sequence

from service.export import LIST_SEPARATOR

# level: (Chinese, English for one place, English for a section of several)
LEVEL_WORDS = {"province": ("省级", "province", "provinces"),
               "city": ("市级", "city", "cities"),
               "county": ("区县", "district or county", "districts and counties"),
               "": ("级别不明", "level unknown", "places of unknown level")}
# What a county-level place is, by the end of its name (龙口市 is a county-level city).
COUNTY_KINDS = (("区", "district"), ("县", "county"), ("旗", "banner"),
                ("市", "county-level city"))


def level_label(level: str, name: str = "") -> str:
    """A place's level for a reader: `区县 / district` (the kind told by `name`'s ending)."""
    chinese, english, _ = LEVEL_WORDS.get(level, LEVEL_WORDS[""])
    if level == "county":
        english = next((kind for end, kind in COUNTY_KINDS if name.endswith(end)), english)
    return f"{chinese} / {english}"


def level_words(level: str) -> str:
    """What places of a level are called in English, one of them: `district or county`."""
    return LEVEL_WORDS.get(level, LEVEL_WORDS[""])[1]


def level_heading(level: str) -> str:
    """The heading of a comparison's rows of one level: `区县 · districts and counties`."""
    chinese, _, several = LEVEL_WORDS.get(level, LEVEL_WORDS[""])
    return f"{chinese} · {several}"


def chain_text(places: Sequence[str]) -> str:
    """A place's chain on one line, province first, as in CSV cells: `山东省 / 青岛市 / 崂山区`."""
    return LIST_SEPARATOR.join(places)
