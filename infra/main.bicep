targetScope = 'subscription'

// multi-admin-approval on Azure: a Flex Consumption Function App (Durable Functions) with a
// user-assigned identity, Cosmos DB (serverless), Key Vault, Storage, Application Insights and,
// optionally, a Durable Task Scheduler, plus the API's Entra ID app registration and the app's
// Microsoft Graph permissions (Microsoft Graph Bicep extension). Everything authenticates with
// Entra ID: no keys, no connection strings with secrets, no secrets in app settings.

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource (one that offers Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

@description('The deploying principal (azd sets AZURE_PRINCIPAL_ID); gets data access for local runs against Azure. Empty skips it.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('Durable Functions backend: the Azure Storage provider, or the Durable Task Scheduler.')
@allowed(['azureStorage', 'durableTaskScheduler'])
param durableBackend string = 'azureStorage'

@description('Create the API app registration and grant the Graph permissions here (needs an Entra admin signed in to azd). False: set apiClientId and run infra/scripts/grant-graph-permissions.*')
param manageEntra bool = true

@description('Client id of an existing API app registration, when manageEntra is false.')
param apiClientId string = ''

@description('True once the link-signing key exists in Key Vault (azd stores the MAA_LINK_KEY_PROVISIONED output); false writes a new one.')
param linkKeyProvisioned bool = false

@description('True once the app key exists in Key Vault (azd stores the MAA_APP_KEY_PROVISIONED output); false writes a new one.')
param appKeyProvisioned bool = false

@description('Origin the approval links point at (a custom domain); empty uses the Function App\'s host name.')
param publicBaseUrl string = ''

@description('Mailbox approval mails are sent from; empty turns email off (and Mail.Send is not granted).')
param mailSender string = ''

@description('Send Teams notifications; the workflow URL carries a signature, so it lives in Key Vault as maa-teams-webhook-url.')
param teamsNotifications bool = false

@description('CloudEvents receiver; its HMAC key lives in Key Vault as maa-notify-webhook-secret.')
param notifyWebhookUrl string = ''

@description('Where the webhook executor POSTs completed operations; its HMAC key lives in Key Vault as maa-webhook-secret.')
param executorWebhookUrl string = ''

@description('Comma-separated profile types the webhook executor runs.')
param executorWebhookProfileTypes string = ''

@description('ISO-8601 retention of closed requests in the read model; empty keeps them.')
param closedRequestTtl string = ''

@description('NCRONTAB schedule of the audit checkpoint timer (six fields); hourly by default.')
param auditCheckpointSchedule string = '0 0 * * * *'

@description('Comma-separated profile types the service only releases (the initiator performs them); the Graph executor performs the other Intune types, and only their Intune permissions are granted.')
param releaseOnlyProfileTypes string = ''

param cosmosDatabaseName string = 'maa'

var abbrs = loadJsonContent('abbreviations.json')
var hubName = loadJsonContent('../host.json').extensions.durableTask.hubName
var graphPermissions = loadJsonContent('entra/graph-permissions.json').permissions
// The Intune profile types the Graph executor performs (shared/intune/settings.ts): all but the
// webhook's and the release-only ones. Least privilege: an Intune permission is granted only for these.
var intuneProfileTypes = ['deviceWipe', 'deviceRetire', 'deviceDelete', 'app', 'script', 'compliancePolicy', 'configurationPolicy', 'role', 'tenantConfiguration']
var webhookTypes = empty(executorWebhookUrl) ? [] : map(split(executorWebhookProfileTypes, ','), t => trim(t))
var releaseOnlyTypes = map(split(releaseOnlyProfileTypes, ','), t => trim(t))
var graphExecutedTypes = filter(intuneProfileTypes, t => !contains(webhookTypes, t) && !contains(releaseOnlyTypes, t))
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}maa-${resourceToken}'
var functionAppHostName = '${functionAppName}.azurewebsites.net'
var deploymentContainerName = 'app-package-${take(resourceToken, 12)}'
var useScheduler = durableBackend == 'durableTaskScheduler'
var entraUniqueName = 'maa-api-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}maa-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'modules/serverfarm.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    sku: { name: 'FC1', tier: 'FlexConsumption' }
    reserved: true // Linux
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity-based connections only
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    containerNames: [deploymentContainerName]
  }
}

module logAnalytics 'modules/log-analytics.bicep' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module appInsights 'modules/app-insights.bicep' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true // telemetry only with Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: '${abbrs.documentDBDatabaseAccounts}${resourceToken}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    dataContributorPrincipalIds: concat([identity.outputs.principalId], empty(principalId) ? [] : [principalId])
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    writeLinkKey: !linkKeyProvisioned
    writeAppKey: !appKeyProvisioned
  }
}

