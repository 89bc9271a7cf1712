import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { HostResponse } from '../host/httpHost';
import { jsonObject } from '../http/jsonBody';
import { json, methodNotAllowed, problem } from '../http/responses';
import type { LocalRoute } from '../routes/localRoutes';
import { COLLECTION_NAMES, NATIVE_PROFILE_TYPES, type CollectionName } from './collections';
import { INTUNE_ROOTS, IntuneGraph, type IntuneGraphRequest } from './intuneGraph';
import { managedDevice, seedTenant } from './seed';
import { TenantStore } from './tenantStore';

/** Where the local-only tenant endpoints live. */
export const LOCAL_INTUNE_PATH = '/_local/intune';

/** What the local tenant needs from the runtime. */
export interface LocalIntuneOptions {
  /** The runtime data directory; the tenant lives in `<dataDir>/intune.sqlite`. */
  readonly dataDir: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  /** Epoch milliseconds on the runtime clock. */
  readonly now: () => number;
  /** How long a wipe or retire stays pending before the device reports it done. */
  readonly deviceDelayMs: number;
}

const FAULT_STATUSES = new Set([429, 500, 503]);

/**
 * A local Intune tenant: the seeded devices, apps, scripts, policies, roles and categories (see
 * `seed.ts`), served through Microsoft Graph by {@link IntuneGraph} under the local Graph, and
 * the local-only endpoints below {@link LOCAL_INTUNE_PATH} that tests and scripts use to look at
 * it and to make it misbehave:
 *
 * - `GET /_local/intune`: every collection as it is now (navigation properties included);
 * - `GET /_local/intune/calls`: `{ items: [{ method, path, body, status, clientRequestId, at }] }`,
 *   every Graph write received with a valid app token, oldest first, whatever its answer;
 * - `POST /_local/intune/faults` `{ status: 429|500|503, count, retryAfterSeconds?, path? }` (`204`):
 *   the next `count` writes whose path contains `path` get `status` and change nothing;
 *   `DELETE` clears every pending fault;
 * - `POST /_local/intune/nativeApproval` `{ profileType, enabled }` (`204`): native Multi Admin
 *   Approval intercepts every write of that profile type;
 * - `POST /_local/intune/managedDevices` `{ deviceName, operatingSystem, userPrincipalName, osVersion? }`:
 *   `201` with a new compliant, company-owned device synced now.
 *
 * Bad input answers `400 invalid_request` (problem+json); everything persists in the data
 * directory and survives a crash.
 */
export class LocalIntune {
  readonly graph: IntuneGraph;
  private readonly store: TenantStore;

  constructor(private readonly options: LocalIntuneOptions) {
    this.store = new TenantStore(path.join(options.dataDir, 'intune.sqlite'), options.synchronous, () =>
      seedTenant(options.now()),
    );
    this.graph = new IntuneGraph(this.store, options.now, options.deviceDelayMs);
  }

  /** Whether a Graph path (segments below the version) is the tenant's. */
  static owns(segments: readonly string[]): boolean {
    return INTUNE_ROOTS.includes(segments[0] ?? '');
  }

  /** The answer to a Graph request for the tenant. */
  handle(request: IntuneGraphRequest): HostResponse {
    return this.graph.handle(request);
  }

  /** The local-only routes, keyed by path. */
  routes(): Map<string, LocalRoute> {
    return new Map<string, LocalRoute>([
      [LOCAL_INTUNE_PATH, (request) => (isGet(request) ? json(200, this.snapshot()) : methodNotAllowed('GET'))],
      [`${LOCAL_INTUNE_PATH}/*`, (request, url, body) => this.local(request, url, body)],
    ]);
  }

  /** What `GET /_local/intune` answers. */
  snapshot(): Record<CollectionName, Record<string, unknown>[]> {
    return Object.fromEntries(
      COLLECTION_NAMES.map((name) => [name, this.store.list(name).map((object) => this.graph.full(name, object))]),
    ) as Record<CollectionName, Record<string, unknown>[]>;
  }

  close(): void {
    this.store.close();
  }

  private local(request: IncomingMessage, url: URL, body: Buffer): HostResponse | Promise<HostResponse> {
    const method = (request.method ?? 'GET').toUpperCase();
    const what = url.pathname.slice(LOCAL_INTUNE_PATH.length + 1).replace(/\/+$/, '');
    switch (what) {
      case 'calls':
        return method === 'GET' ? json(200, { items: this.store.calls() }) : methodNotAllowed('GET');
      case 'faults':
        if (method === 'DELETE') {
          this.store.clearFaults();
          return noContent();
        }
        return method === 'POST' ? this.addFault(body) : methodNotAllowed('POST, DELETE');
      case 'nativeApproval':
        return method === 'POST' ? this.nativeApproval(body) : methodNotAllowed('POST');
      case 'managedDevices':
        return method === 'POST' ? this.addDevice(body) : methodNotAllowed('POST');
      default:
        if (what.startsWith('managedDevices/')) {
          const id = decodeURIComponent(what.slice('managedDevices/'.length));
          if (method === 'PATCH') return this.changeDevice(id, body);
          if (method === 'DELETE') return this.removeDevice(id);
          return methodNotAllowed('PATCH, DELETE');
        }
        return problem(
          404,
          'not_found',
          'Not Found',
          `No local Intune endpoint at ${url.pathname}; see ${LOCAL_INTUNE_PATH}, /calls, /faults, /nativeApproval, /managedDevices and /managedDevices/{id}.`,
        );
    }
  }

