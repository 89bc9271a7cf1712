// Application Insights on the Log Analytics workspace; in place of the public registry module
// avm/res/insights/component:0.6.0 (same resource and settings), so the template compiles
// without a registry.

param name string
param location string
param tags object

@description('Resource id of the Log Analytics workspace.')
param workspaceResourceId string

@description('True: telemetry only with Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).')
param disableLocalAuth bool = false

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: name
  location: location
  tags: tags
  // The module's defaults: no kind, IP masking off, 365 days, no sampling.
  kind: ''
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspaceResourceId
    DisableLocalAuth: disableLocalAuth
    DisableIpMasking: true
    ForceCustomerStorageForProfiler: false
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
    RetentionInDays: 365
    SamplingPercentage: 100
  }
}

output name string = appInsights.name
output resourceId string = appInsights.id
output connectionString string = appInsights.properties.ConnectionString
