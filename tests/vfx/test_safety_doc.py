"""docs/safety.md lists every resource bound with its real default."""

from __future__ import annotations

from pathlib import Path

from vfx.limits import ALL_LIMITS

DOC = Path(__file__).resolve().parents[2] / "docs" / "safety.md"


def test_every_limit_is_documented_with_its_default() -> None:
    text = DOC.read_text(encoding="utf-8")
    for limit in ALL_LIMITS:
        row = next((line for line in text.splitlines() if f"`{limit.env}`" in line), None)
        assert row is not None, limit.env
        default = limit.default
        shown = (
            f"{default >> 20} MiB"
            if default >= 1 << 20 and default % (1 << 20) == 0
            else str(default)
        )
        assert f"| {shown} |" in row, (row, shown)


def test_readme_links_the_safety_page() -> None:
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/safety.md" in readme
