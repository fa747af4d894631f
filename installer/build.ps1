<#
.SYNOPSIS
  Build the Windows installer of Học bạ số: PyInstaller bundle, checks, then Inno Setup.

.DESCRIPTION
  Run from a clone on a 64-bit Windows 10/11 build machine with Python 3.11 and
  Inno Setup 6.4 or later installed:

      powershell -ExecutionPolicy Bypass -File installer\build.ps1

  1. Creates .venv with the pinned versions of constraints.txt if it does not exist.
  2. Reads the version from pyproject.toml (the only place it is written).
  3. Builds the one-folder bundle with installer\hocba.spec into dist\hocba.
  4. Runs `hocba-console selftest` and `hocba-console smoke` from the bundle (skip with -SkipChecks).
  5. Compiles installer\hocba.iss with ISCC, passing the version, into dist\.
  Prints the installer's path, size and SHA-256.

.PARAMETER Iscc
  Path to ISCC.exe when Inno Setup is not in a standard place or on PATH.

.PARAMETER SkipChecks
  Do not run selftest and smoke from the bundle (not for releases).
#>
[CmdletBinding()]
param(
    [string]$Iscc = "",
    [switch]$SkipChecks
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root

function Invoke-Checked {
    param([string]$What, [scriptblock]$Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

# 1. Python environment with the pinned dependencies (PyInstaller is in the dev extra).
$Python = Join-Path $Root ".venv\Scripts\python.exe"
if (-not (Test-Path $Python)) {
    Write-Host "Creating .venv with the versions pinned in constraints.txt"
    Invoke-Checked "creating the virtualenv" { py -3.11 -m venv .venv }
    Invoke-Checked "upgrading pip" { & $Python -m pip install -q --upgrade "pip>=24" }
    Invoke-Checked "installing dependencies" { & $Python -m pip install -q -c constraints.txt -e ".[dev]" }
}

# 2. One version number: pyproject.toml, read through the same module the spec uses.
$VersionLines = & $Python -c "import sys; sys.path.insert(0, 'installer'); import bundle_rules as r; v = r.project_version(); print(v); print('.'.join(map(str, r.numeric_version(v))))"
if ($LASTEXITCODE -ne 0) { throw "could not read the version from pyproject.toml" }
$Version = $VersionLines[0].Trim()
$NumericVersion = $VersionLines[1].Trim()
Write-Host "Học bạ số $Version ($NumericVersion)"

# 3. The bundle. Work files go to build\pyinstaller; PyInstaller's cache stays inside it.
$Dist = Join-Path $Root "dist"
$Work = Join-Path $Root "build\pyinstaller"
$env:PYINSTALLER_CONFIG_DIR = Join-Path $Work "config"
$Started = Get-Date
Invoke-Checked "PyInstaller" {
    & $Python -m PyInstaller --noconfirm --clean --log-level WARN --distpath $Dist --workpath $Work installer\hocba.spec
}
$Bundle = Join-Path $Dist "hocba"
$BundleBytes = (Get-ChildItem $Bundle -Recurse -File | Measure-Object -Property Length -Sum).Sum
Write-Host ("Bundle built in {0:N0} s: {1} ({2:N0} MB)" -f ((Get-Date) - $Started).TotalSeconds, $Bundle, ($BundleBytes / 1MB))

# 4. The bundle must pass its own checks before it is wrapped.
if (-not $SkipChecks) {
    $Console = Join-Path $Bundle "hocba-console.exe"
    Invoke-Checked "selftest from the bundle" { & $Console selftest }
    Invoke-Checked "smoke test from the bundle" { & $Console smoke }
}

# 5. Inno Setup.
if (-not $Iscc) {
    $Candidates = @(
        (Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"),
        (Join-Path $env:ProgramFiles "Inno Setup 6\ISCC.exe"),
        (Join-Path $env:LOCALAPPDATA "Programs\Inno Setup 6\ISCC.exe")
    )
    $Iscc = $Candidates | Where-Object { $_ -and (Test-Path $_) } | Select-Object -First 1
    if (-not $Iscc) {
        $Found = Get-Command ISCC.exe -ErrorAction SilentlyContinue
        if ($Found) { $Iscc = $Found.Source }
    }
    if (-not $Iscc) { throw "ISCC.exe not found: install Inno Setup 6.4 or later, or pass -Iscc <path>" }
}
Invoke-Checked "Inno Setup" {
    & $Iscc "/DAppVersion=$Version" "/DAppNumericVersion=$NumericVersion" "/DBundleDir=$Bundle" "/DOutputDir=$Dist" installer\hocba.iss
}

$Setup = Join-Path $Dist "HocBaSo-$Version-setup.exe"
$Hash = (Get-FileHash $Setup -Algorithm SHA256).Hash
Write-Host ("Installer: {0} ({1:N0} MB)" -f $Setup, ((Get-Item $Setup).Length / 1MB))
Write-Host "SHA-256: $Hash"
