// Cosmos DB (serverless, Entra ID only): the store's database and every container of
// shared/store/cosmosSchema.ts, read from cosmos-containers.json, which `npm run infra:generate`
// writes from that schema (a unit test fails when the two differ).

param name string
param location string
param tags object
param databaseName string

@description('principalIds given the built-in data contributor role: the app identity, and the deploying user for local runs against Azure.')
param dataContributorPrincipalIds string[]

var containers = loadJsonContent('cosmos-containers.json')
var dataContributor = '00000000-0000-0000-0000-000000000002' // Cosmos DB Built-in Data Contributor

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [{ locationName: location, failoverPriority: 0, isZoneRedundant: false }]
    capabilities: [{ name: 'EnableServerless' }]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    disableLocalAuth: true // Entra ID only; no account keys
    disableKeyBasedMetadataWriteAccess: true // databases and containers come from this template only
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: { resource: { id: databaseName } }
}

resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for spec in containers: {
    parent: database
    name: spec.id
    properties: { resource: spec }
  }
]

// Data-plane RBAC is Cosmos DB's own role assignment type (it has no principalType).
resource dataAccess 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for principalId in dataContributorPrincipalIds: {
    parent: account
    name: guid(account.id, principalId, dataContributor)
    properties: {
      roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributor}'
      principalId: principalId
      scope: account.id
    }
  }
]

output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
