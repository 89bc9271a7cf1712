import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { HostResponse } from '../host/httpHost';
import { jsonObject } from '../http/jsonBody';
import { graphError, json } from '../http/responses';
import {
  COLLECTIONS,
  findCollection,
  nativeProfileTypeOf,
  permissionsFor,
  type CollectionSpec,
  type StoredCollection,
} from './collections';
import { applySelect, page, parseFilter, selectedFields } from './odata';
import type { TenantObject, TenantStore } from './tenantStore';

/** One Graph request for the tenant, after the local Graph authenticated the app token. */
export interface IntuneGraphRequest {
  readonly method: string;
  readonly version: 'v1.0' | 'beta';
  /** The path segments below the version, decoded. */
  readonly segments: readonly string[];
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The application permissions in the caller's token. */
  readonly roles: readonly string[];
  /** The calling application's id (`azp`), for the remote action audit. */
  readonly appId: string | undefined;
}

/** The roots below which the tenant serves Graph. */
export const INTUNE_ROOTS: readonly string[] = ['deviceManagement', 'deviceAppManagement'];

const ASSIGNMENT_TARGETS = new Set([
  '#microsoft.graph.groupAssignmentTarget',
  '#microsoft.graph.exclusionGroupAssignmentTarget',
  '#microsoft.graph.allDevicesAssignmentTarget',
  '#microsoft.graph.allLicensedUsersAssignmentTarget',
]);
const GROUP_TARGETS = new Set([
  '#microsoft.graph.groupAssignmentTarget',
  '#microsoft.graph.exclusionGroupAssignmentTarget',
]);
// Navigation properties and server-kept fields a client cannot set through the object's own body.
const NOT_SETTABLE = new Set([
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'version',
  'assignments',
  'settings',
  '@odata.context',
]);
const JUSTIFICATION_HEADER = 'x-msft-approval-justification';
// The wipe action's parameters; beta adds two.
const V1_WIPE_OPTIONS = ['keepEnrollmentData', 'keepUserData', 'macOsUnlockCode', 'persistEsimDataPlan'];
const WIPE_OPTIONS: Record<'v1.0' | 'beta', readonly string[]> = {
  'v1.0': V1_WIPE_OPTIONS,
  beta: [...V1_WIPE_OPTIONS, 'obliterationBehavior', 'useProtectedWipe'],
};

type Parsed =
  | { kind: 'collection'; spec: CollectionSpec }
  | { kind: 'object'; spec: CollectionSpec; id: string }
  | { kind: 'action'; spec: CollectionSpec; id: string; action: 'wipe' | 'retire' | 'assign' }
  | { kind: 'assignments'; spec: CollectionSpec; id: string; assignmentId?: string }
  | { kind: 'settings'; spec: CollectionSpec; id: string }
  | { kind: 'roleAssignmentsOf'; spec: CollectionSpec; id: string }
  | { kind: 'roleDefinitionOf'; spec: CollectionSpec; id: string };

/**
 * Microsoft Graph's Intune endpoints over the local tenant: list (`$filter`, `$select`, `$top`,
 * `@odata.nextLink`), read, create, update, replace and delete for every collection of
 * {@link COLLECTIONS}, device wipe and retire, `assign` and assignments, settings catalog
 * settings, and role definition bindings; beta-only collections refused under v1.0; a `403`
 * naming the permissions when the token has none that allows the call; pending faults and native
 * Multi Admin Approval interception on writes. Every write is recorded with its status.
 */
export class IntuneGraph {
  constructor(
    private readonly store: TenantStore,
    private readonly now: () => number,
    private readonly deviceDelayMs: number,
  ) {}

  /** The answer to one Graph request below `deviceManagement/` or `deviceAppManagement/`. */
  handle(request: IntuneGraphRequest): HostResponse {
    const method = request.method.toUpperCase();
    const write = method !== 'GET';
    if (!write) return this.route(request, method);
    return this.store.transaction(() => {
      const response = this.route(request, method);
      this.store.recordCall({
        method,
        path: callPath(request),
        body: parseJson(request.body) ?? (request.body.length > 0 ? request.body.toString('utf8') : null),
        status: response.status,
        clientRequestId: headerValue(request.headers, 'client-request-id') ?? null,
        at: new Date(this.now()).toISOString(),
      });
      return response;
    });
  }

