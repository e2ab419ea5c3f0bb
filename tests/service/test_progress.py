"""Progress lines: counts, rate and time left on a terminal; nothing anywhere else."""

from __future__ import annotations

import io

from index.artifact.store import build_index
from service.cli.progress import TerminalProgress
from tests.conftest import FakeEmbedder


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_counts_rate_and_time_left():
    now = [0.0]
    stream = Terminal()
    progress = TerminalProgress(stream, clock=lambda: now[0])
    progress("embedding sentences", 0, 1200)
    now[0] = 2.0
    progress("embedding sentences", 300, 1200)
    now[0] = 4.0
    progress("embedding sentences", 1200, 1200)
    lines = stream.getvalue().split("\r\033[K")
    assert "embedding sentences: 300/1,200 (25%, 150.0/s, 6 s left)" in lines
    assert lines[-1] == "embedding sentences: 1,200/1,200 (100%, 300.0/s, 4.0 s)\n"


def test_redraws_are_throttled_but_the_last_one_is_always_drawn():
    now = [0.0]
    stream = Terminal()
    progress = TerminalProgress(stream, clock=lambda: now[0], min_interval=1.0)
    for done in range(1, 101):
        now[0] = done / 100
        progress("x", done, 100)
    assert stream.getvalue().count("\r") == 2  # the first update, then the final one


def test_nothing_is_written_when_output_is_not_a_terminal():
    stream = io.StringIO()
    TerminalProgress(stream)("embedding cases", 5, 10)
    assert stream.getvalue() == ""


def test_a_build_reports_each_embedding_stage(tmp_path, corpus):
    seen: list[tuple[str, int, int]] = []
    build_index(corpus, FakeEmbedder(), tmp_path / "index",
                second=FakeEmbedder(dimension=64, model_id="fake/second"),
                progress=lambda *event: seen.append(event))
    stages = {stage for stage, _, _ in seen}
    assert stages == {"embedding cases", "embedding sentences", "embedding cases (second model)",
                      "grouping figures"}
    finals = [(stage, done) for stage, done, total in seen if done == total]
    assert ("embedding cases", 48) in finals
