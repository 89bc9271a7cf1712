import { CommandNonces, COMMAND_FRESHNESS_MS, COMMAND_FUTURE_SKEW_MS } from '../../../shared/domain/commandNonces';
import { parseKeySetting, type AppKeyRing } from '../../../shared/keys/appKey';
import {
  signCommand,
  signStart,
  verifyCommandSignature,
  verifyStartSignature,
} from '../../../shared/keys/commandSignature';

const key = (id: string, fill: number) => parseKeySetting(`${id}:${Buffer.alloc(32, fill).toString('base64')}`);
const ring: AppKeyRing = { current: key('k2', 2), previous: key('k1', 1) };
const INSTANCE = 'req-1';
const NOW = new Date('2030-01-01T10:00:00.000Z');
const bob = { id: 'b0b00000-0000-4000-8000-000000000002', displayName: 'Bob' };
const approve = {
  kind: 'decide',
  actor: bob,
  decision: 'approve',
  notes: 'ok',
  source: 'link',
  linkId: 'link-1',
} as const;

describe('command signatures', () => {
  it('verifies a command signed for this instance, whatever the key order of its fields, with its nonce and issue time', () => {
    const signed = signCommand(ring, INSTANCE, approve, NOW);
    expect(signed.signature).toMatchObject({
      kid: 'k2',
      issuedAt: NOW.toISOString(),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    const reordered = JSON.parse(
      JSON.stringify({
        signature: signed.signature,
        linkId: 'link-1',
        source: 'link',
        notes: 'ok',
        decision: 'approve',
        actor: { displayName: 'Bob', id: bob.id },
        kind: 'decide',
      }),
    );
    expect(verifyCommandSignature(ring, INSTANCE, reordered, NOW)).toEqual({ ok: true, signature: signed.signature });
    // The correlation id is telemetry: adding it changes nothing.
    expect(verifyCommandSignature(ring, INSTANCE, { ...signed, correlationId: 'c-1' }, NOW).ok).toBe(true);
    expect(signCommand(ring, INSTANCE, approve, NOW).signature.nonce).not.toBe(signed.signature.nonce);
  });

  it.each<[string, (signed: Record<string, any>) => unknown]>([
    ['the decision', (signed) => ({ ...signed, decision: 'reject' })],
    [
      'the actor',
      (signed) => ({ ...signed, actor: { id: 'a11ce000-0000-4000-8000-000000000001', displayName: 'Bob' } }),
    ],
    ['the actor’s display name', (signed) => ({ ...signed, actor: { ...signed.actor, displayName: 'Carol' } })],
    ['the notes', (signed) => ({ ...signed, notes: 'ok!' })],
    ['the link', (signed) => ({ ...signed, linkId: 'link-2' })],
    ['a field added', (signed) => ({ ...signed, actorRoles: ['MAA.Approver'] })],
    ['a field removed', ({ linkId: _linkId, ...signed }) => signed],
    ['the kind', (signed) => ({ ...signed, kind: 'complete' })],
    [
      'the issue time',
      (signed) => ({ ...signed, signature: { ...signed.signature, issuedAt: '2030-01-01T10:00:01.000Z' } }),
    ],
    ['the nonce', (signed) => ({ ...signed, signature: { ...signed.signature, nonce: 'AAAAAAAAAAAAAAAAAAAAAA' } })],
    [
      'the MAC',
      (signed) => ({
        ...signed,
        signature: {
          ...signed.signature,
          mac: signed.signature.mac.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')),
        },
      }),
    ],
    ['the key id', (signed) => ({ ...signed, signature: { ...signed.signature, kid: 'k3' } })],
    ['no signature', ({ signature: _signature, ...signed }) => signed],
    ['a signature that is not one', (signed) => ({ ...signed, signature: 'forged' })],
  ])('refuses a command with %s changed as command_unauthenticated', (_, tamper) => {
    const signed = signCommand(ring, INSTANCE, approve, NOW);
    expect(verifyCommandSignature(ring, INSTANCE, tamper(JSON.parse(JSON.stringify(signed))), NOW)).toMatchObject({
      ok: false,
      code: 'command_unauthenticated',
    });
  });

  it('refuses a genuine command sent to another instance, and events that are not commands', () => {
    const signed = signCommand(ring, INSTANCE, approve, NOW);
    expect(verifyCommandSignature(ring, 'req-2', signed, NOW)).toMatchObject({
      ok: false,
      code: 'command_unauthenticated',
    });
    for (const event of [null, 'approve', 42, [signed]])
      expect(verifyCommandSignature(ring, INSTANCE, event, NOW)).toMatchObject({
        ok: false,
        code: 'command_unauthenticated',
      });
  });

  it('refuses a command signed with another key, and accepts one signed with the previous key during a rotation', () => {
    const other: AppKeyRing = { current: key('k2', 9) };
    expect(verifyCommandSignature(ring, INSTANCE, signCommand(other, INSTANCE, approve, NOW), NOW)).toMatchObject({
      ok: false,
      code: 'command_unauthenticated',
    });
    const beforeRotation = signCommand({ current: key('k1', 1) }, INSTANCE, approve, NOW);
    expect(verifyCommandSignature(ring, INSTANCE, beforeRotation, NOW).ok).toBe(true);
    expect(verifyCommandSignature({ current: ring.current }, INSTANCE, beforeRotation, NOW)).toMatchObject({
      ok: false,
      code: 'command_unauthenticated',
    });
  });

  it('refuses a genuine command issued more than 5 minutes before, or more than 1 minute after, the orchestration’s time as command_stale', () => {
    const signed = signCommand(ring, INSTANCE, approve, NOW);
    const at = (ms: number) => new Date(NOW.getTime() + ms);
    expect(verifyCommandSignature(ring, INSTANCE, signed, at(COMMAND_FRESHNESS_MS)).ok).toBe(true);
    expect(verifyCommandSignature(ring, INSTANCE, signed, at(COMMAND_FRESHNESS_MS + 1))).toMatchObject({
      ok: false,
      code: 'command_stale',
    });
    expect(verifyCommandSignature(ring, INSTANCE, signed, at(-COMMAND_FUTURE_SKEW_MS)).ok).toBe(true);
    expect(verifyCommandSignature(ring, INSTANCE, signed, at(-COMMAND_FUTURE_SKEW_MS - 1))).toMatchObject({
      ok: false,
      code: 'command_stale',
    });
  });
});

describe('command nonces', () => {
  const t0 = NOW.getTime();

  it('admits a nonce once and refuses its replay while the command could still be fresh', () => {
    const nonces = new CommandNonces(COMMAND_FRESHNESS_MS + COMMAND_FUTURE_SKEW_MS);
    expect(nonces.admit('n1', t0, t0)).toBe(true);
    expect(nonces.admit('n2', t0, t0 + 1)).toBe(true);
    expect(nonces.admit('n1', t0, t0 + 2)).toBe(false);
    expect(nonces.admit('n1', t0, t0 + COMMAND_FRESHNESS_MS)).toBe(false);
  });

  it('tells whether a nonce would be refused as a replay without remembering it', () => {
    const nonces = new CommandNonces(COMMAND_FRESHNESS_MS);
    expect(nonces.remembers('n1', t0)).toBe(false);
    expect(nonces.size).toBe(0);
    nonces.admit('n1', t0, t0);
    expect(nonces.remembers('n1', t0 + COMMAND_FRESHNESS_MS)).toBe(true);
    expect(nonces.remembers('n1', t0 + COMMAND_FRESHNESS_MS + 1)).toBe(false);
    expect(nonces.remembers('n2', t0)).toBe(false);
  });

  it('forgets nonces whose commands are stale anyway, so the memory stays small', () => {
    const nonces = new CommandNonces(COMMAND_FRESHNESS_MS + COMMAND_FUTURE_SKEW_MS);
    nonces.admit('n1', t0, t0);
    nonces.admit('n2', t0 + 60_000, t0 + 60_000);
    expect(nonces.size).toBe(2);
    nonces.admit(
      'n3',
      t0 + COMMAND_FRESHNESS_MS + COMMAND_FUTURE_SKEW_MS + 1,
      t0 + COMMAND_FRESHNESS_MS + COMMAND_FUTURE_SKEW_MS + 1,
    );
    expect(nonces.size).toBe(2);
  });

  it('remembers a command issued ahead of the orchestration’s time until it is stale', () => {
    const nonces = new CommandNonces(COMMAND_FRESHNESS_MS);
    expect(nonces.admit('n1', t0 + COMMAND_FUTURE_SKEW_MS, t0)).toBe(true);
    expect(nonces.admit('n1', t0 + COMMAND_FUTURE_SKEW_MS, t0 + COMMAND_FUTURE_SKEW_MS + COMMAND_FRESHNESS_MS)).toBe(
      false,
    );
  });
});

describe('start signatures', () => {
  const input = { request: { id: INSTANCE, policy: { approverGroupIds: ['g-1'], requiredApprovals: 2 } }, etag: 'e-1' };

  it('verifies the input the app signed for this instance, long after it was signed', () => {
    const signed = signStart(ring, INSTANCE, input, NOW);
    expect(verifyStartSignature(ring, INSTANCE, { ...signed, correlationId: 'c-1' })).toEqual({
      ok: true,
      signature: signed.signature,
    });
    expect(
      verifyStartSignature(
        { current: ring.previous! },
        INSTANCE,
        signStart({ current: ring.previous! }, INSTANCE, input, NOW),
      ).ok,
    ).toBe(true);
  });

  it.each<[string, (signed: Record<string, any>) => unknown]>([
    [
      'another policy snapshot',
      (signed) => ({
        ...signed,
        request: { ...signed.request, policy: { approverGroupIds: ['g-2'], requiredApprovals: 1 } },
      }),
    ],
    ['another etag', (signed) => ({ ...signed, etag: 'e-2' })],
    ['an operator start added', (signed) => ({ ...signed, operatorStart: { type: 'request.orchestrationStarted' } })],
    ['no signature', ({ signature: _signature, ...signed }) => signed],
  ])('refuses an input with %s', (_, tamper) => {
    const signed = signStart(ring, INSTANCE, input, NOW);
    expect(verifyStartSignature(ring, INSTANCE, tamper(JSON.parse(JSON.stringify(signed))))).toMatchObject({
      ok: false,
      code: 'command_unauthenticated',
    });
  });

  it('never takes a start for a command, a command for a start, or one instance’s start for another’s', () => {
    const command = signCommand(ring, INSTANCE, approve, NOW);
    expect(verifyStartSignature(ring, INSTANCE, command).ok).toBe(false);
    const start = signStart(ring, INSTANCE, { ...approve }, NOW);
    expect(verifyCommandSignature(ring, INSTANCE, start, NOW).ok).toBe(false);
    expect(verifyStartSignature(ring, 'req-2', signStart(ring, INSTANCE, input, NOW)).ok).toBe(false);
  });
});
