// Every Azure RBAC role assignment of the deployment (Cosmos DB data access is in cosmos.bicep:
// it is Cosmos DB's own role system). Each is named guid(scope, principal, role) and states its
// principalType, so re-deployments are idempotent and need no directory lookup.

param storageAccountName string
param keyVaultName string
param appInsightsName string

@description('Durable Task Scheduler name; empty when the Azure Storage backend is used.')
param schedulerName string = ''

@description('principalId of the app\'s user-assigned identity.')
param appPrincipalId string

@description('The deploying principal (AZURE_PRINCIPAL_ID), for local runs against Azure; empty skips it.')
param deployerPrincipalId string = ''

@allowed(['User', 'ServicePrincipal'])
param deployerPrincipalType string = 'User'

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402' // Durable Task Data Contributor

var app = { principalId: appPrincipalId, principalType: 'ServicePrincipal' }
var deployer = { principalId: deployerPrincipalId, principalType: deployerPrincipalType }
var withDeployer = !empty(deployerPrincipalId)

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}
resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}
resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' existing = if (!empty(schedulerName)) {
  name: schedulerName
}

// Runtime storage (AzureWebJobsStorage), the deployment package container, and the Durable
// Azure Storage backend (queues, tables, blob leases); the deployer for `func start` against Azure.
var storageAssignments = concat(
  [
    union(app, { role: storageBlobDataOwner })
    union(app, { role: storageQueueDataContributor })
    union(app, { role: storageTableDataContributor })
  ],
  withDeployer
    ? [
        union(deployer, { role: storageBlobDataOwner })
        union(deployer, { role: storageQueueDataContributor })
        union(deployer, { role: storageTableDataContributor })
      ]
    : []
)

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in storageAssignments: {
    name: guid(storage.id, assignment.principalId, assignment.role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.role)
      principalId: assignment.principalId
      principalType: assignment.principalType
    }
  }
]

// The app resolves its Key Vault references; the deployer may add the optional secrets.
var vaultAssignments = concat([union(app, { role: keyVaultSecretsUser })], withDeployer ? [union(deployer, { role: keyVaultSecretsOfficer })] : [])

resource vaultRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in vaultAssignments: {
    name: guid(vault.id, assignment.principalId, assignment.role)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.role)
      principalId: assignment.principalId
      principalType: assignment.principalType
    }
  }
]

// Telemetry with Entra ID auth (local auth is disabled on the component).
resource insightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The Durable Task Scheduler backend, and its dashboard for the deployer.
var schedulerAssignments = concat([union(app, { role: durableTaskDataContributor })], withDeployer ? [union(deployer, { role: durableTaskDataContributor })] : [])

resource schedulerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in (empty(schedulerName) ? [] : schedulerAssignments): {
    name: guid(scheduler.id, assignment.principalId, assignment.role)
    scope: scheduler
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.role)
      principalId: assignment.principalId
      principalType: assignment.principalType
    }
  }
]
