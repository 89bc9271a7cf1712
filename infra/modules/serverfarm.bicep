// The Function App's plan; in place of the public registry module avm/res/web/serverfarm:0.1.1
// (same resource and settings), so the template compiles without a registry.

param name string
param location string
param tags object

@description('The plan\'s SKU, e.g. { name: \'FC1\', tier: \'FlexConsumption\' }.')
param sku object

@description('True for a Linux plan.')
param reserved bool

// The module's defaults for what main.bicep does not pass: kind 'App', no zone redundancy (FC1),
// one elastic worker, no per-site scaling.
resource plan 'Microsoft.Web/serverfarms@2022-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'App'
  sku: sku
  properties: {
    perSiteScaling: false
    maximumElasticWorkerCount: 1
    reserved: reserved
    targetWorkerCount: 0
    targetWorkerSizeId: 0
    zoneRedundant: false
  }
}

output name string = plan.name
output resourceId string = plan.id
