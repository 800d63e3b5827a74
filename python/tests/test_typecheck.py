"""`mypy --strict` passes over the SDK and the example workers, and refuses the mistakes it should (issue 14)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
WRONG = PYTHON_DIR / "tests" / "typecheck" / "wrong_worker.py"


def mypy(*targets: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("mypy") is None and subprocess.run([sys.executable, "-c", "import mypy"], capture_output=True).returncode:
        if os.environ.get("CI"):
            pytest.fail("mypy is not installed (Debian package mypy); CI must run the type check")
        pytest.skip("mypy is not installed (apt-get install mypy)")
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull, *targets],
                          capture_output=True, text=True, cwd=PYTHON_DIR, timeout=300)


def test_the_sdk_and_the_examples_pass_mypy_strict():
    done = mypy("warren", "examples")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout


def test_wrong_handlers_and_unknown_codes_do_not_typecheck():
    done = mypy(str(WRONG.relative_to(PYTHON_DIR)))
    reported = {int(m.group(1)) for m in re.finditer(r"wrong_worker\.py:(\d+): error", done.stdout)}
    expected = {n for n, line in enumerate(WRONG.read_text().splitlines(), 1) if line.endswith("# expect-error")}
    assert reported == expected, done.stdout
