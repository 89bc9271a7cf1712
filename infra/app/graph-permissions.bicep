extension microsoftGraphV1

// Grants the app's managed identity its Microsoft Graph application permissions (an app role
// assignment on the Microsoft Graph service principal is what admin consent records), and
// consents `access_as_user` for the CLI tenant-wide. Deploying this needs a Graph admin
// (Privileged Role Administrator or Global Administrator) signed in to azd.

@description('Object id of the managed identity\'s service principal (the user-assigned identity\'s principalId).')
param managedIdentityPrincipalId string

@description('Graph application permissions to grant, e.g. GroupMember.Read.All.')
param permissions string[]

@description('Object id of the API\'s service principal.')
param apiServicePrincipalId string

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000' // Microsoft Graph
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for permission in permissions: {
    principalId: managedIdentityPrincipalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, role => role.value == permission)[0].id
  }
]

// Admin consent for the CLI's delegated scope, so users are not asked.
resource cliConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = {
  clientId: apiServicePrincipalId
  resourceId: apiServicePrincipalId
  consentType: 'AllPrincipals'
  scope: 'access_as_user'
}
