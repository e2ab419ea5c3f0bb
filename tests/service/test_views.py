"""The server-rendered page: ask, read the highlighted sentence, follow similar practices."""

from __future__ import annotations


def test_home_page_offers_examples(client):
    page = client.get("/").get_data(as_text=True)
    assert 'name="q"' in page and "老师住宿困难怎么解决" in page


def test_a_shared_link_shows_results_with_the_sentence_marked(client):
    page = client.get("/?q=购置新国标校车").get_data(as_text=True)
    assert "济南市" in page and "class=\"answer\"" in page and "<mark>" in page
    assert "/cases/sd2020-jinan-3" in page


def test_city_filter_on_the_page(client):
    page = client.get("/?q=教师&city=青岛市").get_data(as_text=True)
    assert page.count('class="hit"') == 3


def test_an_unknown_city_on_the_page_is_a_message(client):
    response = client.get("/?q=教师&city=北京市")
    assert response.status_code == 200 and "北京市" in response.get_data(as_text=True)


def test_case_page_lists_other_cities(client):
    page = client.get("/cases/sd2020-jinan-3").get_data(as_text=True)
    assert "商河县" in page and page.count('class="hit"') == 10


def test_query_is_escaped(client):
    page = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
