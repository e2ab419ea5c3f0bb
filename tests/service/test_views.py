"""The server-rendered pages: ask, read the highlighted sentence, filter, compare, overview."""

from __future__ import annotations

import re


def test_home_page_offers_examples(client):
    page = client.get("/").get_data(as_text=True)
    assert 'name="q"' in page and "老师住宿困难怎么解决" in page


def test_a_shared_link_shows_results_with_the_sentence_marked(client):
    page = client.get("/?q=购置新国标校车").get_data(as_text=True)
    assert page.count('class="card"') == 10
    assert "济南市" in page and 'class="answer"' in page and "<mark>" in page
    assert "/cases/sd2020-jinan-3" in page
    assert "<details>" in page  # the full text, on expand


def test_city_chips_filter_the_results(client):
    page = client.get("/?q=教师&city=青岛市").get_data(as_text=True)
    assert page.count('class="card"') == 3
    assert re.search(r'<a href="[^"]*city=%E9%9D%92%E5%B2%9B%E5%B8%82" aria-current=true>', page)


def test_an_unknown_city_on_the_page_is_a_message(client):
    response = client.get("/?q=教师&city=北京市")
    assert response.status_code == 200 and "北京市" in response.get_data(as_text=True)


def test_case_page_lists_the_best_practice_of_each_other_city(client):
    page = client.get("/cases/sd2020-jinan-3").get_data(as_text=True)
    assert "商河县" in page and "2020年各市履行教育职责典型工作案例" in page
    assert page.count('class="card"') == 15
    cities = re.findall(r'class="city" href="[^"]*">([^<]+)</a>', page)
    assert len(set(cities)) == 15 and "济南市" not in cities


def test_overview_matrix_links_cells_to_their_cases(client):
    page = client.get("/overview").get_data(as_text=True)
    assert page.count("<tr>") == 17  # header + 16 cities
    assert "学前教育" in page and "Preschool" in page
    links = re.findall(r'<td class="heat heat[1-9]"><a href="([^"]+)"', page)
    assert links and all("q=" in link and "city=" in link for link in links)
    first = client.get(links[0].replace("&amp;", "&"))
    assert first.status_code == 200 and 'class="card"' in first.get_data(as_text=True)


def test_query_is_escaped(client):
    page = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_pages_load_only_their_own_assets(client):
    page = client.get("/?q=校车").get_data(as_text=True)
    assert re.findall(r'(?:src|href)="(https?:)?//', page) == []
    total = len(page.encode()) + sum(len(client.get(f"/static/{name}").data)
                                     for name in ("style.css", "app.js"))
    assert total < 200 * 1024


def test_year_and_province_filters_on_the_page(client):
    page = client.get("/?q=教师&year=2020&province=山东省").get_data(as_text=True)
    assert page.count('class="card"') == 10
    assert '<select id="year"' not in page  # one year only: no selector to offer
    wrong = client.get("/?q=教师&year=1999").get_data(as_text=True)
    assert "known years: 2020" in wrong
    assert "years must be whole numbers" in client.get("/?q=教师&year=abc").get_data(as_text=True)


def test_weak_matches_are_folded_under_their_own_heading(client):
    page = client.get("/?q=购置新国标校车").get_data(as_text=True)
    close, _, rest = page.partition('<details class="weaker">')
    assert rest and "Weaker matches (" in rest
    assert "match-weak" not in close and "match-weak" in rest


def test_a_replaced_engine_is_not_kept_alive_by_a_cache():
    """Live reloads replace the engine; what the pages computed of the old one goes with it."""
    import gc
    import weakref

    from service.describe import per_engine

    class Engine:
        pass

    calls: list[int] = []
    measure = per_engine(lambda engine: calls.append(1) or len(calls))
    engines = [Engine() for _ in range(6)]
    refs = [weakref.ref(engine) for engine in engines]
    assert [measure(engine) for engine in engines] == [1, 2, 3, 4, 5, 6]
    assert measure(engines[-1]) == 6 and len(calls) == 6  # computed once per engine
    del engines[:-1]
    gc.collect()
    assert [ref() is None for ref in refs] == [True] * 5 + [False]
