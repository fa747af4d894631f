; Học bạ số — Windows installer script (Inno Setup 6.4 or later).
;
; Wraps the PyInstaller one-folder build (installer/hocba.spec). Do not compile by hand:
; installer\build.ps1 builds the bundle, reads the version from pyproject.toml (the one
; place it is written) and runs
;   ISCC /DAppVersion=<version> /DAppNumericVersion=<a.b.c.d> /DBundleDir=<dist\hocba> hocba.iss
;
; Decisions (see installer/README.md):
; - Per-machine install under Program Files; needs an administrator once.
; - The school's data is NOT in the install folder: the app keeps it in the Windows
;   account's local (non-roaming) application data, %LOCALAPPDATA%\HocBaSo. Installing,
;   upgrading and uninstalling never touch it, unless the person uninstalling ticks the
;   box that asks for it to be deleted (and confirms).
; - Upgrades install over the previous version (same AppId): the bundle is replaced whole,
;   the data stays, and the app migrates the database the next time it opens it.

#if VER < EncodeVer(6, 4, 0)
  #error Inno Setup 6.4 or later is required (CreateCustomForm with a size, x64compatible)
#endif
#ifndef AppVersion
  #error AppVersion is not set: build with installer\build.ps1, which reads it from pyproject.toml
#endif
#ifndef AppNumericVersion
  #define AppNumericVersion AppVersion
#endif
#ifndef BundleDir
  #define BundleDir "..\dist\hocba"
#endif
#ifndef OutputDir
  #define OutputDir "..\dist"
#endif

#define AppName "Học bạ số"
#define AppExe "hocba.exe"
#define ConsoleExe "hocba-console.exe"
; platformdirs' folder for user_data_path("HocBaSo", "HocBaSo", roaming=False), under
; %LOCALAPPDATA%; the app's database, settings, logs and backups live inside it.
#define DataFolder "HocBaSo"