  /** What an object looks like now, as `GET /_local/intune` lists it (every property, navigation included). */
  full(collection: StoredCollection, object: TenantObject): Record<string, unknown> {
    const body = this.current(collection, object.body);
    return {
      ...body,
      ...(object.assignments ? { assignments: object.assignments } : {}),
      ...(object.settings ? { settings: object.settings } : {}),
      ...(object.roleDefinitionId ? { roleDefinitionId: object.roleDefinitionId } : {}),
    };
  }

  private route(request: IntuneGraphRequest, method: string): HostResponse {
    const parsed = parse(request);
    if ('error' in parsed) return parsed.error;
    const { spec } = parsed;
    const write = method !== 'GET';
    const allowed = allowedMethods(parsed);
    if (!allowed.includes(method))
      return graphError(
        400,
        'BadRequest',
        `No OData route exists that match template ~/${request.segments.join('/')} with http verb ${method} for request ${request.url.pathname}.`,
      );
    const deviceAction = parsed.kind === 'action' && parsed.action !== 'assign' ? parsed.action : undefined;
    const needs = permissionsFor(spec, write, deviceAction);
    if (!needs.some((permission) => request.roles.includes(permission)))
      return graphError(
        403,
        'Forbidden',
        `Application is not authorized to perform this operation. Application must have one of the following scopes: ${needs.join(', ')}`,
      );
    if (write) {
      const fault = this.store.takeFault(callPath(request));
      if (fault) return faultResponse(fault.status, fault.retryAfterSeconds);
      const profileType = nativeProfileTypeOf(
        spec,
        method,
        parsed.kind === 'action' ? parsed.action : parsed.kind === 'object' ? undefined : parsed.kind,
        'id' in parsed ? parsed.id : undefined,
      );
      if (profileType !== undefined && this.store.intercepts(profileType)) return nativeApproval(request.headers);
    }
    switch (parsed.kind) {
      case 'collection':
        return method === 'GET' ? this.list(request, spec) : this.create(request, spec);
      case 'object':
        return this.object(request, method, spec, parsed.id);
      case 'action':
        return parsed.action === 'assign'
          ? this.assign(request, spec, parsed.id)
          : this.deviceAction(request, parsed.id, parsed.action);
      case 'assignments':
        return this.assignments(request, method, spec, parsed.id, parsed.assignmentId);
      case 'settings': {
        const found = this.store.get(spec.name, parsed.id);
        if (!found) return notFound(spec, parsed.id);
        return json(200, {
          '@odata.context': context(request, `${spec.name}('${parsed.id}')/settings`),
          value: found.settings ?? [],
        });
      }
      case 'roleAssignmentsOf': {
        if (!this.store.get(spec.name, parsed.id)) return notFound(spec, parsed.id);
        const value = this.store
          .list('roleAssignments')
          .filter((assignment) => assignment.roleDefinitionId?.toLowerCase() === parsed.id.toLowerCase())
          .map((assignment) => this.current('roleAssignments', assignment.body));
        return json(200, { '@odata.context': context(request, 'roleAssignments'), value });
      }
      case 'roleDefinitionOf': {
        const found = this.store.get(spec.name, parsed.id);
        if (!found) return notFound(spec, parsed.id);
        const definition = found.roleDefinitionId
          ? this.store.get('roleDefinitions', found.roleDefinitionId)
          : undefined;
        if (!definition) return notFound(COLLECTIONS.roleDefinitions, found.roleDefinitionId ?? '');
        return json(200, {
          '@odata.context': context(request, 'roleDefinitions/$entity'),
          ...this.current('roleDefinitions', definition.body),
        });
      }
    }
  }

