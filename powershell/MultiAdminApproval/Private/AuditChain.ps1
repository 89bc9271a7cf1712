# The audit trail's hash chain, recomputed here exactly as the server computes it
# (shared/domain/auditChain.ts and canonicalJson.ts): a record's hash is the hex SHA-256 of the
# canonical JSON of { requestId, seq, type, at, actor, data, prevHash }: keys sorted by UTF-16 code
# units, no whitespace, strings and numbers as JavaScript's JSON.stringify writes them. The records
# are read as System.Text.Json elements from the API's own text, so nothing is re-typed on the way.

$script:MaaGenesisHash = '0' * 64

function ConvertTo-MaaJsonString([string]$Text) {
    # JSON.stringify: '"', '\' and controls below U+0020 escaped (the short forms where JSON has
    # them), lone surrogates as \uXXXX, everything else as is.
    $escaped = [regex]::Replace($Text, '[\x00-\x1f"\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]', {
            param($m)
            switch ([int][char]$m.Value[0]) {
                0x22 { return '\"' }
                0x5c { return '\\' }
                0x08 { return '\b' }
                0x0c { return '\f' }
                0x0a { return '\n' }
                0x0d { return '\r' }
                0x09 { return '\t' }
                default { return ('\u{0:x4}' -f [int][char]$m.Value[0]) }
            }
        })
    '"' + $escaped + '"'
}

function ConvertTo-MaaCanonicalJson([System.Text.Json.JsonElement]$Element) {
    switch ($Element.ValueKind) {
        'Object' {
            # JSON.parse keeps the last of duplicate keys.
            $members = [System.Collections.Generic.Dictionary[string, System.Text.Json.JsonElement]]::new([System.StringComparer]::Ordinal)
            foreach ($property in $Element.EnumerateObject()) { $members[$property.Name] = $property.Value }
            $names = [string[]]@($members.Keys)
            [System.Array]::Sort($names, [System.StringComparer]::Ordinal)
            $parts = foreach ($name in $names) { (ConvertTo-MaaJsonString $name) + ':' + (ConvertTo-MaaCanonicalJson $members[$name]) }
            return '{' + ($parts -join ',') + '}'
        }
        'Array' {
            $parts = foreach ($item in $Element.EnumerateArray()) { ConvertTo-MaaCanonicalJson $item }
            return '[' + ($parts -join ',') + ']'
        }
        'String' { return ConvertTo-MaaJsonString $Element.GetString() }
        # The server wrote its numbers with JSON.stringify, so their text is already canonical.
        'Number' { return $Element.GetRawText() }
        'True' { return 'true' }
        'False' { return 'false' }
        'Null' { return 'null' }
    }
    throw "not JSON: $($Element.ValueKind)"
}

function Get-MaaSha256Hex([string]$Text) {
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text)
    [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
}

# auditHash: the hash of a record's content chained after its prevHash.
function Get-MaaAuditHash([System.Text.Json.JsonElement]$Record, [string]$PrevHash) {
    # The members in canonical (ordinal) order; one the record does not have is left out, as
    # canonicalJson drops undefined members.
    $parts = foreach ($name in 'actor', 'at', 'data', 'prevHash', 'requestId', 'seq', 'type') {
        if ($name -eq 'prevHash') { '"prevHash":' + (ConvertTo-MaaJsonString $PrevHash); continue }
        $value = [System.Text.Json.JsonElement]::new()
        if ($Record.TryGetProperty($name, [ref]$value)) { (ConvertTo-MaaJsonString $name) + ':' + (ConvertTo-MaaCanonicalJson $value) }
    }
    Get-MaaSha256Hex ('{' + ($parts -join ',') + '}')
}

function Get-MaaProperty([System.Text.Json.JsonElement]$Element, [string]$Name) {
    $value = [System.Text.Json.JsonElement]::new()
    if ($Element.ValueKind -eq 'Object' -and $Element.TryGetProperty($Name, [ref]$value)) { return , $value }
    $null
}

function Get-MaaElementText($Element) {
    if ($null -eq $Element) { return $null }
    switch ($Element.ValueKind) {
        'String' { return $Element.GetString() }
        'Number' { return $Element.GetRawText() }
        default { return $Element.GetRawText() }
    }
}

# verifyChain: the first record that breaks the chain, or $null when it holds. Each record must
# belong to the first record's request, have seq = its index, the id '<requestId>:<seq as 6
# digits>', the previous record's hash as prevHash (64 zeros for the first) and a hash that
# recomputes.
function Test-MaaAuditChain([System.Text.Json.JsonElement[]]$Records) {
    $prevHash = $script:MaaGenesisHash
    $requestId = $null
    for ($index = 0; $index -lt $Records.Count; $index++) {
        $record = $Records[$index]
        $rid = Get-MaaElementText (Get-MaaProperty $record 'requestId')
        if ($index -eq 0) { $requestId = $rid }
        $seqElement = Get-MaaProperty $record 'seq'
        $seq = if ($null -ne $seqElement -and $seqElement.ValueKind -eq 'Number') { $seqElement.GetDouble() } else { $null }
        $id = Get-MaaElementText (Get-MaaProperty $record 'id')
        $recordPrev = Get-MaaElementText (Get-MaaProperty $record 'prevHash')
        $hash = Get-MaaElementText (Get-MaaProperty $record 'hash')
        $reason = $null
        if ($rid -cne $requestId) { $reason = "belongs to request $rid, not $requestId" }
        elseif ($index -gt 999999) { $reason = "seq $index is beyond 999999" }
        elseif ($seq -ne $index) { $reason = "has seq $(Get-MaaElementText $seqElement) where $index belongs (a record is missing, extra or out of order)" }
        elseif ($id -cne ('{0}:{1:d6}' -f $requestId, $index)) { $reason = "has id $id, expected $('{0}:{1:d6}' -f $requestId, $index)" }
        elseif ($recordPrev -cne $prevHash) { $reason = 'prevHash does not match the previous record' }
        else {
            $recomputed = $null
            try { $recomputed = Get-MaaAuditHash $record $recordPrev } catch { $reason = 'its content is not canonical JSON' }
            if (-not $reason -and $hash -cne $recomputed) { $reason = 'hash does not match its content' }
        }
        if ($reason) { return [pscustomobject]@{ index = $index; seq = $seq; reason = $reason } }
        $prevHash = $hash
    }
    $null
}
