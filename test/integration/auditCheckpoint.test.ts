import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditDigest } from '../../shared/domain/auditDigest';
import { Api, advanceClock, approverGroup, auditTrail, createPolicy, trailUntil } from '../support/api';
import { runAuditVerify } from '../support/auditVerify';
import { newDevice } from '../support/intune';
import { startRuntime } from '../support/runtime';

/** Runs `npm run audit:verify` on the runtime's data dir, without MAA_APP_KEY (it reads the runtime's key file). */
const verify = (dataDir: string, ...args: string[]) =>
  runAuditVerify({ MAA_DATA_DIR: dataDir, MAA_STORE: 'sqlite' }, ...args);

describe('audit checkpoints and trail heads through the local runtime (manual clock)', () => {
  let api: Api;

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } }));
  });
  afterAll(async () => {
    await api?.runtime.dispose();
  });

  /** The stored digests, oldest first (every page). */
  async function checkpoints(): Promise<AuditDigest[]> {
    const digests: AuditDigest[] = [];
    let after = -1;
    for (;;) {
      const page = await api.call('olga', 'GET', `ops/audit/checkpoints?after=${after}&top=2`);
      expect(page.status).toBe(200);
      digests.push(...(page.body.items as AuditDigest[]));
      if (page.body.nextAfter === undefined) return digests;
      after = page.body.nextAfter as number;
    }
  }

  /** Moves the clock an hour on and waits for the checkpoint timer to store one more digest. */
  async function nextCheckpoint(): Promise<AuditDigest[]> {
    const before = (await checkpoints()).length;
    await advanceClock(api.runtime, 'PT1H');
    api.forgetTokens();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const digests = await checkpoints();
      if (digests.length > before) return digests;
      if (Date.now() > deadline)
        throw new Error(`no checkpoint after the clock moved an hour; output:\n${api.runtime.output().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('keeps each trail head on its request, checkpoints the heads hourly in a signed chain, and finds a shortened trail', async () => {
    await createPolicy(api, {
      displayName: 'Wipes',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
    const submitted = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: {
        action: 'wipe',
        resourceType: 'managedDevice',
        resourceId: await newDevice(api.runtime.url, 'checkpoint-device-1'),
      },
      justification: 'Lost laptop',
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    // The approvers' links are audited after the submission: wait for the trail to settle.
    const settled = await trailUntil(
      api,
      'alice',
      id,
      (items) => items.filter((item) => item.type === 'link.issued').length === 2,
    );
    const request = (await api.call('alice', 'GET', `requests/${id}`)).body;
    const records = (await api.call('alice', 'GET', `requests/${id}/audit?top=100`)).body.items as {
      seq: number;
      hash: string;
    }[];
    expect(request.trail).toEqual({ seq: records.at(-1)!.seq, hash: records.at(-1)!.hash });
    expect(settled.chainValid).toBe(true);

    const first = await nextCheckpoint();
    const latest = first.at(-1)!;
    expect(latest.heads).toContainEqual({ requestId: id, ...request.trail });
    expect(latest.signature.kid).toEqual(expect.any(String));
    expect((await api.call('olga', 'GET', 'ops/audit/checkpoints/latest')).body).toEqual(latest);
    expect((await api.call('alice', 'GET', 'ops/audit/checkpoints')).status).toBe(403);

    expect((await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'ok' })).status).toBe(200);
    await api.until('alice', id, (r) => r.status === 'approved');
    const approvedHead = (
      await trailUntil(api, 'alice', id, (items) =>
        items.some((item) => item.type === 'notification.sent' && item.seq > request.trail.seq),
      )
    ).items.at(-1)!;
    const second = await nextCheckpoint();
    const third = await nextCheckpoint();
    expect(third.slice(0, second.length)).toEqual(second);
    const [a, b] = third.slice(-2) as [AuditDigest, AuditDigest];
    expect(b).toMatchObject({ sequence: a.sequence + 1, previousDigestHash: a.digestHash, from: a.to });
    expect(
      third
        .flatMap((digest) => digest.heads)
        .filter((head) => head.requestId === id)
        .map((head) => head.seq),
    ).toContain(approvedHead.seq);

    let result = await verify(api.runtime.dataDir, '--all');
    expect(result.out).toMatch(new RegExp(`checkpoints: ok \\(${third.length} digests, .*MACs checked\\)`));
    expect(result.code).toBe(0);

    // An attacker with the file hides the approval: the trail's last records go.
    const db = new Database(path.join(api.runtime.dataDir, 'maa.sqlite'));
    db.prepare('DELETE FROM audit WHERE request_id = ? AND seq > ?').run(id, request.trail.seq);
    db.close();
    expect((await auditTrail(api, 'alice', id)).chainValid).toBe(false);
    result = await verify(api.runtime.dataDir, '--all');
    expect(result.out).toContain(`${id}: trail shortened: it ends at record ${request.trail.seq}`);
    expect(result.out).toMatch(new RegExp(`${id}: record \\d+, a head the digest lists, is missing`));
    expect(result.code).toBe(1);
  });
});
