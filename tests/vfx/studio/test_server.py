"""The studio server: token, Host check, no file outside its folders, one consistent session."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path

import pytest

from tests.vfx.studio.conftest import live_studio
from vfx.studio.security import host_name, safe_join


def raw_get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """A GET with exactly these headers and this path, not normalised by any client."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


@pytest.fixture
def plain(studio_clip, tmp_path: Path):
    """A studio on the clip without weights (what the safety checks need)."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "renders").mkdir()
    (workspace / "renders" / "ok.txt").write_text("inside")
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    with live_studio(workspace, studio_clip.video) as server:
        yield server


def port_of(server) -> int:
    return int(server.base.rsplit(":", 1)[1])


def test_requests_without_the_token_are_refused(plain):
    port = port_of(plain)
    host = {"Host": f"127.0.0.1:{port}"}
    paths = ("/", "/api/state", "/static/studio.js", "/api/frame/0.jpg", "/media/renders/ok.txt")
    for path in paths:
        status, body = raw_get(port, path, host)
        assert status == 403, path
        assert b"token" in body
    status, _ = raw_get(port, "/api/state", {**host, "Cookie": f"vfx_studio_{port}=wrong"})
    assert status == 403
    status, _ = raw_get(port, "/api/state?token=wrong", host)
    assert status == 403


def test_the_token_in_the_url_becomes_a_cookie(plain):
    port = port_of(plain)
    host = {"Host": f"127.0.0.1:{port}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/?token={plain.token}", headers=host)
    response = conn.getresponse()
    response.read()
    assert response.status == 303
    assert response.getheader("Location") == "/"  # the token leaves the address bar
    cookie = response.getheader("Set-Cookie")
    assert f"vfx_studio_{port}={plain.token}" in cookie and "HttpOnly" in cookie
    status, body = raw_get(port, "/api/state", {**host, "Cookie": cookie.split(";")[0]})
    assert status == 200 and json.loads(body)["info"]["frame_count"] > 0


@pytest.mark.parametrize(
    "host", ["evil.example.com", "evil.example.com:8765", "127.0.0.1.nip.io", "192.168.1.5", ""]
)
def test_a_foreign_host_header_is_refused_even_with_the_token(plain, host):
    port = port_of(plain)
    cookie = f"vfx_studio_{port}={plain.token}"
    status, body = raw_get(port, "/api/state", {"Host": host, "Cookie": cookie})
    assert status == 421
    assert b"loopback" in body


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "localhost"]
)
def test_loopback_host_names_are_accepted(plain, host):
    port = port_of(plain)
    cookie = f"vfx_studio_{port}={plain.token}"
    status, _ = raw_get(port, "/api/state", {"Host": host.format(port=port), "Cookie": cookie})
    assert status == 200


TRAVERSALS = [
    "/media/../secret.txt",
    "/media/..%2fsecret.txt",
    "/media/%2e%2e/secret.txt",
    "/media/%2e%2e%2fsecret.txt",
    "/media/%252e%252e%252fsecret.txt",
    "/media/renders/../../secret.txt",
    "/media/renders/%2e%2e/%2e%2e/secret.txt",
    "/media/..%5csecret.txt",
    "/media/%2fetc%2fpasswd",
    "/media//etc/passwd",
    "/media/.studio/session.json",
    "/static/../../../../secret.txt",
    "/static/%2e%2e/%2e%2e/server.py",
    "/static/..%2fserver.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_file_outside_the_static_folder_and_workspace(plain, path):
    port = port_of(plain)
    headers = {"Host": f"127.0.0.1:{port}", "Cookie": f"vfx_studio_{port}={plain.token}"}
    status, body = raw_get(port, path, headers)
    assert status in (400, 404), (path, status)
    assert b"TOP-SECRET" not in body and b"root:" not in body and b"def create_app" not in body


def test_workspace_media_and_static_files_are_served(plain):
    port = port_of(plain)
    headers = {"Host": f"127.0.0.1:{port}", "Cookie": f"vfx_studio_{port}={plain.token}"}
    assert raw_get(port, "/media/renders/ok.txt", headers) == (200, b"inside")
    status, body = raw_get(port, "/static/studio.js", headers)
    assert status == 200 and b"/api/state" in body


def test_safe_join_refuses_every_escape(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    (root / "a" / "b.mp4").write_bytes(b"x")
    (tmp_path / "out").mkdir()
    (root / "link").symlink_to(tmp_path / "out")
    assert safe_join(root, "a/b.mp4") == (root / "a" / "b.mp4").resolve()
    assert safe_join(root, "a%2fb.mp4") == (root / "a" / "b.mp4").resolve()
    for bad in ("../x", "a/../../x", "%2e%2e/x", "%252e%252e%252fx", "/etc/passwd", "a\\..\\x",
                "a/./b.mp4", "", "link/anything", "c:/x", "a/b.mp4\x00.png"):
        assert safe_join(root, bad) is None, bad


def test_host_name_parsing():
    assert host_name("127.0.0.1:80") == "127.0.0.1"
    assert host_name("[::1]:80") == "::1"
    assert host_name("LOCALHOST") == "localhost"


def test_concurrent_requests_keep_one_consistent_session(plain):
    """Eight clients add objects, rename them and mark frames at once: every change lands
    exactly once, ids stay unique, and the state file on disk equals the served state."""
    errors: list[str] = []

    def client(worker: int) -> None:
        for step in range(6):
            code, data = plain.call("/api/objects", {"name": f"w{worker}-{step}"})
            if code != 200:
                errors.append(str(data))
                continue
            obj = data["added"]
            for frame in (1, 3):
                code, _ = plain.call(f"/api/objects/{obj}/prompts", {"frame": frame, "leave": True})
                if code != 200:
                    errors.append(f"leave {code}")
            code, _ = plain.call(f"/api/objects/{obj}", {"name": f"renamed-{worker}-{step}"})
            if code != 200:
                errors.append(f"rename {code}")

    threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    _, state = plain.call("/api/state")
    objects = state["objects"]
    ids = [o["id"] for o in objects]
    assert sorted(ids) == list(range(1, 49))
    assert sorted(o["name"] for o in objects) == sorted(
        f"renamed-{w}-{s}" for w in range(8) for s in range(6)
    )
    assert all([a["frame"] for a in o["actions"]] == [1, 3] for o in objects)
    saved = json.loads((plain.studio.session.state_dir / "session.json").read_text())
    assert saved["videos"][state["video"]]["objects"] == objects


def test_a_restart_on_the_same_workspace_comes_back(studio_clip, tmp_path: Path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with live_studio(workspace, studio_clip.video) as first:
        first.call("/api/objects", {"name": "dog"})
        first.call("/api/objects/1/prompts", {"frame": 5, "leave": True})
        first.call("/api/preset", {"preset": "background-blur", "set": ["0.radius=9"]})
    with live_studio(workspace, None) as second:  # no INPUT: the last video comes back
        code, state = second.call("/api/state")
    assert code == 200
    assert state["video"] == str(studio_clip.video.resolve())
    assert [(o["name"], o["actions"]) for o in state["objects"]] == [
        ("dog", [{"frame": 5, "leave": True}])
    ]
    assert (state["preset"], state["overrides"]) == ("background-blur", ["0.radius=9"])


def test_clicking_without_a_checkpoint_says_how_to_get_one(plain):
    plain.call("/api/objects", {})
    code, data = plain.call("/api/objects/1/prompts", {"frame": 0, "point": [10, 10], "label": 1})
    assert code == 400
    assert "vfx checkpoints download sam2.1-tiny" in data["error"]
    code, state = plain.call("/api/state")
    assert state["objects"][0]["actions"] == []  # nothing half-added


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"frame": 999, "leave": True}, "outside this"),
        ({"frame": "0", "leave": True}, "whole-number"),
        ({"frame": 0, "point": [1e9, 1], "label": 1}, "outside the"),
        ({"frame": 0, "point": [1, 1], "label": 5}, "'label'"),
        ({"frame": 0, "box": [1, 1, 2, 2]}, "too small"),
        ({"frame": 0}, "a prompt is"),
    ],
)
def test_bad_prompts_are_one_line_errors(plain, body, needle):
    plain.call("/api/objects", {})
    code, data = plain.call("/api/objects/1/prompts", body)
    assert code == 400 and needle in data["error"] and "\n" not in data["error"]
