import type { ApprovalRequest } from '../../../shared/domain/model';
import { signLinkToken, type LinkClaims, type LinkKey } from '../../../shared/links/linkToken';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import {
  assertUsable,
  awaitOutcome,
  decideByLink,
  openLink,
  verifyLink,
  type OpenedLink,
} from '../../../shared/useCases/links';
import { submitRequest } from '../../../shared/useCases/requests';
import { accessPolicy, GROUP_A, wipeBody } from '../../support/builders';
import {
  caller,
  codeOf,
  FakeDirectory,
  orchestrationApplies,
  tempSqliteStore,
  useCaseDeps,
} from '../../support/fakePorts';

const alice = caller('alice-id', ['MAA.Requester'], 'Alice');
const bob = caller('bob-id', ['MAA.Approver'], 'Bob');
const erin = caller('erin-id', ['MAA.Approver'], 'Erin');
const KEY: LinkKey = { id: 'link-1', secret: Buffer.alloc(32, 5) };
const NOW_S = Date.parse('2026-03-01T10:00:00.000Z') / 1000;

const wipe = wipeBody('device-1');

let store: SqliteStore;
let dispose: () => Promise<void>;
let deps: ReturnType<typeof useCaseDeps>;
let request: ApprovalRequest;

/** The claims of a link for `approverId` on the submitted request, valid for an hour. */
const claimsFor = (approverId: string, overrides: Partial<LinkClaims> = {}): LinkClaims => ({
  requestId: request.id,
  approverId,
  operationHash: request.operationHash,
  linkId: `link-of-${approverId}-0123456789`,
  issuedAt: NOW_S,
  expiresAt: NOW_S + 3600,
  ...overrides,
});

beforeEach(async () => {
  ({ store, dispose } = tempSqliteStore());
  deps = useCaseDeps(store, new FakeDirectory({ [GROUP_A]: [bob.id] }));
  await store.createPolicy(accessPolicy({ approverGroupIds: [GROUP_A] }));
  request = await submitRequest(deps, alice, wipe);
});
afterEach(() => dispose());

describe('verifyLink', () => {
  it('answers the claims of a genuine token, and refuses a forged, expired or malformed one', () => {
    const claims = claimsFor(bob.id);
    const token = signLinkToken(KEY, claims);
    const now = new Date(NOW_S * 1000);

    expect(verifyLink([KEY], token, now)).toEqual(claims);
    const codeOfLink = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        return (error as { code: string }).code;
      }
      return 'accepted';
    };
    expect(codeOfLink(() => verifyLink([{ ...KEY, secret: Buffer.alloc(32, 6) }], token, now))).toBe('link_invalid');
    expect(codeOfLink(() => verifyLink([KEY], token, new Date((NOW_S + 3601) * 1000)))).toBe('link_expired');
    expect(codeOfLink(() => verifyLink([KEY], 'not-a-token', now))).toBe('link_malformed');
  });
});

describe('openLink', () => {
  it('refuses someone signed in as another user than the link names (wrong_approver), even when links alone are allowed', async () => {
    expect(await codeOf(openLink(deps, claimsFor(bob.id), erin, true))).toBe('wrong_approver');
  });

  it('needs a sign-in unless links alone are allowed (sign_in_required)', async () => {
    expect(await codeOf(openLink(deps, claimsFor(bob.id), undefined, false))).toBe('sign_in_required');
  });

  it('acts, with links alone, as the named approver with the role the approver rule needs', async () => {
    const link = await openLink(deps, claimsFor(bob.id), undefined, true);

    expect(link.actor).toMatchObject({ id: bob.id, roles: ['MAA.Approver'] });
    expect(link.request).toEqual(request);
  });

  it('answers not_found for a link to a request that does not exist', async () => {
    expect(await codeOf(openLink(deps, claimsFor(bob.id, { requestId: 'gone' }), bob, false))).toBe('not_found');
  });
});

describe('decideByLink', () => {
  const open = (claims: LinkClaims, who = bob): Promise<OpenedLink> => openLink(deps, claims, who, false);

  it('sends the decision with source link and the link id, once: the same link again is link_used', async () => {
    const link = await open(claimsFor(bob.id));

    await decideByLink(deps, link, 'approve', 'fine');

    expect(deps.orchestrations.raised).toEqual([
      {
        requestId: request.id,
        command: {
          kind: 'decide',
          actor: { id: bob.id, displayName: 'Bob' },
          decision: 'approve',
          notes: 'fine',
          source: 'link',
          linkId: link.claims.linkId,
        },
      },
    ]);
    expect(await codeOf(decideByLink(deps, link, 'approve', 'again'))).toBe('link_used');
    expect(deps.orchestrations.raised).toHaveLength(1);
  });

  it.each<[string, () => Promise<OpenedLink>, string]>([
    [
      'the operation changed since the link was issued',
      () => open(claimsFor(bob.id, { operationHash: 'f'.repeat(64) })),
      'operation_mismatch',
    ],
    ['the approver is not in the approver groups', () => open(claimsFor(erin.id), erin), 'not_an_approver'],
  ])('refuses, sending nothing and leaving the link unused, when %s', async (_, link, code) => {
    const opened = await link();

    expect(await codeOf(decideByLink(deps, opened, 'approve', ''))).toBe(code);
    expect(await codeOf(assertUsable(deps, opened))).toBe(code);
    expect(deps.orchestrations.raised).toEqual([]);
    expect(await store.consumeLinkId(opened.claims.linkId, new Date((NOW_S + 3600) * 1000).toISOString())).toBe(true);
  });

  it('refuses a link to a closed request (invalid_state) and one whose approver already decided (already_decided)', async () => {
    await orchestrationApplies(store, request.id, {
      kind: 'decide',
      actor: bob,
      actorRoles: bob.roles,
      actorGroupIds: [GROUP_A],
      decision: 'reject',
      notes: 'no',
      source: 'api',
      at: '2026-03-01T10:01:00.000Z',
    });

    expect(await codeOf(decideByLink(deps, await open(claimsFor(bob.id)), 'approve', ''))).toBe('already_decided');
    const carol = caller('carol-id', ['MAA.Approver'], 'Carol');
    expect(await codeOf(decideByLink(deps, await open(claimsFor(carol.id), carol), 'approve', ''))).toBe(
      'invalid_state',
    );
  });
});

describe('awaitOutcome', () => {
  it('answers the applied decision once the read model shows it with the link id', async () => {
    const link = await openLink(deps, claimsFor(bob.id), bob, false);
    await orchestrationApplies(store, request.id, {
      kind: 'decide',
      actor: bob,
      actorRoles: bob.roles,
      actorGroupIds: [GROUP_A],
      decision: 'approve',
      notes: '',
      source: 'link',
      linkId: link.claims.linkId,
      at: '2026-03-01T10:01:00.000Z',
    });

    expect(await awaitOutcome(deps, link)).toMatchObject({
      kind: 'applied',
      request: { status: 'approved' },
      decision: { linkId: link.claims.linkId },
    });
  });

  it('answers the orchestration’s refusal naming the link', async () => {
    const link = await openLink(deps, claimsFor(bob.id), bob, false);
    await orchestrationApplies(store, request.id, undefined, [
      {
        requestId: request.id,
        type: 'request.eventRefused',
        at: '2026-03-01T10:01:00.000Z',
        actor: bob,
        data: {
          command: 'decide',
          code: 'not_an_approver',
          reason: 'no longer in the group',
          linkId: link.claims.linkId,
        },
      },
    ]);

    expect(await awaitOutcome(deps, link)).toEqual({ kind: 'refused', code: 'not_an_approver' });
  });
});
