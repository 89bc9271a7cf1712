// The Function App: Flex Consumption, Node 20, the user-assigned identity for everything
// (storage, deployment, Key Vault references), one always-ready instance for the Durable group,
// and App Service Authentication for the review page.

param name string
param location string
param tags object
param planId string
param identityId string
param storageAccountName string
param deploymentContainerName string

@description('Every app setting; main.bicep builds them (nothing secret: secrets are Key Vault references).')
param appSettings object

@description('The API app registration\'s client id; empty leaves App Service Authentication off.')
param apiClientId string

param instanceMemoryMB int = 2048
param maximumInstanceCount int = 40

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    keyVaultReferenceIdentity: identityId // Key Vault references resolve as the user-assigned identity
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // Orchestrations and activities never wait for a cold start (the 'durable' per-function scaling group).
        alwaysReady: [{ name: 'durable', instanceCount: 1 }]
      }
      runtime: { name: 'node', version: '20' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }

  // Deployments go through Entra ID (azd uses the publish endpoint with a bearer token); no basic auth.
  resource ftp 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }
  resource scm 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }

  // Easy Auth signs browser users in for the review page (/api/approvals/*), which reads the
  // X-MS-CLIENT-PRINCIPAL headers it injects. Anonymous requests pass: the API validates bearer
  // tokens itself, and health and OpenAPI are public. No client secret: the managed identity is
  // the registration's federated credential (OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID).
  resource auth 'config' = if (!empty(apiClientId)) {
    name: 'authsettingsV2'
    properties: {
      platform: { enabled: true, runtimeVersion: '~1' }
      globalValidation: {
        requireAuthentication: false
        unauthenticatedClientAction: 'AllowAnonymous'
      }
      httpSettings: { requireHttps: true, forwardProxy: { convention: 'NoProxy' } }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
            clientId: apiClientId
            clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          }
          validation: { allowedAudiences: ['api://${apiClientId}', apiClientId] }
        }
      }
      login: { tokenStore: { enabled: false } }
    }
    dependsOn: [settings]
  }
}

output name string = site.name
output hostName string = site.properties.defaultHostName
