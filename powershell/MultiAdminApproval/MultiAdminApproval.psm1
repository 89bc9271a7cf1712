#Requires -Version 7.2
Set-StrictMode -Version 3.0

foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot 'Private') -Filter '*.ps1') { . $file.FullName }

# Items asked for per page of a list (the API's maximum); the lists follow continuation tokens.
$script:MaaPageSize = 100

function Invoke-MaaCommand {
    # Runs an API call for a public cmdlet: an ErrorRecord thrown by the helpers becomes that
    # cmdlet's terminating error (FullyQualifiedErrorId '<code>,<cmdlet>').
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [hashtable]$Call, [switch]$File)
    try { if ($File) { Receive-MaaApiFile @Call } else { Invoke-MaaApi @Call } }
    catch {
        $record = if ($_.TargetObject -is [System.Management.Automation.ErrorRecord]) { $_.TargetObject } else { $_ }
        if ($_.Exception -is [System.Management.Automation.RuntimeException] -and $_.Exception.ErrorRecord -and
            $_.Exception.ErrorRecord.Exception.Data.Contains('code')) { $record = $_.Exception.ErrorRecord }
        $Cmdlet.ThrowTerminatingError($record)
    }
}

function Get-MaaRequestPath([string]$Id, [string]$Rest = '') { "/api/requests/$(ConvertTo-MaaPathSegment $Id)$Rest" }

# A time as the API's queries take it: RFC 3339 in UTC with milliseconds, URL-safe.
function ConvertTo-MaaInstant([DateTimeOffset]$Time) {
    $Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", [System.Globalization.CultureInfo]::InvariantCulture)
}

<#
.SYNOPSIS
Connects this PowerShell session to a multi-admin-approval service.

.DESCRIPTION
Remembers the service's base URI and a bearer token for the other Maa cmdlets of this session.
The token comes from one of:
- -LocalUser: the local runtime's development token issuer (POST /_local/token), e.g. alice or bob.
  A local token that expires is minted again by itself.
- -AccessToken: a token you obtained elsewhere (a string or a SecureString).
- -UseAzContext: the Az PowerShell session you already signed in with (Connect-AzAccount), through
  Get-AzAccessToken for the API's resource (-Scope, e.g. api://<app-id>/.default).
- -UseGraphContext: the tenant and account of the Microsoft Graph PowerShell session you already
  signed in with (Connect-MgGraph, read through Get-MgContext); the token for the API itself is
  asked of Az (Get-AzAccessToken -TenantId <that tenant>), since a Graph token is for Graph only.
Outputs nothing, or with -PassThru the connection (base URI, user, method; never the token).

.PARAMETER BaseUri
The service's URL, e.g. http://127.0.0.1:7071 locally or https://<app>.azurewebsites.net.

.PARAMETER LocalUser
A seeded user of the local runtime (alice, bob, carol, dave, olga).

.PARAMETER AccessToken
An Entra access token for the API (string or SecureString).

.PARAMETER UseAzContext
Take the token from Az PowerShell's current context.

.PARAMETER UseGraphContext
Use the Microsoft Graph PowerShell context's tenant to ask Az for the token.

.PARAMETER PassThru
Output the connection.

.PARAMETER Scope
The API's scope or resource for -UseAzContext/-UseGraphContext, e.g. api://<app-id>/.default.

.EXAMPLE
Connect-MaaService -BaseUri http://127.0.0.1:7071 -LocalUser alice

Signs in to the local runtime as alice.

.EXAMPLE
Connect-AzAccount; Connect-MaaService -BaseUri https://maa-prod.azurewebsites.net -UseAzContext -Scope api://7c1e.../.default

Uses the Az sign-in the admin already has.