  private list(request: IntuneGraphRequest, spec: CollectionSpec): HostResponse {
    const objects = this.store.list(spec.name);
    const filter = request.url.searchParams.get('$filter');
    let rows: Record<string, unknown>[] | undefined;
    if (filter !== null) {
      const parsed = parseFilter(filter);
      if (!parsed.ok) return graphError(400, 'BadRequest', parsed.reason);
      rows = objects.map((object) => this.listed(spec, object)).filter(parsed.test);
    }
    // Without a filter only the page is rendered, so walking a large collection stays linear.
    const result = rows ? page(request.url, rows) : page(request.url, objects);
    if (!result.ok) return graphError(400, 'BadRequest', result.reason);
    const values = rows
      ? (result.value as Record<string, unknown>[])
      : (result.value as TenantObject[]).map((object) => this.listed(spec, object));
    const count = (rows ?? objects).length;
    const select = selectedFields(request.url);
    const body: Record<string, unknown> = {
      '@odata.context': context(request, spec.name),
      ...(request.url.searchParams.get('$count') === 'true' ? { '@odata.count': count } : {}),
      value: values.map((row) => applySelect(row, select)),
    };
    if (result.nextLink) body['@odata.nextLink'] = result.nextLink;
    return json(200, body);
  }

  private object(request: IntuneGraphRequest, method: string, spec: CollectionSpec, id: string): HostResponse {
    const found = this.store.get(spec.name, id);
    if (!found) return notFound(spec, id);
    if (method === 'GET') return json(200, this.single(request, spec, found));
    if (method === 'DELETE') {
      this.store.remove(spec.name, id);
      if (spec.name === 'managedDevices') this.audit(request, found.body, 'delete', new Date(this.now()).toISOString());
      return noContent();
    }
    const input = parseObject(request.body);
    if ('error' in input) return input.error;
    if (method === 'PATCH') {
      if (spec.name === 'configurationPolicies' && 'settings' in input.value)
        return graphError(
          400,
          'BadRequest',
          "Cannot apply PATCH to navigation property 'settings' on entity type 'microsoft.management.services.api.deviceManagementConfigurationPolicy'.",
        );
      const next: TenantObject = { ...found, body: { ...found.body, ...settable(input.value), ...typeOf(found) } };
      if (spec.name === 'roleAssignments' && 'roleDefinition@odata.bind' in input.value) {
        const bound = this.boundDefinition(input.value['roleDefinition@odata.bind']);
        if ('error' in bound) return bound.error;
        next.roleDefinitionId = bound.id;
      }
      this.store.put(spec.name, this.touched(spec, next));
      return noContent();
    }
    // PUT: the whole policy, settings included, replaces the stored one.
    const settings = input.value.settings;
    if (settings !== undefined && !Array.isArray(settings))
      return graphError(400, 'BadRequest', "The property 'settings' must be an array.");
    const replaced: TenantObject = {
      ...found,
      body: {
        id: found.body.id,
        createdDateTime: found.body.createdDateTime,
        ...settable(input.value),
        ...typeOf(found),
        isAssigned: (found.assignments ?? []).length > 0,
        settingCount: (settings ?? []).length,
      },
      settings: (settings ?? []) as Record<string, unknown>[],
    };
    this.store.put(spec.name, this.touched(spec, replaced));
    return noContent();
  }

  private create(request: IntuneGraphRequest, spec: CollectionSpec): HostResponse {
    const input = parseObject(request.body);
    if ('error' in input) return input.error;
    const body = input.value;
    if (spec.name === 'deviceCompliancePolicies') {
      const rules = Array.isArray(body.scheduledActionsForRule) ? body.scheduledActionsForRule : [];
      const blocks = rules.flatMap((rule) => {
        const configurations = (rule as { scheduledActionConfigurations?: unknown }).scheduledActionConfigurations;
        return Array.isArray(configurations)
          ? configurations.filter((configuration) => (configuration as { actionType?: unknown }).actionType === 'block')
          : [];
      });
      if (blocks.length !== 1)
        return graphError(400, 'BadRequest', 'Compliance policy must have one and only one block scheduled action');
    }
    const settings = body.settings;
    if (spec.name === 'configurationPolicies' && settings !== undefined && !Array.isArray(settings))
      return graphError(400, 'BadRequest', "The property 'settings' must be an array.");
    let roleDefinitionId: string | undefined;
    if (spec.name === 'roleAssignments') {
      const bound = this.boundDefinition(body['roleDefinition@odata.bind']);
      if ('error' in bound) return bound.error;
      roleDefinitionId = bound.id;
    }
    const at = new Date(this.now()).toISOString();
    const created: TenantObject = {
      body: {
        '@odata.type': spec.odataType,
        ...settable(body),
        id: randomUUID(),
        createdDateTime: at,
        lastModifiedDateTime: at,
        ...(spec.versioned ? { version: 1 } : {}),
        ...(spec.name === 'configurationPolicies' ? { settingCount: ((settings ?? []) as unknown[]).length } : {}),
        ...(spec.name === 'mobileApps' || spec.name === 'configurationPolicies' ? { isAssigned: false } : {}),
      },
      ...(spec.assign ? { assignments: [] } : {}),
      ...(spec.name === 'configurationPolicies' ? { settings: (settings ?? []) as Record<string, unknown>[] } : {}),
      ...(roleDefinitionId ? { roleDefinitionId } : {}),
    };
    if (spec.name === 'managedDevices')
      created.body = { managementState: 'managed', deviceActionResults: [], ...created.body };
    this.store.put(spec.name, created);
    return json(201, {
      '@odata.context': context(request, `${spec.name}/$entity`),
      ...this.current(spec.name, created.body),
    });
  }

