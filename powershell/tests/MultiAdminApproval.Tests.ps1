# The MultiAdminApproval module against a real local runtime (one per file, a fresh data
# directory, the clock under the test's control): the wipe lifecycle end to end, every cmdlet, the
# error records, pipeline use and -WhatIf. The tests run in order and build on each other's state.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestRuntime.ps1')
    Import-Module $ModuleManifest -Force
    $script:Runtime = Start-TestRuntime -Environment @{ MAA_LOCAL_CLOCK = 'manual' }
    $script:Uri = $Runtime.Url
    $script:Approvers = 'a9900000-0000-4000-8000-000000000101'
    function script:Device([int] $N) { 'd3a1c0de-0000-4000-8000-{0:d12}' -f $N }
    function script:As([string] $User) { Connect-MaaService -BaseUri $Uri -LocalUser $User | Out-Null }
    function script:SubmitWipe([int] $N, [string] $Why = 'Reported stolen') {
        Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice `
            -ResourceId (Device $N) -Justification $Why -Confirm:$false
    }
    function script:Trail([string] $Id) { Get-Raw -BaseUri $Uri -User alice -Path "requests/$Id/audit" }
}

AfterAll {
    Remove-Module MultiAdminApproval -ErrorAction SilentlyContinue
    Stop-TestRuntime $Runtime
}

Describe 'MultiAdminApproval against the local runtime' {
    Context 'the module' {
        It 'exports every cmdlet with approved verbs and help with examples' {
            $expected = 'Connect-MaaService', 'Get-MaaPolicy', 'New-MaaPolicy', 'Submit-MaaRequest',
                'Get-MaaRequest', 'Approve-MaaRequest', 'Deny-MaaRequest', 'Stop-MaaRequest',
                'Complete-MaaRequest', 'Wait-MaaRequest', 'Get-MaaAuditTrail'
            $commands = Get-Command -Module MultiAdminApproval
            $commands.Name | Should -Contain 'Connect-MaaService'
            foreach ($name in $expected) { $commands.Name | Should -Contain $name }
            $approved = (Get-Verb).Verb
            foreach ($command in $commands) { $approved | Should -Contain $command.Verb }
            foreach ($name in $expected) {
                $help = Get-Help $name -Full
                $help.Synopsis | Should -Not -BeNullOrEmpty -Because "$name has help"
                @($help.Examples.Example).Count | Should -BeGreaterThan 0 -Because "$name has examples"
            }
        }

        It 'offers -WhatIf and -Confirm on every change and -Id from the pipeline by property name' {
            foreach ($name in 'New-MaaPolicy', 'Submit-MaaRequest', 'Approve-MaaRequest', 'Deny-MaaRequest',
                'Stop-MaaRequest', 'Complete-MaaRequest') {
                $parameters = (Get-Command $name).Parameters
                $parameters.Keys | Should -Contain 'WhatIf'
                $parameters.Keys | Should -Contain 'Confirm'
            }
            foreach ($name in 'Approve-MaaRequest', 'Deny-MaaRequest', 'Stop-MaaRequest', 'Complete-MaaRequest',
                'Wait-MaaRequest', 'Get-MaaAuditTrail') {
                $id = (Get-Command $name).Parameters['Id']
                $id | Should -Not -BeNullOrEmpty -Because "$name takes -Id"
                @($id.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and
                        $_.ValueFromPipelineByPropertyName }).Count | Should -BeGreaterThan 0 -Because "$name binds -Id by property name"
            }
        }

        It 'keeps the parameter names scripts outside the project rely on' {
            $promised = [ordered]@{
                'Connect-MaaService'  = 'BaseUri', 'LocalUser', 'AccessToken', 'UseAzContext', 'UseGraphContext'
                'Get-MaaPolicy'       = @('Id')
                'New-MaaPolicy'       = 'DisplayName', 'ProfileType', 'ApproverGroupId', 'RequiredApprovals', 'Justification', 'Description', 'RequestTtl', 'ApprovalsByScope', 'Completion', 'ExecuteWithin'
                'Submit-MaaRequest'   = 'ProfileType', 'Action', 'ResourceType', 'ResourceId', 'ResourceIds', 'Payload', 'Justification', 'IdempotencyKey'
                'Get-MaaRequest'      = 'Id', 'View', 'Status'
                'Approve-MaaRequest'  = 'Id', 'Notes'
                'Deny-MaaRequest'     = 'Id', 'Notes'
                'Stop-MaaRequest'     = @('Id')
                'Complete-MaaRequest' = @('Id')
                'Wait-MaaRequest'     = 'Id', 'For', 'TimeoutSeconds'
                'Get-MaaAuditTrail'   = 'Id', 'Verify'
            }
            foreach ($name in $promised.Keys) {
                $parameters = (Get-Command $name).Parameters
                foreach ($parameter in $promised[$name]) { $parameters.Keys | Should -Contain $parameter -Because "$name -$parameter" }
            }
            # Notes are required to deny (the API refuses a rejection without them).
            $notes = (Get-Command Deny-MaaRequest).Parameters['Notes'].Attributes |
                Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            @($notes | Where-Object Mandatory).Count | Should -BeGreaterThan 0
            (Get-Command Get-MaaRequest).Parameters['View'].Attributes.ValidValues | Should -Be 'Mine', 'Received', 'All'
            (Get-Command Wait-MaaRequest).Parameters['For'].Attributes.ValidValues | Should -Be 'Approved', 'Completed'
        }
    }

    Context 'the wipe lifecycle, end to end' {
        It 'bootstraps the deviceWipe policy: alice asks, bob approves, alice completes' {
            As alice
            $script:PolicyRequest = New-MaaPolicy -DisplayName 'Device wipes need a second admin' -ProfileType deviceWipe `
                -ApproverGroupId $Approvers -RequiredApprovals 1 -Justification 'Protect wipes' -Confirm:$false
            $PolicyRequest.id | Should -Not -BeNullOrEmpty
            $PolicyRequest.status | Should -Be 'needsApproval'
            $PolicyRequest.profileType | Should -Be 'operationApprovalPolicy'

            As bob
            # The command answers once applied: the request as the approval left it.
            (Approve-MaaRequest -Id $PolicyRequest.id -Notes 'agreed' -Confirm:$false).status | Should -Be 'approved'
            (Wait-MaaRequest -Id $PolicyRequest.id -For Approved -TimeoutSeconds 20).status | Should -Be 'approved'

            As alice
            (Complete-MaaRequest -Id $PolicyRequest.id -Confirm:$false).status | Should -Be 'completed'
            (Wait-MaaRequest -Id $PolicyRequest.id -For Completed -TimeoutSeconds 20).status | Should -Be 'completed'
            Wait-RawRequest -BaseUri $Uri -User alice -Id $PolicyRequest.id -Condition { param($r) $r.execution } | Out-Null
        }

        It 'lists the policy (Get-MaaPolicy) and reads it by id' {
            As carol
            $policies = @(Get-MaaPolicy)
            $wipe = $policies | Where-Object profileType -eq 'deviceWipe'
            $wipe | Should -HaveCount 1
            $wipe.displayName | Should -Be 'Device wipes need a second admin'
            $wipe.approverGroupIds | Should -Contain $Approvers
            (Get-MaaPolicy -Id $wipe.id).profileType | Should -Be 'deviceWipe'
        }

        It 'carries the approver pool''s Health on Get-MaaPolicy, in the list and by id' {
            As carol
            # bob and carol approve; bob may also initiate, which leaves exactly one approver.
            $listed = Get-MaaPolicy | Where-Object profileType -eq 'deviceWipe'
            $listed.Health.Status | Should -Be 'atRisk'
            (@($listed.Health.EligibleApprovers.displayName) | Sort-Object) -join ', ' | Should -Be 'Bob, Carol'
            $listed.Health.Reasons | Should -Not -BeNullOrEmpty
            $byId = Get-MaaPolicy -Id $listed.id
            $byId.Health.Status | Should -Be 'atRisk'
            $byId.Health.Reasons -join ' ' | Should -Match 'nobody may be away'
        }

        It 'wipes LT-ALICE-01: submitted with an idempotency key, approved by bob, completed by alice, executed through Graph' {
            As alice
            $script:Wipe = Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice `
                -ResourceId (Device 1) -Justification 'Reported stolen (INC-4711)' -IdempotencyKey 'wipe-lt-alice-01' -Confirm:$false
            $Wipe.status | Should -Be 'needsApproval'
            $Wipe.target.displayName | Should -Be 'LT-ALICE-01'
            # The same key and body: the same request, not a second one.
            $again = Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice `
                -ResourceId (Device 1) -Justification 'Reported stolen (INC-4711)' -IdempotencyKey 'wipe-lt-alice-01' -Confirm:$false
            $again.id | Should -Be $Wipe.id

            As bob
            (Get-MaaRequest -Id $Wipe.id).operation.resourceId | Should -Be (Device 1)
            Approve-MaaRequest -Id $Wipe.id -Notes 'confirmed with the user' -Confirm:$false | Out-Null
            Wait-MaaRequest -Id $Wipe.id -For Approved -TimeoutSeconds 20 | Out-Null

            As alice
            Complete-MaaRequest -Id $Wipe.id -Confirm:$false | Out-Null
            $done = Wait-MaaRequest -Id $Wipe.id -For Completed -TimeoutSeconds 20
            $done.id | Should -Be $Wipe.id
            $done.status | Should -Be 'completed'
            $seen = Wait-RawRequest -BaseUri $Uri -User alice -Id $Wipe.id -Condition { param($r) $r.execution }
            $seen.execution.status | Should -Be 'succeeded'

            $calls = @((Invoke-RestMethod "$Uri/_local/intune/calls").items | Where-Object { "$($_.path)" -like "*$(Device 1)*" })
            $calls | Should -HaveCount 1
            $calls[0].method | Should -Be 'POST'
            $calls[0].path | Should -Be "/v1.0/deviceManagement/managedDevices/$(Device 1)/wipe"
        }

        It 'sees the device wiped at its check-in, sixteen minutes on' {
            Invoke-RestMethod -Method Post -Uri "$Uri/_local/clock" -ContentType 'application/json' -Body '{"advance":"PT16M"}' | Out-Null
            $seen = Wait-RawRequest -BaseUri $Uri -User alice -Id $Wipe.id -Seconds 30 -Condition { param($r) $r.execution.device.state -eq 'done' }
            $seen.execution.device.state | Should -Be 'done'
            $device = (Invoke-RestMethod "$Uri/_local/intune").managedDevices | Where-Object id -eq (Device 1)
            $device.managementState | Should -Be 'wipeIssued'
            As alice
            (Get-MaaRequest -Id $Wipe.id).execution.device.state | Should -Be 'done'
        }

        It 'verifies the real trail client-side (Get-MaaAuditTrail -Verify)' {
            As alice
            $trail = Get-MaaAuditTrail -Id $Wipe.id
            $trail.chainValid | Should -BeTrue
            @($trail.items).Count | Should -BeGreaterThan 3
            $trail.items[-1].type | Should -Be 'execution.observed'
            $verified = Get-MaaAuditTrail -Id $Wipe.id -Verify
            $verified.chainValid | Should -BeTrue
            $verified.verified | Should -BeTrue -Because "$($verified.problems)"
            @($verified.items).Count | Should -Be @($trail.items).Count
            # By property name from the pipeline too.
            ([pscustomobject]@{ id = $Wipe.id } | Get-MaaAuditTrail -Verify).chainValid | Should -BeTrue
        }

        It 'finds a record changed on its way (Get-MaaAuditTrail -Verify recomputes the chain itself)' {
            # The server still says chainValid: a proxy (or a lying server) rewrote bob's notes in
            # the answer. Only the client-side check can see it.
            $token = Get-LocalToken -BaseUri $Uri -User alice
            $real = (Invoke-WebRequest -Uri "$Uri/api/requests/$($Wipe.id)/audit?top=100" -Headers @{ authorization = "Bearer $token" }).Content
            $real | Should -Match 'confirmed with the user'
            $script:Tampered = $real -replace 'confirmed with the user', 'confirmed with nobody'
            Mock -ModuleName MultiAdminApproval Invoke-MaaApi -ParameterFilter { $Path -like '*/audit*' } {
                [pscustomobject]@{ Status = 200; Text = $Tampered; Value = ($Tampered | ConvertFrom-Json -Depth 100) }
            }
            As alice
            $trail = Get-MaaAuditTrail -Id $Wipe.id -Verify -WarningAction SilentlyContinue
            $trail.chainValid | Should -BeTrue -Because 'the server''s word, as answered'
            $trail.verified | Should -BeFalse
            $trail.brokenAt | Should -Not -BeNullOrEmpty
            ($trail.problems -join ' ') | Should -Match 'BROKEN'
        }

        It 'lists alice''s own requests as objects (Get-MaaRequest -View Mine -Status completed)' {
            As alice
            $mine = @(Get-MaaRequest -View Mine -Status completed)
            $mine.id | Should -Contain $Wipe.id
            $mine.id | Should -Contain $PolicyRequest.id
            foreach ($request in $mine) { $request | Should -Not -BeOfType [string] }
            @(Get-MaaRequest -View Mine).Count | Should -BeGreaterOrEqual 2
        }

        It 'shows every request to an operator (Get-MaaRequest -View All) and refuses it to others' {
            As olga
            (Get-MaaRequest -View All).id | Should -Contain $Wipe.id
            As alice
            $record = Get-ErrorRecord { Get-MaaRequest -View All -ErrorAction Stop }
            Assert-MaaProblem $record -Code 'forbidden', 'not_an_operator' -Category 'PermissionDenied' -Status 403
        }
    }

    Context '-WhatIf sends nothing' {
        It 'leaves the request exactly as it was' {
            As alice
            Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice `
                -ResourceId (Device 5) -Justification 'what if' -WhatIf | Should -BeNullOrEmpty
            (Get-Raw -BaseUri $Uri -User alice -Path 'requests?view=mine&top=100').items.operation.resourceId |
                Should -Not -Contain (Device 5)

            $script:Pending = SubmitWipe 2
            # Once its orchestration has recorded it: the request no longer changes by itself.
            $before = Get-Raw -BaseUri $Uri -User alice -Path "requests/$($Pending.id)"
            $settled = (Get-Date).AddSeconds(20)
            do {
                Start-Sleep -Milliseconds 700
                $now = Get-Raw -BaseUri $Uri -User alice -Path "requests/$($Pending.id)"
                $same = ($now | ConvertTo-Json -Depth 20) -eq ($before | ConvertTo-Json -Depth 20)
                $before = $now
            } until (($same -and $now.trail.seq -gt 0) -or (Get-Date) -gt $settled)
            $trailBefore = @((Trail $Pending.id).items).Count
            $trailBefore | Should -BeGreaterThan 0

            As bob
            Approve-MaaRequest -Id $Pending.id -Notes 'what if' -WhatIf
            Deny-MaaRequest -Id $Pending.id -Notes 'what if' -WhatIf
            As alice
            Stop-MaaRequest -Id $Pending.id -WhatIf
            Complete-MaaRequest -Id $Pending.id -WhatIf
            New-MaaPolicy -DisplayName 'Retire' -ProfileType deviceRetire -ApproverGroupId $Approvers `
                -RequiredApprovals 1 -Justification 'what if' -WhatIf

            Start-Sleep -Milliseconds 1500   # a decision would show within a second
            $after = Get-Raw -BaseUri $Uri -User alice -Path "requests/$($Pending.id)"
            $after.status | Should -Be 'needsApproval'
            ($after | ConvertTo-Json -Depth 20) | Should -Be ($before | ConvertTo-Json -Depth 20)
            @((Trail $Pending.id).items).Count | Should -Be $trailBefore
            @((Get-Raw -BaseUri $Uri -User alice -Path 'requests?view=mine&top=100').items |
                Where-Object profileType -eq 'operationApprovalPolicy') | Should -HaveCount 1 -Because 'only the completed deviceWipe policy'
        }
    }

    Context 'cancelling and denying' {
        It 'cancels a pending request (Stop-MaaRequest)' {
            As alice
            Stop-MaaRequest -Id $Pending.id -Confirm:$false | Out-Null
            (Wait-RawRequest -BaseUri $Uri -User alice -Id $Pending.id -Condition { param($r) $r.status -ne 'needsApproval' }).status |
                Should -Be 'cancelled'
        }

        It 'denies a request with notes (Deny-MaaRequest)' {
            As alice
            $request = SubmitWipe 3
            As carol
            Deny-MaaRequest -Id $request.id -Notes 'not without a ticket' -Confirm:$false | Out-Null
            $seen = Wait-RawRequest -BaseUri $Uri -User alice -Id $request.id -Condition { param($r) $r.status -ne 'needsApproval' }
            $seen.status | Should -Be 'rejected'
        }
    }

    Context 'pipeline use' {
        It 'approves everything bob received: Get-MaaRequest -View Received -Status needsApproval | Approve-MaaRequest' {
            As alice
            $script:Piped = @((SubmitWipe 4 'Lost'), (SubmitWipe 5 'Lost too'))
            As bob
            $received = @(Get-MaaRequest -View Received -Status needsApproval)
            $received.id | Should -Contain $Piped[0].id
            $received.id | Should -Contain $Piped[1].id
            Get-MaaRequest -View Received -Status needsApproval | Approve-MaaRequest -Notes 'approved in bulk' -Confirm:$false | Out-Null
            foreach ($request in $Piped) {
                (Wait-RawRequest -BaseUri $Uri -User alice -Id $request.id -Condition { param($r) $r.status -ne 'needsApproval' }).status |
                    Should -Be 'approved'
            }
            @(Get-MaaRequest -View Received -Status needsApproval) | Should -HaveCount 0
        }

        It 'waits for and completes requests from the pipeline' {
            As alice
            $Piped | Wait-MaaRequest -For Approved -TimeoutSeconds 20 | Out-Null
            $Piped[0] | Complete-MaaRequest -Confirm:$false | Out-Null
            ($Piped[0] | Wait-MaaRequest -For Completed -TimeoutSeconds 20).status | Should -Be 'completed'
        }
    }

    Context 'Entra sign-in through the token the admin already has' {
        # Stand-ins for Az.Accounts' Get-AzAccessToken and Microsoft.Graph's Get-MgContext, as an
        # admin signed in with Connect-AzAccount / Connect-MgGraph has them; the token is bob's.
        BeforeAll {
            $script:AzCalls = [System.Collections.Generic.List[hashtable]]::new()
            $script:BobToken = Get-LocalToken -BaseUri $Uri -User bob
            function global:Get-AzAccessToken {
                [CmdletBinding()]
                param([string] $ResourceUrl, [string] $TenantId)
                $script:AzCalls.Add(@{ ResourceUrl = $ResourceUrl; TenantId = $TenantId })
                [pscustomobject]@{ Token = (ConvertTo-SecureString $script:BobToken -AsPlainText -Force); UserId = 'bob@maa.test' }
            }
            function global:Get-MgContext { [pscustomobject]@{ TenantId = 'a9900000-0000-4000-8000-0000000000aa'; Account = 'bob@maa.test' } }
        }
        AfterAll {
            Remove-Item Function:\Get-AzAccessToken, Function:\Get-MgContext -ErrorAction SilentlyContinue
        }

        It 'Connect-MaaService -UseAzContext asks Az for the API''s token and calls the API with it' {
            $connection = Connect-MaaService -BaseUri $Uri -UseAzContext -Scope 'api://maa-local/.default' -PassThru
            $AzCalls[-1].ResourceUrl | Should -Be 'api://maa-local'
            $connection.User | Should -Be 'bob@maa.test'
            (Get-MaaRequest -Id $Piped[0].id).id | Should -Be $Piped[0].id   # bob approved it, so he may read it
        }

        It 'Connect-MaaService -UseGraphContext signs in to the Graph context''s tenant' {
            Connect-MaaService -BaseUri $Uri -UseGraphContext -Scope 'api://maa-local/.default' | Out-Null
            $AzCalls[-1].TenantId | Should -Be 'a9900000-0000-4000-8000-0000000000aa'
            @(Get-MaaPolicy).profileType | Should -Contain 'deviceWipe'
        }
    }

    Context 'error records carry the problem''s code' {
        It '401: a bad token' {
            Connect-MaaService -BaseUri $Uri -AccessToken 'not-a-token' | Out-Null
            $record = Get-ErrorRecord { Get-MaaPolicy -ErrorAction Stop }
            Assert-MaaProblem $record -Code 'invalid_token' -Category 'AuthenticationError' -Status 401
        }

        It '403: dave, who has no roles, submits' {
            As dave
            $record = Get-ErrorRecord {
                Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice `
                    -ResourceId (Device 6) -Justification 'no roles' -Confirm:$false -ErrorAction Stop
            }
            Assert-MaaProblem $record -Code 'forbidden' -Category 'PermissionDenied' -Status 403
        }

        It '403: carol completes alice''s approved request' {
            As carol
            $record = Get-ErrorRecord { Complete-MaaRequest -Id $Piped[1].id -Confirm:$false -ErrorAction Stop }
            Assert-MaaProblem $record -Code 'not_initiator', 'forbidden' -Category 'PermissionDenied' -Status 403
            (Get-Raw -BaseUri $Uri -User alice -Path "requests/$($Piped[1].id)").status | Should -Be 'approved'
        }

        It '404: an unknown request id' {
            As alice
            $record = Get-ErrorRecord { Get-MaaRequest -Id ([guid]::NewGuid().ToString()) -ErrorAction Stop }
            Assert-MaaProblem $record -Code 'not_found' -Category 'ObjectNotFound' -Status 404
        }

        It '409: approving twice' {
            As bob
            $record = Get-ErrorRecord { Approve-MaaRequest -Id $Piped[1].id -Notes 'again' -Confirm:$false -ErrorAction Stop }
            Assert-MaaProblem $record -Code 'already_decided', 'invalid_state' -Category 'ResourceExists', 'InvalidOperation' -Status 409
        }

        It '409: completing before approval' {
            As alice
            $script:Early = SubmitWipe 6
            $record = Get-ErrorRecord { Complete-MaaRequest -Id $Early.id -Confirm:$false -ErrorAction Stop }
            Assert-MaaProblem $record -Code 'invalid_state' -Category 'ResourceExists', 'InvalidOperation' -Status 409
            (Get-Raw -BaseUri $Uri -User alice -Path "requests/$($Early.id)").status | Should -Be 'needsApproval'
        }

        It '422: no policy protects the profile type' {
            As alice
            $record = Get-ErrorRecord {
                Submit-MaaRequest -ProfileType deviceRetire -Action retire -ResourceType managedDevice `
                    -ResourceId (Device 2) -Justification 'no policy' -Confirm:$false -ErrorAction Stop
            }
            Assert-MaaProblem $record -Code 'no_applicable_policy' -Category 'InvalidData' -Status 422
        }

        It '422: a device Intune does not know' {
            As alice
            $record = Get-ErrorRecord {
                Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice `
                    -ResourceId 'd3a1c0de-0000-4000-8000-0000000000ff' -Justification 'nobody' -Confirm:$false -ErrorAction Stop
            }
            Assert-MaaProblem $record -Code 'target_not_found' -Category 'InvalidData' -Status 422
        }

        It 'times out waiting for a request that is not decided' {
            As alice
            $record = Get-ErrorRecord { Wait-MaaRequest -Id $Early.id -For Approved -TimeoutSeconds 1 -ErrorAction Stop }
            ("$($record.FullyQualifiedErrorId)" -split ',')[0] | Should -Be 'wait_timeout'
            "$($record.CategoryInfo.Category)" | Should -Be 'OperationTimeout'
            (Get-Raw -BaseUri $Uri -User alice -Path "requests/$($Early.id)").status | Should -Be 'needsApproval'
        }
    }
}
