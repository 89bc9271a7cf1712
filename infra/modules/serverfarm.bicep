// The Function App's plan; in place of the public registry module avm/res/web/serverfarm:0.1.1
// (same resource and settings), so the template compiles without a registry.

param name string
param location string
param tags object

@description('The plan\'s SKU, e.g. { name: \'FC1\', tier: \'FlexConsumption\' }.')
param sku object

@description('True for a Linux plan.')
param reserved bool

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: reserved ? 'linux' : 'app'
  sku: sku
  properties: {
    reserved: reserved
    zoneRedundant: false
  }
}

output name string = plan.name
output resourceId string = plan.id
