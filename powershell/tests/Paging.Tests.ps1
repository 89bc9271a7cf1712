# Get-MaaRequest and Get-MaaPolicy follow continuation tokens until the last page. A real runtime
# would need more than a page of requests (100) for this, so the module's one HTTP call is mocked:
# pages of two, the token handed back on the next call exactly as received.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestRuntime.ps1')
    Import-Module $ModuleManifest -Force
    InModuleScope MultiAdminApproval {
        $script:MaaConnection = [pscustomobject]@{ BaseUri = 'http://127.0.0.1:9'; Token = 'unused'; LocalUser = $null }
    }
}

AfterAll { Remove-Module MultiAdminApproval -ErrorAction SilentlyContinue }

Describe 'following continuation tokens' {
    BeforeEach {
        $script:Paths = [System.Collections.Generic.List[string]]::new()
        Mock -ModuleName MultiAdminApproval Invoke-MaaApi {
            $Paths.Add($Path)
            $page = if ($Path -notmatch 'continuationToken=([^&]+)') { 1 } else { [int]([uri]::UnescapeDataString($Matches[1]) -replace '^page/', '') }
            $items = @(1, 2 | ForEach-Object { [pscustomobject]@{ id = "r-$page-$_"; status = 'needsApproval' } })
            $body = [pscustomobject]@{ items = $items }
            if ($page -lt 3) { $body | Add-Member -NotePropertyName continuationToken -NotePropertyValue "page/$($page + 1)" }
            [pscustomobject]@{ Value = $body; Status = 200 }
        }
    }

    It 'Get-MaaRequest returns every page''s requests, asking with the same view and status' {
        $requests = @(Get-MaaRequest -View Received -Status needsApproval)
        $requests.id | Should -Be @('r-1-1', 'r-1-2', 'r-2-1', 'r-2-2', 'r-3-1', 'r-3-2')
        $Paths | Should -HaveCount 3
        foreach ($path in $Paths) {
            $path | Should -Match 'view=received'
            $path | Should -Match 'status=needsApproval'
        }
        $Paths[0] | Should -Not -Match 'continuationToken'
        $Paths[1] | Should -Match 'continuationToken=page%2F2'
        $Paths[2] | Should -Match 'continuationToken=page%2F3'
    }

    It 'Get-MaaRequest -First stops asking once it has enough' {
        (Get-MaaRequest -View Mine -First 3).id | Should -Be @('r-1-1', 'r-1-2', 'r-2-1')
        $Paths | Should -HaveCount 2
    }

    It 'Get-MaaPolicy returns every page''s policies' {
        (Get-MaaPolicy).id | Should -HaveCount 6
        $Paths | Should -HaveCount 3
    }
}
