"""The bundle's contents rules (installer/bundle_rules.py), checked against the source tree.

Fast checks, no build: every resource the code refers to is in the spec's data list, the
spec really uses that list, and nothing the app imports is excluded from the bundle. The
real bundle is checked in test_bundle_build.py.
"""

from __future__ import annotations

import ast
import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import paths
from tests.installer import INSTALLER, ROOT, load_rules

rules = load_rules()
RESOURCES = ROOT / "resources"


# ----------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Reference:
    """A place in the app's code that reads something under resources/."""

    where: str
    parts: tuple[str, ...]  # path under resources/
    exact: bool  # False: only a folder is known (the rest is computed), so any file in it


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _constant_prefix(args: list[ast.expr]) -> tuple[tuple[str, ...], bool]:
    parts: list[str] = []
    for arg in args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            parts.extend(p for p in arg.value.split("/") if p)
        else:
            return tuple(parts), False
    return tuple(parts), True


def _path_operands(node: ast.BinOp) -> tuple[ast.expr, list[ast.expr]]:
    """`resources_dir() / "a" / x` -> (resources_dir(), ["a", x])."""
    operands: list[ast.expr] = []
    left: ast.expr = node
    while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div):
        operands.insert(0, left.right)
        left = left.left
    return left, operands


def code_references(app_dir: Path, resources_dir: Path) -> Iterator[Reference]:
    """Calls of `resource(...)`, paths built on `resources_dir()`, and string literals naming
    a file under resources/ (tables of file names such as the fonts selftest checks)."""
    files = [p for p in resources_dir.rglob("*") if p.is_file()]
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name, []).append(path.relative_to(resources_dir))
    by_relative = {p.relative_to(resources_dir).as_posix() for p in files}
    for source in sorted(app_dir.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        rel = source.relative_to(app_dir.parent).as_posix()
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _call_name(node.func) == "resource":
                parts, exact = _constant_prefix(node.args)
                yield Reference(where, parts, exact and not (resources_dir.joinpath(*parts)).is_dir())
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                base, operands = _path_operands(node)
                if isinstance(base, ast.Call) and _call_name(base.func) == "resources_dir":
                    parts, exact = _constant_prefix(operands)
                    yield Reference(where, parts, exact and not (resources_dir.joinpath(*parts)).is_dir())
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for found in by_name.get(node.value, ()):
                    yield Reference(where, found.parts, True)
                if node.value in by_relative and "/" in node.value:
                    yield Reference(where, tuple(node.value.split("/")), True)


def missing_from_bundle(
    references: list[Reference], bundled: set[str], resources_dir: Path
) -> list[str]:
    """What the code reads that the data list does not put into the bundle's resources/."""
    missing = []
    for ref in references:
        if ref.exact:
            wanted = ["/".join(("resources", *ref.parts))]
        else:
            folder = resources_dir.joinpath(*ref.parts)
            wanted = [
                "resources/" + p.relative_to(resources_dir).as_posix()
                for p in (folder.rglob("*") if folder.is_dir() else [])
                if p.is_file()
            ]
        missing += [f"{w} (used at {ref.where})" for w in wanted if w not in bundled]
    return sorted(set(missing))


# ----------------------------------------------------------------------------- resources


def test_the_code_refers_to_resources_and_the_scan_finds_them() -> None:
    references = list(code_references(ROOT / "app", RESOURCES))
    found = {"/".join(r.parts) for r in references if r.exact}
    # The fonts the UI registers and selftest checks, named in tables of file names.
    assert "fonts/NotoSans-Regular.ttf" in found
    assert "fonts/NotoSerif-Bold.ttf" in found
    # A computed name (i18n catalogue per language) counts as its whole folder.
    assert any(r.parts == ("i18n",) and not r.exact for r in references)


def test_every_resource_the_code_refers_to_is_in_the_data_list() -> None:
    references = list(code_references(ROOT / "app", RESOURCES))
    bundled = rules.bundled_paths(rules.data_files())
    assert missing_from_bundle(references, bundled, RESOURCES) == []


def test_resources_named_in_full_exist_in_the_source_tree() -> None:
    absent = [
        f"resources/{'/'.join(r.parts)} (used at {r.where})"
        for r in code_references(ROOT / "app", RESOURCES)
        if r.exact and not RESOURCES.joinpath(*r.parts).is_file()
    ]
    assert absent == []


def test_every_file_under_resources_is_in_the_data_list() -> None:
    bundled = rules.bundled_paths(rules.data_files())
    shipped = {
        "resources/" + p.relative_to(RESOURCES).as_posix()
        for p in RESOURCES.rglob("*")
        if p.is_file() and not rules._ignored(p)
    }
    assert shipped, "resources/ holds at least the fonts"
    assert sorted(shipped - bundled) == []


def test_a_resource_the_rules_leave_out_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if someone added "*.ttf" to the ignore list: the fonts the code reads must show up.
    monkeypatch.setattr(rules, "IGNORED_FILES", (*rules.IGNORED_FILES, "*.ttf"))
    references = list(code_references(ROOT / "app", RESOURCES))
    missing = missing_from_bundle(references, rules.bundled_paths(rules.data_files()), RESOURCES)
    assert any(m.startswith("resources/fonts/NotoSans-Regular.ttf") for m in missing)


def test_a_new_resource_in_a_computed_folder_must_be_packaged(tmp_path: Path) -> None:
    # resource("i18n", f"{code}.json") may read any file in i18n/: a catalogue the data
    # list lacks is reported.
    (tmp_path / "resources" / "i18n").mkdir(parents=True)
    (tmp_path / "resources" / "i18n" / "en.json").write_text("{}", encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "i18n.py").write_text(
        "def load(code):\n    return resource('i18n', f'{code}.json')\n", encoding="utf-8"
    )
    references = list(code_references(tmp_path / "app", tmp_path / "resources"))
    assert missing_from_bundle(references, set(), tmp_path / "resources") == [
        "resources/i18n/en.json (used at app/i18n.py:2)"
    ]
    assert missing_from_bundle(references, {"resources/i18n/en.json"}, tmp_path / "resources") == []


def test_data_lands_where_paths_looks_for_it() -> None:
    """In the bundle, paths.py resolves resources/ and the migrations relative to the
    bundle root exactly as it does relative to the source tree."""
    entries = rules.data_files()
    dests = {dest for _src, dest in entries}
    assert paths.resources_dir().relative_to(ROOT).as_posix() == rules.RESOURCES
    migrations = paths.migrations_dir().relative_to(ROOT).as_posix()
    assert migrations in rules.SOURCE_DATA_DIRS
    bundled = rules.bundled_paths(entries)
    scripts = sorted(p for p in paths.migrations_dir().rglob("*") if p.suffix in (".py", ".mako"))
    assert scripts, "the migrations folder holds env.py, the template and the revisions"
    for script in scripts:
        assert script.relative_to(ROOT).as_posix() in bundled, script
    assert f"{migrations}/versions" in dests


def test_the_spec_builds_with_the_shared_rules() -> None:
    """hocba.spec takes its data list, hidden imports and excludes from bundle_rules."""
    tree = ast.parse((INSTALLER / "hocba.spec").read_text(encoding="utf-8"))
    assigned = {
        node.targets[0].id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    datas = assigned["datas"]
    assert isinstance(datas, ast.Call) and _call_name(datas.func) == "data_files"
    analysis = next(
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and _call_name(node.func) == "Analysis"
    )
    keywords = {k.arg: k.value for k in analysis.keywords}
    for name in ("datas", "hiddenimports", "excludes"):
        assert isinstance(keywords[name], ast.Name) and keywords[name].id == name, name
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for rule in ("migration_imports", "dependency_modules", "is_bundled_app_module", "qt_excludes",
                 "keep_qt_plugin", "keep_qt_translation", "vendor_pkcs11_names"):  # fmt: skip
        assert rule in used, rule


# ----------------------------------------------------------------------------- imports


def _app_imports() -> Iterator[tuple[str, str]]:
    for source in sorted((ROOT / "app").rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{source.relative_to(ROOT).as_posix()}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, where
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield node.module, where
                for alias in node.names:
                    yield f"{node.module}.{alias.name}", where


def test_the_app_imports_nothing_the_bundle_excludes() -> None:
    import PySide6

    excluded = set(rules.PYTHON_EXCLUDES) | set(rules.qt_excludes(Path(PySide6.__file__).parent))
    clashes = sorted(
        f"{module} ({where})"
        for module, where in _app_imports()
        for ex in excluded
        if module == ex or module.startswith(ex + ".")
    )
    assert clashes == []


def test_every_pyside_module_the_app_imports_is_allowed() -> None:
    used = rules.pyside_modules_imported()
    assert {"QtCore", "QtGui", "QtWidgets"} <= used
    assert sorted(used - rules.QT_MODULES_ALLOWED) == []


def test_unused_qt_families_are_excluded() -> None:
    import PySide6

    excluded = set(rules.qt_excludes(Path(PySide6.__file__).parent))
    for family in ("QtWebEngineCore", "QtQml", "QtQuick", "Qt3DCore", "QtMultimedia", "QtCharts",
                   "QtDataVisualization", "QtDesigner"):  # fmt: skip
        installed = any(Path(PySide6.__file__).parent.glob(f"{family}.*"))
        if installed:
            assert f"PySide6.{family}" in excluded, family
    assert not {f"PySide6.{m}" for m in rules.QT_MODULES_ALLOWED} & excluded


def test_migration_scripts_imports_become_hidden_imports() -> None:
    found = set(rules.migration_imports())
    assert {"alembic.op", "alembic.context", "sqlalchemy"} <= found
    assert "sqlalchemy.Column" not in found, "names that are not modules are left out"


def test_every_declared_dependency_is_bundled_by_name() -> None:
    modules = set(rules.dependency_modules())
    by_module = importlib.metadata.packages_distributions()
    covered = {rules._normalise(d) for m in modules for d in by_module.get(m, ())}
    assert sorted(set(rules.declared_dependencies()) - covered) == []
    # selftest imports these by name only: they must be bundled by the dependency rule.
    assert {"keyring", "openpyxl", "argon2", "pkcs11"} <= modules


def test_app_modules_are_bundled_but_not_the_migration_scripts() -> None:
    assert rules.is_bundled_app_module("app.cli.smoke")
    assert rules.is_bundled_app_module("app.models.db")
    assert not rules.is_bundled_app_module("app.models.migrations.env")
    assert not rules.is_bundled_app_module("app.models.migrations.versions.0001_school_data_model")


# ----------------------------------------------------------------------------- Qt, binaries


@pytest.mark.parametrize(
    ("plugin_type", "filename", "kept"),
    [
        ("platforms", "libqoffscreen.so", True),
        ("platforms", "qwindows.dll", True),
        ("platforms", "libqxcb.so", True),
        ("platforms", "libqwayland.so", False),
        ("platforms", "libqeglfs.so", False),
        ("platformthemes", "libqgtk3.so", False),
        ("imageformats", "qsvg.dll", True),
        ("imageformats", "libqtiff.so", False),
        ("wayland-shell-integration", "libxdg-shell.so", False),
        ("tls", "qschannelbackend.dll", False),
        ("styles", "qmodernwindowsstyle.dll", True),  # a type without rules keeps everything
        ("printsupport", "libcupsprintersupport.so", True),
    ],
)
def test_qt_plugin_rules(plugin_type: str, filename: str, kept: bool) -> None:
    assert rules.keep_qt_plugin(plugin_type, filename) is kept


def test_qt_translations_only_for_languages_the_app_speaks() -> None:
    assert rules.keep_qt_translation("qtbase_vi.qm", {"vi"})
    assert not rules.keep_qt_translation("qtbase_de.qm", {"vi"})
    assert rules.keep_qt_translation("qt_pt_BR.qm", {"vi", "pt"})


def test_token_vendor_modules_are_recognised_and_never_bundled() -> None:
    names = rules.vendor_pkcs11_names()
    assert {"etpkcs11.dll", "vnpt-ca_csp11.dll", "viettel-ca_v6.dll", "libsofthsm2.so"} <= names
    assert rules.is_vendor_pkcs11("_internal\\eTPKCS11.dll", names)
    assert not rules.is_vendor_pkcs11("pkcs11/_pkcs11.cpython-311-x86_64-linux-gnu.so", names)


def test_opengl_fallbacks_are_dropped() -> None:
    assert rules.is_dropped_library("PySide6\\opengl32sw.dll")
    assert rules.is_dropped_library("PySide6/d3dcompiler_47.dll")
    assert not rules.is_dropped_library("PySide6/Qt6Gui.dll")
    assert "is_dropped_library" in (INSTALLER / "hocba.spec").read_text(encoding="utf-8")


def test_vendor_table_missing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x.py").write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(LookupError):
        rules.vendor_pkcs11_names(tmp_path)


# ----------------------------------------------------------------------------- version


def test_one_version_number() -> None:
    from app import __version__

    version = rules.project_version()
    assert __version__ == version, "reinstall the project (pip install -e .) after changing the version"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{version}]" in changelog, "CHANGELOG.md has no section for the version in pyproject.toml"
    assert rules.numeric_version(version)[:3] == tuple(int(p) for p in version.split(".")[:3])
    assert rules.numeric_version("0.2.0rc1") == (0, 2, 0, 0)
