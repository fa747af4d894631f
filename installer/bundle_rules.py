"""What goes into the PyInstaller bundle, as rules rather than lists of today's files.

Shared by installer/hocba.spec (which builds with it) and tests/installer (which check the
rules against the source tree and against a real build), so the two cannot drift apart.
Plain Python, no PyInstaller import: the tests load it without building anything.

Rules:
- Data: everything under resources/ (fonts, icons, translations, XSD, trust roots); every
  non-Python file inside the app package (package data such as Alembic's script template
  or an XSD kept beside its module); and the Alembic migration scripts, which Alembic
  reads from disk by path, so they ship as files too.
- Qt: the PySide6 modules in `QT_MODULES_ALLOWED` may be bundled (PyInstaller bundles
  only those actually imported); every other PySide6 module is excluded outright, so no
  hook pulls in WebEngine, QML, 3D, Multimedia… A test checks that every PySide6 module
  the app imports is allowed.
- Qt plugins: for the plugin types in `QT_PLUGINS_KEPT`, only the named plugins; the
  types in `QT_PLUGIN_TYPES_DROPPED`, none; any other type, all (a new module's plugins
  are not lost silently).
- Never bundled: the token vendors' PKCS#11 modules (the school installs the vendor's
  driver; a copy in our folder would go stale and the CA's licence does not allow it).
"""

from __future__ import annotations

import ast
import fnmatch
import importlib.metadata
import importlib.util
import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "hocba"  # the one-folder bundle's folder name and the GUI executable's name
CONSOLE_NAME = "hocba-console"
CONTENTS_DIR = "_internal"  # beside the executables: libraries, data, Qt
RESOURCES = "resources"
APP_PACKAGE = "app"
# Folders inside the app package whose .py files are data read by path (not imported).
SOURCE_DATA_DIRS = ("app/models/migrations",)
# Editor and OS litter, never shipped.
IGNORED_FILES = ("*.pyc", "*.pyo", "*~", ".DS_Store", "Thumbs.db", "desktop.ini", ".gitkeep", "*.swp")
IGNORED_DIRS = ("__pycache__", ".mypy_cache", ".pytest_cache")

QT_MODULES_ALLOWED = frozenset(
    {
        "QtCore", "QtGui", "QtWidgets",
        "QtPdf", "QtPdfWidgets",  # PDF preview of rendered records
        "QtSvg", "QtSvgWidgets",  # SVG icons
        "QtNetwork",  # linked by QtPdf; no plugin of it is shipped
        "QtPrintSupport",  # printing records
        "QtConcurrent", "QtDBus",  # linked by the above on some platforms
    }
)  # fmt: skip

# plugin type -> plugin base names kept (file name without "lib" prefix and extension).
QT_PLUGINS_KEPT: dict[str, frozenset[str]] = {
    # offscreen: selftest, smoke and CI; windows/xcb/cocoa: a real screen; minimal: fallback.
    "platforms": frozenset({"qwindows", "qxcb", "qcocoa", "qoffscreen", "qminimal"}),
    "imageformats": frozenset({"qgif", "qico", "qjpeg", "qsvg"}),  # PNG is built into QtGui
    "iconengines": frozenset({"qsvgicon"}),
    # compose + IBus: typing Vietnamese with an input method on Linux (Windows needs none).
    "platforminputcontexts": frozenset(
        {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}
    ),
    # GTK/portal themes would drag the system's GTK libraries into the bundle.
    "platformthemes": frozenset(),
}
QT_PLUGIN_TYPES_DROPPED = (
    "generic", "egldeviceintegrations", "wayland-*", "tls", "networkinformation", "sqldrivers",
    "qmltooling", "multimedia", "position", "sensors", "texttospeech", "webview", "designer",
    "renderers", "renderplugins", "sceneparsers", "geometryloaders", "assetimporters", "vectorimageformats",
)  # fmt: skip

# Libraries Qt's hooks add on Windows for OpenGL: the software renderer (opengl32sw.dll,
# about 20 MB) and Direct3D's shader compiler. A widgets app that renders PDFs into images
# never uses OpenGL, so the fallback renderer is dead weight.
LIBRARIES_DROPPED = ("opengl32sw.dll", "d3dcompiler_*.dll", "libEGL.dll", "libGLESv2.dll")

