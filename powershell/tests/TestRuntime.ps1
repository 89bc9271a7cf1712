# Helpers the Pester suites dot-source: a real local runtime on a free port with a fresh data
# directory (the built `dist/local/cli.js`, as `npm start` runs it), its dev tokens, raw API reads
# (to check the runtime's state without going through the module) and error-record capture.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
$script:ModuleManifest = Join-Path $script:RepoRoot 'powershell' 'MultiAdminApproval' 'MultiAdminApproval.psd1'

function Start-TestRuntime {
    [CmdletBinding()]
    param([hashtable] $Environment = @{})
    $cli = Join-Path $script:RepoRoot 'dist' 'local' 'cli.js'
    if (-not (Test-Path $cli)) { throw "$cli is missing: run npm run build first" }
    $dataDir = Join-Path ([System.IO.Path]::GetTempPath()) ("maa-pester-" + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $dataDir | Out-Null
    $settings = @{ PORT = '0'; MAA_DATA_DIR = $dataDir; MAA_LOG_LEVEL = 'warning' } + $Environment
    $saved = @{}
    foreach ($name in $settings.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $settings[$name])
    }
    try {
        $out = Join-Path $dataDir 'runtime.out.log'
        $err = Join-Path $dataDir 'runtime.err.log'
        $node = (Get-Command node -CommandType Application | Select-Object -First 1).Source
        $process = Start-Process -FilePath $node -ArgumentList $cli -WorkingDirectory $script:RepoRoot `
            -RedirectStandardOutput $out -RedirectStandardError $err -PassThru
    } finally {
        # A variable that was unset is removed again: passing $null to a string parameter would set it to ''.
        foreach ($name in $saved.Keys) {
            if ($null -eq $saved[$name]) { Remove-Item -Path "env:$name" -ErrorAction SilentlyContinue }
            else { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
    }
    $deadline = (Get-Date).AddSeconds(30)
    while ((Get-Date) -lt $deadline) {
        $log = if (Test-Path $out) { Get-Content -Raw $out } else { '' }
        if ($log -match 'ready at (http://\S+)') {
            return [pscustomobject]@{ Url = $Matches[1]; DataDir = $dataDir; Process = $process }
        }
        if ($process.HasExited) { break }
        Start-Sleep -Milliseconds 100
    }
    $log = (Get-Content -Raw $out -ErrorAction SilentlyContinue) + (Get-Content -Raw $err -ErrorAction SilentlyContinue)
    if (-not $process.HasExited) { $process.Kill() }
    throw "the local runtime did not become ready:`n$log"
}

function Stop-TestRuntime {
    param($Runtime)
    if ($null -eq $Runtime) { return }
    if (-not $Runtime.Process.HasExited) {
        # SIGTERM, the graceful stop; SIGKILL if it lingers.
        & kill -TERM $Runtime.Process.Id
        if (-not $Runtime.Process.WaitForExit(10000)) { $Runtime.Process.Kill() }
    }
    Remove-Item -Recurse -Force $Runtime.DataDir -ErrorAction SilentlyContinue
}

function Get-LocalToken {
    param([string] $BaseUri, [string] $User)
    (Invoke-RestMethod -Method Post -Uri "$BaseUri/_local/token" -ContentType 'application/json' `
        -Body (@{ user = $User } | ConvertTo-Json)).access_token
}

# A raw GET of the public API as $User: the runtime's state as it is, not as the module shows it.
function Get-Raw {
    param([string] $BaseUri, [string] $User, [string] $Path)
    $token = Get-LocalToken -BaseUri $BaseUri -User $User
    Invoke-RestMethod -Uri "$BaseUri/api/$Path" -Headers @{ authorization = "Bearer $token" }
}

# Runs $Block (whose commands pass -ErrorAction Stop) and returns the ErrorRecord it raised.
function Get-ErrorRecord {
    param([scriptblock] $Block)
    try { $null = & $Block } catch { return $_ }
    throw 'expected an error, but the command succeeded'
}

# Polls $Condition (given the request as the runtime has it) until true; the request, or a throw.
function Wait-RawRequest {
    param([string] $BaseUri, [string] $User, [string] $Id, [scriptblock] $Condition, [int] $Seconds = 20)
    $deadline = (Get-Date).AddSeconds($Seconds)
    do {
        $request = Get-Raw -BaseUri $BaseUri -User $User -Path "requests/$Id"
        if (& $Condition $request) { return $request }
        Start-Sleep -Milliseconds 200
    } while ((Get-Date) -lt $deadline)
    throw "request $Id did not reach the expected state in $Seconds s: $($request | ConvertTo-Json -Depth 10 -Compress)"
}

# The error record carries the problem: its code as the error id (FullyQualifiedErrorId
# '<code>,<cmdlet>'), in its details' message, and the problem itself (status, code) as its target.
function Assert-MaaProblem {
    param($Record, [string[]] $Code, [string[]] $Category, [int] $Status)
    $Record | Should -Not -BeNullOrEmpty
    $id = ("$($Record.FullyQualifiedErrorId)" -split ',')[0]
    $id | Should -BeIn $Code -Because "the error id is the problem's code ($($Record.FullyQualifiedErrorId): $Record)"
    "$($Record.CategoryInfo.Category)" | Should -BeIn $Category
    $Record.ErrorDetails.Message | Should -Match ([regex]::Escape($id))
    $Record.TargetObject.code | Should -Be $id
    $Record.TargetObject.status | Should -Be $Status
}
