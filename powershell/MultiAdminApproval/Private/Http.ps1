# The one way the module talks to the API: HttpClient, JSON in and out, problem+json turned into
# ErrorRecords that carry the problem's code.

$script:MaaHttp = $null
$script:MaaConnection = $null
# ConvertFrom-Json turns ISO 8601 strings into DateTime unless told otherwise (PowerShell 7.5+);
# the module keeps the API's text, so ids, times and hashes are exactly what the server sent.
$script:MaaJsonArgs = @{ Depth = 100 }
if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey('DateKind')) { $script:MaaJsonArgs.DateKind = 'String' }

function Get-MaaHttpClient {
    if ($null -eq $script:MaaHttp) {
        $handler = [System.Net.Http.HttpClientHandler]::new()
        $handler.AllowAutoRedirect = $false
        $script:MaaHttp = [System.Net.Http.HttpClient]::new($handler)
        $script:MaaHttp.Timeout = [TimeSpan]::FromSeconds(30)
    }
    $script:MaaHttp
}

function ConvertFrom-MaaJson([string]$Text) {
    if ([string]::IsNullOrWhiteSpace($Text)) { return $null }
    $Text | ConvertFrom-Json @script:MaaJsonArgs
}

function New-MaaErrorRecord {
    param(
        [string]$Code,
        [string]$Message,
        [System.Management.Automation.ErrorCategory]$Category,
        [object]$Target,
        [string]$RecommendedAction
    )
    $exception = [System.InvalidOperationException]::new($Message)
    $exception.Data['code'] = $Code
    $record = [System.Management.Automation.ErrorRecord]::new($exception, $Code, $Category, $Target)
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($Message)
    if ($RecommendedAction) { $record.ErrorDetails.RecommendedAction = $RecommendedAction }
    $record
}

function Get-MaaProblemCategory([int]$Status, [string]$Code) {
    switch ($Status) {
        400 { return [System.Management.Automation.ErrorCategory]::InvalidArgument }
        401 { return [System.Management.Automation.ErrorCategory]::AuthenticationError }
        403 { return [System.Management.Automation.ErrorCategory]::PermissionDenied }
        404 { return [System.Management.Automation.ErrorCategory]::ObjectNotFound }
        409 {
            if ($Code -in 'policy_exists', 'entity_locked', 'idempotency_key_reused') { return [System.Management.Automation.ErrorCategory]::ResourceExists }
            return [System.Management.Automation.ErrorCategory]::InvalidOperation
        }
        412 { return [System.Management.Automation.ErrorCategory]::InvalidOperation }
        413 { return [System.Management.Automation.ErrorCategory]::LimitsExceeded }
        422 { return [System.Management.Automation.ErrorCategory]::InvalidData }
    }
    if ($Status -ge 500) { return [System.Management.Automation.ErrorCategory]::ResourceUnavailable }
    [System.Management.Automation.ErrorCategory]::NotSpecified
}

