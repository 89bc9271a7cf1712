import type { ApproverCandidate } from '../../../shared/identity/directory';
import { approverPoolRows, approverPools } from '../../../shared/ops/approverPools';
import { approverPoolsAlert, approverPoolsSection, renderDashboard } from '../../../shared/ops/dashboardHtml';
import type { OpsOverview } from '../../../shared/ops/useCases';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { listPoliciesWithHealth, readPoolHealth } from '../../../shared/useCases/policyHealth';
import { accessPolicy, GROUP_A, GROUP_B, GROUP_OTHER } from '../../support/builders';
import { caller, FakeDirectory, tempSqliteStore, useCaseDeps } from '../../support/fakePorts';

const WIPES = accessPolicy({
  id: 'pol-wipe',
  displayName: 'Wipes',
  profileType: 'deviceWipe',
  approverGroupIds: [GROUP_A],
});
const RETIRES = accessPolicy({
  id: 'pol-retire',
  displayName: 'Retires',
  profileType: 'deviceRetire',
  approverGroupIds: [GROUP_B],
  requiredApprovals: 2,
});
const DELETES = accessPolicy({
  id: 'pol-delete',
  displayName: 'Deletes <b>now</b>',
  profileType: 'deviceDelete',
  approverGroupIds: [GROUP_OTHER],
});

/** bob and carol approve through GROUP_A (bob may also request); GROUP_B has carol alone; GROUP_OTHER nobody. */
const directory = () =>
  new FakeDirectory(
    { [GROUP_A]: ['bob', 'carol', 'dave'], [GROUP_B]: ['carol'], [GROUP_OTHER]: [] },
    { bob: ['MAA.Approver', 'MAA.Requester'], carol: ['MAA.Approver'], dave: ['MAA.Approver'] },
  );

/** A directory that cannot read `GROUP_B` (as Graph being away for one call). */
class PartlyDownDirectory extends FakeDirectory {
  override async approverCandidates(groupIds: readonly string[]): Promise<ApproverCandidate[]> {
    if (groupIds.includes(GROUP_B))
      throw Object.assign(new Error('GET https://graph.example/secret failed'), { code: 'membership_unavailable' });
    return super.approverCandidates(groupIds);
  }
}

describe('readPoolHealth', () => {
  it('reads the directory once per distinct set of approver groups and assesses each policy against its own quorum', async () => {
    const fake = directory();
    const wipesTwice = accessPolicy({
      ...WIPES,
      id: 'pol-wipe-2',
      requiredApprovals: 3,
      approverGroupIds: [GROUP_A.toUpperCase()],
    });
    const readings = await readPoolHealth(fake, [WIPES, wipesTwice, RETIRES]);
    expect(fake.calls.filter((call) => call.startsWith('approverCandidates'))).toHaveLength(2);
    expect(readings.get('pol-wipe')).toMatchObject({ health: { status: 'ok' } });
    expect(readings.get('pol-wipe-2')).toMatchObject({ health: { status: 'unapprovable' } });
    expect(readings.get('pol-retire')).toMatchObject({ health: { status: 'unapprovable' } });
  });

  it('marks only the policies whose groups could not be read, naming the code but not the error text', async () => {
    const readings = await readPoolHealth(new PartlyDownDirectory({ [GROUP_A]: ['carol'] }), [WIPES, RETIRES]);
    expect(readings.get('pol-wipe')).toMatchObject({ health: { status: 'atRisk' } });
    expect(readings.get('pol-retire')).toEqual({
      unreadable: 'the directory could not be read (membership_unavailable)',
    });
  });
});

describe('approverPoolRows', () => {
  it.each<[string, Parameters<typeof approverPoolRows>[1], object]>([
    [
      'an assessed pool',
      new Map([
        [
          'pol-wipe',
          {
            health: {
              eligibleApprovers: [{ id: 'b', displayName: 'B' }],
              status: 'atRisk',
              reasons: ['B is the only approver'],
            },
          },
        ],
      ]),
      { eligibleApprovers: 1, status: 'atRisk', reasons: ['B is the only approver'] },
    ],
    [
      'a pool the directory could not read',
      new Map([['pol-wipe', { unreadable: 'the directory could not be read' }]]),
      { eligibleApprovers: null, status: 'unknown', reasons: ['the directory could not be read'] },
    ],
    ['a policy the directory was not asked about', new Map(), { eligibleApprovers: null, status: 'unknown' }],
  ])('shows %s', (_, readings, row) => {
    const pools = approverPoolRows([WIPES], readings);
    expect(pools.policies).toEqual([
      expect.objectContaining({
        policyId: 'pol-wipe',
        displayName: 'Wipes',
        profileType: 'deviceWipe',
        requiredApprovals: 1,
        ...row,
      }),
    ]);
    expect(pools.directoryReadable).toBe((row as { status: string }).status !== 'unknown');
  });

  it('counts every status and lists unapprovable first, then atRisk, unknown and ok', async () => {
    const { store, dispose } = tempSqliteStore();
    try {
      for (const policy of [
        WIPES,
        RETIRES,
        DELETES,
        accessPolicy({ ...WIPES, id: 'pol-app', profileType: 'app', requiredApprovals: 2 }),
      ])
        await store.createPolicy(policy);
      const pools = await approverPools(store, directory());
      expect(pools.counts).toEqual({ unapprovable: 2, atRisk: 1, unknown: 0, ok: 1 });
      expect(pools.directoryReadable).toBe(true);
      expect(pools.policies.map((row) => [row.policyId, row.status, row.eligibleApprovers])).toEqual([
        ['pol-delete', 'unapprovable', 0],
        ['pol-retire', 'unapprovable', 1],
        ['pol-app', 'atRisk', 3],
        ['pol-wipe', 'ok', 3],
      ]);
    } finally {
      await dispose();
    }
  });
});