  private deviceAction(request: IntuneGraphRequest, id: string, action: 'wipe' | 'retire'): HostResponse {
    const found = this.store.get('managedDevices', id);
    if (!found) return notFound(COLLECTIONS.managedDevices, id);
    if (request.body.length > 0) {
      const options = jsonObject(request.body);
      if (options === undefined) return graphError(400, 'BadRequest', 'The request body is not valid JSON.');
      const known = action === 'wipe' ? WIPE_OPTIONS[request.version] : [];
      const unknown = Object.keys(options).find((option) => !known.includes(option));
      if (unknown !== undefined)
        return graphError(
          400,
          'BadRequest',
          `The parameter '${unknown}' in the request payload is not a valid parameter for the operation '${action}'.`,
        );
    }
    const at = new Date(this.now()).toISOString();
    const results = ((found.body.deviceActionResults as Record<string, unknown>[] | undefined) ?? []).filter(
      (result) => result.actionName !== action,
    );
    results.push({ actionName: action, actionState: 'pending', startDateTime: at, lastUpdatedDateTime: at });
    this.store.put('managedDevices', {
      ...found,
      body: { ...found.body, managementState: `${action}Pending`, deviceActionResults: results },
    });
    this.audit(request, found.body, action === 'wipe' ? 'factoryReset' : 'removeCompanyData', at);
    return noContent();
  }

  private assign(request: IntuneGraphRequest, spec: CollectionSpec, id: string): HostResponse {
    const found = this.store.get(spec.name, id);
    if (!found) return notFound(spec, id);
    const input = parseObject(request.body);
    if ('error' in input) return input.error;
    const key = spec.assign!.bodyKey;
    const items = input.value[key];
    if (!Array.isArray(items)) return graphError(400, 'BadRequest', `The request body must hold the array '${key}'.`);
    const assignments: Record<string, unknown>[] = [];
    for (const item of items) {
      const assignment = this.assignment(spec, found, item, assignments);
      if ('error' in assignment) return assignment.error;
      assignments.push(assignment.value);
    }
    const body = 'isAssigned' in found.body ? { ...found.body, isAssigned: assignments.length > 0 } : found.body;
    this.store.put(spec.name, { ...found, body, assignments });
    if (spec.assign!.status === 204) return noContent();
    return json(200, { '@odata.context': context(request, `Collection(${assignmentType(spec)})`), value: assignments });
  }

  private assignments(
    request: IntuneGraphRequest,
    method: string,
    spec: CollectionSpec,
    id: string,
    assignmentId: string | undefined,
  ): HostResponse {
    const found = this.store.get(spec.name, id);
    if (!found) return notFound(spec, id);
    const current = found.assignments ?? [];
    if (assignmentId === undefined && method === 'GET')
      return json(200, { '@odata.context': context(request, `${spec.name}('${id}')/assignments`), value: current });
    if (assignmentId === undefined) {
      const input = parseObject(request.body);
      if ('error' in input) return input.error;
      const assignment = this.assignment(spec, found, input.value, current);
      if ('error' in assignment) return assignment.error;
      const body = 'isAssigned' in found.body ? { ...found.body, isAssigned: true } : found.body;
      this.store.put(spec.name, { ...found, body, assignments: [...current, assignment.value] });
      return json(201, {
        '@odata.context': context(request, `${spec.name}('${id}')/assignments/$entity`),
        ...assignment.value,
      });
    }
    const existing = current.find((candidate) => String(candidate.id).toLowerCase() === assignmentId.toLowerCase());
    if (!existing)
      return graphError(
        404,
        'ResourceNotFound',
        `The assignment '${assignmentId}' of ${spec.name} '${id}' was not found.`,
      );
    if (method === 'GET') return json(200, existing);
    const remaining = current.filter((candidate) => candidate !== existing);
    const body = 'isAssigned' in found.body ? { ...found.body, isAssigned: remaining.length > 0 } : found.body;
    this.store.put(spec.name, { ...found, body, assignments: remaining });
    return noContent();
  }

