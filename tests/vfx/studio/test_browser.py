"""A whole studio session in headless Chromium (Debian's package driven by Playwright) at device
scale factor 2, on a generated clip with seeded random SAM 2 weights.

Screenshots of every step land in ``test-artifacts/studio/`` (or ``$VFX_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.vfx.studio.conftest import live_studio
from vfx.demo.synthetic import write_scene_video
from vfx.prompts.parsing import parse_prompts

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
W, H, T, FPS = 160, 96, 8, 8
SLOW_MS = 600_000  # random-weight SAM 2 on a shared CPU: minutes, not seconds


def artifacts_dir(name: str = "studio") -> Path:
    root = os.environ.get("VFX_TEST_ARTIFACTS")
    folder = Path(root) if root else Path(__file__).resolve().parents[3] / "test-artifacts"
    folder = folder / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def inside_pixels(mask: np.ndarray, count: int = 12) -> list[tuple[float, float]]:
    """Centres of the ``count`` pixels deepest inside ``mask`` ``[H, W]`` bool."""
    import cv2

    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    order = np.argsort(distance.ravel())[::-1][:count]
    return [(i % mask.shape[1] + 0.5, i // mask.shape[1] + 0.5) for i in order]


def visible_click(video: Path, inside: np.ndarray, checkpoint: Path) -> tuple[float, float]:
    """A point inside the object where these random weights give a mask that shows (neither
    empty nor the whole frame): random weights segment arbitrary regions, and the test is
    about the page showing the mask the model gives."""
    from vfx.io.reader import open_video
    from vfx.prompts.model import FramePrompt
    from vfx.studio.clicks import ClickSegmenter

    with open_video(video) as reader:
        rgb = reader.read(0)
    segmenter = ClickSegmenter(lambda index: rgb, checkpoint=checkpoint)
    for x, y in inside_pixels(inside):
        mask, _ = segmenter.mask(FramePrompt(0, points=[[x, y]], labels=[1]))
        if 0.02 < mask.mean() < 0.98:
            return x, y
    raise AssertionError("no point inside the object gives a visible mask with these weights")


def shows_latest(page, live, frame: int | None = None) -> None:
    """Wait until the page shows the server's latest state (and ``frame``, if given)."""
    version = live.call("/api/state")[1]["version"]
    # at least that version: a state read while a click is in flight may be overtaken by the
    # click's answer before the page paints it
    condition = f"Number(d.loadedVersion) >= {version}"
    if frame is not None:
        condition += f" && d.loadedFrame === '{frame}'"
    try:
        page.wait_for_function(f"(() => {{ const d = document.getElementById('frame').dataset; "
                               f"return {condition}; }})()", timeout=SLOW_MS)  # fmt: skip
    except Exception:
        shown = page.evaluate("[S.version, current, shownLayer, comingLayer, clicking, loading,"
                              " pending, {...document.getElementById('frame').dataset}]")
        print(f"the page shows {shown}, the server is at version {version}")
        raise


