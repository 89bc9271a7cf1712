// The user-assigned identity the Function App runs as; in place of the public registry module
// avm/res/managed-identity/user-assigned-identity:0.4.1 (same resource and settings), so the
// template compiles without a registry.

@description('Name of the identity.')
param name string

param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output resourceId string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
