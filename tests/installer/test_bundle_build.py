"""Build the real one-folder bundle with installer/build_linux.sh and run it.

This is what catches a hidden import or data file the bundle lacks: `selftest` and `smoke`
run from the bundle's own executables, with no source tree or virtualenv on their path.
The build goes into a fresh temporary folder every run (nothing cached between runs);
its time and size go to test-artifacts/bundle-build.txt, the smoke test's screenshot to
test-artifacts/bundle-main-window.png.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS
from tests.installer import INSTALLER, ROOT, load_rules

pytestmark = pytest.mark.slow
rules = load_rules()


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    # The GUI writes its log under the user's data folder: keep that inside the test.
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
    return env


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    out = tmp_path_factory.mktemp("bundle-build")
    env = dict(os.environ, PYTHON=sys.executable)
    proc = subprocess.run(
        ["bash", str(INSTALLER / "build_linux.sh"), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    bundle = out / "dist" / rules.APP_NAME
    ARTIFACTS.mkdir(exist_ok=True)
    summary = [line for line in proc.stdout.splitlines() if line.startswith(("Học bạ số", "build time"))]
    (ARTIFACTS / "bundle-build.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")
    print("\n".join(summary))
    yield bundle, out / "home"
    shutil.rmtree(out, ignore_errors=True)


def run_bundle(build: tuple[Path, Path], *args: str) -> subprocess.CompletedProcess[str]:
    bundle, home = build
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [str(bundle / rules.CONSOLE_NAME), *args],
        cwd=home, env=_env(home), capture_output=True, text=True, encoding="utf-8", timeout=600,
    )  # fmt: skip


def test_both_executables_share_one_folder(build: tuple[Path, Path]) -> None:
    bundle, _home = build
    assert (bundle / rules.APP_NAME).is_file()
    assert (bundle / rules.CONSOLE_NAME).is_file()
    assert (bundle / rules.CONTENTS_DIR).is_dir()


def test_version_from_the_bundle(build: tuple[Path, Path]) -> None:
    proc = run_bundle(build, "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Học bạ số {rules.project_version()}"
    # From the bundled package metadata, not the source tree's fallback.
    contents = build[0] / rules.CONTENTS_DIR
    metadata = [p for p in contents.glob("hocbaso*-info/*") if p.name in ("METADATA", "PKG-INFO")]
    assert metadata, "the app's metadata is not in the bundle"
    assert f"Version: {rules.project_version()}" in metadata[0].read_text(encoding="utf-8").splitlines()


def test_selftest_passes_from_the_bundle(build: tuple[Path, Path]) -> None:
    proc = run_bundle(build, "selftest")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    checks = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert checks and all(line.startswith("[OK]") for line in checks), proc.stdout
    assert any(line.startswith("[OK] Qt:") for line in checks), "the frozen --qt-selfcheck ran"


def test_smoke_passes_from_the_bundle(build: tuple[Path, Path]) -> None:
    keep = build[1] / "smoke"
    proc = run_bundle(build, "smoke", "--out", str(keep))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "[LỖI]" not in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "Tất cả các bước đều ổn."
    shots = sorted(keep.glob("*/main-window.png"))
    assert shots, proc.stdout
    shutil.copyfile(shots[0], ARTIFACTS / "bundle-main-window.png")


def test_every_data_file_of_the_rules_is_in_the_bundle(build: tuple[Path, Path]) -> None:
    contents = build[0] / rules.CONTENTS_DIR
    missing = sorted(
        f"{dest}/{Path(src).name}"
        for src, dest in rules.data_files()
        if not (contents / dest / Path(src).name).is_file()
    )
    assert missing == []


def test_the_bundle_leaves_out_what_the_rules_exclude(build: tuple[Path, Path]) -> None:
    contents = build[0] / rules.CONTENTS_DIR
    files = [p.relative_to(contents).as_posix() for p in contents.rglob("*") if p.is_file()]
    vendor = rules.vendor_pkcs11_names()
    assert [f for f in files if rules.is_vendor_pkcs11(f, vendor)] == []
    unwanted = re.compile(r"Qt6?(WebEngine|Qml|Quick|3D|Multimedia|Charts|DataVisualization|Designer)", re.I)
    assert [f for f in files if unwanted.search(Path(f).name)] == []
    plugins = [f for f in files if "/plugins/" in f]
    assert any(f.endswith(("libqoffscreen.so", "qoffscreen.dll")) for f in plugins)
    dropped = [f for f in plugins if not rules.keep_qt_plugin(f.split("/")[-2], f.split("/")[-1])]
    assert dropped == []
    translations = [f for f in files if f.endswith(".qm")]
    languages = rules.app_languages()
    assert [f for f in translations if not rules.keep_qt_translation(Path(f).name, languages)] == []
