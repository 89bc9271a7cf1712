#!/usr/bin/env bash
# Grants the app's managed identity its Microsoft Graph application permissions, for deployments
# with MAA_MANAGE_ENTRA=false (azd provision grants them itself otherwise). Run it as an Entra
# admin who may consent (Privileged Role Administrator or Global Administrator), after `az login`:
#
#   infra/scripts/grant-graph-permissions.sh <managed identity principalId> [--mail] [--intune[=<types>]]
#
# --mail adds Mail.Send (email notifications). --intune adds the Intune permissions of the profile
# types the Graph executor performs: all nine by default, or only the comma-separated <types>
# (those not in MAA_WEBHOOK_PROFILE_TYPES or MAA_RELEASE_ONLY_PROFILE_TYPES), least privilege per
# type as in infra/entra/graph-permissions.json. Granting an app role to the identity is the admin consent.
set -euo pipefail

principal="${1:?usage: $0 <managed identity principalId> [--mail] [--intune[=<types>]]}"
shift
permissions=(GroupMember.Read.All Application.Read.All User.ReadBasic.All)
intune_types=()
for flag in "$@"; do
  case "$flag" in
    --mail) permissions+=(Mail.Send) ;;
    --intune) intune_types=(deviceWipe deviceRetire deviceDelete app script compliancePolicy configurationPolicy role tenantConfiguration) ;;
    --intune=*) IFS=',' read -r -a intune_types <<< "${flag#--intune=}" ;;
    *) echo "unknown option: $flag" >&2; exit 2 ;;
  esac
done
for type in "${intune_types[@]}"; do
  case "${type// /}" in
    deviceWipe|deviceRetire) permissions+=(DeviceManagementManagedDevices.PrivilegedOperations.All DeviceManagementManagedDevices.Read.All) ;;
    deviceDelete) permissions+=(DeviceManagementManagedDevices.ReadWrite.All) ;;
    app) permissions+=(DeviceManagementApps.ReadWrite.All) ;;
    script) permissions+=(DeviceManagementScripts.ReadWrite.All) ;;
    compliancePolicy|configurationPolicy|tenantConfiguration) permissions+=(DeviceManagementConfiguration.ReadWrite.All) ;;
    role) permissions+=(DeviceManagementRBAC.ReadWrite.All) ;;
    *) echo "unknown profile type: $type" >&2; exit 2 ;;
  esac
done
mapfile -t permissions < <(printf '%s\n' "${permissions[@]}" | awk '!seen[$0]++')

graph_sp=$(az ad sp show --id 00000003-0000-0000-c000-000000000000 --query id -o tsv)
for permission in "${permissions[@]}"; do
  role=$(az ad sp show --id 00000003-0000-0000-c000-000000000000 --query "appRoles[?value=='$permission' && contains(allowedMemberTypes, 'Application')].id | [0]" -o tsv)
  if az rest --method GET --url "https://graph.microsoft.com/v1.0/servicePrincipals/$principal/appRoleAssignments" \
      --query "value[?appRoleId=='$role'] | [0].id" -o tsv | grep -q .; then
    echo "already granted: $permission"
    continue
  fi
  az rest --method POST --url "https://graph.microsoft.com/v1.0/servicePrincipals/$principal/appRoleAssignments" \
    --headers 'Content-Type=application/json' \
    --body "{\"principalId\":\"$principal\",\"resourceId\":\"$graph_sp\",\"appRoleId\":\"$role\"}" >/dev/null
  echo "granted: $permission"
done