describe('listPoliciesWithHealth', () => {
  let store: SqliteStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => {
    ({ store, dispose } = tempSqliteStore());
    await store.createPolicy(WIPES);
    await store.createPolicy(RETIRES);
  });
  afterEach(() => dispose());

  it('gives each policy of the page its health, as the policy view does', async () => {
    const page = await listPoliciesWithHealth(useCaseDeps(store, directory()), caller('alice', ['MAA.Requester']), {
      top: 10,
    });
    expect(Object.fromEntries(page.items.map((policy) => [policy.id, policy.health?.status]))).toEqual({
      'pol-wipe': 'ok',
      'pol-retire': 'unapprovable',
    });
  });

  it('still lists a policy whose groups the directory could not read, without health', async () => {
    const page = await listPoliciesWithHealth(
      useCaseDeps(store, new PartlyDownDirectory({ [GROUP_A]: ['carol'] })),
      caller('alice', []),
      {
        top: 10,
      },
    );
    const byId = new Map(page.items.map((policy) => [policy.id, policy]));
    expect(byId.get('pol-wipe')?.health?.status).toBe('atRisk');
    expect(byId.get('pol-retire')).toBeDefined();
    expect(byId.get('pol-retire')).not.toHaveProperty('health');
  });
});

describe('the dashboard approver pools section', () => {
  const pools = approverPoolRows(
    [WIPES, RETIRES, DELETES],
    new Map([
      [
        'pol-wipe',
        {
          health: {
            eligibleApprovers: [
              { id: 'b', displayName: 'B' },
              { id: 'c', displayName: 'C' },
            ],
            status: 'ok',
            reasons: [],
          },
        },
      ],
      ['pol-retire', { unreadable: 'the directory could not be read' }],
      [
        'pol-delete',
        {
          health: {
            eligibleApprovers: [],
            status: 'unapprovable',
            reasons: ['no member of the approver groups holds MAA.Approver'],
          },
        },
      ],
    ]),
  );

  it('lists each policy with approvers against the quorum, status and reasons, user text escaped', () => {
    const html = approverPoolsSection(pools);
    expect(html).toContain('<h2 id="approver-pools">Approver pools</h2>');
    expect(html).toContain('data-policy-id="pol-delete" data-pool-status="unapprovable"');
    expect(html).toMatch(
      /<td data-label="approvers \/ needed">0 \/ 1<\/td><td data-label="status" class="bad"><b>unapprovable<\/b><\/td><td data-label="why"><ul class="reasons"><li><bdi>no member of the approver groups holds MAA.Approver<\/bdi><\/li>/,
    );
    expect(html).toContain('<td data-label="approvers / needed">2 / 1</td><td data-label="status"><b>ok</b></td>');
    expect(html).toContain(
      '<td data-label="approvers / needed">? / 2</td><td data-label="status" class="warn"><b>unknown</b>',
    );
    expect(html).toContain('Deletes &lt;b&gt;now&lt;/b&gt;');
    expect(html).not.toContain('<b>now</b>');
    expect(html).toContain('<span data-pool-count="unapprovable" class="bad">unapprovable: <b>1</b></span>');
  });

  it('says so when the directory could not be read, and renders the rest', () => {
    expect(approverPoolsSection(pools)).toContain(
      '<p class="warn" id="directory-unreadable">The directory could not be read for 1 policy: its pool is shown as unknown.</p>',
    );
    const readable = approverPoolRows(
      [WIPES],
      new Map([['pol-wipe', { health: { eligibleApprovers: [], status: 'ok', reasons: [] } }]]),
    );
    expect(approverPoolsSection(readable)).not.toContain('directory-unreadable');
  });

  it('raises a banner naming the unapprovable policies, and none when there are none', () => {
    expect(approverPoolsAlert(pools)).toMatch(
      /^<p class="alert" role="alert" id="unapprovable-alert">1 policy cannot be approved: <bdi>Deletes &lt;b&gt;now&lt;\/b&gt;<\/bdi> \(deviceDelete\)\./,
    );
    expect(approverPoolsAlert(approverPoolRows([], new Map()))).toBe('');
  });

  it('puts the banner above the status counts and the section on the page', () => {
    const overview = {
      generatedAt: '2026-01-01T00:00:00.000Z',
      counts: { needsApproval: 0, approved: 0, rejected: 0, cancelled: 0, completed: 0, expired: 0 },
      oldestOpen: null,
      expiringWithin24h: { count: 0, items: [] },
      last24h: {
        failedExecutions: 0,
        failedOrchestrations: 0,
        hourly: [],
        timeToDecision: { decided: 0, medianSeconds: null, p95Seconds: null },
      },
      approverPools: pools,
    } as OpsOverview;
    const html = renderDashboard(overview, [], 'Olga');
    expect(html.indexOf('id="unapprovable-alert"')).toBeGreaterThan(-1);
    expect(html.indexOf('id="unapprovable-alert"')).toBeLessThan(html.indexOf('Requests by status'));
    expect(html.indexOf('Requests by status')).toBeLessThan(html.indexOf('id="approver-pools"'));
  });
});