  /** A checked assignment with its id, or the Graph error for it. */
  private assignment(
    spec: CollectionSpec,
    owner: TenantObject,
    item: unknown,
    taken: readonly Record<string, unknown>[],
  ): { value: Record<string, unknown> } | { error: HostResponse } {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return { error: graphError(400, 'BadRequest', 'Each assignment must be an object.') };
    const target = (item as { target?: unknown }).target as Record<string, unknown> | undefined;
    const type = target?.['@odata.type'];
    if (typeof type !== 'string' || !ASSIGNMENT_TARGETS.has(type))
      return {
        error: graphError(
          400,
          'BadRequest',
          `An assignment target must have an '@odata.type' of ${[...ASSIGNMENT_TARGETS].join(', ')}.`,
        ),
      };
    if (GROUP_TARGETS.has(type) && (typeof target!.groupId !== 'string' || target!.groupId === ''))
      return { error: graphError(400, 'BadRequest', `A ${type.slice(17)} needs a 'groupId'.`) };
    if (spec.name === 'mobileApps') {
      const intent = (item as { intent?: unknown }).intent;
      if (!['required', 'available', 'uninstall', 'availableWithoutEnrollment'].includes(String(intent)))
        return {
          error: graphError(
            400,
            'BadRequest',
            "A mobile app assignment needs an 'intent': required, available, uninstall or availableWithoutEnrollment.",
          ),
        };
    }
    const key = `${String(owner.body.id)}_${typeof target!.groupId === 'string' ? target!.groupId : type.slice(17, -16)}`;
    const ids = new Set(taken.map((assignment) => String(assignment.id)));
    let assignmentId = key;
    for (let n = 1; ids.has(assignmentId); n += 1) assignmentId = `${key}_${n}`;
    return {
      value: {
        '@odata.type': `#microsoft.graph.${assignmentType(spec)}`,
        ...(item as Record<string, unknown>),
        id: assignmentId,
      },
    };
  }

  private boundDefinition(bind: unknown): { id: string } | { error: HostResponse } {
    const match = typeof bind === 'string' ? /roleDefinitions(?:\('([^']+)'\)|\/([^/?]+))\s*$/.exec(bind) : null;
    const id = match?.[1] ?? match?.[2];
    if (id === undefined)
      return {
        error: graphError(
          400,
          'BadRequest',
          "A role assignment needs 'roleDefinition@odata.bind' naming a role definition.",
        ),
      };
    const definition = this.store.get('roleDefinitions', id);
    if (!definition) return { error: notFound(COLLECTIONS.roleDefinitions, id) };
    return { id: String(definition.body.id) };
  }

  private audit(request: IntuneGraphRequest, device: Record<string, unknown>, action: string, at: string): void {
    this.store.put('remoteActionAudits', {
      body: {
        '@odata.type': '#microsoft.graph.remoteActionAudit',
        id: randomUUID(),
        managedDeviceId: device.id,
        deviceDisplayName: device.deviceName,
        userName: device.userPrincipalName,
        deviceOwnerUserPrincipalName: device.userPrincipalName,
        action,
        actionState: action === 'delete' ? 'done' : 'pending',
        requestDateTime: at,
        initiatedByUserPrincipalName: request.appId ?? '',
      },
    });
  }

