import type { ApprovalRequest } from '../../../shared/domain/model';
import {
  audienceOf,
  recipientsOf,
  type DirectoryEntry,
  type NotificationAudience,
  type NotificationKind,
  type ResolvedAudience,
} from '../../../shared/domain/notifications';
import {
  GROUP_A,
  GROUP_B,
  accessPolicy,
  alice,
  approve,
  bob,
  carol,
  dave,
  newRequest,
  reject,
  run,
} from '../../support/builders';

/** A two-approval request: open with `approvals` approvals so far (bob, then carol). */
function twoApprovals(approvals: 0 | 1 | 2): ApprovalRequest {
  const approvers = [bob, carol].slice(0, approvals);
  return run(
    newRequest({ policy: accessPolicy({ requiredApprovals: 2 }) }),
    ...approvers.map((actor) => approve(actor)),
  );
}

const open = twoApprovals(0);
const oneOfTwo = twoApprovals(1);
const quorum = twoApprovals(2);
const rejectedShort = run(oneOfTwo, reject(dave));

const INITIATOR_ONLY: NotificationAudience = { initiator: true, approvers: 'none' };
const CLOSED_SHORT: NotificationAudience = { initiator: true, approvers: 'undecided' };

describe('audienceOf', () => {
  it.each<[NotificationKind, string, ApprovalRequest, NotificationAudience]>([
    ['submitted', 'a new request', open, { initiator: false, approvers: 'all' }],
    ['reminder', 'an open request', oneOfTwo, { initiator: false, approvers: 'undecided' }],
    ['approvalRecorded', 'an approval short of the quorum', oneOfTwo, INITIATOR_ONLY],
    ['approved', 'a request at its quorum', quorum, INITIATOR_ONLY],
    ['rejected', 'a request rejected short of its approvals', rejectedShort, CLOSED_SHORT],
    ['cancelled', 'a request cancelled short of its approvals', oneOfTwo, CLOSED_SHORT],
    ['expired', 'a request that expired short of its approvals', open, CLOSED_SHORT],
    ['cancelled', 'a request cancelled after its approvals', quorum, INITIATOR_ONLY],
    ['expired', 'a request that expired after its approvals', quorum, INITIATOR_ONLY],
  ])('%s for %s goes to %j', (kind, _, request, audience) => {
    expect(audienceOf(request, kind)).toStrictEqual(audience);
  });
});

describe('recipientsOf', () => {
  const entry = (id: string, displayName: string, extra: Partial<DirectoryEntry> = {}): DirectoryEntry => ({
    id,
    displayName,
    ...extra,
  });
  const directory: ResolvedAudience = {
    initiator: entry(alice.id, 'Alice in the directory', { userPrincipalName: 'alice@contoso.example' }),
    groupMembers: new Map([
      [
        GROUP_A,
        [
          entry(bob.id, bob.displayName, { mail: 'bob@contoso.example', userPrincipalName: 'bob.upn@contoso.example' }),
          entry(alice.id.toUpperCase(), 'Alice as approver'),
        ],
      ],
      [
        GROUP_B,
        [
          entry(bob.id.toUpperCase(), 'Bob again'),
          entry(carol.id, carol.displayName),
          entry(dave.id, dave.displayName),
        ],
      ],
    ]),
  };
  const ids = (request: ApprovalRequest, kind: NotificationKind, resolved = directory) =>
    recipientsOf(request, kind, resolved).map((recipient) => recipient.id);

  it.each<[NotificationKind, ApprovalRequest, string[]]>([
    ['submitted', open, [bob.id, carol.id, dave.id]],
    ['reminder', oneOfTwo, [carol.id, dave.id]],
    ['approvalRecorded', oneOfTwo, [alice.id]],
    ['approved', quorum, [alice.id]],
    ['rejected', rejectedShort, [alice.id, carol.id]],
    ['expired', open, [alice.id, bob.id, carol.id, dave.id]],
    ['cancelled', quorum, [alice.id]],
  ])('%s: each approver once, in group order, never the initiator', (kind, request, expected) => {
    expect(ids(request, kind)).toStrictEqual(expected);
  });

  it('addresses approvers at their mail, else their user principal name', () => {
    expect(recipientsOf(open, 'submitted', directory)[0]).toStrictEqual({
      id: bob.id,
      displayName: bob.displayName,
      address: 'bob@contoso.example',
    });
  });

  it('names the initiator as the request does, with the address the directory has, or none when it does not know them', () => {
    expect(recipientsOf(quorum, 'approved', directory)).toStrictEqual([{ ...alice, address: 'alice@contoso.example' }]);
    expect(recipientsOf(quorum, 'approved', { groupMembers: new Map() })).toStrictEqual([alice]);
  });

  it('skips groups the directory answered nothing for', () => {
    expect(
      ids(open, 'submitted', { groupMembers: new Map([[GROUP_B, directory.groupMembers.get(GROUP_B)!]]) }),
    ).toStrictEqual([bob.id.toUpperCase(), carol.id, dave.id]);
  });
});
