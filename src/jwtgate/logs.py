"""JSON logs that carry the request id and never a whole token or secret.

Every record is one JSON object per line. ``extra=`` fields are included; any string
that looks like a JWT or a bearer credential is shortened to a fingerprint by
:func:`redact` before it is written, so a careless ``log.info(..., token)`` cannot leak.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

__all__ = ["configure_logging", "redact", "request_id_var"]

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_TOKENISH = re.compile(
    r"(?:eyJ[A-Za-z0-9_+/=-]{4,}(?:\.[A-Za-z0-9_+/=-]*){0,2})"  # JWS, or base64 of its JSON
    r"|(?:jg[ac]_[A-Za-z0-9_-]{8,})"  # admin credentials and client secrets
)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"color_message"}


def redact(text: str) -> str:
    """Replace token-like substrings with ``<redacted sha256:…>`` fingerprints."""

    def fingerprint(match: re.Match[str]) -> str:
        digest = hashlib.sha256(match.group(0).encode()).hexdigest()[:12]
        return f"<redacted sha256:{digest}>"

    return _TOKENISH.sub(fingerprint, text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def configure_logging(level: str) -> None:
    """Route jwtgate's and uvicorn's loggers through the JSON formatter on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # jwtgate logs each request itself (with its id); uvicorn's access log would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
