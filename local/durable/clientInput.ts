/** What every Durable HTTP API URL names: the task hub and the extension's system key. */
export interface DurableEndpoint {
  hubName: string;
  systemKey: string;
}

/** The query every management and creation URL carries, with the system key as the extension appends it. */
function requiredQuery(endpoint: DurableEndpoint): string {
  return `taskHub=${encodeURIComponent(endpoint.hubName)}&connection=Storage&code=${encodeURIComponent(endpoint.systemKey)}`;
}

/**
 * The management URLs of one instance under `origin`, as the extension builds them; the
 * placeholder id `INSTANCEID` stays unencoded (the SDK substitutes it).
 */
export function managementUrls(endpoint: DurableEndpoint, instanceId: string, origin: string): Record<string, string> {
  const base = `${origin}/runtime/webhooks/durabletask/instances/${instanceId === 'INSTANCEID' ? instanceId : encodeURIComponent(instanceId)}`;
  const query = requiredQuery(endpoint);
  return {
    id: instanceId,
    statusQueryGetUri: `${base}?${query}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${base}/terminate?reason={text}&${query}`,
    rewindPostUri: `${base}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${base}?${query}`,
    restartPostUri: `${base}/restart?${query}`,
    suspendPostUri: `${base}/suspend?reason={text}&${query}`,
    resumePostUri: `${base}/resume?reason={text}&${query}`,
  };
}

/** The `durableClient` input binding's value: creation and management URLs, and where the SDK's RPC calls go. */
export function durableClientInput(
  endpoint: DurableEndpoint,
  origin: string,
  rpcBaseUrl: string,
): Record<string, unknown> {
  const base = `${origin}/runtime/webhooks/durabletask`;
  const query = requiredQuery(endpoint);
  return {
    taskHubName: endpoint.hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: managementUrls(endpoint, 'INSTANCEID', origin),
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl,
  };
}