  /** The object as a single GET shows it: lazy properties filled, `$select` and `$expand` applied. */
  private single(request: IntuneGraphRequest, spec: CollectionSpec, object: TenantObject): Record<string, unknown> {
    const expand = (request.url.searchParams.get('$expand') ?? '')
      .split(',')
      .map((part) => part.trim().replace(/\(.*\)$/, ''))
      .filter(Boolean);
    const body = applySelect(this.current(spec.name, object.body), selectedFields(request.url));
    if (expand.includes('assignments') && spec.assign) body.assignments = object.assignments ?? [];
    if (expand.includes('settings') && spec.name === 'configurationPolicies') body.settings = object.settings ?? [];
    if (expand.includes('roleDefinition') && object.roleDefinitionId) {
      const definition = this.store.get('roleDefinitions', object.roleDefinitionId);
      body.roleDefinition = definition ? this.current('roleDefinitions', definition.body) : null;
    }
    return { '@odata.context': context(request, `${spec.name}/$entity`), ...body };
  }

  /** The object as a list shows it: lazy properties empty. */
  private listed(spec: CollectionSpec, object: TenantObject): Record<string, unknown> {
    const body = this.current(spec.name, object.body);
    for (const field of spec.lazy) body[field] = field === 'deviceActionResults' ? [] : null;
    return body;
  }

  /** The stored body with time-dependent state worked out on the runtime clock (device actions complete after the delay). */
  private current(collection: StoredCollection, body: Record<string, unknown>): Record<string, unknown> {
    const now = this.now();
    const due = (start: unknown) => typeof start === 'string' && Date.parse(start) + this.deviceDelayMs <= now;
    const doneAt = (start: string) => new Date(Date.parse(start) + this.deviceDelayMs).toISOString();
    if (collection === 'managedDevices') {
      const results = ((body.deviceActionResults as Record<string, unknown>[] | undefined) ?? []).map((result) =>
        result.actionState === 'pending' && due(result.startDateTime)
          ? { ...result, actionState: 'done', lastUpdatedDateTime: doneAt(result.startDateTime as string) }
          : result,
      );
      const pending = /^(wipe|retire)Pending$/.exec(String(body.managementState));
      const finished =
        pending && results.some((result) => result.actionName === pending[1] && result.actionState === 'done');
      return {
        ...body,
        deviceActionResults: results,
        ...(finished ? { managementState: `${pending[1]}Issued` } : {}),
      };
    }
    if (collection === 'remoteActionAudits' && body.actionState === 'pending' && due(body.requestDateTime))
      return { ...body, actionState: 'done' };
    return { ...body };
  }

  private touched(spec: CollectionSpec, object: TenantObject): TenantObject {
    const version = typeof object.body.version === 'number' ? object.body.version : 0;
    return {
      ...object,
      body: {
        ...object.body,
        lastModifiedDateTime: new Date(this.now()).toISOString(),
        ...(spec.versioned ? { version: version + 1 } : {}),
      },
    };
  }
}

/** Splits `managedDevices('id')` key segments and finds what the path names. */
function parse(request: IntuneGraphRequest): Parsed | { error: HostResponse } {
  const segments = request.segments.flatMap((segment) => {
    const keyed = /^([^(]+)\('([^']*)'\)$/.exec(segment);
    return keyed ? [keyed[1]!, keyed[2]!] : [segment];
  });
  const [root, name, id, sub, subId, ...rest] = segments;
  const unknown = (segment: string | undefined) => ({
    error: graphError(400, 'BadRequest', `Resource not found for the segment '${segment ?? ''}'.`),
  });
  const spec = findCollection(root!, name ?? '');
  if (!spec || (spec.betaOnly && request.version === 'v1.0')) return unknown(name ?? root);
  if (id === undefined) return { kind: 'collection', spec };
  if (spec.readOnly && sub !== undefined) return unknown(sub);
  if (sub === undefined) return { kind: 'object', spec, id };
  if (rest.length > 0) return unknown(rest[0]);
  if ((sub === 'wipe' || sub === 'retire') && spec.name === 'managedDevices' && subId === undefined)
    return { kind: 'action', spec, id, action: sub };
  if (sub === 'assign' && spec.assign && subId === undefined) return { kind: 'action', spec, id, action: 'assign' };
  if (sub === 'assignments' && spec.assign)
    return { kind: 'assignments', spec, id, ...(subId === undefined ? {} : { assignmentId: subId }) };
  if (sub === 'settings' && spec.name === 'configurationPolicies' && subId === undefined)
    return { kind: 'settings', spec, id };
  if (sub === 'roleAssignments' && spec.name === 'roleDefinitions' && subId === undefined)
    return { kind: 'roleAssignmentsOf', spec, id };
  if (sub === 'roleDefinition' && spec.name === 'roleAssignments' && subId === undefined)
    return { kind: 'roleDefinitionOf', spec, id };
  return unknown(sub);
}

