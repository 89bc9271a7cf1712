#!/usr/bin/env bash
# Wipes a managed device once a second admin approves it, through the maa command line:
# submit with a justification, wait for the approval (cancel if none comes in time), complete,
# wait for the execution outcome. Exits with maa's codes: 0 wiped (the service sent the wipe and
# Intune accepted it; the device carries it out when it next checks in, and the request's
# execution.device records that), 10 rejected, 11 expired, 12 cancelled, 13 no decision in time
# (the request is cancelled), 14 the wipe failed; 2-5 errors.
#
#   examples/wipe.sh <device-id> "<justification>"
#
# <device-id> is the device's Intune id (a managed device's `id`; against the local runtime,
# `GET /_local/intune` lists them). The whole local walkthrough in one go is examples/local-wipe.sh.
#
# Log in first (maa login ...), or set MAA_URL and MAA_TOKEN. Optional settings:
#   WIPE_APPROVAL_TIMEOUT  how long to wait for a decision (default 4h)
#   WIPE_POLL_INTERVAL     first pause before asking again when the service cannot be reached
#                          (default 10s; maa wait long-polls, so nothing polls otherwise)
#   WIPE_IDEMPOTENCY_KEY   e.g. the pipeline run's id: a re-run finds the same request again
set -uo pipefail

device=${1:?usage: wipe.sh <device-id> <justification>}
justification=${2:?usage: wipe.sh <device-id> <justification>}
timeout=${WIPE_APPROVAL_TIMEOUT:-4h}
interval=${WIPE_POLL_INTERVAL:-10s}
key=()
if [ -n "${WIPE_IDEMPOTENCY_KEY:-}" ]; then key=(--idempotency-key "$WIPE_IDEMPOTENCY_KEY"); fi

id=$(maa submit --profile-type deviceWipe --action wipe --resource-type managedDevice \
  --resource-id "$device" --justification "$justification" ${key[@]+"${key[@]}"} --quiet) || exit $?
echo "Request $id submitted; waiting up to $timeout for a second admin's approval."

maa wait "$id" --for approved --timeout "$timeout" --interval "$interval"
status=$?
if [ "$status" -eq 13 ]; then
  echo "No decision within $timeout: cancelling $id." >&2
  maa cancel "$id" >&2
  exit 13
fi
[ "$status" -eq 0 ] || exit "$status"   # 10 rejected, 11 expired, 12 cancelled, or an error

maa complete "$id" || exit $?
maa wait "$id" --for completed --timeout 10m --interval "$interval"
status=$?
[ "$status" -eq 0 ] && echo "Device $device wiped (request $id)."
exit "$status"
