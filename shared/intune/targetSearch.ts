import { randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors';
import { GraphTokenError, type IntuneGraphClient, type IntuneGraphResponse } from './graphClient';

// Finding a managed device to name in a request: the submit page's search box. Read-only, through
// the app's own Graph token (`DeviceManagementManagedDevices.Read.All`, which the target reader
// needs anyway); what it finds is only a suggestion: the submit reads the chosen device again.

/** One device as the search lists it. */
export interface DeviceMatch {
  id: string;
  deviceName: string;
  userPrincipalName?: string;
  operatingSystem?: string;
  lastSyncDateTime?: string;
}

/** The port the submit page searches through (the Graph adapter below; tests may pass their own tenant). */
export interface DeviceSearch {
  /** Devices whose name starts with `text`, or the device whose id is `text`; at most `top`. */
  find(text: string, top?: number): Promise<DeviceMatch[]>;
}

/** Longest search text accepted (a device name is at most 64 characters in Intune). */
export const MAX_SEARCH_TEXT = 64;
/** How many matches a search lists by default. */
export const DEFAULT_MATCHES = 20;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SELECT = 'id,deviceName,userPrincipalName,operatingSystem,lastSyncDateTime';

/**
 * The device search over Microsoft Graph: a device id is one `GET managedDevices/{id}`; any other
 * text is `$filter=startswith(deviceName,'<text>')` (quotes doubled, as OData escapes them), sorted
 * by name. `graph_unavailable` when Graph cannot be asked; nothing found is an empty list.
 */
export class GraphDeviceSearch implements DeviceSearch {
  constructor(private readonly client: IntuneGraphClient) {}

  async find(text: string, top = DEFAULT_MATCHES): Promise<DeviceMatch[]> {
    const wanted = text.trim().slice(0, MAX_SEARCH_TEXT);
    if (wanted === '') return [];
    if (GUID.test(wanted)) {
      const response = await this.get(
        `/deviceManagement/managedDevices/${encodeURIComponent(wanted)}?$select=${SELECT}`,
      );
      if (response.status === 404) return [];
      assertOk(response);
      const device = matchOf(response.body);
      return device ? [device] : [];
    }
    const filter = `startswith(deviceName,'${wanted.replace(/'/g, "''")}')`;
    const response = await this.get(
      `/deviceManagement/managedDevices?$filter=${encodeURIComponent(filter)}&$select=${SELECT}&$top=${top}`,
    );
    assertOk(response);
    const rows = (response.body as { value?: unknown } | undefined)?.value;
    const devices = (Array.isArray(rows) ? rows : []).map(matchOf).filter((device) => device !== undefined);
    return devices.sort((a, b) => a.deviceName.localeCompare(b.deviceName)).slice(0, top);
  }

  private async get(path: string): Promise<IntuneGraphResponse> {
    try {
      return await this.client.send({ method: 'GET', version: 'v1.0', path, clientRequestId: randomUUID() });
    } catch (error) {
      if (error instanceof GraphTokenError)
        throw new DomainError('graph_unavailable', 'Microsoft Graph cannot be asked now (no token).');
      throw error;
    }
  }
}

function assertOk(response: IntuneGraphResponse): void {
  if (response.status >= 200 && response.status < 300) return;
  throw new DomainError(
    'graph_unavailable',
    response.status === 0
      ? 'Microsoft Graph did not answer the device search.'
      : `Microsoft Graph answered the device search with ${response.status}${response.errorCode ? ` (${response.errorCode})` : ''}.`,
  );
}

function matchOf(row: unknown): DeviceMatch | undefined {
  if (typeof row !== 'object' || row === null) return undefined;
  const value = row as Record<string, unknown>;
  if (typeof value.id !== 'string') return undefined;
  const text = (name: string) => (typeof value[name] === 'string' && value[name] !== '' ? value[name] : undefined);
  return {
    id: value.id,
    deviceName: text('deviceName') ?? value.id,
    ...(text('userPrincipalName') ? { userPrincipalName: text('userPrincipalName')! } : {}),
    ...(text('operatingSystem') ? { operatingSystem: text('operatingSystem')! } : {}),
    ...(text('lastSyncDateTime') ? { lastSyncDateTime: text('lastSyncDateTime')! } : {}),
  };
}
