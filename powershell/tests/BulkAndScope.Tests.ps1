# Bulk device actions, risk-based quorum and auto-complete through the module, against a real
# local runtime: New-MaaPolicy -ApprovalsByScope -Completion onApproval, then one
# Submit-MaaRequest -ResourceIds for four devices that needs two approvals and runs on the second.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestRuntime.ps1')
    Import-Module $ModuleManifest -Force
    $script:Runtime = Start-TestRuntime
    $script:Uri = $Runtime.Url
    $script:Approvers = 'a9900000-0000-4000-8000-000000000101'
    function script:Device([int] $N) { 'd3a1c0de-0000-4000-8000-{0:d12}' -f $N }
    function script:As([string] $User) { Connect-MaaService -BaseUri $Uri -LocalUser $User | Out-Null }
}

AfterAll {
    Remove-Module MultiAdminApproval -ErrorAction SilentlyContinue
    Stop-TestRuntime $Runtime
}

Describe 'bulk retires under a scope rule, completed on approval' {
    It 'creates a deviceRetire policy with a scope rule and completion on approval' {
        As alice
        $change = New-MaaPolicy -DisplayName 'Retires: two approvals from three devices' -ProfileType deviceRetire `
            -ApproverGroupId $Approvers -ApprovalsByScope @{ minDevices = 3; requiredApprovals = 2 } `
            -Completion onApproval -ExecuteWithin PT4H -Justification 'Bulk retires need two' -Confirm:$false
        As bob
        Approve-MaaRequest -Id $change.id -Notes 'agreed' -Confirm:$false | Out-Null
        Wait-MaaRequest -Id $change.id -For Approved -TimeoutSeconds 20 | Out-Null
        As alice
        Complete-MaaRequest -Id $change.id -Confirm:$false | Out-Null
        Wait-RawRequest -BaseUri $Uri -User alice -Id $change.id -Condition { param($r) $r.execution } | Out-Null

        $policy = Get-MaaPolicy | Where-Object profileType -eq 'deviceRetire'
        $policy.completion | Should -Be 'onApproval'
        $policy.executeWithin | Should -Be 'PT4H'
        $policy.approvalsByScope[0].minDevices | Should -Be 3
        $policy.approvalsByScope[0].requiredApprovals | Should -Be 2
    }

    It 'refuses a rule that contradicts itself, with the field named' {
        As alice
        $record = Get-ErrorRecord {
            New-MaaPolicy -DisplayName 'Bad rules' -ProfileType deviceDelete -ApproverGroupId $Approvers `
                -ApprovalsByScope @{ minDevices = 10; requiredApprovals = 3 }, @{ minDevices = 5; requiredApprovals = 4 } `
                -Justification 'bad' -Confirm:$false -ErrorAction Stop
        }
        Assert-MaaProblem $record -Code 'validation_failed' -Category 'InvalidArgument' -Status 400
        ($record.TargetObject.errors.path -join ' ') | Should -Match 'approvalsByScope\.1\.minDevices'
    }

    It 'submits four devices in one request (-ResourceIds) that needs two approvals, and runs on the second' {
        As alice
        $ids = 2..5 | ForEach-Object { Device $_ }
        $request = Submit-MaaRequest -ProfileType deviceRetire -Action retire -ResourceType managedDevice `
            -ResourceIds $ids -Justification 'Leavers (HR-2026-12)' -Confirm:$false
        $request.operation.resourceIds | Should -Be $ids
        $request.policy.requiredApprovals | Should -Be 2
        $request.policy.quorum.text | Should -Match '4 devices'
        @($request.targets).Count | Should -Be 4

        As bob
        Approve-MaaRequest -Id $request.id -Notes 'list checked' -Confirm:$false | Out-Null
        As carol
        Approve-MaaRequest -Id $request.id -Notes 'HR list matches' -Confirm:$false | Out-Null
        # Nobody completes it: the service does on the second approval.
        $done = Wait-RawRequest -BaseUri $Uri -User alice -Id $request.id -Condition { param($r) $r.execution }
        $done.status | Should -Be 'completed'
        $done.execution.status | Should -Be 'succeeded'
        @($done.execution.devices | Where-Object code -eq 'accepted').Count | Should -Be 4
    }
}