.EXAMPLE
Connect-MaaService -BaseUri $Url -AccessToken $env:MAA_TOKEN
#>
function Connect-MaaService {
    [CmdletBinding(DefaultParameterSetName = 'Local')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, Position = 0)][ValidatePattern('^https?://')][string]$BaseUri,
        [Parameter(Mandatory, ParameterSetName = 'Local')][ValidateNotNullOrEmpty()][string]$LocalUser,
        [Parameter(Mandatory, ParameterSetName = 'Token')][ValidateNotNull()][object]$AccessToken,
        [Parameter(Mandatory, ParameterSetName = 'Az')][switch]$UseAzContext,
        [Parameter(Mandatory, ParameterSetName = 'Graph')][switch]$UseGraphContext,
        [Parameter(Mandatory, ParameterSetName = 'Az')][Parameter(Mandatory, ParameterSetName = 'Graph')][string]$Scope,
        [switch]$PassThru
    )
    $base = $BaseUri.TrimEnd('/')
    $token = $null
    $user = $null
    try {
        switch ($PSCmdlet.ParameterSetName) {
            'Local' {
                $token = Get-MaaLocalToken $base $LocalUser
                $user = $LocalUser
            }
            'Token' {
                $token = if ($AccessToken -is [securestring]) { [System.Net.NetworkCredential]::new('', $AccessToken).Password } else { [string]$AccessToken }
            }
            default {
                if (-not (Get-Command Get-AzAccessToken -ErrorAction SilentlyContinue)) {
                    throw (New-MaaErrorRecord -Code 'az_module_missing' -Category NotInstalled -Target $Scope `
                            -Message 'Get-AzAccessToken is not available: install and import Az.Accounts and run Connect-AzAccount, or pass -AccessToken.')
                }
                $resource = $Scope -replace '/\.default$', ''
                $azArgs = @{ ResourceUrl = $resource; ErrorAction = 'Stop' }
                if ($PSCmdlet.ParameterSetName -eq 'Graph') {
                    if (-not (Get-Command Get-MgContext -ErrorAction SilentlyContinue)) {
                        throw (New-MaaErrorRecord -Code 'graph_module_missing' -Category NotInstalled -Target $Scope `
                                -Message 'Get-MgContext is not available: install Microsoft.Graph.Authentication and run Connect-MgGraph.')
                    }
                    $context = Get-MgContext
                    if ($null -eq $context) {
                        throw (New-MaaErrorRecord -Code 'graph_not_signed_in' -Category AuthenticationError -Target $Scope `
                                -Message 'No Microsoft Graph context: run Connect-MgGraph first.')
                    }
                    $azArgs.TenantId = $context.TenantId
                    $user = $context.Account
                }
                $answer = Get-AzAccessToken @azArgs
                $token = if ($answer.Token -is [securestring]) { [System.Net.NetworkCredential]::new('', $answer.Token).Password } else { [string]$answer.Token }
                if (-not $user -and $answer.PSObject.Properties['UserId']) { $user = $answer.UserId }
            }
        }
    } catch {
        $record = if ($_.Exception.Data.Contains('code')) { $_ } else {
            New-MaaErrorRecord -Code 'sign_in_failed' -Message "Sign-in failed: $($_.Exception.Message)" -Category AuthenticationError -Target $base
        }
        $PSCmdlet.ThrowTerminatingError($record)
    }
    if ([string]::IsNullOrWhiteSpace($token)) {
        $PSCmdlet.ThrowTerminatingError((New-MaaErrorRecord -Code 'sign_in_failed' -Message 'No access token was obtained.' -Category AuthenticationError -Target $base))
    }
    $script:MaaConnection = [pscustomobject]@{
        BaseUri   = $base
        Token     = $token
        LocalUser = if ($PSCmdlet.ParameterSetName -eq 'Local') { $LocalUser } else { $null }
    }
    if ($PassThru) { [pscustomobject]@{ PSTypeName = 'MultiAdminApproval.Connection'; BaseUri = $base; User = $user; AuthMethod = $PSCmdlet.ParameterSetName } }
}

<#
.SYNOPSIS
Gets the access policies, or one policy by id.

.DESCRIPTION
GET /api/policies (every page) or GET /api/policies/{id}. Each policy is one object out, with
Health: whether requests under it can be approved at all (Health.Status ok, atRisk or
unapprovable; Health.EligibleApprovers, the approver groups' members who hold MAA.Approver;
Health.Reasons, why the status is not ok). In the list, Health is absent for a policy whose
approver groups the service could not read from the directory just then.

.PARAMETER Id
The policy's id; takes the id property of piped objects.

.EXAMPLE
Get-MaaPolicy

.EXAMPLE
Get-MaaPolicy | Where-Object profileType -eq deviceWipe | Select-Object displayName, approverGroupIds, version

.EXAMPLE
Get-MaaPolicy | Where-Object { $_.Health.Status -ne 'ok' } | Select-Object displayName, profileType, @{ n = 'Status'; e = { $_.Health.Status } }, @{ n = 'Why'; e = { $_.Health.Reasons -join '; ' } }
#>
function Get-MaaPolicy {
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(ValueFromPipelineByPropertyName)][ValidateNotNullOrEmpty()][string[]]$Id)
    process {
        if ($Id) {
            foreach ($one in $Id) { (Invoke-MaaCommand $PSCmdlet @{ Method = 'GET'; Path = "/api/policies/$(ConvertTo-MaaPathSegment $one)" }).Value }
            return
        }
        $token = $null
        do {
            $path = "/api/policies?top=$script:MaaPageSize" + $(if ($token) { "&continuationToken=$([System.Uri]::EscapeDataString($token))" } else { '' })
            $page = (Invoke-MaaCommand $PSCmdlet @{ Method = 'GET'; Path = $path }).Value
            foreach ($item in @($page.items)) { $item }
            $token = if ($page.PSObject.Properties['continuationToken']) { $page.continuationToken } else { $null }
        } while ($token)
    }
}

<#
.SYNOPSIS
Proposes a new access policy (a request another policy admin approves).

.DESCRIPTION
POST /api/policies. A policy change is itself a request of profile type operationApprovalPolicy:
this returns that request (status needsApproval); once another policy admin approves it, you
complete it (Complete-MaaRequest) and the policy applies.

.PARAMETER DisplayName
The policy's name.
.PARAMETER ProfileType
The profile type it protects, e.g. deviceWipe (see docs/catalogue.md).
.PARAMETER ApproverGroupId
One or more Entra group object ids whose members approve.
.PARAMETER RequiredApprovals
How many approvals a request needs (1..10; default 1).
.PARAMETER Justification
Why, shown to the approvers.
.PARAMETER Description
A longer description.
.PARAMETER RequestTtl
How long a request stays open, ISO 8601 (PT1H..P90D; default P30D).
.PARAMETER ApprovalsByScope
Risk-based quorum rules: hashtables such as @{ minDevices = 10; requiredApprovals = 2 } or
@{ assignsToAll = $true; requiredApprovals = 3 }; the highest matching rule raises a request's quorum.
.PARAMETER Completion
Who completes an approved request: initiator (default) or onApproval (the service, as soon as the
quorum is reached; refused for profile types nothing executes).
.PARAMETER ExecuteWithin
ISO 8601 (PT5M..P30D): once approved, a request must complete within it or it expires.

.EXAMPLE
New-MaaPolicy -DisplayName 'Device wipes need a second admin' -ProfileType deviceWipe -ApproverGroupId a9900000-0000-4000-8000-000000000101 -RequiredApprovals 1 -Justification 'Protect wipes'

.EXAMPLE
New-MaaPolicy -DisplayName 'Wipes' -ProfileType deviceWipe -ApproverGroupId $g -Justification 'Protect wipes' -WhatIf

Shows what would be sent and sends nothing.

.EXAMPLE
New-MaaPolicy -DisplayName 'Retires' -ProfileType deviceRetire -ApproverGroupId $g -ApprovalsByScope @{ minDevices = 10; requiredApprovals = 2 } -Completion onApproval -ExecuteWithin PT4H -Justification 'Bulk retires need two'

Retiring ten devices or more needs two approvals, and the retire runs as soon as it is approved.
#>
function New-MaaPolicy {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)][string]$DisplayName,
        [Parameter(Mandatory)][string]$ProfileType,
        [Parameter(Mandatory)][string[]]$ApproverGroupId,
        [ValidateRange(1, 10)][int]$RequiredApprovals,
        [Parameter(Mandatory)][string]$Justification,
        [string]$Description,
        [string]$RequestTtl,
        [hashtable[]]$ApprovalsByScope,
        [ValidateSet('initiator', 'onApproval')][string]$Completion,
        [string]$ExecuteWithin
    )
    $body = [ordered]@{ displayName = $DisplayName; profileType = $ProfileType; approverGroupIds = @($ApproverGroupId); justification = $Justification }
    if ($PSBoundParameters.ContainsKey('RequiredApprovals')) { $body.requiredApprovals = $RequiredApprovals }
    if ($PSBoundParameters.ContainsKey('Description')) { $body.description = $Description }
    if ($PSBoundParameters.ContainsKey('RequestTtl')) { $body.requestTtl = $RequestTtl }
    if ($PSBoundParameters.ContainsKey('ApprovalsByScope')) { $body.approvalsByScope = @($ApprovalsByScope) }
    if ($PSBoundParameters.ContainsKey('Completion')) { $body.completion = $Completion }
    if ($PSBoundParameters.ContainsKey('ExecuteWithin')) { $body.executeWithin = $ExecuteWithin }
    if ($PSCmdlet.ShouldProcess("access policy '$DisplayName' for $ProfileType", 'Propose (POST /api/policies)')) {
        (Invoke-MaaCommand $PSCmdlet @{ Method = 'POST'; Path = '/api/policies'; Body = $body }).Value
    }
}

<#
.SYNOPSIS
Submits a request for a privileged operation.

.DESCRIPTION
POST /api/requests with { profileType, operation: { action, resourceType, resourceId, payload },
justification }; the operation is one of the catalogue (docs/catalogue.md). Returns the request
(status needsApproval). With -IdempotencyKey the same submit sent again returns the same request.

.PARAMETER ProfileType
The profile type, e.g. deviceWipe.
.PARAMETER Action
The catalogue action, e.g. wipe.
.PARAMETER ResourceType
The catalogue resource type, e.g. managedDevice.
.PARAMETER ResourceId
The Intune id of the target (omit for operations that create something).
.PARAMETER ResourceIds
A bulk device action (wipe, retire or delete of managedDevice): 1..100 device ids, in place of
-ResourceId. Each device is locked, shown to the approvers and executed on its own.
.PARAMETER Payload
The operation's parameters: a hashtable, an object or a JSON string.
.PARAMETER Justification
Why, shown to the approvers.
.PARAMETER IdempotencyKey
Sent as the Idempotency-Key header.

.EXAMPLE
Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice -ResourceId d3a1c0de-0000-4000-8000-000000000001 -Payload @{ keepEnrollmentData = $false } -Justification 'Reported stolen (INC-4711)' -IdempotencyKey wipe-lt-alice-01

.EXAMPLE
$r = Submit-MaaRequest -ProfileType deviceWipe -Action wipe -ResourceType managedDevice -ResourceId $device -Justification 'Lost'; $r.id

.EXAMPLE
Submit-MaaRequest -ProfileType deviceRetire -Action retire -ResourceType managedDevice -ResourceIds (Get-Content leavers.txt) -Justification 'Leavers of December (HR-2026-12)'

One request retires every device listed in the file (up to 100).
#>
function Submit-MaaRequest {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)][string]$ProfileType,
        [Parameter(Mandatory)][string]$Action,
        [Parameter(Mandatory)][string]$ResourceType,
        [string]$ResourceId,
        [string[]]$ResourceIds,
        [object]$Payload,
        [Parameter(Mandatory)][string]$Justification,
        [string]$IdempotencyKey
    )
    $operation = [ordered]@{ action = $Action; resourceType = $ResourceType }
    if ($PSBoundParameters.ContainsKey('ResourceId')) { $operation.resourceId = $ResourceId }
    if ($PSBoundParameters.ContainsKey('ResourceIds')) { $operation.resourceIds = @($ResourceIds) }
    if ($PSBoundParameters.ContainsKey('Payload') -and $null -ne $Payload) {
        $operation.payload = if ($Payload -is [string]) {
            try { ConvertFrom-Json -InputObject $Payload -AsHashtable -Depth 64 }
            catch { $PSCmdlet.ThrowTerminatingError((New-MaaErrorRecord -Code 'invalid_payload' -Category InvalidArgument -Target $Payload -Message "-Payload is not JSON: $($_.Exception.Message)")) }
        } else { $Payload }
    }
    $body = [ordered]@{ profileType = $ProfileType; operation = $operation; justification = $Justification }
    $headers = @{}
    if ($IdempotencyKey) { $headers['Idempotency-Key'] = $IdempotencyKey }
    $target = "$Action $ResourceType$(if ($ResourceId) { " $ResourceId" })$(if ($ResourceIds) { " ($(@($ResourceIds).Count) devices)" })"
    if ($PSCmdlet.ShouldProcess($target, "Submit a $ProfileType request (POST /api/requests)")) {
        (Invoke-MaaCommand $PSCmdlet @{ Method = 'POST'; Path = '/api/requests'; Body = $body; Headers = $headers }).Value
    }
}

<#
.SYNOPSIS
Gets requests: one by id, or a list following every continuation token.

.DESCRIPTION
GET /api/requests/{id}, or GET /api/requests?view=&status= page after page, newest first. Views:
Mine (initiated by you, the default), Received (others' requests you may decide), All (operators).
The search filters narrow any view; every filter given must match.

.PARAMETER Id
The request's id; takes the id property of piped objects.
.PARAMETER View
Mine, Received or All.
.PARAMETER Status
needsApproval, approved, rejected, cancelled, completed or expired.
.PARAMETER ProfileType
Only requests of this profile type, e.g. deviceWipe.
.PARAMETER Initiator
Only requests this principal (Entra object id) initiated.
.PARAMETER Target
Only requests on this resource id: the operation's resourceId or a device of a bulk action (any letter case).
.PARAMETER CreatedFrom
Only requests created at or after this time.
.PARAMETER CreatedTo
Only requests created before this time.
.PARAMETER First
Stop after this many requests.

.EXAMPLE
Get-MaaRequest -View Received -Status needsApproval

.EXAMPLE
Get-MaaRequest -View All -Target d3a1c0de-0000-4000-8000-000000000001 -CreatedFrom (Get-Date).AddDays(-30)

.EXAMPLE
Get-MaaRequest -View Received -Status needsApproval | Approve-MaaRequest -Notes 'confirmed with the user'

.EXAMPLE
Get-MaaRequest -Id 2c9a4c1e-0b7e-4f7a-9d43-7e1f9b0f2a61 | Select-Object status, target, execution
#>
function Get-MaaRequest {
    [CmdletBinding(DefaultParameterSetName = 'List')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Id', ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id,
        [Parameter(ParameterSetName = 'List')][ValidateSet('Mine', 'Received', 'All')][string]$View = 'Mine',
        [Parameter(ParameterSetName = 'List')][ValidateSet('needsApproval', 'approved', 'rejected', 'cancelled', 'completed', 'expired')][string]$Status,
        [Parameter(ParameterSetName = 'List')][ValidateSet('app', 'script', 'compliancePolicy', 'configurationPolicy', 'deviceWipe',
            'deviceRetire', 'deviceDelete', 'role', 'tenantConfiguration', 'operationApprovalPolicy')][string]$ProfileType,
        [Parameter(ParameterSetName = 'List')][ValidateNotNullOrEmpty()][string]$Initiator,
        [Parameter(ParameterSetName = 'List')][ValidateNotNullOrEmpty()][string]$Target,
        [Parameter(ParameterSetName = 'List')][DateTimeOffset]$CreatedFrom,
        [Parameter(ParameterSetName = 'List')][DateTimeOffset]$CreatedTo,
        [Parameter(ParameterSetName = 'List')][ValidateRange(1, [int]::MaxValue)][int]$First
    )
    process {
        if ($PSCmdlet.ParameterSetName -eq 'Id') {
            foreach ($one in $Id) { (Invoke-MaaCommand $PSCmdlet @{ Method = 'GET'; Path = (Get-MaaRequestPath $one) }).Value }
            return
        }
        $query = "view=$($View.ToLowerInvariant())&top=$script:MaaPageSize"
        if ($Status) { $query += "&status=$Status" }
        if ($ProfileType) { $query += "&profileType=$ProfileType" }
        if ($Initiator) { $query += "&initiator=$([System.Uri]::EscapeDataString($Initiator))" }
        if ($Target) { $query += "&target=$([System.Uri]::EscapeDataString($Target))" }
        if ($PSBoundParameters.ContainsKey('CreatedFrom')) { $query += "&createdFrom=$(ConvertTo-MaaInstant $CreatedFrom)" }
        if ($PSBoundParameters.ContainsKey('CreatedTo')) { $query += "&createdTo=$(ConvertTo-MaaInstant $CreatedTo)" }
        $token = $null
        $count = 0
        do {
            $path = "/api/requests?$query" + $(if ($token) { "&continuationToken=$([System.Uri]::EscapeDataString($token))" } else { '' })
            $page = (Invoke-MaaCommand $PSCmdlet @{ Method = 'GET'; Path = $path }).Value
            foreach ($item in @($page.items)) {
                $item
                $count++
                if ($First -and $count -ge $First) { return }
            }
            $token = if ($page.PSObject.Properties['continuationToken']) { $page.continuationToken } else { $null }
        } while ($token)
    }
}

function Send-MaaRequestCommand {
    param($Cmdlet, [string]$Id, [string]$Verb, [hashtable]$Body, [string]$What)
    if ($Cmdlet.ShouldProcess("request $Id", $What)) {
        (Invoke-MaaCommand $Cmdlet @{ Method = 'POST'; Path = (Get-MaaRequestPath $Id "/$Verb"); Body = $Body }).Value
    }
}

<#
.SYNOPSIS
Approves a request.

.DESCRIPTION
POST /api/requests/{id}/approve with your notes. Returns the request as the API answers once the
request's orchestration applied the decision (200: status approved when it reached the quorum). A
decision the orchestration refused (a lost race) is an error with its code; one it had not applied
within the service's wait (202) returns the request as it stood: wait for it
(Wait-MaaRequest -For Approved) before completing.

.PARAMETER Id
The request's id; takes the id property of piped objects.
.PARAMETER Notes
Why you approve (optional).

.EXAMPLE
Approve-MaaRequest -Id $r.id -Notes 'confirmed with the user'

.EXAMPLE
Get-MaaRequest -View Received -Status needsApproval | Approve-MaaRequest -Notes 'confirmed with the user' -WhatIf
#>
function Approve-MaaRequest {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id,
        [string]$Notes = ''
    )
    process { foreach ($one in $Id) { Send-MaaRequestCommand $PSCmdlet $one 'approve' @{ notes = $Notes } 'Approve' } }
}

<#
.SYNOPSIS
Rejects a request (notes required).

.DESCRIPTION
POST /api/requests/{id}/reject with your notes. Returns the request as the API answers once the
orchestration applied it (200; 202 and the request as it stood when it had not within the wait).

.PARAMETER Id
The request's id; takes the id property of piped objects.
.PARAMETER Notes
Why you reject (required, not blank).

.EXAMPLE
Deny-MaaRequest -Id $r.id -Notes 'no ticket'

.EXAMPLE
Get-MaaRequest -View Received -Status needsApproval | Where-Object { $_.justification -notmatch 'INC-' } | Deny-MaaRequest -Notes 'no incident number'
#>
function Deny-MaaRequest {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id,
        [Parameter(Mandatory)][string]$Notes
    )
    process { foreach ($one in $Id) { Send-MaaRequestCommand $PSCmdlet $one 'reject' @{ notes = $Notes } 'Reject' } }
}

<#
.SYNOPSIS
Cancels your own request while it needs approval or is approved.

.DESCRIPTION
POST /api/requests/{id}/cancel. Returns the request as the API answers once the orchestration
applied it (200; 202 and the request as it stood when it had not within the wait).

.PARAMETER Id
The request's id; takes the id property of piped objects.

.EXAMPLE
Stop-MaaRequest -Id $r.id

.EXAMPLE
Get-MaaRequest -View Mine -Status needsApproval | Stop-MaaRequest -Confirm
#>
function Stop-MaaRequest {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory, ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id)
    process { foreach ($one in $Id) { Send-MaaRequestCommand $PSCmdlet $one 'cancel' @{} 'Cancel' } }
}

<#
.SYNOPSIS
Completes your approved request: the service executes the approved operation.

.DESCRIPTION
POST /api/requests/{id}/complete. Returns the request as the API answers once the orchestration
applied it (200, status completed); the execution outcome follows (Wait-MaaRequest -For Completed).

.PARAMETER Id
The request's id; takes the id property of piped objects.

.EXAMPLE
Complete-MaaRequest -Id $r.id

.EXAMPLE
Wait-MaaRequest -Id $r.id -For Approved -TimeoutSeconds 3600 | Complete-MaaRequest | Wait-MaaRequest -For Completed -TimeoutSeconds 600
#>
function Complete-MaaRequest {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory, ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id)
    process { foreach ($one in $Id) { Send-MaaRequestCommand $PSCmdlet $one 'complete' @{} 'Complete (execute the approved operation)' } }
}

<#
.SYNOPSIS
Waits until a request is approved or completed.

.DESCRIPTION
Reads GET /api/requests/{id} once, then long-polls it (?waitFor=approved, or waitFor=executed for
Completed, at most 25 s a call: the service answers as soon as the request gets there) until the
request reaches -For (Approved is also reached by completed; Completed counts once the execution
outcome is recorded) and outputs it. Fails with an
error whose id names why when the request closed otherwise (request_rejected, request_expired,
request_cancelled), when its execution failed (execution_failed; the request is the error's
TargetObject) or when -TimeoutSeconds passes (wait_timeout). Network errors and 5xx answers are
retried until the timeout.

.PARAMETER Id
The request's id; takes the id property of piped objects.
.PARAMETER For
Approved or Completed.
.PARAMETER TimeoutSeconds
How long to wait at most (default 600).
.PARAMETER IntervalSeconds
The first pause before asking again after the service could not be reached (default 0.5), growing
by half each time up to 30 seconds.

.EXAMPLE
Wait-MaaRequest -Id $r.id -For Approved -TimeoutSeconds 14400

.EXAMPLE
Complete-MaaRequest -Id $r.id | Wait-MaaRequest -For Completed -TimeoutSeconds 600 | Select-Object -ExpandProperty execution
#>
function Wait-MaaRequest {
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id,
        [Parameter(Mandatory)][ValidateSet('Approved', 'Completed')][string]$For,
        [ValidateRange(0, [int]::MaxValue)][int]$TimeoutSeconds = 600,
        [ValidateRange(0.05, 3600)][double]$IntervalSeconds = 0.5
    )
    process {
        foreach ($one in $Id) {
            $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
            $pause = $IntervalSeconds
            $last = $null
            $first = $true
            $waitFor = if ($For -eq 'Completed') { 'executed' } else { 'approved' }
            while ($true) {
                $failed = $false
                # The first call reads the request as it is; each one after is a long-poll the
                # service answers as soon as the request gets there (or closes), else after at most
                # 25 s (under the client's 30 s timeout). Nothing polls in between.
                $path = Get-MaaRequestPath $one
                if (-not $first) {
                    $seconds = [int][Math]::Max(1, [Math]::Ceiling([Math]::Min(25, ($deadline - [DateTime]::UtcNow).TotalSeconds)))
                    $path = "$path`?waitFor=$waitFor&timeout=PT$($seconds)S"
                }
                $first = $false
                try {
                    $last = (Invoke-MaaApi -Method GET -Path $path).Value
                    $pause = $IntervalSeconds
                } catch {
                    $record = $_
                    $status = if ($record.TargetObject -and $record.TargetObject.PSObject.Properties['status']) { [int]$record.TargetObject.status } else { 0 }
                    if ($record.FullyQualifiedErrorId -notlike 'connection_failed*' -and $status -lt 500) { $PSCmdlet.ThrowTerminatingError($record) }
                    Write-Verbose "$one : $($record.Exception.Message) (retrying)"
                    $failed = $true
                }
                if ($null -ne $last) {
                    Write-Verbose "$one : $($last.status)"
                    $fail = $null
                    switch ($last.status) {
                        'rejected' { $fail = @('request_rejected', "Request $one was rejected.") }
                        'expired' { $fail = @('request_expired', "Request $one expired at $($last.expiresAt).") }
                        'cancelled' { $fail = @('request_cancelled', "Request $one was cancelled.") }
                        'approved' { if ($For -eq 'Approved') { $last; break } }
                        'completed' {
                            if ($For -eq 'Approved') { $last; break }
                            if ($last.PSObject.Properties['execution'] -and $null -ne $last.execution) {
                                if ($last.execution.status -eq 'succeeded') { $last; break }
                                $fail = @('execution_failed', "Request $one was completed but its execution failed: $($last.execution.detail)")
                            }
                        }
                    }
                    if ($fail) {
                        $PSCmdlet.ThrowTerminatingError((New-MaaErrorRecord -Code $fail[0] -Message $fail[1] -Category InvalidResult -Target $last))
                    }
                    if (($last.status -eq 'approved' -and $For -eq 'Approved') -or
                        ($last.status -eq 'completed' -and ($For -eq 'Approved' -or ($last.PSObject.Properties['execution'] -and $null -ne $last.execution)))) { break }
                }
                $left = ($deadline - [DateTime]::UtcNow).TotalSeconds
                if ($left -le 0) {
                    $now = if ($last) { $last.status } else { 'unknown (no answer)' }
                    $PSCmdlet.ThrowTerminatingError((New-MaaErrorRecord -Code 'wait_timeout' -Category OperationTimeout -Target $last `
                                -Message "Timed out after $TimeoutSeconds s: request $one is $now, not $($For.ToLowerInvariant())."))
                }
                if ($failed) {
                    Start-Sleep -Milliseconds ([int](1000 * [Math]::Min($pause, $left)))
                    $pause = [Math]::Min($pause * 1.5, [Math]::Max($IntervalSeconds, 30))
                }
            }
        }
    }
}

<#
.SYNOPSIS
Gets a request's audit trail, and with -Verify re-checks its hash chain here.

.DESCRIPTION
GET /api/requests/{id}/audit, every page. Outputs one object: requestId, items (the records,
oldest first) and chainValid (the server's verdict). With -Verify it recomputes every record's
hash and the chain with the server's algorithm (as maa audit --verify does), checks the trail
against the head its request keeps, and adds verified (true when both this check and the server
agree), problems (what failed) and brokenAt (the index, seq and reason of the first record that
breaks the chain). A trail that does not verify also writes a warning.

.PARAMETER Id
The request's id; takes the id property of piped objects.
.PARAMETER Verify
Recompute the hash chain client-side.

.EXAMPLE
Get-MaaAuditTrail -Id $r.id -Verify | Select-Object chainValid, verified

.EXAMPLE
(Get-MaaAuditTrail -Id $r.id).items | Format-Table seq, type, at, @{ n = 'actor'; e = { $_.actor.displayName } }
#>
function Get-MaaAuditTrail {
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id,
        [switch]$Verify
    )
    process {
        foreach ($one in $Id) {
            $elements = [System.Collections.Generic.List[System.Text.Json.JsonElement]]::new()
            $items = [System.Collections.Generic.List[object]]::new()
            $chainValid = $null
            $token = $null
            do {
                $path = Get-MaaRequestPath $one ("/audit?top=$script:MaaPageSize" + $(if ($token) { "&continuationToken=$([System.Uri]::EscapeDataString($token))" } else { '' }))
                $answer = Invoke-MaaCommand $PSCmdlet @{ Method = 'GET'; Path = $path }
                foreach ($item in @($answer.Value.items)) { $items.Add($item) }
                $document = [System.Text.Json.JsonDocument]::Parse($answer.Text)
                foreach ($element in $document.RootElement.GetProperty('items').EnumerateArray()) { $elements.Add($element.Clone()) }
                $document.Dispose()
                # chainValid covers the whole trail on every page; the last page is the latest word.
                $chainValid = [bool]$answer.Value.chainValid
                $token = if ($answer.Value.PSObject.Properties['continuationToken']) { $answer.Value.continuationToken } else { $null }
            } while ($token)
            $trail = [ordered]@{ PSTypeName = 'MultiAdminApproval.AuditTrail'; requestId = $one; items = $items.ToArray(); chainValid = $chainValid }
            if ($Verify) {
                $problems = [System.Collections.Generic.List[string]]::new()
                $broken = Test-MaaAuditChain $elements.ToArray()
                if ($broken) { $problems.Add("BROKEN at record $($broken.index) (seq $($broken.seq)): $($broken.reason)") }
                # The head the request keeps: the trail must reach it and agree with it.
                $request = (Invoke-MaaCommand $PSCmdlet @{ Method = 'GET'; Path = (Get-MaaRequestPath $one) }).Value
                $head = if ($request.PSObject.Properties['trail']) { $request.trail } else { $null }
                $lastItem = if ($items.Count) { $items[$items.Count - 1] } else { $null }
                if ($null -eq $head) {
                    if ($items.Count) { $problems.Add("the request keeps no trail head, but $($items.Count) records exist") }
                } elseif ($null -eq $lastItem) {
                    $problems.Add("trail deleted: the request's head is record $($head.seq), but there are no records")
                } elseif ([long]$lastItem.seq -lt [long]$head.seq) {
                    $problems.Add("trail shortened: it ends at record $($lastItem.seq), but the request's head is record $($head.seq)")
                } else {
                    $atHead = $items | Where-Object { [long]$_.seq -eq [long]$head.seq } | Select-Object -First 1
                    if ($null -eq $atHead -or $atHead.hash -cne $head.hash) {
                        $problems.Add("trail rewritten: record $($head.seq) is not the one the request's head names")
                    }
                }
                if (-not $chainValid) { $problems.Add("the server reports the chain invalid") }
                $trail.verified = $problems.Count -eq 0
                $trail.problems = $problems.ToArray()
                $trail.brokenAt = $broken
                if (-not $trail.verified) { Write-Warning "Audit trail of $one does not verify: $($problems -join '; ')" }
            }
            [pscustomobject]$trail
        }
    }
}

<#
.SYNOPSIS
Exports audit records as CSV or JSON Lines: one request's whole trail, or every record of a time range.

.DESCRIPTION
With -Id: GET /api/requests/{id}/audit as text/csv or application/x-ndjson (the initiator, eligible
approvers and operators). With -From and -To: GET /api/audit, every audit record written in
[From, To) across requests, in time order (operators only). Every record carries its request's
chain verdict (chainValid). Without -Path the file's text is output; with -Path the body is
streamed into that file (replaced if it exists; a folder gets audit-<id>.<ext> or
audit-<from>-<to>.<ext> inside it) and the file is output.

.PARAMETER Id
The request's id; takes the id property of piped objects.
.PARAMETER From
The range's start (records at or after it).
.PARAMETER To
The range's end (records before it).
.PARAMETER Format
Csv (the default) or Ndjson (JSON Lines).
.PARAMETER Path
A file to write, or a folder to write into.

.EXAMPLE
Export-MaaAudit -Id $r.id -Path ./trail.csv

.EXAMPLE
Export-MaaAudit -From '2026-12-01' -To '2027-01-01' -Format Ndjson -Path ./december.ndjson

.EXAMPLE
Export-MaaAudit -Id $r.id | ConvertFrom-Csv | Format-Table seq, type, at, actorName, chainValid
#>
function Export-MaaAudit {
    [CmdletBinding(DefaultParameterSetName = 'Request')]
    [OutputType([string], [System.IO.FileInfo])]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Request', ValueFromPipelineByPropertyName, Position = 0)][Alias('RequestId')][ValidateNotNullOrEmpty()][string[]]$Id,
        [Parameter(Mandatory, ParameterSetName = 'Range')][DateTimeOffset]$From,
        [Parameter(Mandatory, ParameterSetName = 'Range')][DateTimeOffset]$To,
        [ValidateSet('Csv', 'Ndjson')][string]$Format = 'Csv',
        [string]$Path
    )
    process {
        $ext = $Format.ToLowerInvariant()
        $accept = if ($ext -eq 'csv') { 'text/csv' } else { 'application/x-ndjson' }
        $exports = if ($PSCmdlet.ParameterSetName -eq 'Request') {
            foreach ($one in $Id) { @{ Api = (Get-MaaRequestPath $one "/audit?format=$ext"); Name = "audit-$one.$ext" } }
        } else {
            $start = ConvertTo-MaaInstant $From
            $end = ConvertTo-MaaInstant $To
            $stamp = { param($t) $t -replace '[-:.]', '' }
            @{ Api = "/api/audit?from=$start&to=$end&format=$ext"; Name = "audit-$(& $stamp $start)-$(& $stamp $end).$ext" }
        }
        foreach ($export in $exports) {
            if (-not $Path) {
                Invoke-MaaCommand $PSCmdlet @{ Path = $export.Api; Accept = $accept } -File
                continue
            }
            $resolved = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
            if (Test-Path -LiteralPath $resolved -PathType Container) { $resolved = Join-Path $resolved $export.Name }
            Invoke-MaaCommand $PSCmdlet @{ Path = $export.Api; Accept = $accept; OutFile = $resolved } -File
            Get-Item -LiteralPath $resolved
        }
    }
}

Export-ModuleMember -Function Connect-MaaService, Get-MaaPolicy, New-MaaPolicy, Submit-MaaRequest, Get-MaaRequest,
Approve-MaaRequest, Deny-MaaRequest, Stop-MaaRequest, Complete-MaaRequest, Wait-MaaRequest, Get-MaaAuditTrail,
Export-MaaAudit