module scheduler 'app/dts.bicep' = if (useScheduler) {
  name: 'scheduler'
  scope: rg
  params: {
    name: '${abbrs.durableTaskSchedulers}${resourceToken}'
    location: location
    tags: tags
    taskHubName: hubName
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: appInsights.outputs.name
    schedulerName: useScheduler ? '${abbrs.durableTaskSchedulers}${resourceToken}' : ''
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
  dependsOn: [scheduler]
}

// The API registration, in two passes: `api://<appId>` needs the appId the first pass creates.
module entraApp 'app/entra-api-app.bicep' = if (manageEntra) {
  name: 'entraApp'
  scope: rg
  params: {
    uniqueName: entraUniqueName
    displayName: 'Multi-admin approval (${environmentName})'
    appHostName: functionAppHostName
    managedIdentityPrincipalId: identity.outputs.principalId
  }
}

module entraAppUri 'app/entra-api-app.bicep' = if (manageEntra) {
  name: 'entraAppUri'
  scope: rg
  params: {
    uniqueName: entraUniqueName
    displayName: 'Multi-admin approval (${environmentName})'
    identifierUris: ['api://${entraApp!.outputs.appId}']
    appHostName: functionAppHostName
    managedIdentityPrincipalId: identity.outputs.principalId
    permissions: map(
      filter(graphPermissions, p => p.when == 'always' || (p.when == 'mailSender' && !empty(mailSender)) || (p.when == 'intune' && !empty(intersection(p.?profileTypes ?? [], graphExecutedTypes)))),
      p => p.value
    )
  }
}

var clientId = manageEntra ? entraAppUri!.outputs.appId : apiClientId

// An app setting that Functions resolves from Key Vault (versionless: the latest version).
func keyVaultReference(vaultUri string, secret string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secret})'

var vaultUri = keyVault.outputs.uri

// app-settings:begin (test/unit/infra/settings.test.ts reads the names between these markers)
var appSettings = union(
  {
    // Functions runtime storage: identity-based (no connection string, shared keys disabled).
    AzureWebJobsStorage__accountName: storage.outputs.name
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.outputs.clientId
    // Telemetry with Entra ID auth.
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.outputs.connectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
    // DefaultAzureCredential (Cosmos DB, Microsoft Graph) picks the user-assigned identity.
    AZURE_CLIENT_ID: identity.outputs.clientId
    // Easy Auth's client credential is the managed identity (federated credential on the registration).
    OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identity.outputs.clientId
    MAA_STORE: 'cosmos'
    COSMOS_ENDPOINT: cosmos.outputs.endpoint
    COSMOS_DATABASE: cosmos.outputs.databaseName
    MAA_TENANT_ID: tenant().tenantId
    MAA_AUTH_AUDIENCE: empty(clientId) ? '' : 'api://${clientId},${clientId}'
    MAA_API_APP_ID: clientId
    MAA_APP_KEY: keyVaultReference(vaultUri, 'maa-app-key')
    MAA_LINK_KEY: keyVaultReference(vaultUri, 'maa-link-key')
    // The checkpoint timer's schedule (%MAA_AUDIT_CHECKPOINT_SCHEDULE%): the app does not index without it.
    MAA_AUDIT_CHECKPOINT_SCHEDULE: auditCheckpointSchedule
  },
  empty(publicBaseUrl) ? {} : { MAA_PUBLIC_BASE_URL: publicBaseUrl },
  empty(mailSender) ? {} : { MAA_MAIL_SENDER: mailSender },
  teamsNotifications ? { MAA_TEAMS_WEBHOOK_URL: keyVaultReference(vaultUri, 'maa-teams-webhook-url') } : {},
  empty(notifyWebhookUrl)
    ? {}
    : { MAA_NOTIFY_WEBHOOK_URL: notifyWebhookUrl, MAA_NOTIFY_WEBHOOK_SECRET: keyVaultReference(vaultUri, 'maa-notify-webhook-secret') },
  empty(executorWebhookUrl)
    ? {}
    : {
        MAA_WEBHOOK_URL: executorWebhookUrl
        MAA_WEBHOOK_SECRET: keyVaultReference(vaultUri, 'maa-webhook-secret')
        MAA_WEBHOOK_PROFILE_TYPES: executorWebhookProfileTypes
      },
  empty(closedRequestTtl) ? {} : { MAA_CLOSED_REQUEST_TTL: closedRequestTtl },
  empty(releaseOnlyProfileTypes) ? {} : { MAA_RELEASE_ONLY_PROFILE_TYPES: releaseOnlyProfileTypes },
  useScheduler
    ? {
        // host.json keeps the Azure Storage provider; these override it for the scheduler.
        AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
        AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
        DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${scheduler!.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
      }
    : {}
)
// app-settings:end

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    identityId: identity.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    appSettings: appSettings
    apiClientId: clientId
  }
  dependsOn: [rbac]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.hostName}'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmos.outputs.databaseName
output MAA_API_CLIENT_ID string = clientId
output MAA_AUTH_AUDIENCE string = empty(clientId) ? '' : 'api://${clientId}'
output MAA_LINK_KEY_PROVISIONED bool = true
output MAA_APP_KEY_PROVISIONED bool = true
output MAA_DURABLE_BACKEND string = durableBackend
