// The Log Analytics workspace behind Application Insights; in place of the public registry
// module avm/res/operational-insights/workspace:0.11.1 (same resource and settings), so the
// template compiles without a registry.

param name string
param location string
param tags object

@description('Days the workspace keeps data.')
param dataRetention int = 365

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: dataRetention
    features: { searchVersion: 1, enableLogAccessUsingOnlyResourcePermissions: true }
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

output name string = workspace.name
output resourceId string = workspace.id
