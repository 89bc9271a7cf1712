// The Functions runtime's storage account and the deployment container; in place of the public
// registry module avm/res/storage/storage-account:0.8.3 (same resources and settings), so the
// template compiles without a registry.

param name string
param location string
param tags object

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS'])
param skuName string = 'Standard_LRS'

param allowBlobPublicAccess bool = false

@description('False: identity-based connections only.')
param allowSharedKeyAccess bool = false

param minimumTlsVersion string = 'TLS1_2'

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

param networkAcls object = { defaultAction: 'Allow', bypass: 'AzureServices' }

@description('Blob containers to create (private).')
param containerNames string[] = []

// The module's defaults for what main.bicep does not pass: StorageV2, Hot, HTTPS only,
// infrastructure encryption, soft delete of blobs and containers for 7 days.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: allowBlobPublicAccess
    allowSharedKeyAccess: allowSharedKeyAccess
    allowCrossTenantReplication: true
    defaultToOAuthAuthentication: false
    isLocalUserEnabled: false
    isSftpEnabled: false
    largeFileSharesState: 'Disabled'
    minimumTlsVersion: minimumTlsVersion
    publicNetworkAccess: publicNetworkAccess
    networkAcls: networkAcls
    supportsHttpsTrafficOnly: true
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true }
        file: { enabled: true }
        table: { enabled: true }
        queue: { enabled: true }
      }
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    properties: {
      containerDeleteRetentionPolicy: { enabled: true, allowPermanentDelete: false }
      deleteRetentionPolicy: { enabled: true, days: 7 }
      isVersioningEnabled: false
    }

    resource containers 'containers' = [
      for container in containerNames: {
        name: container
        properties: { publicAccess: 'None' }
      }
    ]
  }
}

output name string = storage.name
output resourceId string = storage.id
output primaryBlobEndpoint string = storage.properties.primaryEndpoints.blob
