"""What keeps the studio private to the person who started it (DESIGN.md §8).

* every request carries the per-run token: once in the URL (``?token=``), which sets a cookie
  and redirects to a clean URL, then the cookie;
* the ``Host`` header must name a loopback address (or the ``--host`` given), so a page on
  another site cannot reach the server through DNS rebinding;
* files are served only from the package's ``static`` folder and the workspace, through
  :func:`safe_join`, which refuses ``..``, absolute paths and their percent-encoded forms.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from pathlib import Path
from urllib.parse import unquote, urlencode

from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def new_token() -> str:
    """A fresh unguessable token for one run of the server."""
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address or a name) is this machine only (``localhost`` or a
    loopback IP address; a name that merely starts with ``127.`` is not)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8000`` → ``::1``, ``a:80`` → ``a``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def safe_join(root: Path, relative: str) -> Path | None:
    """``root / relative`` if it stays inside ``root`` (after resolving links), else None.

    ``relative`` is decoded repeatedly, so ``%2e%2e%2f`` and ``%252e%252e`` are refused like
    ``../``; backslashes, NUL bytes, absolute paths and dot-segments are refused outright.
    """
    text = relative
    for _ in range(4):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    if not text or "\x00" in text or "\\" in text or text.startswith("/"):
        return None
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts) or ":" in parts[0]:
        return None
    base = root.resolve()
    target = (base / text).resolve()
    return target if target.is_relative_to(base) and target != base else None


class Guard:
    """ASGI middleware: Host check, then the token (query once, then cookie).

    Args:
        app: the wrapped app.
        token: this run's token.
        cookie: the cookie name (per port, so two studios do not overwrite each other's).
        extra_host: a non-loopback ``--host`` the user chose to serve on, also accepted.
    """

    def __init__(self, app: ASGIApp, token: str, cookie: str, extra_host: str | None = None):
        self.app = app
        self.token = token
        self.cookie = cookie
        self.hosts = set(LOOPBACK_NAMES) | ({extra_host.lower()} if extra_host else set())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = host_name(headers.get("host", ""))
        if not (host in self.hosts or is_loopback(host)):
            await PlainTextResponse(
                "vfx studio: refused: this server answers only to its loopback address "
                "(open the URL that `vfx studio` printed)",
                status_code=421,
            )(scope, receive, send)
            return
        query = _query_params(scope.get("query_string", b"").decode("latin-1"))
        given = query.pop("token", None)
        if given is not None and self._valid(given):
            rest = urlencode(query)
            response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        if not self._valid(_cookie(headers.get("cookie", ""), self.cookie)):
            await PlainTextResponse(
                "vfx studio: refused: missing or wrong token; open the URL with ?token= that "
                "`vfx studio` printed",
                status_code=403,
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _valid(self, candidate: str | None) -> bool:
        if candidate is None:
            return False
        return hmac.compare_digest(candidate.encode(), self.token.encode())


def _query_params(query: str) -> dict[str, str]:
    out = {}
    for pair in query.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            out[unquote(key)] = unquote(value.replace("+", " "))
    return out


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
