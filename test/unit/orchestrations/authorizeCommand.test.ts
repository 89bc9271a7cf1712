import { makeAuthorizeCommand } from '../../../orchestrations/activities/authorizeCommand';
import type { AuthorizeCommandInput } from '../../../orchestrations/contracts';
import { parseKeySetting } from '../../../shared/keys/appKey';
import { signCommand } from '../../../shared/keys/commandSignature';

const keys = { current: parseKeySetting(`k1:${Buffer.alloc(32, 7).toString('base64')}`) };
const AT = new Date('2030-01-01T10:00:00.000Z');
const carol = { id: 'ca401000-0000-4000-8000-000000000003', displayName: 'Carol' };
const GROUP = 'a9900000-0000-4000-8000-000000000101';

function setup() {
  const asked: string[] = [];
  const directory = {
    appRolesOf: async (userId: string) => (asked.push(`roles ${userId}`), ['MAA.Approver']),
    memberGroupsOf: async (userId: string, groupIds: readonly string[]) => (
      asked.push(`groups ${userId}`),
      [...groupIds]
    ),
  };
  const input = (event: unknown, overrides: Partial<AuthorizeCommandInput> = {}): AuthorizeCommandInput => ({
    instanceId: 'req-1',
    event,
    at: AT.toISOString(),
    groupIds: [GROUP],
    readDirectory: true,
    ...overrides,
  });
  return { asked, authorize: makeAuthorizeCommand(keys, directory), input };
}

describe('the authorizeCommand activity', () => {
  const decide = { kind: 'decide', actor: carol, decision: 'approve', notes: '', source: 'api' };

  it('answers a genuine command’s nonce with the actor’s roles and groups read from the directory now', async () => {
    const { asked, authorize, input } = setup();
    const signed = signCommand(keys, 'req-1', decide, AT);
    await expect(authorize(input(signed))).resolves.toEqual({
      ok: true,
      nonce: signed.signature.nonce,
      issuedAt: AT.toISOString(),
      actorRoles: ['MAA.Approver'],
      actorGroupIds: [GROUP],
    });
    expect(asked).toEqual([`roles ${carol.id}`, `groups ${carol.id}`]);
  });

  it('reads nothing for a command it refuses, or when asked only to authenticate', async () => {
    const { asked, authorize, input } = setup();
    await expect(authorize(input({ ...decide, actorRoles: ['MAA.Approver'] }))).resolves.toMatchObject({
      ok: false,
      code: 'command_unauthenticated',
    });
    await expect(
      authorize(input(signCommand(keys, 'req-1', decide, new Date(AT.getTime() - 600_000)))),
    ).resolves.toMatchObject({ ok: false, code: 'command_stale' });
    await expect(
      authorize(input(signCommand(keys, 'req-1', decide, AT), { readDirectory: false })),
    ).resolves.toMatchObject({ ok: true, actorRoles: [], actorGroupIds: [] });
    expect(asked).toEqual([]);
  });
});
