"""The wheel and sdist, and python/README.md's commands, proved from outside the repository (issue 13, Python).

Builds the sdist and, from it, the wheel; checks they declare every package
the SDK imports; installs the wheel into a fresh virtual environment (system
site packages allowed: on this machine the dependencies come from Debian, and
there is no PyPI); then, from an unrelated directory, unit-tests a user's
worker with `warren.testing` and runs it with the documented command against
RabbitMQ.
"""
from __future__ import annotations

import ast
import asyncio
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
#: Import name → distribution name, for the packages the SDK may import.
DISTRIBUTIONS = {"aio_pika": "aio-pika", "aiormq": "aiormq", "yarl": "yarl", "jsonschema": "jsonschema"}

README = PYTHON_DIR / "README.md"


def readme_block(first_line: str) -> str:
    """The ```python block of python/README.md that starts with `first_line`: the docs are what is tested."""
    for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"python/README.md has no python block starting {first_line!r}")


CHECK_INSTALLED = '''
import warren
print("warren from", warren.__file__)
'''


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (PYTHON_DIR / "warren").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            found.update(name.split(".")[0] for name in names)
    return {name for name in found if name not in sys.stdlib_module_names and name != "warren"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if subprocess.run([sys.executable, "-c", "import build, ensurepip"], capture_output=True).returncode:
        message = "python3-build and python3-venv are needed (apt-get install python3-build python3-venv)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    shutil.copytree(PYTHON_DIR, source, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info", "build", "dist"))
    dist = root / "dist"
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    wheel = next(dist.glob("warren-*.whl"))
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    app = root / "app"  # the user's project: nowhere near the repository
    app.mkdir()
    (app / "greeter.py").write_text(readme_block("# greeter.py"))
    (app / "test_greeter.py").write_text(readme_block("# test_greeter.py"))
    (app / "where.py").write_text(CHECK_INSTALLED)
    return {"dist": dist, "venv": venv, "app": app, "wheel": wheel, "sdist": next(dist.glob("warren-*.tar.gz"))}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WARREN_PROTOCOL_JSON")}
    return {**env, "PYTHONUNBUFFERED": "1"}


def test_the_wheel_and_sdist_declare_every_import_and_carry_the_protocol_files(built):
    imports = _third_party_imports()
    assert imports <= set(DISTRIBUTIONS), f"imported but not mapped to a distribution: {imports - set(DISTRIBUTIONS)}"
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = set(wheel.namelist())
        metadata = next(wheel.read(n).decode() for n in names if n.endswith("/METADATA"))
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith("/entry_points.txt"))
    required = {line.split(":", 1)[1].strip().split()[0].split(">")[0].split(";")[0] for line in metadata.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert {DISTRIBUTIONS[name] for name in imports} <= required, metadata
    for path in ("warren/protocol_json/errors.json", "warren/protocol_json/topology.json", "warren/protocol_json/schemas.json",
                 "warren/py.typed", "warren/testing.py", "warren/runner.py", "warren/__main__.py", "warren/transport/amqp.py"):
        assert path in names
    assert "warren-worker = warren.runner:console" in entry_points
    with tarfile.open(built["sdist"]) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    assert {"pyproject.toml", "README.md", "warren/protocol_json/errors.json", "warren/testing.py"} <= members


def test_the_installed_package_runs_the_readmes_test_from_an_unrelated_directory(built):
    python = str(built["venv"] / "bin" / "python")
    where = subprocess.run([python, "where.py"], cwd=built["app"], env=_env(), capture_output=True, text=True, timeout=120)
    assert str(built["venv"]) in where.stdout, where.stdout + where.stderr  # the installed copy, not the checkout
    done = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "asyncio_mode=auto", "test_greeter.py"],
                          cwd=built["app"], env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    missing = subprocess.run([python, "-m", "warren", "run", "nosuch:worker"], cwd=built["app"], env=_env(),
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.strip() == "warren: cannot import 'nosuch': No module named 'nosuch'"


@pytest.mark.integration
@pytest.mark.parametrize("command", [["-m", "warren", "run", "greeter:worker"], ["warren-worker", "greeter:worker"]])
async def test_the_documented_command_serves_the_worker(built, rabbitmq, command):
    from raw_amqp_gateway import AmqpGateway

    namespace = "t" + uuid.uuid4().hex[:12]
    bin_dir = built["venv"] / "bin"
    argv = [str(bin_dir / "python"), *command] if command[0] == "-m" else [str(bin_dir / command[0]), *command[1:]]
    env = {**_env(), "AMQP_URL": rabbitmq, "WARREN_NAMESPACE": namespace}
    process = subprocess.Popen(argv, cwd=built["app"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    gateway = AmqpGateway(rabbitmq, namespace)
    try:
        await gateway.start()
        rid = None
        for _ in range(100):  # until the worker declared its queue
            try:
                rid = await gateway.request("greet", {"name": "Ada"})
                break
            except Exception:  # noqa: BLE001 - unroutable until the worker is up
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
        assert rid is not None, "the worker never came up"
        chunks, final = await gateway.until_final(rid)
        assert [c["data"] for c in chunks] == [{"word": "Hello"}, {"word": ","}, {"word": " Ada"}]
        assert final["data"] == {"greeting": "Hello, Ada"}
        process.send_signal(signal.SIGTERM)
        assert await asyncio.get_running_loop().run_in_executor(None, process.wait, 20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        output = process.communicate()[0]
        await gateway.delete_everything(["greet"])
    assert "Traceback" not in output, output
    if importlib.util.find_spec("uvloop") is not None:  # python3-uvloop installed: run() picks it
        assert "event loop: uvloop" in output, output
