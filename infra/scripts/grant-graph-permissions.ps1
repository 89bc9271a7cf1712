# Grants the app's managed identity its Microsoft Graph application permissions, for deployments
# with MAA_MANAGE_ENTRA=false (azd provision grants them itself otherwise). Run it as an Entra
# admin who may consent (Privileged Role Administrator or Global Administrator), after `az login`:
#
#   ./infra/scripts/grant-graph-permissions.ps1 -PrincipalId <managed identity principalId> [-Mail] [-Intune]
#
# -Mail adds Mail.Send (email notifications); -Intune adds the optional Intune permissions for
# executors that call Intune themselves. Granting an app role to the identity is the admin consent.
param(
  [Parameter(Mandatory = $true)][string]$PrincipalId,
  [switch]$Mail,
  [switch]$Intune
)
$ErrorActionPreference = 'Stop'

$permissions = @('GroupMember.Read.All', 'Application.Read.All', 'User.ReadBasic.All')
if ($Mail) { $permissions += 'Mail.Send' }
if ($Intune) { $permissions += @('DeviceManagementManagedDevices.PrivilegedOperations.All', 'DeviceManagementManagedDevices.Read.All') }

$graph = az ad sp show --id 00000003-0000-0000-c000-000000000000 | ConvertFrom-Json
$assigned = (az rest --method GET --url "https://graph.microsoft.com/v1.0/servicePrincipals/$PrincipalId/appRoleAssignments" | ConvertFrom-Json).value
foreach ($permission in $permissions) {
  $role = $graph.appRoles | Where-Object { $_.value -eq $permission -and $_.allowedMemberTypes -contains 'Application' } | Select-Object -First 1
  if ($assigned | Where-Object { $_.appRoleId -eq $role.id }) { Write-Host "already granted: $permission"; continue }
  $body = @{ principalId = $PrincipalId; resourceId = $graph.id; appRoleId = $role.id } | ConvertTo-Json -Compress
  $bodyFile = New-TemporaryFile
  Set-Content -Path $bodyFile -Value $body
  az rest --method POST --url "https://graph.microsoft.com/v1.0/servicePrincipals/$PrincipalId/appRoleAssignments" --headers 'Content-Type=application/json' --body "@$bodyFile" | Out-Null
  Remove-Item $bodyFile
  if ($LASTEXITCODE -ne 0) { throw "granting $permission failed" }
  Write-Host "granted: $permission"
}
