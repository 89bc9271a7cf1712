#!/usr/bin/env bash
# Grants the app's managed identity its Microsoft Graph application permissions, for deployments
# with MAA_MANAGE_ENTRA=false (azd provision grants them itself otherwise). Run it as an Entra
# admin who may consent (Privileged Role Administrator or Global Administrator), after `az login`:
#
#   infra/scripts/grant-graph-permissions.sh <managed identity principalId> [--mail] [--intune]
#
# --mail adds Mail.Send (email notifications); --intune adds the optional Intune permissions for
# executors that call Intune themselves. Granting an app role to the identity is the admin consent.
set -euo pipefail

principal="${1:?usage: $0 <managed identity principalId> [--mail] [--intune]}"
shift
permissions=(GroupMember.Read.All Application.Read.All User.ReadBasic.All)
for flag in "$@"; do
  case "$flag" in
    --mail) permissions+=(Mail.Send) ;;
    --intune) permissions+=(DeviceManagementManagedDevices.PrivilegedOperations.All DeviceManagementManagedDevices.Read.All) ;;
    *) echo "unknown option: $flag" >&2; exit 2 ;;
  esac
done

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
