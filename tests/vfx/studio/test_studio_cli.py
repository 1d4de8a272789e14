"""``vfx studio`` on the command line: the URL line, the token, bad input in one line."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from vfx.cli import main

URL_LINE = re.compile(r"^vfx studio: http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)$")


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["studio", "missing.mp4", "--no-browser"], "does not exist"),
        (["studio", "{video}", "--masks", "m", "--chroma", "green", "--no-browser"],
         "give only one"),
        (["studio", "--chroma", "green", "--no-browser"], "give INPUT too"),
        (["studio", "{video}", "--masks", "nowhere/", "--no-browser", "--port", "0"], "nowhere"),
    ],
)
def test_bad_input_is_one_line(args, needle, studio_clip, capsys):
    code, err = run_cli([a.format(video=studio_clip.video) for a in args], capsys)
    assert code != 0
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    return subprocess.Popen([sys.executable, "-m", "vfx", "studio", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_prints_one_url_line_and_answers_only_with_its_token(studio_clip, tmp_path: Path):
    process = _start([str(studio_clip.video), "--workspace", str(tmp_path / "ws"),
                      "--port", "0", "--no-browser"], tmp_path)  # fmt: skip
    try:
        line = process.stdout.readline().strip()
        match = URL_LINE.match(line)
        assert match, line
        port, token = match.groups()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=30)
        assert refused.value.code == 403
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(f"http://127.0.0.1:{port}/?token={token}", timeout=30) as ok:
            assert ok.status == 200  # redirected to the page with the cookie set
            assert b'data-testid="frame"' in ok.read()
        assert (tmp_path / "ws" / ".studio" / "session.json").is_file()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_non_loopback_host_warns(studio_clip, tmp_path: Path):
    process = _start([str(studio_clip.video), "--workspace", str(tmp_path / "ws"),
                      "--port", "0", "--no-browser", "--host", "0.0.0.0"], tmp_path)  # fmt: skip
    try:
        assert URL_LINE.match(process.stdout.readline().strip())
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "warning: serving on 0.0.0.0" in err
