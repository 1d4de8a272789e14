"""`vfx --help` starts fast: no numpy, torch, OpenCV or PyAV until a command needs them."""

from __future__ import annotations

import json
import subprocess
import sys


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys, json; from vfx.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('numpy', 'torch', 'cv2', 'av', 'moviepy', 'yaml')"
        " if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Commands:" in out.stdout
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
