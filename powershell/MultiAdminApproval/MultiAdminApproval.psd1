@{
    RootModule           = 'MultiAdminApproval.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f3f3e-6c3a-4a57-9a2e-1f4d0c1d8a14'
    Author               = 'multi-admin-approval contributors'
    Description          = 'PowerShell client of the multi-admin-approval service: submit, decide, complete, wait for and audit four-eyes requests for privileged Intune operations.'
    PowerShellVersion    = '7.2'
    CompatiblePSEditions = @('Core')
    FunctionsToExport    = @(
        'Connect-MaaService', 'Get-MaaPolicy', 'New-MaaPolicy', 'Submit-MaaRequest', 'Get-MaaRequest',
        'Approve-MaaRequest', 'Deny-MaaRequest', 'Stop-MaaRequest', 'Complete-MaaRequest', 'Wait-MaaRequest',
        'Get-MaaAuditTrail', 'Export-MaaAudit'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('Intune', 'MultiAdminApproval', 'Approval', 'Audit')
        }
    }
}
