; Inno Setup 6 script for SP Desktop: a per-user install that needs no administrator rights.
;
; Build on Windows after `python packaging\build.py` has made dist\sp-desktop\:
;   python packaging\build.py --installer
; or by hand (the version defaults to the one below, kept equal to pyproject.toml by a test):
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\sp-desktop.iss
; Output: dist\sp-desktop-<version>-setup.exe. Needs Inno Setup 6.3 or newer.
;
; Uninstalling never touches the adviser's data folder (%LOCALAPPDATA%\SP Desktop: the encrypted
; store, its key file, backups and settings) unless the adviser ticks "also delete my data" and
; confirms, or IT runs the uninstaller silently with /REMOVEUSERDATA.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "SP Desktop"
#define AppPublisher "SP Desktop project"
#define ExeName "sp-desktop.exe"
#define ConsoleExeName "sp-desktop-console.exe"
; platformdirs.user_data_dir("SP Desktop", appauthor=False) = %LOCALAPPDATA%\SP Desktop
#define DataFolderName "SP Desktop"
#define SourceDir "..\..\dist\sp-desktop"

[Setup]
; The AppId never changes: it is how an upgrade finds and replaces the previous install.
AppId={{8C1D7E52-3B9A-4F0E-9C64-2E7A5D1B6F30}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=Copyright (C) {#AppPublisher}
VersionInfoProductTextVersion={#AppVersion}
; Per user, no UAC prompt: installs into the adviser's own profile.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#AppName}
DisableDirPage=yes
DisableProgramGroupPage=yes
DisableReadyPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6.8+ needs Windows 10 1809 or newer.
MinVersion=10.0.17763
OutputDir=..\..\dist
OutputBaseFilename=sp-desktop-{#AppVersion}-setup
SetupIconFile=..\icons\sp-desktop.ico
UninstallDisplayIcon={app}\{#ExeName}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An open SP Desktop is asked to close (Restart Manager) before its files are replaced.
CloseApplications=yes
RestartApplications=no
SetupLogging=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade starts from a clean program folder, so no module from an older version lingers.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#ExeName}"; Comment: "Social prescribing for link workers"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#ExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#ExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder's own contents; never a wildcard over {app}, never the data folder.
Type: filesandordirs; Name: "{app}\_internal"
Type: dirifempty; Name: "{app}"

[Code]
var
  RemoveUserData: Boolean;

function UserDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataFolderName}');
end;

function HasParam(const Name: String): Boolean;
var
  I: Integer;
begin
  Result := False;
  for I := 1 to ParamCount do
    if CompareText(ParamStr(I), Name) = 0 then
      Result := True;
end;

{ Shows the choice before anything is removed. Returns False if the adviser cancels. }
function AskAboutUserData(): Boolean;
var
  Form: TSetupForm;
  Info: TNewStaticText;
  DeleteBox: TNewCheckBox;
  UninstallButton, CancelButton: TNewButton;
begin
  Result := False;
#if Ver >= EncodeVer(6, 6, 0)
  Form := CreateCustomForm(440, 200, False, False);
#else
  Form := CreateCustomForm;
  Form.ClientWidth := ScaleX(440);
  Form.ClientHeight := ScaleY(200);
#endif
  try
    Form.Caption := 'Uninstall {#AppName}';

    Info := TNewStaticText.Create(Form);
    Info.Parent := Form;
    Info.Left := ScaleX(16);
    Info.Top := ScaleY(16);
    Info.Width := Form.ClientWidth - ScaleX(32);
    Info.WordWrap := True;
    Info.Caption :=
      '{#AppName} will be removed from this computer.' + #13#10 + #13#10 +
      'Your records stay safe and encrypted in ' + UserDataDir() +
      ', so installing {#AppName} again brings everything back.';

    DeleteBox := TNewCheckBox.Create(Form);
    DeleteBox.Parent := Form;
    DeleteBox.Left := ScaleX(16);
    DeleteBox.Top := ScaleY(104);
    DeleteBox.Width := Form.ClientWidth - ScaleX(32);
    DeleteBox.Height := ScaleY(20);
    DeleteBox.Caption := 'Also delete my {#AppName} records from this computer';
    DeleteBox.Checked := False;

    UninstallButton := TNewButton.Create(Form);
    UninstallButton.Parent := Form;
    UninstallButton.Width := ScaleX(90);
    UninstallButton.Height := ScaleY(26);
    UninstallButton.Left := Form.ClientWidth - ScaleX(16 + 90 + 8 + 90);
    UninstallButton.Top := Form.ClientHeight - ScaleY(16 + 26);
    UninstallButton.Caption := 'Uninstall';
    UninstallButton.ModalResult := mrOk;
    UninstallButton.Default := True;

    CancelButton := TNewButton.Create(Form);
    CancelButton.Parent := Form;
    CancelButton.Width := ScaleX(90);
    CancelButton.Height := ScaleY(26);
    CancelButton.Left := Form.ClientWidth - ScaleX(16 + 90);
    CancelButton.Top := UninstallButton.Top;
    CancelButton.Caption := 'Cancel';
    CancelButton.ModalResult := mrCancel;
    CancelButton.Cancel := True;

    Form.ActiveControl := UninstallButton;
    if Form.ShowModal() <> mrOk then
      Exit;
    Result := True;
    if DeleteBox.Checked then
      RemoveUserData := MsgBox(
        'Delete your {#AppName} records from this computer for good?' + #13#10 + #13#10 +
        'Anything not yet sent to your office will be lost. This cannot be undone.' + #13#10 + #13#10 +
        'Choose No to keep your records and still uninstall {#AppName}.',
        mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
  finally
    Form.Free();
  end;
end;

function InitializeUninstall(): Boolean;
begin
  Result := True;
  RemoveUserData := False;
  if UninstallSilent() then
    { IT's scripted uninstall keeps the data unless it asks for removal explicitly. }
    RemoveUserData := HasParam('/REMOVEUSERDATA')
  else if DirExists(UserDataDir()) then
    Result := AskAboutUserData();
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and RemoveUserData and DirExists(UserDataDir()) then
    if not DelTree(UserDataDir(), True, True, True) then
      if not UninstallSilent() then
        MsgBox('Some of your {#AppName} records could not be deleted (is {#AppName} still open?).'
          + #13#10 + 'You can delete this folder yourself: ' + UserDataDir(), mbError, MB_OK);
end;