/** The request's path from the version on, as sent (`/v1.0/deviceManagement/managedDevices/{id}/wipe`). */
function callPath(request: IntuneGraphRequest): string {
  return `/${request.version}/${request.url.pathname.split('/').slice(4).join('/')}`;
}

function allowedMethods(parsed: Parsed): string[] {
  if (parsed.spec.readOnly) return ['GET'];
  switch (parsed.kind) {
    case 'collection':
      return ['GET', 'POST'];
    case 'object':
      return parsed.spec.name === 'configurationPolicies'
        ? ['GET', 'PATCH', 'PUT', 'DELETE']
        : ['GET', 'PATCH', 'DELETE'];
    case 'action':
      return ['POST'];
    case 'assignments':
      if (parsed.spec.name !== 'mobileApps') return ['GET'];
      return parsed.assignmentId === undefined ? ['GET', 'POST'] : ['GET', 'DELETE'];
    default:
      return ['GET'];
  }
}

function assignmentType(spec: CollectionSpec): string {
  switch (spec.name) {
    case 'mobileApps':
      return 'mobileAppAssignment';
    case 'deviceHealthScripts':
      return 'deviceHealthScriptAssignment';
    case 'deviceManagementScripts':
    case 'deviceShellScripts':
      return 'deviceManagementScriptAssignment';
    case 'deviceCompliancePolicies':
      return 'deviceCompliancePolicyAssignment';
    case 'configurationPolicies':
      return 'deviceManagementConfigurationPolicyAssignment';
    default:
      return 'deviceConfigurationAssignment';
  }
}

/** The object's own `@odata.type`, which an update keeps (a derived type cannot change). */
function typeOf(object: TenantObject): Record<string, unknown> {
  return '@odata.type' in object.body ? { '@odata.type': object.body['@odata.type'] } : {};
}

function settable(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(([field]) => !NOT_SETTABLE.has(field) && !field.endsWith('@odata.bind')),
  );
}

function context(request: IntuneGraphRequest, what: string): string {
  const root = request.segments[0]?.startsWith('deviceAppManagement') ? 'deviceAppManagement' : 'deviceManagement';
  return `https://graph.microsoft.com/${request.version}/$metadata#${root}/${what}`;
}

function notFound(spec: CollectionSpec, id: string): HostResponse {
  return graphError(
    404,
    'ResourceNotFound',
    `Resource not found: ${spec.odataType.slice(17)} with id '${id}' does not exist.`,
  );
}

function noContent(): HostResponse {
  return { status: 204, headers: [], body: Buffer.alloc(0) };
}

function faultResponse(status: number, retryAfterSeconds: number | undefined): HostResponse {
  if (status === 429)
    return graphError(
      429,
      'TooManyRequests',
      'Too many requests are being sent to this service. Retry the request later.',
      retryAfterSeconds === undefined ? [] : [['retry-after', String(retryAfterSeconds)]],
    );
  if (status === 503)
    return graphError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Retry the request later.');
  return graphError(status, 'InternalServerError', 'An internal server error occurred.');
}

function nativeApproval(headers: IncomingHttpHeaders): HostResponse {
  if (headerValue(headers, JUSTIFICATION_HEADER) === undefined)
    return graphError(
      400,
      'BadRequest',
      "Header 'x-msft-approval-justification' is required for this operation because it is protected by a Multi Admin Approval policy.",
    );
  const code = randomUUID();
  return graphError(
    403,
    'ApprovalRequired',
    `This operation is protected by a Multi Admin Approval policy. Approval request ${code} was created and must be approved before the operation can be completed.`,
    [['x-msft-approval-code', code]],
  );
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function parseObject(body: Buffer): { value: Record<string, unknown> } | { error: HostResponse } {
  const value = jsonObject(body);
  if (value) return { value };
  return {
    error: graphError(
      400,
      'BadRequest',
      body.length === 0 ? 'Empty Payload. JSON content expected.' : 'The request body must be a JSON object.',
    ),
  };
}