def settled_screenshot(element, before: bytes, seconds: float = 10.0) -> bytes:
    """The element's screenshot once it differs from ``before`` beyond a marker (or after
    ``seconds``): headless Chromium may paint a decoded image a frame or two late."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        after = element.screenshot()
        if changed_fraction(before, after) > 0.05 or time.monotonic() > deadline:
            return after
        time.sleep(0.1)


def changed_fraction(png_a: bytes, png_b: bytes) -> float:
    """The fraction of pixels that differ clearly between two same-size PNG screenshots."""
    import cv2

    a = cv2.imdecode(np.frombuffer(png_a, np.uint8), cv2.IMREAD_COLOR).astype(np.int16)
    b = cv2.imdecode(np.frombuffer(png_b, np.uint8), cv2.IMREAD_COLOR).astype(np.int16)
    return float((np.abs(a - b).max(axis=2) > 24).mean())


@pytest.fixture
def browser_page(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
        pytest.skip("needs Debian's chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            device_scale_factor=2,
            viewport={"width": 1280, "height": 860},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.on("pageerror", lambda error: print(f"page error: {error}"))
            yield page
        finally:
            context.close()


def test_a_whole_session_in_the_browser(browser_page, tmp_path: Path, random_checkpoint: Path):
    from playwright.sync_api import expect

    from vfx.io.reader import open_video

    page = browser_page
    shots = artifacts_dir()
    workspace = tmp_path / "ws"
    workspace.mkdir()
    video = workspace / "clip.mp4"
    truth = write_scene_video(video, W, H, T, FPS, objects=2, background=None)  # [T, N, H, W]

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"))

    def frame_box() -> dict:
        return page.get_by_test_id("frame").bounding_box()

    def css(x: float, y: float) -> dict:
        """Where video pixel (x, y) lies on the frame element, in CSS pixels."""
        box = frame_box()
        return {"x": x * box["width"] / W, "y": y * box["height"] / H}

    with live_studio(workspace, video, checkpoint=str(random_checkpoint)) as live:
        page.goto(live.url)
        assert "token" not in page.url  # the token went into a cookie
        status = page.get_by_test_id("status")
        expect(status).to_have_text("ready", timeout=60_000)
        expect(page.get_by_test_id("frame-index")).to_have_text("0")
        box = frame_box()
        assert abs(box["width"] / box["height"] - W / H) < 0.02  # the video's aspect ratio
        shot("01-opened")

        # a click and a Shift+click for object 1, checked in video pixels
        frame = page.get_by_test_id("frame")
        before = frame.screenshot()
        obj_x, obj_y = visible_click(video, truth[0, 0], random_checkpoint)
        bg_x, bg_y = inside_pixels(~truth[0].any(axis=0), 1)[0]
        frame.click(position=css(obj_x, obj_y))
        expect(page.get_by_test_id("object-1")).to_be_visible(timeout=SLOW_MS)
        expect(page.get_by_test_id("object-1")).to_contain_text("1 prompt", timeout=SLOW_MS)
        expect(status).to_have_text("ready", timeout=SLOW_MS)
        shows_latest(page, live)
        after = settled_screenshot(frame, before)
        shot("02-click-mask")
        # the mask overlay appeared: the page's picture changed beyond the click's marker, and
        # the server's frame carries a tint where the click's mask is
        mask = live.studio.view_source().masks_at(0)[1] > 0.5
        assert 0 < mask.mean() < 1
        _, tinted = live.call("/api/frame/0.jpg")
        _, plain = live.call("/api/frame/0.jpg?plain=1")
        assert tinted != plain
        assert changed_fraction(before, after) > 0.05  # the tint, not just the click's dot
        frame.click(position=css(bg_x, bg_y), modifiers=["Shift"])
        expect(page.get_by_test_id("object-1")).to_contain_text("2 prompts", timeout=SLOW_MS)
        shot("03-shift-click")

        # a box for a second object
        page.get_by_test_id("object-add").click()
        expect(page.get_by_test_id("object-2")).to_be_visible()
        ys, xs = np.nonzero(truth[0, 1])
        x0, y0, x1, y1 = xs.min() - 2, ys.min() - 2, xs.max() + 3, ys.max() + 3
        start, end = css(x0, y0), css(x1, y1)
        box = frame_box()
        page.mouse.move(box["x"] + start["x"], box["y"] + start["y"])
        page.mouse.down()
        middle = ((start["x"] + end["x"]) / 2, (start["y"] + end["y"]) / 2)
        page.mouse.move(box["x"] + middle[0], box["y"] + middle[1])
        page.mouse.move(box["x"] + end["x"], box["y"] + end["y"])
        page.mouse.up()
        expect(page.get_by_test_id("object-2")).to_contain_text("1 prompt", timeout=SLOW_MS)
        expect(status).to_have_text("ready", timeout=SLOW_MS)
        shot("04-box-second-object")

        # the saved prompts hold exactly those video pixels
        page.get_by_test_id("save-prompts").click()
        expected_path = str(workspace.resolve() / "clip.prompts.yaml")
        expect(page.get_by_test_id("prompts-path")).to_have_text(expected_path)
        objects = {o.id: o for o in parse_prompts(prompts_file=expected_path)}
        (clicks,) = objects[1].prompts
        assert clicks.frame == 0 and clicks.labels == [1, 0]
        np.testing.assert_allclose(clicks.points, [[obj_x, obj_y], [bg_x, bg_y]], atol=0.5)
        (boxed,) = objects[2].prompts
        np.testing.assert_allclose(boxed.box, [x0, y0, x1, y1], atol=0.5)

        # Track, then scrub: tracked masks on a frame that was never clicked
        page.get_by_test_id("track").click()
        expect(status).to_contain_text("tracked", timeout=SLOW_MS)
        shot("05-tracked")
        page.get_by_test_id("scrubber").fill("5")
        expect(page.get_by_test_id("frame-index")).to_have_text("5")
        shows_latest(page, live, frame=5)
        shot("06-scrubbed-frame-5")
        tracked = live.studio.view_source().masks_at(5)
        assert any((m > 0.5).any() for m in tracked.values())
        _, tinted5 = live.call("/api/frame/5.jpg")
        _, plain5 = live.call("/api/frame/5.jpg?plain=1")
        assert tinted5 != plain5
        timeline = live.call("/api/timeline")[1]
        assert set(timeline) == {"1", "2"}
        assert all(v is not None for v in timeline["1"]["area"])
        assert all(isinstance(v, float) for v in timeline["1"]["iou"])  # the IoU lane's data
        # two objects, each a score lane and an IoU lane
        assert page.get_by_test_id("timeline").bounding_box()["height"] >= 40
        page.get_by_test_id("timeline").screenshot(path=str(shots / "06b-timeline.png"))

        # a preset previewed on the current frame
        page.get_by_test_id("preset").select_option("background-blur")
        preview = page.get_by_test_id("preset-preview")
        expect(preview).to_be_visible(timeout=SLOW_MS)
        page.wait_for_function(
            "(() => { const i = document.querySelector('[data-testid=preset-preview]');"
            " return i.complete && i.naturalWidth > 0 && i.dataset.frame === '5'; })()",
            timeout=SLOW_MS,
        )
        assert preview.evaluate("i => i.naturalWidth") == W
        shot("07-preset-preview")

        # render: every frame and the audio
        page.get_by_test_id("render").click()
        expect(status).to_contain_text("rendered", timeout=SLOW_MS)
        output = Path(page.get_by_test_id("render-output").inner_text())
        assert output.is_absolute() and output.is_file()
        assert output.parent == workspace.resolve() / "renders"
        with open_video(output) as reader:
            assert reader.info.frame_count == T
            assert reader.info.has_audio
            assert abs(reader.info.fps - FPS) < 1e-6
        shot("08-rendered")

        # a reload keeps the objects
        page.reload()
        expect(page.get_by_test_id("object-1")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("object-2")).to_be_visible()
        expect(page.get_by_test_id("object-1")).to_contain_text("2 prompts")
        expect(page.get_by_test_id("preset")).to_have_value("background-blur")
        shot("09-reloaded")


def test_segment_everything_in_the_browser(browser_page, tmp_path: Path):
    from playwright.sync_api import expect

    from sam2.testing import write_random_checkpoint

    page = browser_page
    shots = artifacts_dir("studio-segment")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    video = workspace / "clip.mp4"
    write_scene_video(video, W, H, T, FPS, objects=2, background=None)
    # confident random weights: automatic masks pass the official quality thresholds
    checkpoint = write_random_checkpoint(tmp_path / "sam2.1_hiera_tiny.pt", "sam2.1_hiera_tiny",
                                         confident=True)  # fmt: skip
    with live_studio(workspace, video, checkpoint=str(checkpoint)) as live:
        page.goto(live.url)
        status = page.get_by_test_id("status")
        expect(status).to_have_text("ready", timeout=60_000)
        page.get_by_test_id("scrubber").fill("2")
        expect(page.get_by_test_id("frame-index")).to_have_text("2")
        frame = page.get_by_test_id("frame")
        shows_latest(page, live, frame=2)
        before = frame.screenshot()
        page.get_by_test_id("segment-everything").click()
        expect(page.get_by_test_id("candidate-1")).to_be_visible(timeout=SLOW_MS)
        expect(status).to_contain_text("segmented", timeout=SLOW_MS)
        found = live.studio._candidates[1]
        assert live.studio._candidates[0] == 2
        expect(page.locator("[data-testid^=candidate-]")).to_have_count(len(found))
        after = settled_screenshot(frame, before)
        assert changed_fraction(before, after) > 0.05  # the candidates are tinted on the frame
        shot = str(shots / "01-candidates.png")
        page.screenshot(path=shot)

        # a candidate from the list becomes object 1, with its mask as the prompt
        page.get_by_test_id("candidate-1").click()
        expect(page.get_by_test_id("object-1")).to_contain_text("1 prompt", timeout=SLOW_MS)
        expect(page.get_by_test_id("object-name-1")).to_have_value("candidate 1")
        np.testing.assert_array_equal(live.studio.view_source().masks_at(2)[1] > 0.5,
                                      found[0].mask)  # fmt: skip
        # a click on the frame picks the smallest candidate under it
        last = found[-1]
        ys, xs = np.nonzero(last.mask)
        k = int(np.argmin((xs - xs.mean()) ** 2 + (ys - ys.mean()) ** 2))
        x, y = xs[k] + 0.5, ys[k] + 0.5
        box = frame.bounding_box()
        frame.click(position={"x": x * box["width"] / W, "y": y * box["height"] / H})
        expect(page.get_by_test_id("object-2")).to_be_visible(timeout=SLOW_MS)
        covering = [c for c in found if c.mask[int(y), int(x)]]
        np.testing.assert_array_equal(live.studio.view_source().masks_at(2)[2] > 0.5,
                                      min(covering, key=lambda c: c.area).mask)  # fmt: skip
        page.screenshot(path=str(shots / "02-added.png"))
        page.get_by_test_id("candidates-close").click()
        expect(page.locator("[data-testid^=candidate-]")).to_have_count(0)
        shows_latest(page, live, frame=2)
        page.screenshot(path=str(shots / "03-objects.png"))


def picture(png: bytes) -> np.ndarray:
    """A screenshot ``[h, w, 3]`` uint8 RGB."""
    import cv2

    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def at_video_pixels(shot: np.ndarray) -> np.ndarray:
    """The screenshot ``[h, w, 3]`` of the frame element sampled at each video pixel's centre:
    ``[H, W, 3]`` int16."""
    ys = ((np.arange(H) + 0.5) * shot.shape[0] / H).astype(int)
    xs = ((np.arange(W) + 0.5) * shot.shape[1] / W).astype(int)
    return shot[ys][:, xs].astype(np.int16)


def differs(seen: np.ndarray, picture: np.ndarray) -> np.ndarray:
    """Where two ``[H, W, 3]`` pictures differ clearly: ``[H, W]`` bool."""
    return np.abs(seen.astype(np.int16) - picture.astype(np.int16)).max(axis=2) > 24


def test_a_click_draws_its_mask_at_its_pixels(browser_page, tmp_path: Path, random_checkpoint):
    """The page draws a click's masks itself, over the frame without masks: no composited frame
    is fetched after the click, and the picture on screen is the server's overlay at every video
    pixel; a correction redraws the whole layer (the old mask's tint goes)."""
    import re

    import cv2
    from playwright.sync_api import expect

    from vfx.studio.frames import overlay

    page = browser_page
    shots = artifacts_dir("studio-click")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    video = workspace / "clip.mp4"
    truth = write_scene_video(video, W, H, T, FPS, objects=2, background=None)  # [T, N, H, W]
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    with live_studio(workspace, video, checkpoint=str(random_checkpoint)) as live:
        page.goto(live.url)
        expect(page.get_by_test_id("status")).to_have_text("ready", timeout=60_000)
        shows_latest(page, live, frame=0)
        frame = page.get_by_test_id("frame")
        box = frame.bounding_box()
        _, plain_jpeg = live.call("/api/frame/0.jpg?plain=1")
        plain = picture(plain_jpeg)
        obj = visible_click(video, truth[0, 0], random_checkpoint)
        background = inside_pixels(~truth[0].any(axis=0), 1)[0]
        page.get_by_test_id("object-add").click()
        expect(page.get_by_test_id("object-1")).to_be_visible()
        shows_latest(page, live, frame=0)
        near_marks = np.zeros((H, W), np.uint8)
        last_version = live.call("/api/state")[1]["version"]
        first_mask = np.zeros((H, W), bool)
        for step, (point, modifiers) in enumerate([(obj, []), (background, ["Shift"])], 1):
            # the page fetched the frame without masks when the user stopped on it
            page.wait_for_function("performance.getEntriesByType('resource').some("
                                   "e => e.name.includes('/api/frame/0.jpg?plain=1'))",
                                   timeout=SLOW_MS)  # fmt: skip
            fetched.clear()
            frame.click(position={"x": point[0] * box["width"] / W,
                                  "y": point[1] * box["height"] / H}, modifiers=modifiers)
            expect(page.get_by_test_id("object-1")).to_contain_text(f"{step} prompt",
                                                                    timeout=SLOW_MS)  # fmt: skip
            expect(page.get_by_test_id("status")).to_have_text("ready", timeout=SLOW_MS)
            page.wait_for_function(f"Number(document.getElementById('frame').dataset"
                                   f".layerVersion || 0) > {last_version}",
                                   timeout=SLOW_MS)  # fmt: skip
            last_version = live.call("/api/state")[1]["version"]
            assert frame.evaluate("f => f.dataset.layerVersion") == str(last_version)
            assert not [u for u in fetched if re.search(r"/api/frame/\d+\.jpg\?v=", u)]
            assert page.get_by_test_id("mask-layer").is_visible()
            click_ms = frame.evaluate("f => Number(f.dataset.clickMs)")
            png = frame.screenshot(path=str(shots / f"0{step}-click-{step}.png"))
            seen = at_video_pixels(picture(png))

            mask = live.studio.view_source().masks_at(0)[1] > 0.5
            assert 0 < mask.mean() < 1, "random weights gave an empty or full mask"
            expected = overlay(plain, {1: mask}).astype(np.int16)
            cv2.circle(near_marks, (int(point[0]), int(point[1])), 7, 1, -1)  # the click's dot
            # compared where a pixel and its 8 neighbours are all in or all out of the mask
            # (the browser's scaling blurs the edges) and away from the click's dot
            ring = np.ones((3, 3), np.uint8)
            clear = cv2.erode(mask.view(np.uint8), ring) | cv2.erode((~mask).view(np.uint8), ring)
            clear = clear.astype(bool) & (near_marks == 0)
            assert clear.sum() > 0.5 * clear.size
            wrong = differs(seen, expected)[clear].mean()
            untinted = differs(seen, plain)[clear & mask].mean()
            print(f"click {step}: mask on screen {click_ms} ms after the click (browser); "
                  f"{100 * wrong:.2f}% of clear pixels off the overlay, "
                  f"{100 * untinted:.1f}% of the mask's pixels tinted")
            assert wrong < 0.02  # the server's overlay, pixel for pixel
            assert untinted > 0.9  # and that overlay is a visible tint
            if step == 2:  # where the first click's mask was and the second's is not: no tint
                gone = clear & first_mask & ~mask
                print(f"  {gone.sum()} clear pixels left the mask with the Shift+click")
                if gone.any():
                    assert differs(seen, expected)[gone].mean() < 0.05
            first_mask = mask