# Python packages that are only ever imported by development tools or by optional code paths
# of libraries we do not use. A test checks that no app module imports any of them.
PYTHON_EXCLUDES = (
    "tkinter", "_tkinter", "turtle", "idlelib", "lib2to3", "pydoc_data",
    "pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "ruff", "importlinter", "grimp",
    "IPython", "PyInstaller", "pip", "setuptools", "pkg_resources", "wheel", "distutils",
    "numpy", "matplotlib", "pandas", "scipy",
    "pygments",  # Mako's optional syntax highlighting of template errors (4.5 MB)
    "PIL.AvifImagePlugin", "PIL._avif",  # AVIF images: libavif alone is 4.7 MB
    "PIL.ImageTk", "PIL._imagingtk", "PIL.ImageQt",
    # lxml's hook takes every submodule; the app and its libraries use lxml.etree (objectify
    # alone is 2.8 MB).
    "lxml.objectify", "lxml.isoschematron",
    # The desktop app speaks SQLite only. Drivers for other databases and server frameworks
    # (the hub's) get pulled in through optional imports of SQLAlchemy's dialects and yarl
    # whenever they are installed in the build environment.
    "psycopg", "psycopg_binary", "psycopg_c", "psycopg2", "asyncpg", "pymysql", "MySQLdb",
    "oracledb", "cx_Oracle", "pyodbc", "pydantic", "pydantic_core",
    "fastapi", "starlette", "uvicorn",
)  # fmt: skip


