#!/usr/bin/env bash
# The README's walkthrough as one script, against the local runtime: lists the local Intune
# tenant's managed devices, puts a deviceWipe policy in place when there is none (alice asks, bob
# approves, alice completes), then wipes one device through a request alice submits, bob approves
# and alice completes, and shows what Graph received and the execution: Graph's acceptance first,
# then the device's outcome. Exits 0 once the device reports the wipe done, 14 when the execution
# failed, 2 when there is no such device.
#
#   MAA_LOCAL_CLOCK=manual npm start          # in another terminal
#   examples/local-wipe.sh [device-name]      # default LT-ALICE-01
#
# MAA_URL: the runtime (default http://127.0.0.1:7071). With the runtime's clock in manual mode the
# script moves it past the device's check-in and the service's next look; with the real clock it
# waits for them (about 20 minutes).
set -euo pipefail

API=${MAA_URL:-http://127.0.0.1:7071}
name=${1:-LT-ALICE-01}

# Prints the JavaScript expression $1 evaluated over the JSON on stdin (`v`); nothing when undefined.
json() {
  node -e "const v = JSON.parse(require('fs').readFileSync(0, 'utf8')); const r = ($1);
    if (r !== undefined) console.log(typeof r === 'string' ? r : JSON.stringify(r));"
}
token() { curl -sf -X POST "$API/_local/token" -H 'content-type: application/json' -d "{\"user\":\"$1\"}" | json v.access_token; }
ALICE=$(token alice)
BOB=$(token bob)
as() {
  local bearer=$1 method=$2 route=$3
  shift 3
  curl -sf -X "$method" "$API/api/$route" -H "authorization: Bearer $bearer" -H 'content-type: application/json' "$@"
}
# Waits for request $1 to reach $2 (a status, or `executed`) or close, by long-polls that the
# service answers as soon as it gets there (at most 25 s each, asked again for at most $3 seconds,
# default 30); prints the request.
await_request() {
  local deadline=$((SECONDS + ${3:-30})) headers body
  headers=$(mktemp)
  while :; do
    body=$(as "$ALICE" GET "requests/$1?waitFor=$2&timeout=PT25S" -D "$headers")
    if grep -qi '^x-maa-wait: reached' "$headers"; then
      rm -f "$headers"
      printf '%s\n' "$body"
      return
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Timed out waiting for $1 to reach $2" >&2
      exit 3
    fi
  done
}
# Polls request $1 until the expression $2 holds for it (`v`), for at most $3 seconds (default 30):
# only for the device's outcome, which no status names.
wait_for() {
  local deadline=$((SECONDS + ${3:-30}))
  until as "$ALICE" GET "requests/$1" | json "($2) ? 'yes' : undefined" | grep -q yes; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Timed out waiting for $1 to reach: $2" >&2
      exit 3
    fi
    sleep 0.2
  done
}

echo "Managed devices in the local Intune tenant:"
tenant=$(curl -sf "$API/_local/intune")
json "v.managedDevices.map((d) => '  ' + [d.id, d.deviceName, d.operatingSystem, d.managementState].join('  ')).join('\n')" <<<"$tenant"
device=$(json "(v.managedDevices.find((d) => d.deviceName === '$name') || {}).id" <<<"$tenant")
if [ -z "$device" ]; then
  echo "There is no managed device named $name." >&2
  exit 2
fi

if [ -z "$(as "$ALICE" GET policies | json "v.items.some((p) => p.profileType === 'deviceWipe') ? 'yes' : undefined")" ]; then
  policy=$(as "$ALICE" POST policies -d '{"displayName":"Device wipes need a second admin","profileType":"deviceWipe",
    "approverGroupIds":["a9900000-0000-4000-8000-000000000101"],"justification":"Protect wipes"}' | json v.id)
  # Each command answers once the service applied it; one long-poll waits for the execution.
  as "$BOB" POST "requests/$policy/approve" -d '{"notes":"agreed"}' >/dev/null
  as "$ALICE" POST "requests/$policy/complete" >/dev/null
  await_request "$policy" executed >/dev/null
  echo "Policy in place: wipes need a second admin from maa-approvers."
fi

request=$(as "$ALICE" POST requests -d '{"profileType":"deviceWipe","operation":{"action":"wipe",
  "resourceType":"managedDevice","resourceId":"'"$device"'"},"justification":"Reported stolen (INC-4711)"}')
id=$(json v.id <<<"$request")
echo "Request $id: wipe $(json "v.target.displayName + ' (' + v.target.device.operatingSystem + ', ' + v.target.device.userPrincipalName + ')'" <<<"$request"), waiting for bob."
echo "Bob approves: the request is now $(as "$BOB" POST "requests/$id/approve" -d '{"notes":"confirmed with the user"}' | json v.status)."
echo "Alice completes: the request is now $(as "$ALICE" POST "requests/$id/complete" | json v.status)."
execution=$(await_request "$id" executed | json v.execution)
echo "Execution: $(json "[v.status, v.code, v.detail].filter(Boolean).join(': ')" <<<"$execution")"
if [ "$(json v.status <<<"$execution")" != succeeded ]; then exit 14; fi
echo "Writes Graph received for $name:"
curl -sf "$API/_local/intune/calls" |
  json "v.items.filter((c) => c.path.includes('$device')).map((c) => '  ' + [c.method, c.path, c.status, 'client-request-id ' + c.clientRequestId].join('  ')).join('\n')"

if curl -sf -X POST "$API/_local/clock" -H 'content-type: application/json' -d '{"advance":"PT16M"}' >/dev/null; then
  echo "Moved the runtime's clock 16 minutes on: the device checked in, and the service looked again."
  patience=30
else
  echo "Waiting for the device to check in and for the service's next look (about 20 minutes)."
  patience=1800
fi
wait_for "$id" "v.execution.device !== undefined && v.execution.device.state !== 'pending'" "$patience"
outcome=$(as "$ALICE" GET "requests/$id" | json "v.execution.device")
echo "On the device: $(json "v.state + ': ' + v.detail" <<<"$outcome") ($name is $(curl -sf "$API/_local/intune" | json "v.managedDevices.find((d) => d.id === '$device').managementState"))."
echo "Audit trail: $(as "$ALICE" GET "requests/$id/audit?top=100" | json "v.items.map((i) => i.type).join(', ') + (v.chainValid ? '; chain valid' : '; CHAIN BROKEN')")"
[ "$(json v.state <<<"$outcome")" = done ]
