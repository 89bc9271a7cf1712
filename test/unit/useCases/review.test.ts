import type { ApprovalRequest, TargetSnapshot } from '../../../shared/domain/model';
import { fingerprintOf } from '../../../shared/intune/drift';
import { LIVE_CHECK_MAX_DEVICES, reviewContext } from '../../../shared/useCases/review';
import { deviceSnapshot, InMemoryTargets } from '../../support/fakePorts';
import { wipe } from '../notify/fixtures';

const SUBMITTED = '2026-12-07T09:00:00.000Z';
const NOW = '2026-12-07T10:00:00.000Z';
const now = () => new Date(NOW);
const DEVICE = 'd3a1c0de-0000-4000-8000-000000000001';

function setUp(): { targets: InMemoryTargets; deps: { targets: InMemoryTargets; now: () => Date } } {
  const targets = new InMemoryTargets(now);
  return { targets, deps: { targets, now } };
}

/** A wipe of DEVICE whose target was snapshotted at submit. */
function wipeOf(target: TargetSnapshot = deviceSnapshot(DEVICE, SUBMITTED)): ApprovalRequest {
  const request = wipe();
  return { ...request, operation: { ...request.operation, resourceId: DEVICE }, target };
}

describe('the review page reading the target again', () => {
  it('says unchanged when Graph shows the same device', async () => {
    const { deps } = setUp();
    expect((await reviewContext(deps, wipeOf())).freshness).toEqual({ state: 'unchanged', readAt: NOW });
  });

  it('says what changed when the device was renamed since submit', async () => {
    const { deps, targets } = setUp();
    const submitted = { ...deviceSnapshot(DEVICE, SUBMITTED), fingerprint: '' };
    submitted.fingerprint = fingerprintOf(submitted);
    const renamed = { ...submitted, displayName: 'LT-RENAMED', readAt: NOW, fingerprint: '' };
    renamed.fingerprint = fingerprintOf(renamed);
    targets.add(renamed);
    expect((await reviewContext(deps, wipeOf(submitted))).freshness).toEqual({
      state: 'changed',
      readAt: NOW,
      differences: [`name ${submitted.displayName} → LT-RENAMED`],
    });
  });

  it('says gone when Intune no longer knows the device', async () => {
    const { deps, targets } = setUp();
    targets.remove('managedDevice', DEVICE);
    expect((await reviewContext(deps, wipeOf())).freshness).toEqual({ state: 'gone', readAt: NOW });
  });

  it('shows the snapshot as of its read time when Graph does not answer', async () => {
    const { deps, targets } = setUp();
    targets.down = true;
    expect((await reviewContext(deps, wipeOf())).freshness).toEqual({
      state: 'unchecked',
      readAt: SUBMITTED,
      reason: 'Microsoft Graph did not answer',
    });
  });

  it('waits no longer than its bound for a slow Graph', async () => {
    const { deps, targets } = setUp();
    targets.delayMs = 2_000;
    const started = Date.now();
    const context = await reviewContext(deps, wipeOf(), 100);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(context.freshness).toEqual({
      state: 'unchecked',
      readAt: SUBMITTED,
      reason: 'Microsoft Graph did not answer within 0.1 s',
    });
  });

  it(`reads only the first ${LIVE_CHECK_MAX_DEVICES} devices of a bulk action again`, async () => {
    const { deps, targets } = setUp();
    const ids = Array.from({ length: 37 }, (_, n) => `d3a1c0de-0000-4000-8000-${String(n + 1).padStart(12, '0')}`);
    const request: ApprovalRequest = {
      ...wipe(),
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceIds: ids },
      targets: ids.map((id) => deviceSnapshot(id, SUBMITTED)),
    };
    const context = await reviewContext(deps, request);
    expect(targets.reads.map((read) => read.operation)).toEqual(
      ids
        .slice(0, LIVE_CHECK_MAX_DEVICES)
        .map((resourceId) => ({ action: 'retire', resourceType: 'managedDevice', resourceId })),
    );
    expect(context.devices).toHaveLength(37);
    expect(context.devices!.slice(0, LIVE_CHECK_MAX_DEVICES).every((item) => item?.state === 'unchanged')).toBe(true);
    expect(context.devices!.slice(LIVE_CHECK_MAX_DEVICES).every((item) => item === undefined)).toBe(true);
    expect(context.preview!.calls).toHaveLength(37);
  });

  it('names the proposed groups the snapshot does not name, and shows the others by id', async () => {
    const { deps, targets } = setUp();
    targets.groups.set('a9900000-0000-4000-8000-000000000102', 'Sales devices');
    const policy = '201a0000-0000-4000-8000-000000000001';
    const target: TargetSnapshot = {
      resourceType: 'deviceCompliancePolicy',
      id: policy,
      displayName: 'Baseline',
      readAt: SUBMITTED,
      assignments: [],
      settings: {},
      fingerprint: 'f'.repeat(64),
    };
    targets.add(target);
    const request: ApprovalRequest = {
      ...wipe(),
      profileType: 'compliancePolicy',
      operation: {
        action: 'assign',
        resourceType: 'deviceCompliancePolicy',
        resourceId: policy,
        payload: {
          assignments: [
            { target: 'group', groupId: 'a9900000-0000-4000-8000-000000000102' },
            { target: 'group', groupId: 'a9900000-0000-4000-8000-000000000199' },
          ],
        },
      },
      target,
    };
    const context = await reviewContext(deps, request);
    expect(context.freshness?.state).toBe('unchanged');
    expect(context.preview!.changes.assignments).toEqual([
      {
        change: 'added',
        target: 'group',
        groupId: 'a9900000-0000-4000-8000-000000000102',
        groupName: 'Sales devices',
      },
      { change: 'added', target: 'group', groupId: 'a9900000-0000-4000-8000-000000000199' },
    ]);
  });
});
