import { CATALOGUE, type CatalogueEntry, type CatalogueOperation } from '../../shared/intune/catalogue';
import { Api } from '../support/api';
import {
  INTUNE_PROFILE_TYPES,
  TENANT_COLLECTIONS,
  catalogueChains,
  catalogueOperation,
  entryName,
  seededTarget,
} from '../support/catalogueRun';
import { completeAndExecute, protect, submitApproved, writesOf } from '../support/localIntune';
import { intuneTenant, type IntuneCall } from '../support/intune';
import { startRuntime } from '../support/runtime';

/** What one entry's run through the lifecycle left behind, captured before the next entry on the same object ran. */
interface Run {
  operation: CatalogueOperation;
  request: any;
  before: any;
  after: any;
  afterCollection: any[];
  writes: { all: IntuneCall[]; effective: IntuneCall[] };
}

const assignmentsIn = (body: any): any[] => (Object.values(body ?? {}).find(Array.isArray) as any[] | undefined) ?? [];
const targetKey = (assignment: any) => `${assignment.target?.['@odata.type']}:${assignment.target?.groupId ?? ''}`;

/**
 * Every operation of the catalogue through the real runtime against the local Intune tenant: a
 * policy per profile type (bootstrapped as admins do), then for each entry alice submits its
 * example operation on a seeded object, bob or carol approves, alice completes, and the Graph
 * executor writes to the tenant. The entries of one resource type run one after another (each
 * reads the object the previous one left), the resource types side by side.
 */
describe('every catalogue operation executed through Graph against the local tenant', () => {
  let api: Api;
  const runs = new Map<CatalogueEntry, Run | Error>();

  beforeAll(async () => {
    api = new Api(await startRuntime());
    await protect(api, ...INTUNE_PROFILE_TYPES);
    let approvals = 0;
    await Promise.all(
      catalogueChains().map(async (entries) => {
        for (const entry of entries) {
          try {
            runs.set(entry, await run(entry, approvals++ % 2 === 0 ? 'bob' : 'carol'));
          } catch (error) {
            runs.set(entry, error as Error);
          }
        }
      }),
    );
  }, 120_000);
  afterAll(() => api.runtime.dispose());

  async function run(entry: CatalogueEntry, approver: string): Promise<Run> {
    const collection = TENANT_COLLECTIONS[entry.resourceType];
    if (collection === undefined) throw new Error(`the local tenant has no collection for ${entry.resourceType}`);
    const resourceId = seededTarget(entry);
    const objectOf = async () => {
      const objects = (await intuneTenant(api.runtime.url))[collection] ?? [];
      return { objects, object: objects.find((item) => item.id === resourceId) };
    };
    const { object: before } = await objectOf();
    const operation = catalogueOperation(entry, before);
    const id = await submitApproved(
      api,
      {
        profileType: entry.profileType,
        operation,
        justification: `Catalogue run: ${entryName(entry)} (CHG-1300)`,
      },
      approver,
    );
    const request = await completeAndExecute(api, id);
    const { objects, object: after } = await objectOf();
    const clientRequestId = request.execution?.graph?.clientRequestId as string | undefined;
    const writes =
      clientRequestId === undefined ? { all: [], effective: [] } : await writesOf(api.runtime, clientRequestId);
    return { operation, request, before, after, afterCollection: objects, writes };
  }

  function runOf(entry: CatalogueEntry): Run {
    const result = runs.get(entry);
    if (result === undefined) throw new Error(`${entryName(entry)} did not run`);
    if (result instanceof Error) throw result;
    return result;
  }

  it('covers every Intune profile type with at least one operation', () => {
    expect(new Set(CATALOGUE.map((entry) => entry.profileType))).toEqual(new Set(INTUNE_PROFILE_TYPES));
  });

  it.each(CATALOGUE.map((entry) => [entryName(entry), entry] as const))(
    '%s: completes with exactly the writes the catalogue derives, once each, under the request’s client-request-id',
    (_name, entry) => {
      const { operation, request, writes } = runOf(entry);
      expect(request).toMatchObject({ status: 'completed', execution: { status: 'succeeded' } });
      const expected = entry
        .calls(operation)
        .map((call) => `${call.method} /${call.version}${call.path}`)
        .sort();
      expect(writes.effective.map((call) => `${call.method} ${call.path}`).sort()).toEqual(expected);
      // Nothing refused or sent twice: every write of this request took effect.
      expect(writes.all).toHaveLength(expected.length);
      // The target read at submit is on the request for every operation on an existing object.
      if (entry.resourceId === 'required') {
        expect(request.target).toMatchObject({ resourceType: entry.resourceType, id: operation.resourceId });
      } else {
        expect(request.target).toBeUndefined();
      }
    },
  );

  it.each(CATALOGUE.map((entry) => [entryName(entry), entry] as const))(
    '%s: changes the local tenant as the operation says',
    (_name, entry) => {
      const { operation, request, before, after, afterCollection, writes } = runOf(entry);
      const body = writes.effective[0]?.body;
      if (entry.resourceId === 'required') expect(before).toBeDefined();
      switch (entry.action) {
        case 'create': {
          const created = afterCollection.filter((item) =>
            String(item.description ?? '').endsWith(`[maa:${request.id}]`),
          );
          expect(created).toHaveLength(1);
          const payload = operation.payload as Record<string, unknown> | undefined;
          if (typeof payload?.displayName === 'string') expect(created[0].displayName).toBe(payload.displayName);
          break;
        }
        case 'delete':
          expect(after).toBeUndefined();
          break;
        case 'wipe':
          expect(after).toMatchObject({ managementState: 'wipePending' });
          expect(after.deviceActionResults).toEqual(
            expect.arrayContaining([expect.objectContaining({ actionName: 'wipe', actionState: 'pending' })]),
          );
          break;
        case 'retire':
          expect(after).toMatchObject({ managementState: 'retirePending' });
          break;
        case 'update':
        case 'replace': {
          // Lazy properties (a script's content) are not in the tenant's view; the rest must read back as sent.
          const fields = Object.entries(body as Record<string, unknown>).filter(
            ([key]) => !key.includes('@') && key in after,
          );
          expect(fields.length).toBeGreaterThan(0);
          for (const [key, value] of fields) expect([key, after[key]]).toEqual([key, value]);
          expect(after.lastModifiedDateTime).not.toBe(before.lastModifiedDateTime);
          break;
        }
        case 'assign':
          expect((after.assignments as any[]).map(targetKey).sort()).toEqual(assignmentsIn(body).map(targetKey).sort());
          break;
        case 'addAssignment':
          expect(after.assignments).toHaveLength(before.assignments.length + 1);
          expect((after.assignments as any[]).map(targetKey)).toContain(targetKey(body));
          break;
        case 'removeAssignment': {
          const removed = (operation.payload as { assignmentId: string }).assignmentId;
          expect(after.assignments).toHaveLength(before.assignments.length - 1);
          expect((after.assignments as { id: string }[]).map((assignment) => assignment.id)).not.toContain(removed);
          break;
        }
        default:
          throw new Error(`no check for action ${entry.action}: add one`);
      }
    },
  );
});
