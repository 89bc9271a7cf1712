import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compose, type Services } from '../../../shared/composition';
import { parseConfig } from '../../../shared/config';
import type { ApprovalRequest } from '../../../shared/domain/model';
import { CosmosOpsReader } from '../../../shared/ops/cosmosOpsReader';
import { SqliteOpsReader } from '../../../shared/ops/sqliteOpsReader';
import { CosmosStore } from '../../../shared/store/cosmosStore';
import { SqliteStore } from '../../../shared/store/sqliteStore';
import { withAppKey } from '../../support/appKey';
import { accessPolicy, newRequest } from '../../support/builders';

const FIXED = new Date('2031-05-06T07:08:09.000Z');
const fixedClock = () => new Date(FIXED);

describe('the composition root', () => {
  let dir: string;
  const opened: Services[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'maa-composition-'));
  });

  afterEach(async () => {
    for (const services of opened.splice(0)) {
      await services.opsReader.close();
      await services.store.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function sqliteServices(env: Record<string, string> = {}): Services {
    const services = compose(parseConfig(withAppKey({ MAA_DATA_DIR: dir, ...env })), fixedClock);
    opened.push(services);
    return services;
  }

  it('opens nothing until an adapter is read', () => {
    const services = sqliteServices();
    expect(services.now()).toEqual(FIXED);
    expect(services.appKeys.current.id).toBe('test-1');
    expect(existsSync(path.join(dir, 'maa.sqlite'))).toBe(false);
    expect(services.store).toBeDefined();
    expect(existsSync(path.join(dir, 'maa.sqlite'))).toBe(true);
  });

  it('builds each adapter once and chooses the SQLite ops reader for the SQLite store', () => {
    const services = sqliteServices();
    expect(services.store).toBe(services.store);
    expect(services.store).toBeInstanceOf(SqliteStore);
    expect(services.opsReader).toBe(services.opsReader);
    expect(services.opsReader).toBeInstanceOf(SqliteOpsReader);
    expect(services.executorFor('operationApprovalPolicy')).toBe(services.executorFor('operationApprovalPolicy'));
  });

  it('gives the policy executor its store and clock: the policy it applies is read back with the clock time', async () => {
    const services = sqliteServices();
    const { displayName, description, profileType, approverGroupIds, requiredApprovals, requestTtl } = accessPolicy();
    const draft = { displayName, description, profileType, approverGroupIds, requiredApprovals, requestTtl };
    const request: ApprovalRequest = {
      ...newRequest({ id: 'req-policy' }),
      profileType: 'operationApprovalPolicy',
      operation: { action: 'create', resourceType: 'accessPolicy', payload: { action: 'create', draft } },
    };
    const executor = services.executorFor('operationApprovalPolicy');
    expect(executor.kind).toBe('policy');
    await expect(executor.execute(request)).resolves.toMatchObject({ status: 'succeeded' });
    expect((await services.store.getPolicy('pol-req-policy'))?.value.createdAt).toBe(FIXED.toISOString());
  });

  it('checks the health of the store it built, opening it on the first check', async () => {
    const services = sqliteServices();
    await expect(services.storeHealth.check()).resolves.toEqual({ ok: true });
    expect(existsSync(path.join(dir, 'maa.sqlite'))).toBe(true);
  });

  it('reads in the ops reader what the store wrote', async () => {
    const services = sqliteServices();
    await services.store.createRequest(newRequest());
    await expect(services.opsReader.statusCounts()).resolves.toEqual({ needsApproval: 1 });
  });

  it('runs the webhook types through the webhook, the release-only types through none and the other Intune types through Graph', () => {
    const services = sqliteServices({
      MAA_WEBHOOK_URL: 'https://hooks.example.test/maa',
      MAA_WEBHOOK_SECRET: 'a-webhook-secret-of-16+',
      MAA_WEBHOOK_PROFILE_TYPES: 'deviceWipe',
      MAA_RELEASE_ONLY_PROFILE_TYPES: 'role, script',
    });
    expect(services.executorFor('deviceWipe').kind).toBe('webhook');
    expect(services.executorFor('role').kind).toBe('none');
    expect(services.executorFor('script').kind).toBe('none');
    expect(services.executorFor('app').kind).toBe('graph');
    expect(services.executorFor('deviceRetire')).toBe(services.executorFor('tenantConfiguration'));
    expect(services.executorFor('operationApprovalPolicy').kind).toBe('policy');
  });

  it('executes every Intune profile type through Graph by default, and reads targets through Graph', () => {
    const services = sqliteServices();
    for (const type of ['deviceWipe', 'deviceRetire', 'deviceDelete', 'app', 'script', 'compliancePolicy'] as const)
      expect(services.executorFor(type).kind).toBe('graph');
    expect(services.targets).toBe(services.targets);
    expect(typeof services.targets.read).toBe('function');
  });

  it('refuses a profile type that is both executed by the webhook and only released', () => {
    expect(() =>
      parseConfig(
        withAppKey({
          MAA_WEBHOOK_URL: 'https://hooks.example.test/maa',
          MAA_WEBHOOK_SECRET: 'a-webhook-secret-of-16+',
          MAA_WEBHOOK_PROFILE_TYPES: 'app',
          MAA_RELEASE_ONLY_PROFILE_TYPES: 'app',
        }),
      ),
    ).toThrow(/MAA_RELEASE_ONLY_PROFILE_TYPES: app cannot be both/);
  });

  it('with Cosmos DB settings builds the Cosmos store and the Cosmos ops reader, without connecting', async () => {
    const services = compose(
      parseConfig(
        withAppKey({
          MAA_STORE: 'cosmos',
          COSMOS_ENDPOINT: 'https://127.0.0.1:9/',
          COSMOS_KEY: Buffer.alloc(64, 1).toString('base64'),
        }),
      ),
      fixedClock,
    );
    expect(services.store).toBeInstanceOf(CosmosStore);
    expect(services.opsReader).toBeInstanceOf(CosmosOpsReader);
    expect(services.store).toBe(services.store);
    // Store and ops reader share one client: closing the store closes it for both.
    await services.store.close();
  });
});