# An ErrorRecord for a refused call: its error id is the problem's code (so the
# FullyQualifiedErrorId reads '<code>,<cmdlet>'), its target the problem itself.
function ConvertTo-MaaProblemError {
    param([int]$Status, [string]$Text, [string]$HeaderCode, [string]$Method, [string]$Path)
    $problem = $null
    try { $problem = ConvertFrom-MaaJson $Text } catch { $problem = $null }
    if ($problem -isnot [psobject] -or $null -eq $problem.PSObject.Properties['status']) {
        $problem = [pscustomobject]@{ status = $Status; title = "HTTP $Status"; detail = "$Text".Trim() }
    }
    foreach ($name in 'code', 'title', 'detail', 'errors') {
        if ($null -eq $problem.PSObject.Properties[$name]) { $problem | Add-Member -NotePropertyName $name -NotePropertyValue $null }
    }
    $code = if ($problem.code) { [string]$problem.code } elseif ($HeaderCode) { $HeaderCode } else { "http_$Status" }
    $problem.code = $code
    $problem | Add-Member -NotePropertyName method -NotePropertyValue $Method -Force
    $problem | Add-Member -NotePropertyName path -NotePropertyValue $Path -Force
    $message = "$($problem.title) ($Status $code)"
    if ($problem.detail) { $message += ": $($problem.detail)" }
    if ($problem.errors) {
        $fields = foreach ($e in @($problem.errors)) {
            $where = foreach ($n in 'path', 'field', 'name') { if ($e -is [psobject] -and $e.PSObject.Properties[$n]) { $e.$n; break } }
            $what = if ($e -is [psobject] -and $e.PSObject.Properties['message']) { $e.message } else { "$e" }
            if ($where) { "$(@($where) -join '.'): $what" } else { $what }
        }
        $message += " [$($fields -join '; ')]"
    }
    $action = switch ($Status) {
        401 { 'Run Connect-MaaService again: the token is missing, expired or refused.' }
        403 { 'The signed-in user lacks the role or approver group this needs.' }
        default { $null }
    }
    New-MaaErrorRecord -Code $code -Message $message -Category (Get-MaaProblemCategory $Status $code) -Target $problem -RecommendedAction $action
}

function Get-MaaLocalToken([string]$BaseUri, [string]$User) {
    $body = @{ user = $User } | ConvertTo-Json -Compress
    $answer = Send-MaaHttp -Method POST -Uri "$BaseUri/_local/token" -Body $body
    if ($answer.Status -ne 200) {
        throw (ConvertTo-MaaProblemError -Status $answer.Status -Text $answer.Text -HeaderCode $answer.Code -Method POST -Path '/_local/token')
    }
    (ConvertFrom-MaaJson $answer.Text).access_token
}

