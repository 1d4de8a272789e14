"""The studio's HTTP routes (Starlette) and how it is served (uvicorn on a socket bound first,
so ``--port 0`` knows its port before the URL is printed).

Routes, all behind :class:`~vfx.studio.security.Guard`:

* ``GET /`` the page; ``/static/...`` its files (package data); ``/media/...`` workspace files;
* ``GET /api/state``, ``/api/videos``, ``/api/timeline``, ``/api/events`` (server-sent events);
* ``GET /api/frame/N.jpg`` (with masks; ``?plain=1`` without), ``/api/preview/N.jpg?preset=``,
  ``/api/candidates`` and ``/api/candidates.jpg`` (the latest "segment everything");
* ``POST /api/open``, ``/api/embed``, ``/api/objects`` (add), ``/api/objects/ID`` (rename),
  ``/api/objects/ID/delete|prompts|undo|clear``, ``/api/preset``, ``/api/track``,
  ``/api/render``, ``/api/export``, ``/api/save-prompts``, ``/api/cancel``, ``/api/segment``
  (find a frame's automatic candidates), ``/api/candidates/add`` (one becomes an object).

Errors are ``{"error": "one line naming the fix"}`` with status 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from vfx.errors import VfxError
from vfx.studio.frames import object_hex
from vfx.studio.security import Guard, is_loopback, safe_join
from vfx.studio.work import EXPORT_FORMATS, Studio

STATIC_DIR = Path(__file__).parent / "static"
NO_STORE = {"Cache-Control": "no-store"}


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(studio: Studio, token: str, cookie: str, extra_host: str | None = None) -> Any:
    """The ASGI app for ``studio``: routes wrapped in the token and Host guard."""
    embedder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studio-embed")

    async def call(fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` off the event loop; a :class:`VfxError` becomes a 400 with its line."""
        try:
            return await run_in_threadpool(fn, *args)
        except VfxError as exc:
            return _error(exc.message)

    def state() -> dict[str, Any]:
        data = studio.session.snapshot()
        data["job"] = None if studio.jobs.current is None else studio.jobs.current.to_json()
        data["looks_only"] = studio.looks_only
        data["workspace"] = str(studio.workspace)
        data["colors"] = {o["id"]: object_hex(o["id"]) for o in data.get("objects", [])}
        if studio.session.video is not None and studio._frames is not None:
            data["info"] = studio.info()
        return data

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise VfxError("the request body must be JSON") from None
        if not isinstance(data, dict):
            raise VfxError("the request body must be a JSON object")
        return data

    def json_route(handler: Callable[..., Any]) -> Callable[[Request], Any]:
        """A POST route: parse the body, run the handler in a thread, answer the new state."""

        async def route(request: Request) -> Response:
            try:
                data = await body(request)
            except VfxError as exc:
                return _error(exc.message)

            def run() -> dict[str, Any]:
                extra = handler(request, data) or {}
                return {**state(), **extra}

            result = await call(run)
            return result if isinstance(result, Response) else JSONResponse(result)

        return route

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers=NO_STORE)

    async def get_state(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(state), headers=NO_STORE)

    async def videos(request: Request) -> Response:
        return JSONResponse({"videos": await run_in_threadpool(studio.workspace_videos)})

    async def presets(request: Request) -> Response:
        from vfx.presets import list_presets

        return JSONResponse({"presets": await run_in_threadpool(list_presets)})

    async def timeline(request: Request) -> Response:
        result = await call(studio.timeline)
        return result if isinstance(result, Response) else JSONResponse(result, headers=NO_STORE)

    def frame_index(request: Request) -> int:
        text = request.path_params["index"]
        if not text.isdigit():
            raise VfxError("frame index must be a whole number")
        return int(text)

    async def frame(request: Request) -> Response:
        plain = request.query_params.get("plain") == "1"

        def run() -> bytes:
            return studio.frame_jpeg(frame_index(request), overlays=not plain)

        result = await call(run)
        if isinstance(result, Response):
            return result
        return Response(result, media_type="image/jpeg", headers=NO_STORE)

    async def preview(request: Request) -> Response:
        name = request.query_params.get("preset", "")
        overrides = [v for v in request.query_params.getlist("set") if v]

        def run() -> bytes:
            return studio.preview_jpeg(frame_index(request), name, overrides)

        result = await call(run)
        if isinstance(result, Response):
            return result
        return Response(result, media_type="image/jpeg", headers=NO_STORE)

    async def media(request: Request) -> Response:
        path = safe_join(studio.workspace, request.path_params["path"])
        if path is None or not path.is_file() or ".studio" in path.relative_to(
            studio.workspace
        ).parts:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(path)

    def open_video(request: Request, data: dict[str, Any]) -> None:
        relative = data.get("video")
        path = safe_join(studio.workspace, relative) if isinstance(relative, str) else None
        if path is None or not path.is_file():
            raise VfxError(f"{relative!r} is not a video in the workspace; pick one from the list")
        studio.open(path)

    async def embed(request: Request) -> Response:
        try:
            data = await body(request)
            index = data.get("frame")
            if not isinstance(index, int):
                raise VfxError("'frame' must be a whole number")
        except VfxError as exc:
            return _error(exc.message)
        loop = asyncio.get_running_loop()
        loop.run_in_executor(embedder, _quietly, studio.embed, index)
        return JSONResponse({"started": True})

    def obj_id(request: Request) -> int:
        text = request.path_params["obj"]
        if not text.isdigit():
            raise VfxError("object ids are whole numbers")
        return int(text)

    def add_object(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        name = data.get("name")
        obj = studio.session.add_object(str(name) if name else None)
        return {"added": obj.id}

    def rename(request: Request, data: dict[str, Any]) -> None:
        studio.session.rename(obj_id(request), str(data.get("name", "")))

    def delete(request: Request, data: dict[str, Any]) -> None:
        studio.session.delete(obj_id(request))

    def add_prompt(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return {"click": studio.add_prompt(obj_id(request), data)}

    def undo(request: Request, data: dict[str, Any]) -> None:
        target = obj_id(request)
        obj = studio.session.object(target)
        frames = {obj.actions[-1]["frame"]} if obj.actions else set()
        studio.session.undo(target)
        studio.after_edit(target, frames)

    def clear(request: Request, data: dict[str, Any]) -> None:
        studio.session.clear(obj_id(request))

    def set_preset(request: Request, data: dict[str, Any]) -> None:
        overrides = data.get("set", [])
        if not isinstance(overrides, list) or not all(isinstance(v, str) for v in overrides):
            raise VfxError("'set' is a list of LAYER.PARAM=VALUE strings")
        studio.set_preset(data.get("preset") or None, [v for v in overrides if v.strip()])

    def track(request: Request, data: dict[str, Any]) -> None:
        studio.start_track()

    def render(request: Request, data: dict[str, Any]) -> None:
        studio.start_render()

    def export(request: Request, data: dict[str, Any]) -> None:
        fmt = data.get("format")
        if fmt not in EXPORT_FORMATS:
            raise VfxError(f"pick an export format: {', '.join(EXPORT_FORMATS)}")
        studio.start_export(fmt)

    def save_prompts(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return {"prompts_path": str(studio.save_prompts())}

    def segment(request: Request, data: dict[str, Any]) -> None:
        index = data.get("frame")
        if not isinstance(index, int) or isinstance(index, bool):
            raise VfxError("'frame' must be a whole number")
        studio.start_segment(index)

    async def candidates(request: Request) -> Response:
        result = await call(studio.candidates)
        return result if isinstance(result, Response) else JSONResponse(result, headers=NO_STORE)

    async def candidates_jpeg(request: Request) -> Response:
        result = await call(studio.candidates_jpeg)
        if isinstance(result, Response):
            return result
        return Response(result, media_type="image/jpeg", headers=NO_STORE)

    def add_candidate(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        number = data.get("id")
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
            raise VfxError("'id' is a candidate number")
        if number is None and "point" not in data:
            raise VfxError("give a candidate 'id' or a 'point' inside one")
        return studio.add_candidate(number, data.get("point") if number is None else None)

    def cancel(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return {"cancelled": studio.jobs.cancel()}

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            last = None
            while not await request.is_disconnected():
                job = studio.jobs.current
                now = (studio.session.version, None if job is None else json.dumps(job.to_json()))
                if now != last:
                    last = now
                    payload = {"version": now[0], "job": None if job is None else job.to_json()}
                    yield f"data: {json.dumps(payload)}\n\n"
                await asyncio.sleep(0.1)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=NO_STORE)

    routes = [
        Route("/", index),
        Route("/api/state", get_state),
        Route("/api/videos", videos),
        Route("/api/presets", presets),
        Route("/api/timeline", timeline),
        Route("/api/events", events),
        Route("/api/frame/{index}.jpg", frame),
        Route("/api/preview/{index}.jpg", preview),
        Route("/api/open", json_route(open_video), methods=["POST"]),
        Route("/api/embed", embed, methods=["POST"]),
        Route("/api/objects", json_route(add_object), methods=["POST"]),
        Route("/api/objects/{obj}", json_route(rename), methods=["POST"]),
        Route("/api/objects/{obj}/delete", json_route(delete), methods=["POST"]),
        Route("/api/objects/{obj}/prompts", json_route(add_prompt), methods=["POST"]),
        Route("/api/objects/{obj}/undo", json_route(undo), methods=["POST"]),
        Route("/api/objects/{obj}/clear", json_route(clear), methods=["POST"]),
        Route("/api/preset", json_route(set_preset), methods=["POST"]),
        Route("/api/track", json_route(track), methods=["POST"]),
        Route("/api/render", json_route(render), methods=["POST"]),
        Route("/api/export", json_route(export), methods=["POST"]),
        Route("/api/save-prompts", json_route(save_prompts), methods=["POST"]),
        Route("/api/cancel", json_route(cancel), methods=["POST"]),
        Route("/api/segment", json_route(segment), methods=["POST"]),
        Route("/api/candidates", candidates),
        Route("/api/candidates.jpg", candidates_jpeg),
        Route("/api/candidates/add", json_route(add_candidate), methods=["POST"]),
        Route("/media/{path:path}", media),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        embedder.shutdown(wait=False)
        studio.close()

    return Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token, cookie=cookie, extra_host=extra_host)],
        lifespan=lifespan,
    )


def _quietly(fn: Callable[..., Any], *args: Any) -> None:
    with contextlib.suppress(VfxError):  # the click that follows reports it
        fn(*args)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``port`` 0: any free one).

    Raises:
        VfxError: the port is taken or the address is not this machine's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise VfxError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                       "pick another --port, or --port 0 for any free one") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def studio_url(host: str, port: int, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={token}"


def cookie_name(port: int) -> str:
    return f"vfx_studio_{port}"


def _server(app: Any) -> Any:
    import uvicorn

    # open event streams must not hold a shutdown up
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    return uvicorn.Server(config)


def serve(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until Ctrl-C."""
    _server(app).run(sockets=[sock])


@contextlib.contextmanager
def background_server(app: Any, sock: socket.socket) -> Iterator[None]:
    """Serve ``app`` on ``sock`` from a thread while the block runs (scripts, tests, benchmarks)."""
    import threading
    import time

    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the studio server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def warn_if_exposed(host: str) -> None:
    if not is_loopback(host):
        print(f"vfx studio: warning: serving on {host}, reachable from other machines; anyone "
              "with the URL's token can read the workspace's media and run renders",
              file=sys.stderr)  # fmt: skip
