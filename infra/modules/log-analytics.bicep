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
  // The module's defaults: pay-as-you-go, no daily cap, local auth off, CMK enforced for queries.
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: dataRetention
    workspaceCapping: { dailyQuotaGb: -1 }
    features: { searchVersion: 1, enableLogAccessUsingOnlyResourcePermissions: false, disableLocalAuth: true }
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
    forceCmkForQuery: true
  }
}

output name string = workspace.name
output resourceId string = workspace.id
