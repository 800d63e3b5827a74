"""Broker URLs: one, or the nodes of a cluster (no aio-pika import, so options can check them)."""
from __future__ import annotations

import re
from typing import Sequence
from urllib.parse import urlsplit

from ..errors import ConfigError


def redact(url: str) -> str:
    """The URL with its password replaced by ***, for logs and errors."""
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


def parse_broker_urls(value: str | Sequence[str]) -> tuple[str, ...]:
    """`"amqp://a,amqp://b"` or `["amqp://a", "amqp://b"]` -> `("amqp://a", "amqp://b")`.

    Raises ConfigError naming the bad entry (credentials redacted) unless every
    entry is an amqp:// or amqps:// URL with a host.
    """
    if isinstance(value, str):
        entries = value.split(",")
    elif isinstance(value, Sequence) and all(isinstance(entry, str) for entry in value):
        entries = list(value)
    else:
        raise ConfigError(f"url must be an AMQP URL, a comma-separated list of them, or a list of strings; got {type(value).__name__}")
    urls = tuple(entry.strip() for entry in entries)
    if not urls or urls == ("",):
        raise ConfigError("url is empty; give an AMQP URL such as amqp://guest:guest@127.0.0.1:5672/")
    for number, url in enumerate(urls, 1):
        where = f"url entry {number} of {len(urls)}" if len(urls) > 1 else "url"
        if not url:
            raise ConfigError(f"{where} is empty (a stray comma?)")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        except ValueError as error:
            raise ConfigError(f"{where} {redact(url)!r} is not a valid URL: {error}") from None
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ConfigError(f"{where} must be an amqp:// or amqps:// URL with a host, got {redact(url)!r}")
    return urls
