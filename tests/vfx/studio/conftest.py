"""Fixtures for the studio: a generated clip, seeded random SAM 2 weights, a live server."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.scene_clip import SceneClip, scene_clip

FRAMES, FPS = 12, 12


@pytest.fixture(scope="session")
def studio_clip(tmp_path_factory: pytest.TempPathFactory) -> SceneClip:
    """The shared clip (:func:`tests.scene_clip.scene_clip`), 12 frames at 12 fps."""
    return scene_clip(tmp_path_factory.mktemp("clip"), FRAMES, FPS)


@pytest.fixture(autouse=True)
def _isolated(isolated_caches: None) -> None:
    """Every test here runs with the shared ``isolated_caches`` (tests/conftest.py)."""


@dataclass
class LiveStudio:
    """A studio served on a free loopback port; :meth:`call` talks to it with the cookie."""

    base: str
    token: str
    studio: Any
    opener: urllib.request.OpenerDirector

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"

    def call(self, path: str, body: dict | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with self.opener.open(request, timeout=120) as response:
                raw, code, kind = response.read(), response.status, response.headers
        except urllib.error.HTTPError as exc:
            raw, code, kind = exc.read(), exc.code, exc.headers
        if "json" in kind.get("Content-Type", ""):
            return code, json.loads(raw)
        return code, raw


@contextlib.contextmanager
def live_studio(workspace: Path, video: Path | None, **options: Any) -> Iterator[LiveStudio]:
    from vfx.studio.security import new_token
    from vfx.studio.server import background_server, bind, cookie_name, create_app
    from vfx.studio.work import Studio, StudioOptions

    studio = Studio(workspace, video, StudioOptions(**options))
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    token = new_token()
    app = create_app(studio, token, cookie_name(port))
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with background_server(app, sock):
        live = LiveStudio(f"http://127.0.0.1:{port}", token, studio, opener)
        with opener.open(live.url, timeout=30) as response:  # sets the cookie
            assert response.status == 200
        yield live


@pytest.fixture
def live(studio_clip: SceneClip, tmp_path: Path, random_checkpoint: Path) -> Iterator[LiveStudio]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with live_studio(workspace, studio_clip.video, checkpoint=str(random_checkpoint)) as server:
        yield server
