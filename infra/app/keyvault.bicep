// Key Vault (RBAC) holding the app's secrets; the app reads them as Key Vault references.
//
// The link-signing key and the app key (which signs commands, continuation tokens and audit
// checkpoints) are each generated here, at provision time, from two newGuid() values (244
// random bits; newGuid() is only allowed as a parameter default). A deployment script would need
// a storage account with shared keys enabled and minutes of container start-up; azd `$(...)`
// parameter commands depend on the Azure CLI. It is written only while `writeLinkKey` is true:
// main.bicep outputs MAA_LINK_KEY_PROVISIONED=true, azd keeps it in the environment, and later
// provisions keep the existing key instead of rotating it (and breaking links in flight). The app
// key works the same way with `writeAppKey` and MAA_APP_KEY_PROVISIONED.

param name string
param location string
param tags object

@description('Write a new link-signing key (first provision, or a deliberate rotation).')
param writeLinkKey bool

@description('Write a new app key (first provision, or a deliberate rotation).')
param writeAppKey bool

@secure()
param linkKeySeedA string = newGuid()

@secure()
param linkKeySeedB string = newGuid()

@secure()
param appKeySeedA string = newGuid()

@secure()
param appKeySeedB string = newGuid()

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true // no access policies; roles only
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

// `<key id>:<base64 secret>`: a fresh key id per key, and 72 bytes of secret.
resource linkKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (writeLinkKey) {
  parent: vault
  name: 'maa-link-key'
  properties: {
    contentType: 'maa link key'
    value: 'azure-${take(uniqueString(linkKeySeedA), 10)}:${base64('${linkKeySeedA}${linkKeySeedB}')}'
  }
}

resource appKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (writeAppKey) {
  parent: vault
  name: 'maa-app-key'
  properties: {
    contentType: 'maa app key'
    value: 'azure-${take(uniqueString(appKeySeedA), 10)}:${base64('${appKeySeedA}${appKeySeedB}')}'
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
