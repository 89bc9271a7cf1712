# Grants the app's managed identity its Microsoft Graph application permissions, for deployments
# with MAA_MANAGE_ENTRA=false (azd provision grants them itself otherwise). Run it as an Entra
# admin who may consent (Privileged Role Administrator or Global Administrator), after `az login`:
#
#   ./infra/scripts/grant-graph-permissions.ps1 -PrincipalId <managed identity principalId> [-Mail] [-Intune] [-IntuneTypes deviceWipe,app]
#
# -Mail adds Mail.Send (email notifications). -Intune adds the Intune permissions of all nine
# profile types the Graph executor performs; -IntuneTypes only those of the listed types (those not
# in MAA_WEBHOOK_PROFILE_TYPES or MAA_RELEASE_ONLY_PROFILE_TYPES), least privilege per type as in
# infra/entra/graph-permissions.json. Granting an app role to the identity is the admin consent.
param(
  [Parameter(Mandatory = $true)][string]$PrincipalId,
  [switch]$Mail,
  [switch]$Intune,
  [string[]]$IntuneTypes = @()
)
$ErrorActionPreference = 'Stop'

$permissions = @('GroupMember.Read.All', 'Application.Read.All', 'User.ReadBasic.All')
if ($Mail) { $permissions += 'Mail.Send' }
$intunePermissions = @{
  deviceWipe          = @('DeviceManagementManagedDevices.PrivilegedOperations.All', 'DeviceManagementManagedDevices.Read.All')
  deviceRetire        = @('DeviceManagementManagedDevices.PrivilegedOperations.All', 'DeviceManagementManagedDevices.Read.All')
  deviceDelete        = @('DeviceManagementManagedDevices.ReadWrite.All')
  app                 = @('DeviceManagementApps.ReadWrite.All')
  script              = @('DeviceManagementScripts.ReadWrite.All')
  compliancePolicy    = @('DeviceManagementConfiguration.ReadWrite.All')
  configurationPolicy = @('DeviceManagementConfiguration.ReadWrite.All')
  tenantConfiguration = @('DeviceManagementConfiguration.ReadWrite.All')
  role                = @('DeviceManagementRBAC.ReadWrite.All')
}
if ($Intune) { $IntuneTypes = @($intunePermissions.Keys) }
foreach ($type in ($IntuneTypes | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })) {
  if (-not $intunePermissions.ContainsKey($type)) { throw "unknown profile type: $type" }
  $permissions += $intunePermissions[$type]
}
$permissions = $permissions | Select-Object -Unique

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