def project_version(root: Path = ROOT) -> str:
    """The one version number, from pyproject.toml."""
    with (root / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def numeric_version(version: str) -> tuple[int, int, int, int]:
    """`0.2.0rc1` -> (0, 2, 0, 0): Windows file and installer versions take four numbers."""
    parts = [int(m.group()) if (m := re.match(r"\d+", piece)) else 0 for piece in version.split(".")[:4]]
    a, b, c, d = [*parts, 0, 0, 0, 0][:4]
    return (a, b, c, d)


# ----------------------------------------------------------------------------- data files


def _ignored(path: Path) -> bool:
    return any(part in IGNORED_DIRS for part in path.parts) or any(
        fnmatch.fnmatch(path.name, pattern) for pattern in IGNORED_FILES
    )


def _files_under(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not _ignored(path):
                yield path


def _is_package_data(relative: PurePosixPath) -> bool:
    if relative.suffix != ".py":
        return True
    return any(relative.is_relative_to(d) for d in SOURCE_DATA_DIRS)


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, destination folder in the bundle) for every data file the app reads."""
    entries: list[tuple[str, str]] = []
    for path in _files_under(root / RESOURCES):
        entries.append((str(path), path.parent.relative_to(root).as_posix()))
    for path in _files_under(root / APP_PACKAGE):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if _is_package_data(relative):
            entries.append((str(path), relative.parent.as_posix()))
    return entries


def bundled_paths(entries: Iterable[tuple[str, str]]) -> set[str]:
    """The paths, relative to the bundle's data root, that `entries` put there."""
    return {f"{dest}/{Path(src).name}" for src, dest in entries}


# ----------------------------------------------------------------------------- imports


def _imports_of(path: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, tuple(alias.name for alias in node.names)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def migration_imports(root: Path = ROOT) -> list[str]:
    """Modules the migration scripts import: PyInstaller never sees those files as code."""
    found: set[str] = set()
    for folder in SOURCE_DATA_DIRS:
        for path in _files_under(root / folder):
            if path.suffix != ".py":
                continue
            for module, names in _imports_of(path):
                found.add(module)
                # `from alembic import op`: op is a module; `from sqlalchemy import Column` is not.
                found.update(f"{module}.{n}" for n in names if n != "*" and _is_module(f"{module}.{n}"))
    return sorted(found)


def _normalise(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def declared_dependencies(root: Path = ROOT) -> list[str]:
    """Distribution names of pyproject's runtime dependencies (no extras, no dev tools)."""
    with (root / "pyproject.toml").open("rb") as f:
        requirements = tomllib.load(f)["project"]["dependencies"]
    return [_normalise(re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0]) for r in requirements]


def dependency_modules(root: Path = ROOT) -> list[str]:
    """Top-level modules of every declared dependency, so each is bundled even when only a
    dynamic import uses it (selftest imports its library list by name)."""
    wanted = set(declared_dependencies(root))
    found = {
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if module.isidentifier() and any(_normalise(d) in wanted for d in distributions)
    }
    return sorted(found)


def is_bundled_app_module(name: str) -> bool:
    """Every module of the app, imported lazily or not, except migration scripts (data)."""
    dotted_data_dirs = tuple(d.replace("/", ".") for d in SOURCE_DATA_DIRS)
    return not any(name == d or name.startswith(d + ".") for d in dotted_data_dirs)


def pyside_modules_imported(root: Path = ROOT) -> set[str]:
    """Short names (QtCore…) of the PySide6 modules any app module imports."""
    found: set[str] = set()
    for path in _files_under(root / APP_PACKAGE):
        if path.suffix != ".py":
            continue
        for module, names in _imports_of(path):
            parts = module.split(".")
            if parts[0] != "PySide6":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from PySide6 import QtCore
                found.update(n for n in names if n.startswith("Qt"))
    return found


# ----------------------------------------------------------------------------- Qt


def qt_excludes(pyside_dir: Path) -> list[str]:
    """Every PySide6 module installed that is not allowed, as module names to exclude."""
    names = {
        entry.name.split(".")[0]
        for entry in pyside_dir.iterdir()
        if entry.name.startswith("Qt")
        and (entry.suffix in (".so", ".pyd") or (entry / "__init__.py").is_file())  # not the Qt/ folder
    }
    return sorted(f"PySide6.{n}" for n in names - QT_MODULES_ALLOWED)


def plugin_base_name(filename: str) -> str:
    stem = filename.split(".")[0]
    return stem[3:] if stem.startswith("lib") else stem


def keep_qt_plugin(plugin_type: str, filename: str) -> bool:
    if any(fnmatch.fnmatch(plugin_type, pattern) for pattern in QT_PLUGIN_TYPES_DROPPED):
        return False
    kept = QT_PLUGINS_KEPT.get(plugin_type)
    return kept is None or plugin_base_name(filename) in kept


def app_languages(root: Path = ROOT) -> set[str]:
    """The languages the app speaks: Vietnamese, and every catalogue in resources/i18n."""
    return {"vi"} | {p.stem for p in (root / RESOURCES / "i18n").glob("*.json")}


def keep_qt_translation(filename: str, languages: set[str]) -> bool:
    """qtbase_vi.qm -> keep if "vi" is spoken; Qt's English needs no file."""
    stem = filename.rsplit(".", 1)[0]
    code = stem.split("_", 1)[1] if "_" in stem else ""
    return code in languages or code.split("_")[0] in languages


# ----------------------------------------------------------------------------- binaries


VENDOR_LIST_NAME = "KNOWN_MODULES"  # the app's table of token vendors' module file names
_LIBRARY_NAME = re.compile(r"[^/\\]+\.(dll|so(\.\d+)*)$", re.IGNORECASE)


def vendor_pkcs11_names(root: Path = ROOT) -> set[str]:
    """File names (lower case) of the token vendors' PKCS#11 modules, from the app's own table.

    Read from the source (wherever `KNOWN_MODULES` lives) rather than imported, so the
    signing package can move it without breaking the build.
    """
    names = {"libsofthsm2.so", "softhsm2.dll", "softhsm2-x64.dll"}
    tables = 0
    for path in _files_under(root / APP_PACKAGE):
        if path.suffix != ".py" or VENDOR_LIST_NAME not in path.read_text(encoding="utf-8"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets = (
                [node.target] if isinstance(node, ast.AnnAssign)
                else node.targets if isinstance(node, ast.Assign) else []
            )  # fmt: skip
            if not any(isinstance(t, ast.Name) and t.id == VENDOR_LIST_NAME for t in targets):
                continue
            tables += 1
            for const in ast.walk(node):
                value = const.value if isinstance(const, ast.Constant) else None
                if isinstance(value, str) and _LIBRARY_NAME.search(value):
                    names.add(PurePosixPath(value).name.lower())
    if tables == 0:
        raise LookupError(f"no {VENDOR_LIST_NAME} table of PKCS#11 modules found under {APP_PACKAGE}/")
    return names


def is_dropped_library(dest_name: str) -> bool:
    name = PurePosixPath(dest_name.replace("\\", "/")).name.lower()
    return any(fnmatch.fnmatch(name, pattern.lower()) for pattern in LIBRARIES_DROPPED)


def is_vendor_pkcs11(dest_name: str, vendor_names: set[str]) -> bool:
    return PurePosixPath(dest_name.replace("\\", "/")).name.lower() in vendor_names
