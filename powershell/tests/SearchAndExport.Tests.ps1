# Get-MaaRequest's search filters and Export-MaaAudit against a real local runtime (its own, with a
# fresh data directory): filters by target, profile type, initiator and time; one trail as CSV and
# JSON Lines, to the pipeline or a file; a time range for operators only.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestRuntime.ps1')
    Import-Module $ModuleManifest -Force
    # Named, not left out: a runtime started earlier in this session may have left the variable empty.
    $script:Runtime = Start-TestRuntime -Environment @{ MAA_LOCAL_CLOCK = 'real' }
    $script:Uri = $Runtime.Url
    $script:Approvers = 'a9900000-0000-4000-8000-000000000101'
    function script:Device([int] $N) { 'd3a1c0de-0000-4000-8000-{0:d12}' -f $N }
    function script:As([string] $User) { Connect-MaaService -BaseUri $Uri -LocalUser $User | Out-Null }
    function script:Protect([string] $ProfileType) {
        As alice
        $change = New-MaaPolicy -DisplayName "$ProfileType needs a second admin" -ProfileType $ProfileType `
            -ApproverGroupId $Approvers -Justification 'Protect it' -Confirm:$false
        As bob
        Approve-MaaRequest -Id $change.id -Notes 'agreed' -Confirm:$false | Out-Null
        Wait-MaaRequest -Id $change.id -For Approved -TimeoutSeconds 20 | Out-Null
        As alice
        Complete-MaaRequest -Id $change.id -Confirm:$false | Out-Null
        Wait-RawRequest -BaseUri $Uri -User alice -Id $change.id -Condition { param($r) $r.execution } | Out-Null
    }
    Protect deviceWipe
    Protect deviceRetire
    As alice
    $script:Wipe = Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice `
        -ResourceId (Device 1) -Justification 'Reported stolen, "urgent"' -Confirm:$false
    As bob
    $script:Retire = Submit-MaaRequest -ProfileType deviceRetire -Action retire -ResourceType managedDevice `
        -ResourceId (Device 2) -Justification 'Leaver' -Confirm:$false
    $script:Out = Join-Path $Runtime.DataDir 'exports'
    New-Item -ItemType Directory -Path $Out | Out-Null
}

AfterAll {
    Remove-Module MultiAdminApproval -ErrorAction SilentlyContinue
    Stop-TestRuntime $Runtime
}

Describe 'searching and exporting with the module' {
    It 'Get-MaaRequest filters by target (any letter case), profile type, initiator and creation time' {
        As olga
        (Get-MaaRequest -View All -Target (Device 1).ToUpperInvariant()).id | Should -Be @($Wipe.id)
        (Get-MaaRequest -View All -ProfileType deviceRetire).id | Should -Be @($Retire.id)
        (Get-MaaRequest -View All -Initiator $Retire.initiator.id).id | Should -Be @($Retire.id)
        (Get-MaaRequest -View All -ProfileType deviceWipe -Status needsApproval).id | Should -Be @($Wipe.id)
        $from = [DateTimeOffset]::Parse($Wipe.createdAt, [System.Globalization.CultureInfo]::InvariantCulture)
        $to = [DateTimeOffset]::Parse($Retire.createdAt, [System.Globalization.CultureInfo]::InvariantCulture)
        (Get-MaaRequest -View All -CreatedFrom $from -CreatedTo $to).id | Should -Be @($Wipe.id)
        @(Get-MaaRequest -View All -Target 'no-such-device') | Should -HaveCount 0
        As alice
        (Get-MaaRequest -View Mine -Target (Device 2)) | Should -BeNullOrEmpty
    }

    It 'Export-MaaAudit writes one trail as CSV that ConvertFrom-Csv reads, each record with the chain verdict' {
        As alice
        $trail = Get-MaaAuditTrail -Id $Wipe.id
        $rows = @(Export-MaaAudit -Id $Wipe.id | ConvertFrom-Csv)
        $rows | Should -HaveCount @($trail.items).Count
        $rows[0].PSObject.Properties.Name | Should -Be @('requestId', 'seq', 'at', 'type', 'actorId', 'actorName', 'data', 'prevHash', 'hash', 'chainValid')
        $rows.requestId | Select-Object -Unique | Should -Be $Wipe.id
        $rows.chainValid | Select-Object -Unique | Should -Be 'true'
        $rows.hash | Should -Be @($trail.items.hash)
        ($rows[0].data | ConvertFrom-Json).justification | Should -Be 'Reported stolen, "urgent"'
    }

    It 'Export-MaaAudit -Format Ndjson -Path writes JSON Lines into a folder, named for the request, or to a file' {
        As alice
        $file = $Wipe | Export-MaaAudit -Format Ndjson -Path $Out
        $file.Name | Should -Be "audit-$($Wipe.id).ndjson"
        $records = @(Get-Content -LiteralPath $file.FullName | ForEach-Object { $_ | ConvertFrom-Json })
        $records.Count | Should -BeGreaterThan 0
        $records.requestId | Select-Object -Unique | Should -Be $Wipe.id
        $records.chainValid | Select-Object -Unique | Should -BeTrue
        $named = Export-MaaAudit -Id $Wipe.id -Path (Join-Path $Out 'wipe.csv')
        $named.Name | Should -Be 'wipe.csv'
        (Get-Content -LiteralPath $named.FullName -TotalCount 1) | Should -Be 'requestId,seq,at,type,actorId,actorName,data,prevHash,hash,chainValid'
    }

    It 'Export-MaaAudit -From -To exports every request''s records in the range to an operator' {
        As olga
        $from = [DateTimeOffset]::Parse($Wipe.createdAt, [System.Globalization.CultureInfo]::InvariantCulture)
        $rows = @(Export-MaaAudit -From $from -To ([DateTimeOffset]::UtcNow.AddMinutes(1)) | ConvertFrom-Csv)
        $rows.requestId | Select-Object -Unique | Sort-Object | Should -Be (@($Wipe.id, $Retire.id) | Sort-Object)
        $rows.chainValid | Select-Object -Unique | Should -Be 'true'
        $file = Export-MaaAudit -From $from -To ([DateTimeOffset]::UtcNow.AddMinutes(1)) -Format Ndjson -Path $Out
        $file.Name | Should -Match '^audit-\d{8}T\d{9}Z-\d{8}T\d{9}Z\.ndjson$'
        @(Get-Content -LiteralPath $file.FullName) | Should -HaveCount $rows.Count
    }

    It 'refuses the range to others, and a trail to those who may not see it, as error records with the code' {
        As alice
        $record = Get-ErrorRecord { Export-MaaAudit -From '2026-01-01' -To '2030-01-01' -ErrorAction Stop }
        Assert-MaaProblem $record -Code 'forbidden' -Category 'PermissionDenied' -Status 403
        As dave
        $record = Get-ErrorRecord { Export-MaaAudit -Id $Wipe.id -ErrorAction Stop }
        Assert-MaaProblem $record -Code 'not_found' -Category 'ObjectNotFound' -Status 404
    }
}