  private addFault(body: Buffer): HostResponse {
    const input = jsonObject(body);
    if (!input) return invalid('The body must be JSON like {"status":429,"count":1,"retryAfterSeconds":2}.');
    const { status, count, retryAfterSeconds, path: filter } = input;
    if (typeof status !== 'number' || !FAULT_STATUSES.has(status)) return invalid('"status" must be 429, 500 or 503.');
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
      return invalid('"count" must be a positive whole number.');
    if (
      retryAfterSeconds !== undefined &&
      (typeof retryAfterSeconds !== 'number' || !Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0)
    )
      return invalid('"retryAfterSeconds" must be a whole number of seconds.');
    if (filter !== undefined && (typeof filter !== 'string' || filter === ''))
      return invalid('"path" must be a non-empty part of a Graph path.');
    this.store.addFault({
      status,
      remaining: count,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      ...(filter === undefined ? {} : { path: filter }),
    });
    return noContent();
  }

  private nativeApproval(body: Buffer): HostResponse {
    const input = jsonObject(body);
    const profileType = input?.profileType;
    if (typeof profileType !== 'string' || !NATIVE_PROFILE_TYPES.includes(profileType))
      return invalid(`"profileType" must be one of ${NATIVE_PROFILE_TYPES.join(', ')}.`);
    if (typeof input!.enabled !== 'boolean') return invalid('"enabled" must be true or false.');
    this.store.setNativeApproval(profileType, input!.enabled);
    return noContent();
  }

  /**
   * Changes a device behind the service's back, as its user or another admin would (a rename, a
   * new owner, an OS update): `deviceName`, `userPrincipalName`, `operatingSystem`, `osVersion`.
   * Not a Graph write, so not in `/calls`.
   */
  private async changeDevice(id: string, body: Buffer): Promise<HostResponse> {
    const input = jsonObject(body);
    const existing = this.store.get('managedDevices', id);
    if (!existing) return problem(404, 'not_found', 'Not Found', `The local tenant has no managed device ${id}.`);
    if (!input) return invalid('The body must be JSON like {"deviceName":"LT-RENAMED-01"}.');
    const fields = ['deviceName', 'userPrincipalName', 'operatingSystem', 'osVersion'];
    const unknown = Object.keys(input).filter((key) => !fields.includes(key));
    if (unknown.length > 0) return invalid(`Only ${fields.join(', ')} can be changed; not ${unknown.join(', ')}.`);
    for (const [name, value] of Object.entries(input))
      if (typeof value !== 'string' || value.trim() === '') return invalid(`"${name}" must be a non-empty string.`);
    const changed = { ...existing, body: { ...existing.body, ...input } };
    await this.store.transactionSoon(() => this.store.put('managedDevices', changed));
    return json(200, changed.body);
  }

  /** Removes a device record, as when it is deleted through another tool. Not a Graph write, so not in `/calls`. */
  private async removeDevice(id: string): Promise<HostResponse> {
    const removed = await this.store.transactionSoon(() => this.store.remove('managedDevices', id));
    return removed
      ? noContent()
      : problem(404, 'not_found', 'Not Found', `The local tenant has no managed device ${id}.`);
  }

  private async addDevice(body: Buffer): Promise<HostResponse> {
    const input = jsonObject(body);
    if (!input)
      return invalid(
        'The body must be JSON like {"deviceName":"LT-NEW-01","operatingSystem":"Windows","userPrincipalName":"alice@maa.test"}.',
      );
    const { deviceName, operatingSystem, userPrincipalName, osVersion } = input;
    for (const [name, value] of Object.entries({ deviceName, operatingSystem, userPrincipalName }))
      if (typeof value !== 'string' || value.trim() === '') return invalid(`"${name}" must be a non-empty string.`);
    if (!(userPrincipalName as string).includes('@'))
      return invalid('"userPrincipalName" must be a user principal name.');
    if (osVersion !== undefined && typeof osVersion !== 'string') return invalid('"osVersion" must be a string.');
    const at = new Date(this.options.now()).toISOString();
    const device = managedDevice({
      id: randomUUID(),
      deviceName: deviceName as string,
      operatingSystem: operatingSystem as string,
      userPrincipalName: userPrincipalName as string,
      ...(osVersion === undefined ? {} : { osVersion }),
      lastSyncDateTime: at,
      enrolledDateTime: at,
    });
    await this.store.transactionSoon(() => this.store.put('managedDevices', { body: device }));
    return json(201, device);
  }
}

function isGet(request: IncomingMessage): boolean {
  return (request.method ?? 'GET').toUpperCase() === 'GET';
}

function noContent(): HostResponse {
  return { status: 204, headers: [], body: Buffer.alloc(0) };
}

function invalid(detail: string): HostResponse {
  return problem(400, 'invalid_request', 'Bad Request', detail);
}
