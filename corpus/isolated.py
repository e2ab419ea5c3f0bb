"""Read a document received from someone else in a process of its own, within a time and a
memory limit: a crafted file (a Word file whose XML takes minutes, a PDF that balloons) costs
that process, never the server that received it.

`read_document` gives what the server needs to preview or store a document: its record, the
ids of its cases and the dry run's account (`corpus.report`), or the `CorpusError` that
`corpus.load.parse_document` raises for it, with the same message. The child sets its own
limits (no `preexec_fn`, which is unsafe in a threaded server) and answers one line of JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError
from corpus.models import Document

READ_SECONDS = 150.0  # longer than pdftotext's own limit (corpus.pdf), so that it speaks first
READ_MEMORY = 2 << 30  # bytes of address space: ten times what the largest allowed file needs
ANSWER_BYTES = 64 << 20  # a report lists a line per case: far less than this


@dataclass(frozen=True)
class ReadDocument:
    """A document read, not stored: its record, its cases' ids, and how it was read."""

    doc: Document
    case_ids: tuple[str, ...]
    report: dict[str, Any]
    meta: dict[str, Any]

    @property
    def cases(self) -> int:
        return len(self.case_ids)


def read_here(path: Path, meta: dict[str, Any]) -> ReadDocument:
    """Read a document in this process (the command line, on the user's own file).

    Raises:
        CorpusError: as `corpus.load.parse_document`.
    """
    from corpus.load import parse_document

    doc, cases, parsed = parse_document(path, meta)
    return ReadDocument(doc, tuple(case.id for case in cases), parsed.to_dict(), dict(meta))


def read_document(path: Path, meta: dict[str, Any], *, seconds: float = READ_SECONDS,
                  memory: int = READ_MEMORY) -> ReadDocument:
    """Read a document in a child process that may run `seconds` and use `memory` bytes.

    Raises:
        CorpusError: the document cannot be read (the same message as in this process), or
            reading it took longer or needed more memory than allowed.
    """
    request = json.dumps({"path": str(path), "meta": meta, "memory": memory,
                          "seconds": seconds}, ensure_ascii=False)
    try:
        done = subprocess.run([sys.executable, "-m", "corpus.isolated"], input=request.encode(),
                              capture_output=True, timeout=seconds, env=_reader_environment())
    except subprocess.TimeoutExpired:
        raise CorpusError(f"{path.name}: reading it took longer than {seconds:.0f} s; it was "
                          f"stopped (a file this slow to read is refused)") from None
    except OSError as exc:
        raise CorpusError(f"{path.name}: could not start reading it ({exc.strerror or exc})"
                          ) from None
    answer = _answer(done.stdout[:ANSWER_BYTES])
    if answer is None:
        if done.returncode < 0 or b"MemoryError" in done.stderr:
            raise CorpusError(f"{path.name}: reading it needed more than {memory >> 20} MB of "
                              f"memory or {seconds:.0f} s of CPU; it was stopped (a file "
                              f"this costly to read is refused)")
        raise CorpusError(f"{path.name}: could not be read (the reader stopped with code "
                          f"{done.returncode})")
    if "error" in answer:
        raise CorpusError(answer["error"])
    return ReadDocument(Document(**answer["doc"]), tuple(answer["case_ids"]), answer["report"],
                        dict(meta))


# What the reader's process is given of this one's environment: enough to run Python and
# poppler, none of the server's settings (its keys among them).
_PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH",
              "VIRTUAL_ENV")


def _reader_environment() -> dict[str, str]:
    kept = {name: os.environ[name] for name in _PASSED_ON if name in os.environ}
    return {**kept, "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}


def _answer(output: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(output.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def _limit_self(memory: int, seconds: float) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    os.nice(5)


def _child() -> None:
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    _limit_self(int(request["memory"]), float(request["seconds"]))
    try:
        read = read_here(Path(request["path"]), request["meta"])
        answer: dict[str, Any] = {"doc": asdict(read.doc), "case_ids": list(read.case_ids),
                                  "report": read.report}
    except CorpusError as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        raise
    except Exception as exc:  # a reader's bug or a limit of Python's (RecursionError): refuse
        answer = {"error": f"{Path(request['path']).name}: could not be read (the reader "
                           f"failed with {type(exc).__name__}; please report it with the file)"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    _child()
