"""The Windows installer script, its Vietnamese messages and the release build script.

Inno Setup and PowerShell do not run here, so these tests read the files: the sections and
keys the release depends on (languages, shortcuts, the uninstall question about the
school's data, the version passed in by the build), and message names Inno knows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pytest

from app import paths
from tests.installer import INSTALLER, load_rules

rules = load_rules()
BOM = b"\xef\xbb\xbf"

# Message names of Inno Setup 6.4+'s [Messages] section (identifiers only), to catch a
# misspelt name in Vietnamese.isl before the Windows build does.
INNO_MESSAGES = frozenset(
    """
    AbortRetryIgnoreCancel AbortRetryIgnoreSelectAction AbortRetryIgnoreIgnore AbortRetryIgnoreRetry
    AboutSetupMenuItem AboutSetupMessage AboutSetupNote AboutSetupTitle AdminPrivilegesRequired
    ApplicationsFound ApplicationsFound2 BadDirName32 BadGroupName BeveledLabel BrowseDialogLabel
    BrowseDialogTitle ButtonBack ButtonBrowse ButtonCancel ButtonFinish ButtonInstall ButtonNewFolder
    ButtonNext ButtonNo ButtonNoToAll ButtonOK ButtonWizardBrowse ButtonYes ButtonYesToAll
    CannotContinue CannotInstallToNetworkDrive CannotInstallToUNCPath ChangeDiskTitle ClickFinish
    ClickNext CloseApplications CompactInstallation ComponentSize1 ComponentSize2
    ComponentsDiskSpaceMBLabel ConfirmDeleteSharedFile2 ConfirmDeleteSharedFileTitle ConfirmTitle
    ConfirmUninstall CustomInstallation DirDoesntExist DirDoesntExistTitle DirExists DirExistsTitle
    DirNameTooLong DiskSpaceMBLabel DiskSpaceWarning DiskSpaceWarningTitle DontCloseApplications
    ErrorChangingAttr ErrorCloseApplications ErrorCopying ErrorCreatingDir ErrorCreatingTemp
    ErrorExecutingProgram ErrorFunctionFailed ErrorFunctionFailedNoCode ErrorFunctionFailedWithMessage
    ErrorIniEntry ErrorInternal2 ErrorOpeningReadme ErrorReadingExistingDest ErrorReadingSource
    ErrorRegCreateKey ErrorRegisterServer ErrorRegisterTypeLib ErrorRegOpenKey ErrorRegSvr32Failed
    ErrorRegWriteKey ErrorRenamingTemp ErrorReplacingExistingFile ErrorRestartingComputer
    ErrorRestartReplace ErrorTitle ErrorTooManyFilesInDir ExitSetupMessage ExitSetupTitle
    FileNotInDir2 FinishedHeadingLabel FinishedLabel FinishedLabelNoIcons FinishedRestartLabel
    FinishedRestartMessage FullInstallation GroupNameTooLong HelpTextNote IncorrectPassword
    InfoAfterClickLabel InfoAfterLabel InfoBeforeClickLabel InfoBeforeLabel InformationTitle
    InstallingLabel InvalidDirName InvalidDrive InvalidGroupName InvalidParameter InvalidPath
    LastErrorMessage LdrCannotCreateTemp LdrCannotExecTemp LicenseAccepted LicenseLabel LicenseLabel3
    LicenseNotAccepted MustEnterGroupName NewFolderName NoProgramGroupCheck2 NoRadio NotOnThisPlatform
    NoUninstallWarning NoUninstallWarningTitle OnlyAdminCanUninstall OnlyOnTheseArchitectures
    OnlyOnThisPlatform PasswordEditLabel PasswordLabel1 PasswordLabel3 PathLabel
    PowerUserPrivilegesRequired PreparingDesc PreviousInstallNotCompleted ReadyLabel1 ReadyLabel2a
    ReadyLabel2b ReadyMemoComponents ReadyMemoDir ReadyMemoGroup ReadyMemoTasks ReadyMemoType
    ReadyMemoUserInfo RunEntryExec RunEntryShellExec SelectComponentsDesc SelectComponentsLabel2
    SelectDirBrowseLabel SelectDirDesc SelectDirectoryLabel SelectDirLabel3 SelectDiskLabel2
    SelectLanguageLabel SelectLanguageTitle SelectStartMenuFolderBrowseLabel SelectStartMenuFolderDesc
    SelectStartMenuFolderLabel3 SelectTasksDesc SelectTasksLabel2 SetupAborted SetupAlreadyRunning
    SetupAppRunningError SetupAppTitle SetupFileCorrupt SetupFileCorruptOrWrongVer SetupFileMissing
    SetupLdrStartupMessage SetupWindowTitle SharedFileNameLabel SharedFileLocationLabel ShowReadmeCheck
    ShutdownBlockReasonInstallingApp ShutdownBlockReasonUninstallingApp SourceDoesntExist
    SourceIsCorrupted StatusClosingApplications StatusCreateDirs StatusCreateIcons
    StatusCreateIniEntries StatusCreateRegistryEntries StatusExtractFiles StatusRegisterFiles
    StatusRestartingApplications StatusRollback StatusSavingUninstall StatusRunProgram
    StatusUninstalling TranslatorNote UninstallAppFullTitle UninstallAppTitle UninstallDataCorrupted
    UninstallDisplayNameMark UninstallDisplayNameMarks UninstallDisplayNameMark32Bit
    UninstallDisplayNameMark64Bit UninstallDisplayNameMarkAllUsers UninstallDisplayNameMarkCurrentUser
    UninstalledAll UninstalledAndNeedsRestart UninstalledMost UninstallAppRunningError
    UninstallNotFound UninstallOnlyOnWin64 UninstallOpenError UninstallStatusLabel
    UninstallUnknownEntry UninstallUnsupportedVer UserInfoDesc UserInfoName UserInfoNameRequired
    UserInfoOrg UserInfoSerial WelcomeLabel1 WelcomeLabel2 WindowsServicePackRequired
    WindowsVersionNotSupported WinVersionTooHighError WinVersionTooLowError WizardInfoAfter
    WizardInfoBefore WizardInstalling WizardLicense WizardPassword WizardPreparing WizardReady
    WizardSelectDir WizardSelectComponents WizardSelectProgramGroup WizardSelectTasks
    WizardUninstalling WizardUserInfo YesRadio
    """.split()  # noqa: SIM905 - a word list reads better than 240 quoted names
)
# Custom messages Inno's own Default.isl defines in every language.
INNO_CUSTOM_MESSAGES = frozenset(
    {"NameAndVersion", "AdditionalIcons", "CreateDesktopIcon", "UninstallProgram", "LaunchProgram",
     "ProgramOnTheWeb", "AssocFileExtension"}
)  # fmt: skip
# Placeholders Setup fills in: a translation that drops or adds one shows garbage.
PLACEHOLDERS = {
    "SetupWindowTitle": "%1", "UninstallAppFullTitle": "%1", "SetupLdrStartupMessage": "%1",
    "LastErrorMessage": "%1 %2 %3", "SetupFileMissing": "%1", "InvalidParameter": "%1",
    "OnlyOnTheseArchitectures": "%1", "WinVersionTooLowError": "%1 %2", "WinVersionTooHighError": "%1 %2",
    "SetupAppRunningError": "%1", "UninstallAppRunningError": "%1", "ErrorCreatingDir": "%1",
    "ErrorTooManyFilesInDir": "%1", "AboutSetupMessage": "%1 %2 %3 %4", "DiskSpaceWarning": "%1 %2",
    "BadDirName32": "%1", "DirExists": "%1", "DirDoesntExist": "%1", "RunEntryExec": "%1",
    "RunEntryShellExec": "%1", "ErrorInternal2": "%1", "ErrorFunctionFailedNoCode": "%1",
    "ErrorFunctionFailed": "%1 %2", "ErrorFunctionFailedWithMessage": "%1 %2 %3",
    "ErrorExecutingProgram": "%1", "SourceDoesntExist": "%1", "UninstallDisplayNameMark": "%1 %2",
    "UninstallDisplayNameMarks": "%1 %2 %3", "UninstallNotFound": "%1", "UninstallOpenError": "%1",
    "UninstallUnsupportedVer": "%1", "UninstallUnknownEntry": "%1", "ConfirmUninstall": "%1",
    "UninstallStatusLabel": "%1", "UninstalledAll": "%1", "UninstalledMost": "%1",
    "UninstalledAndNeedsRestart": "%1", "UninstallDataCorrupted": "%1", "StatusUninstalling": "%1",
    "ShutdownBlockReasonInstallingApp": "%1", "ShutdownBlockReasonUninstallingApp": "%1",
    "NameAndVersion": "%1 %2", "UninstallProgram": "%1", "LaunchProgram": "%1",
    "WelcomeLabel1": "[name]", "WelcomeLabel2": "[name/ver]", "SelectDirDesc": "[name]",
    "SelectDirLabel3": "[name]", "DiskSpaceMBLabel": "[mb]", "ReadyLabel1": "[name]",
    "PreparingDesc": "[name]", "InstallingLabel": "[name]", "FinishedHeadingLabel": "[name]",
    "FinishedLabel": "[name]", "FinishedLabelNoIcons": "[name]", "SelectTasksLabel2": "[name]",
    "PreviousInstallNotCompleted": "[name]", "FinishedRestartLabel": "[name]",
    "FinishedRestartMessage": "[name]",
}  # fmt: skip
_TOKEN = re.compile(r"%\d|\[name(?:/ver)?\]|\[mb\]")


@dataclass
class Script:
    """An Inno Setup script or messages file: preprocessor lines and sections of lines."""

    directives: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)

    def keys(self, section: str) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.sections[section] if "=" in line)

    def entries(self, section: str) -> list[dict[str, str]]:
        """`Name: "x"; Flags: a b` lines as {"Name": "x", "Flags": "a b"}."""
        result = []
        for line in self.sections[section]:
            entry = {}
            for key, raw in re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)', line):
                value = raw.strip()
                entry[key] = value[1:-1].replace('""', '"') if value.startswith('"') else value
            result.append(entry)
        return result


def parse(raw: bytes) -> Script:
    assert raw.startswith(BOM), "Inno reads Vietnamese text correctly only from UTF-8 with a BOM"
    script = Script()
    current = None
    for line in raw[len(BOM):].decode("utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(";") or (current == "Code" and not stripped):
            continue
        if stripped.startswith("#"):
            script.directives.append(stripped)
        elif re.fullmatch(r"\[\w+\]", stripped):
            current = stripped[1:-1]
            script.sections.setdefault(current, [])
        else:
            assert current is not None, f"text outside a section: {stripped}"
            script.sections[current].append(stripped)
    return script


@pytest.fixture(scope="module")
def iss() -> Script:
    return parse((INSTALLER / "hocba.iss").read_bytes())


@pytest.fixture(scope="module")
def isl() -> Script:
    return parse((INSTALLER / "Vietnamese.isl").read_bytes())


# ----------------------------------------------------------------------------- hocba.iss


def test_version_comes_from_the_build(iss: Script) -> None:
    assert "#ifndef AppVersion" in iss.directives
    assert any(d.startswith("#error") and "build.ps1" in d for d in iss.directives)
    setup = iss.keys("Setup")
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["VersionInfoVersion"] == "{#AppNumericVersion}"
    assert "{#AppVersion}" in setup["OutputBaseFilename"]
    assert not any(re.search(r"\d+\.\d+\.\d+", v) for k, v in setup.items() if k.startswith("AppVer"))


def test_per_machine_install_under_program_files(iss: Script) -> None:
    setup = iss.keys("Setup")
    assert setup["PrivilegesRequired"] == "admin"
    assert setup["DefaultDirName"].startswith("{autopf}\\")
    assert setup["ArchitecturesInstallIn64BitMode"] == "x64compatible"
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"]), "fixed AppId"
    assert setup["CloseApplications"] == "yes"


def test_vietnamese_and_english(iss: Script) -> None:
    languages = {e["Name"]: e["MessagesFile"] for e in iss.entries("Languages")}
    assert list(languages) == ["vi", "en"], "Vietnamese first: the fallback language"
    assert languages["vi"] == "compiler:Default.isl,Vietnamese.isl"
    assert languages["en"] == "compiler:Default.isl"
    assert (INSTALLER / "Vietnamese.isl").is_file()


def test_start_menu_and_desktop_shortcuts(iss: Script) -> None:
    icons = iss.entries("Icons")
    targets = {(e["Name"].split("\\")[0], e["Filename"]) for e in icons}
    assert ("{group}", "{app}\\{#AppExe}") in targets
    assert ("{autodesktop}", "{app}\\{#AppExe}") in targets
    desktop = next(e for e in icons if e["Name"].startswith("{autodesktop}"))
    assert desktop["Tasks"] == "desktopicon"
    assert any(t["Name"] == "desktopicon" for t in iss.entries("Tasks"))
    selftest = next(e for e in icons if "SelfTestShortcut" in e["Name"])
    assert "{#ConsoleExe}" in selftest["Parameters"] and selftest["Parameters"].endswith('selftest"')
    defines = dict(re.findall(r'#define (\w+) "([^"]*)"', "\n".join(iss.directives)))
    assert defines["AppExe"] == rules.APP_NAME + ".exe"
    assert defines["ConsoleExe"] == rules.CONSOLE_NAME + ".exe"


def test_installs_the_whole_bundle_and_replaces_it_on_upgrade(iss: Script) -> None:
    files = iss.entries("Files")
    bundle = next(e for e in files if e["Source"] == "{#BundleDir}\\*")
    assert {"recursesubdirs", "createallsubdirs", "ignoreversion"} <= set(bundle["Flags"].split())
    deleted = iss.entries("InstallDelete")
    assert [(e["Type"], e["Name"]) for e in deleted] == [("filesandordirs", "{app}\\" + rules.CONTENTS_DIR)]


def test_the_school_data_folder_is_the_one_the_app_uses(iss: Script) -> None:
    defines = dict(re.findall(r'#define (\w+) "([^"]*)"', "\n".join(iss.directives)))
    # platformdirs on Windows: <LocalAppData>\<author>\<app>; the installer's folder is the author's.
    assert defines["DataFolder"] == paths.APP_AUTHOR
    assert "ExpandConstant('{localappdata}\\{#DataFolder}')" in "\n".join(iss.sections["Code"])
    # Only the uninstall question may touch it: no install/uninstall entry names it.
    for section in ("Files", "InstallDelete", "UninstallDelete", "Dirs"):
        for line in iss.sections.get(section, []):
            assert "localappdata" not in line.lower() and "DataFolder" not in line, line


def test_uninstall_keeps_the_data_unless_the_box_is_ticked(iss: Script) -> None:
    code = "\n".join(iss.sections["Code"])
    assert "procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);" in code
    assert "TNewCheckBox" in code and "Check.Checked := False;" in code
    assert "if Check.Checked then" in code
    assert "MB_DEFBUTTON2" in code, "the second confirmation defaults to No"
    assert "if not UninstallSilent() then" in code
    # The only DelTree is guarded by the user's answer.
    assert code.count("DelTree(") == 1
    guarded = re.search(r"if RemoveSchoolData then\s+if not DelTree\(Dir", code)
    assert guarded, "DelTree must run only when RemoveSchoolData is set"
    assert "RemoveSchoolData := False;" in code


def test_every_custom_message_exists_in_both_languages(iss: Script, isl: Script) -> None:
    text = "\n".join(line for lines in iss.sections.values() for line in lines)
    used = set(re.findall(r"\{cm:(\w+)", text)) | set(re.findall(r"CustomMessage\('(\w+)'\)", text))
    assert {"RemoveDataCheck", "SelfTestShortcut", "CreateDesktopIcon"} <= used
    own = iss.keys("CustomMessages")
    vietnamese = {k.split(".", 1)[1] for k in own if k.startswith("vi.")} | set(isl.keys("CustomMessages"))
    english = {k.split(".", 1)[1] for k in own if k.startswith("en.")} | INNO_CUSTOM_MESSAGES
    assert sorted(used - vietnamese) == []
    assert sorted(used - (english | INNO_CUSTOM_MESSAGES)) == []
    for key, value in own.items():
        if key.startswith("vi."):
            assert unicodedata.is_normalized("NFC", value), key


def test_launch_after_install_runs_as_the_person_installing(iss: Script) -> None:
    run = iss.entries("Run")
    assert len(run) == 1
    assert {"postinstall", "runasoriginaluser", "skipifsilent"} <= set(run[0]["Flags"].split())


# ----------------------------------------------------------------------------- Vietnamese.isl


def test_vietnamese_messages_file(isl: Script) -> None:
    options = isl.keys("LangOptions")
    assert options["LanguageID"] == "$042A"
    assert options["LanguageName"] == "Tiếng Việt"
    messages = isl.keys("Messages")
    assert len(messages) > 100
    assert sorted(set(messages) - INNO_MESSAGES) == [], "names Inno Setup does not know"
    for name in ("ButtonNext", "ButtonInstall", "WelcomeLabel1", "FinishedLabel", "ConfirmUninstall"):
        assert name in messages, name


@pytest.mark.parametrize("section", ["Messages", "CustomMessages"])
def test_vietnamese_messages_keep_their_placeholders(isl: Script, section: str) -> None:
    for name, value in isl.keys(section).items():
        assert value.strip(), name
        assert unicodedata.is_normalized("NFC", value), name
        expected = PLACEHOLDERS.get(name, "")
        assert sorted(set(_TOKEN.findall(value))) == sorted(expected.split()), name


# ----------------------------------------------------------------------------- build.ps1


def test_build_script_reads_the_version_and_runs_every_step() -> None:
    raw = (INSTALLER / "build.ps1").read_bytes()
    assert raw.startswith(BOM), "Windows PowerShell reads UTF-8 scripts correctly only with a BOM"
    text = raw[len(BOM):].decode("utf-8")
    assert "r.project_version()" in text and "r.numeric_version(" in text
    assert "-m PyInstaller" in text and "installer\\hocba.spec" in text
    assert '"/DAppVersion=$Version"' in text and '"/DAppNumericVersion=$NumericVersion"' in text
    assert "installer\\hocba.iss" in text
    assert "selftest" in text and "smoke" in text
    assert "constraints.txt" in text
    # Steps in order: bundle, checks, installer.
    assert text.index("-m PyInstaller") < text.index("& $Console selftest") < text.index("& $Iscc")