# Sends one request; answers { Status, Text, Code } or throws an ErrorRecord when the API
# cannot be reached.
function Send-MaaHttp {
    param([string]$Method, [string]$Uri, [string]$Body, [string]$Token, [hashtable]$Headers)
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), $Uri)
    if ($Token) { $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $Token) }
    $request.Headers.Accept.ParseAdd('application/json')
    if ($Headers) { foreach ($name in $Headers.Keys) { [void]$request.Headers.TryAddWithoutValidation($name, [string]$Headers[$name]) } }
    if ($PSBoundParameters.ContainsKey('Body') -and $null -ne $Body) {
        $request.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.UTF8Encoding]::new($false), 'application/json')
    }
    try {
        $response = (Get-MaaHttpClient).SendAsync($request).GetAwaiter().GetResult()
        $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
    } catch {
        $inner = $_.Exception
        while ($inner.InnerException) { $inner = $inner.InnerException }
        throw (New-MaaErrorRecord -Code 'connection_failed' -Message "Cannot reach $Uri ($($inner.Message))" `
                -Category ([System.Management.Automation.ErrorCategory]::ConnectionError) -Target $Uri)
    } finally {
        $request.Dispose()
    }
    $code = $null
    $values = $null
    if ($response.Headers.TryGetValues('x-error-code', [ref]$values)) { $code = @($values)[0] }
    $status = [int]$response.StatusCode
    $response.Dispose()
    [pscustomobject]@{ Status = $status; Text = $text; Code = $code }
}

# Calls the API as the connected user. Answers { Status, Text, Value } for a 2xx; throws the
# problem as an ErrorRecord otherwise. A local user's expired token is minted again once.
function Invoke-MaaApi {
    param(
        [Parameter(Mandatory)][string]$Method,
        [Parameter(Mandatory)][string]$Path,
        [object]$Body,
        [hashtable]$Headers
    )
    $connection = $script:MaaConnection
    if ($null -eq $connection) {
        throw (New-MaaErrorRecord -Code 'not_connected' -Message 'Not connected: run Connect-MaaService first.' `
                -Category ([System.Management.Automation.ErrorCategory]::AuthenticationError) -Target $Path `
                -RecommendedAction 'Connect-MaaService -BaseUri <url> -LocalUser <user> (or -AccessToken, -UseAzContext)')
    }
    $send = @{ Method = $Method; Uri = "$($connection.BaseUri)$Path"; Headers = $Headers }
    if ($PSBoundParameters.ContainsKey('Body')) {
        $send.Body = if ($Body -is [string]) { $Body } else { ConvertTo-Json -InputObject $Body -Depth 64 -Compress }
    }
    $answer = Send-MaaHttp @send -Token $connection.Token
    if ($answer.Status -eq 401 -and $answer.Code -eq 'expired_token' -and $connection.LocalUser) {
        $connection.Token = Get-MaaLocalToken $connection.BaseUri $connection.LocalUser
        $answer = Send-MaaHttp @send -Token $connection.Token
    }
    if ($answer.Status -lt 200 -or $answer.Status -gt 299) {
        throw (ConvertTo-MaaProblemError -Status $answer.Status -Text $answer.Text -HeaderCode $answer.Code -Method $Method -Path $Path)
    }
    [pscustomobject]@{ Status = $answer.Status; Text = $answer.Text; Value = (ConvertFrom-MaaJson $answer.Text) }
}

function ConvertTo-MaaPathSegment([string]$Value) { [System.Uri]::EscapeDataString($Value) }

# Downloads a file of the API (an audit export) as the connected user: its text, or with -OutFile
# the body streamed into that file. The client's timeout covers the wait for the answer's headers;
# the body is read as it arrives. Problems and a local user's expired token as Invoke-MaaApi.
function Receive-MaaApiFile {
    param(
        [Parameter(Mandatory)][string]$Path,
        [Parameter(Mandatory)][string]$Accept,
        [string]$OutFile
    )
    $connection = $script:MaaConnection
    if ($null -eq $connection) {
        throw (New-MaaErrorRecord -Code 'not_connected' -Message 'Not connected: run Connect-MaaService first.' `
                -Category ([System.Management.Automation.ErrorCategory]::AuthenticationError) -Target $Path `
                -RecommendedAction 'Connect-MaaService -BaseUri <url> -LocalUser <user> (or -AccessToken, -UseAzContext)')
    }
    $uri = "$($connection.BaseUri)$Path"
    for ($attempt = 0; ; $attempt++) {
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, $uri)
        $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $connection.Token)
        $request.Headers.Accept.ParseAdd($Accept)
        try {
            $response = (Get-MaaHttpClient).SendAsync($request, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
        } catch {
            $inner = $_.Exception
            while ($inner.InnerException) { $inner = $inner.InnerException }
            throw (New-MaaErrorRecord -Code 'connection_failed' -Message "Cannot reach $uri ($($inner.Message))" `
                    -Category ([System.Management.Automation.ErrorCategory]::ConnectionError) -Target $uri)
        } finally {
            $request.Dispose()
        }
        try {
            $status = [int]$response.StatusCode
            if ($status -ge 200 -and $status -le 299) {
                if (-not $OutFile) { return $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
                $body = $response.Content.ReadAsStream()
                $file = [System.IO.File]::Create($OutFile)
                try { $body.CopyTo($file) } finally { $file.Dispose(); $body.Dispose() }
                return
            }
            $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
            $code = $null
            $values = $null
            if ($response.Headers.TryGetValues('x-error-code', [ref]$values)) { $code = @($values)[0] }
        } finally {
            $response.Dispose()
        }
        if ($status -eq 401 -and $code -eq 'expired_token' -and $connection.LocalUser -and $attempt -eq 0) {
            $connection.Token = Get-MaaLocalToken $connection.BaseUri $connection.LocalUser
            continue
        }
        throw (ConvertTo-MaaProblemError -Status $status -Text $text -HeaderCode $code -Method GET -Path $Path)
    }
}
