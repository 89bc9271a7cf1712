extension microsoftGraphV1

// The API's app registration: the four app roles, the `access_as_user` scope the CLI asks for,
// v2 access tokens (the app checks the v2 issuer), the review page's Easy Auth sign-in without a
// client secret (the managed identity is the app's federated credential), and its service principal.
// main.bicep deploys this twice: `api://<appId>` can only be set once the appId exists. The second
// pass also grants the managed identity its Microsoft Graph application permissions (an app role
// assignment on the Microsoft Graph service principal is what admin consent records) and consents
// `access_as_user` for the CLI tenant-wide; that needs a Graph admin (Privileged Role
// Administrator or Global Administrator) signed in to azd.
// This is the only file that uses the Microsoft Graph Bicep extension: `npm run infra:build`
// compiles main.bicep against a stub of it (docs/deploy.md).

@description('Stable key of the registration (Graph `uniqueName`); keep it across deployments.')
param uniqueName string

param displayName string

@description('Empty on the first pass; `api://<appId>` on the second.')
param identifierUris string[] = []

@description('The Function App\'s host name, for the Easy Auth redirect URI.')
param appHostName string

@description('principalId of the user-assigned identity the review page\'s Easy Auth signs in with.')
param managedIdentityPrincipalId string

@description('Graph application permissions to grant the managed identity, e.g. GroupMember.Read.All (second pass).')
param permissions string[] = []

var roles = [
  { value: 'MAA.Requester', displayName: 'Requester', description: 'Submits requests and completes approved ones.', members: ['User', 'Application'] }
  { value: 'MAA.Approver', displayName: 'Approver', description: 'Approves or rejects other admins\' requests.', members: ['User'] }
  { value: 'MAA.PolicyAdmin', displayName: 'Policy admin', description: 'Proposes access policy changes.', members: ['User'] }
  { value: 'MAA.Operator', displayName: 'Operator', description: 'Reads every request and audit trail.', members: ['User', 'Application'] }
]

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  identifierUris: identifierUris
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: guid(uniqueName, 'access_as_user')
        value: 'access_as_user'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use multi-admin approval as the signed-in user'
        adminConsentDescription: 'Lets the maa command line call the approval API as the signed-in user.'
        userConsentDisplayName: 'Use multi-admin approval as you'
        userConsentDescription: 'Lets the maa command line call the approval API as you.'
      }
    ]
  }
  appRoles: [
    for role in roles: {
      id: guid(uniqueName, role.value)
      value: role.value
      displayName: role.displayName
      description: role.description
      allowedMemberTypes: role.members
      isEnabled: true
    }
  ]
  web: {
    redirectUris: ['https://${appHostName}/.auth/login/aad/callback']
    implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false }
  }
  // The CLI signs in as a public client (device code / localhost redirect) with this same registration.
  isFallbackPublicClient: true
  publicClient: { redirectUris: ['http://localhost'] }
  requiredResourceAccess: [
    {
      resourceAppId: '00000003-0000-0000-c000-000000000000' // Microsoft Graph
      resourceAccess: [
        { id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d', type: 'Scope' } // User.Read (delegated), for the review page sign-in
      ]
    }
  ]

  resource easyAuthCredential 'federatedIdentityCredentials@v1.0' = {
    name: '${app.uniqueName}/easy-auth-managed-identity'
    description: 'The Function App\'s user-assigned identity, as Easy Auth\'s client credential (no secret).'
    audiences: ['api://AzureADTokenExchange']
    issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
    subject: managedIdentityPrincipalId
  }
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

output appId string = app.appId
output servicePrincipalId string = servicePrincipal.id

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

// Admin consent for the CLI's delegated scope, so users are not asked (second pass).
resource cliConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (!empty(identifierUris)) {
  clientId: servicePrincipal.id
  resourceId: servicePrincipal.id
  consentType: 'AllPrincipals'
  scope: 'access_as_user'
}
