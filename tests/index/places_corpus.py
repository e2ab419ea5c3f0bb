"""A hand-made corpus of cases about places at every level (provinces, cities, districts,
county-level cities, a place no division resolves, two districts of one name), and an engine
over it with the fake embedder: what the place filter, named places, similar cases across
places and figures by level are tested on."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.models import Case, Corpus, Document
from index.artifact.store import build_index, load_index
from index.retrieval.search import SearchEngine
from tests.conftest import FakeEmbedder

DOC = Document(id="mix2021", title="2021年各地典型案例", year=2021, province="", source="",
               path="mix2021.md", sha256="0" * 64)
LEVEL = {1: "province", 2: "city", 3: "county"}

# (id, city as written, places, case title, text)
PLACES = [
    ("mix2021-shandong-1", "山东省", ("山东省",), "全省推进学前教育普及",
     "全省普惠性幼儿园覆盖率达到85%，新建幼儿园300所，推进学前教育普及普惠。"),
    ("mix2021-zhejiang-1", "浙江省", ("浙江省",), "",
     "全省普惠性幼儿园覆盖率达到92%，实施校车安全管理，开通校车线路800条。"),
    ("mix2021-qingdao-1", "青岛市", ("山东省", "青岛市"), "扩充普惠性学前教育资源",
     "全市普惠性幼儿园覆盖率达到90%，新增学位2万个，缓解入园难。"),
    ("mix2021-hangzhou-1", "杭州市", ("浙江省", "杭州市"), "",
     "全市普惠性幼儿园覆盖率达到95%，开通校车线路120条，保障学生上下学安全。"),
    ("mix2021-laoshan-1", "崂山区", ("山东省", "青岛市", "崂山区"), "普惠性幼儿园全覆盖",
     "全区普惠性幼儿园覆盖率达到97%，建设教师周转宿舍200套。"),
    ("mix2021-laoshan-2", "崂山区", ("山东省", "青岛市", "崂山区"), "校车安全",
     "推进校车安全管理，购置新国标校车30辆，开通农村校车线路。"),
    ("mix2021-longkou-1", "龙口市", ("山东省", "烟台市", "龙口市"), "",
     "普惠性幼儿园覆盖率达到88%，招聘教师500名，充实农村学校师资。"),
    ("mix2021-xihu-1", "西湖区", ("浙江省", "杭州市", "西湖区"), "",
     "建设教师周转宿舍150套，解决青年教师住宿困难。"),
    ("mix2021-xinjian-1", "新建区", ("江西省", "南昌市", "新建区"), "",
     "推进集团化办学，组建教育集团12个，促进城乡教育均衡发展。"),
    ("mix2021-gaoxin-1", "高新开发区", (), "",
     "新建学校5所，新增学位3000个，满足随迁子女入学需求。"),
    ("mix2021-shizhong-1", "市中区", ("山东省", "济南市", "市中区"), "",
     "实施课后服务，全区中小学课后服务全覆盖。"),
    ("mix2021-shizhong-2", "市中区", ("山东省", "枣庄市", "市中区"), "",
     "实施课后服务，开展校内托管，家长满意度提升。"),
]


def place_case(case_id: str, city: str, places: tuple[str, ...], case_title: str, text: str,
               line: int = 1) -> Case:
    """A case of the mixed document, its place filled in as the reader fills it."""
    return Case(id=case_id, city=city, seq=int(case_id.rsplit("-", 1)[1]), text=text,
                title=DOC.title, year=DOC.year, province=places[0] if places else "",
                doc_id=DOC.id, line=line, case_title=case_title,
                place_level=LEVEL.get(len(places), ""), place_code="",
                places=places, place_from="heading" if places else "")


def places_corpus() -> Corpus:
    return Corpus((DOC,), tuple(place_case(*row, line=number)
                                for number, row in enumerate(PLACES, start=1)))


def build_places_engine(path: Path) -> SearchEngine:
    """An engine over the mixed corpus (fake embedder and second embedder) built at `path`."""
    embedder, second = FakeEmbedder(), FakeEmbedder(dimension=128, model_id="fake/second")
    build_index(places_corpus(), embedder, path, second=second)
    return SearchEngine(load_index(path, model_id=embedder.model_id), embedder, second=second)


@pytest.fixture(scope="session")
def places_engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    return build_places_engine(tmp_path_factory.mktemp("places-index") / "index")