[Setup]
; Never change AppId: it is how an upgrade finds the installed version.
AppId={{5B0C6F2E-8A4D-4F0B-9E51-3C7A2D9B41E6}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
AppCopyright={#AppName}
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductVersion={#AppNumericVersion}
VersionInfoProductTextVersion={#AppVersion}
VersionInfoDescription={#AppName} — trình cài đặt
; Per machine, under Program Files (64-bit).
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
DefaultDirName={autopf}\HocBaSo
UsePreviousAppDir=yes
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousTasks=yes
; An upgrade while the app is open: Windows' Restart Manager closes it first.
CloseApplications=yes
RestartApplications=no
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExe}
OutputDir={#OutputDir}
OutputBaseFilename=HocBaSo-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=auto
LanguageDetectionMethod=uilanguage
#if FileExists(AddBackslash(SourcePath) + "..\resources\icons\hocba.ico")
SetupIconFile=..\resources\icons\hocba.ico
#endif

[Languages]
; Vietnamese first: it is used whenever Windows' display language is neither of the two.
; Default.isl comes first so a message missing from Vietnamese.isl shows in English
; instead of failing the build.
Name: "vi"; MessagesFile: "compiler:Default.isl,Vietnamese.isl"
Name: "en"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
vi.SelfTestShortcut=Kiểm tra cài đặt {#AppName}
en.SelfTestShortcut=Check the {#AppName} installation
vi.RemoveDataTitle=Dữ liệu học bạ trên máy này
en.RemoveDataTitle=School records on this computer
vi.RemoveDataInfo=Chương trình đã được gỡ, nhưng dữ liệu của trường (học bạ, bản sao lưu, nhật ký) vẫn được giữ lại trong thư mục:%n%n%1%n%nNếu cài lại Học bạ số, dữ liệu này sẽ được dùng tiếp. Chỉ xoá khi nhà trường đã có bản sao lưu ở nơi khác.
en.RemoveDataInfo=The program has been removed, but the school's data (records, backups, logs) is kept in this folder:%n%n%1%n%nIf Học bạ số is installed again, it carries on with this data. Only delete it if the school has a backup elsewhere.
vi.RemoveDataCheck=Xoá luôn toàn bộ dữ liệu học bạ trong thư mục trên
en.RemoveDataCheck=Also delete all school records in the folder above
vi.RemoveDataConfirm=Xoá vĩnh viễn toàn bộ dữ liệu học bạ trong:%n%n%1%n%nKhông thể lấy lại nếu không có bản sao lưu ở nơi khác. Vẫn xoá?
en.RemoveDataConfirm=Permanently delete all school records in:%n%n%1%n%nThey cannot be recovered without a backup kept elsewhere. Delete anyway?
vi.RemoveDataFailed=Không xoá hết được thư mục dữ liệu:%n%n%1%n%nCó thể một tệp đang được mở. Hãy tự xoá thư mục này nếu vẫn muốn xoá.
en.RemoveDataFailed=The data folder could not be deleted completely:%n%n%1%n%nA file may be open. Delete the folder by hand if you still want it gone.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; An upgrade replaces the bundle whole: a library the new build no longer ships must not
; linger and be loaded by mistake. (The school's data is elsewhere; see the header.)
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\CHANGELOG.md"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\{cm:SelfTestShortcut}"; Filename: "{cmd}"; Parameters: "/k """"{app}\{#ConsoleExe}"" selftest"""; WorkingDir: "{app}"; IconFilename: "{app}\{#ConsoleExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
; As the person who started Setup, not the elevated account: the data folder is per user.
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent runasoriginaluser

[Code]
var
  RemoveSchoolData: Boolean;

{ The folder the app keeps the school's data in, for the Windows account running this. }
function SchoolDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataFolder}');
end;

{ Ask whether to delete the data too: unticked by default, then a second confirmation. }
function AskRemoveSchoolData(const Dir: String): Boolean;
var
  Form: TSetupForm;
  Info: TNewStaticText;
  Check: TNewCheckBox;
  OkButton: TNewButton;
begin
  Result := False;
  Form := CreateCustomForm(ScaleX(480), ScaleY(290), False, False);
  try
    Form.Caption := CustomMessage('RemoveDataTitle');
    Form.Position := poScreenCenter;

    Info := TNewStaticText.Create(Form);
    Info.Parent := Form;
    Info.Left := ScaleX(16);
    Info.Top := ScaleY(16);
    Info.Width := Form.ClientWidth - ScaleX(32);
    Info.AutoSize := True;
    Info.WordWrap := True;
    Info.Caption := FmtMessage(CustomMessage('RemoveDataInfo'), [Dir]);

    Check := TNewCheckBox.Create(Form);
    Check.Parent := Form;
    Check.Left := ScaleX(16);
    Check.Top := Info.Top + Info.Height + ScaleY(16);
    Check.Width := Form.ClientWidth - ScaleX(32);
    Check.Height := ScaleY(20);
    Check.Caption := CustomMessage('RemoveDataCheck');
    Check.Checked := False;

    OkButton := TNewButton.Create(Form);
    OkButton.Parent := Form;
    OkButton.Width := ScaleX(90);
    OkButton.Height := ScaleY(26);
    OkButton.Left := Form.ClientWidth - OkButton.Width - ScaleX(16);
    OkButton.Top := Form.ClientHeight - OkButton.Height - ScaleY(16);
    OkButton.Caption := SetupMessage(msgButtonOK);
    OkButton.ModalResult := mrOk;
    OkButton.Default := True;

    Form.ActiveControl := OkButton;
    { Closing the window any other way keeps the data. }
    if Form.ShowModal() = mrOk then
      if Check.Checked then
        Result := MsgBox(FmtMessage(CustomMessage('RemoveDataConfirm'), [Dir]),
          mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
  finally
    Form.Free();
  end;
end;

{ Nested ifs rather than "and": nothing here may run unless the condition before it held. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Dir: String;
begin
  Dir := SchoolDataDir();
  if CurUninstallStep = usUninstall then
  begin
    RemoveSchoolData := False;
    { A silent uninstall (scripts, IT staff) never deletes data. }
    if not UninstallSilent() then
      if DirExists(Dir) then
        RemoveSchoolData := AskRemoveSchoolData(Dir);
  end
  else if CurUninstallStep = usPostUninstall then
  begin
    if RemoveSchoolData then
      if not DelTree(Dir, True, True, True) then
        MsgBox(FmtMessage(CustomMessage('RemoveDataFailed'), [Dir]), mbError, MB_OK);
  end;
end;
