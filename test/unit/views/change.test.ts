import type { ApprovalRequest, AssignmentView, JsonValue, TargetSnapshot } from '../../../shared/domain/model';
import { sha256Hex } from '../../../shared/domain/canonicalJson';
import { CATALOGUE } from '../../../shared/intune/catalogue';
import { checkOperation } from '../../../shared/intune/catalogue/validate';
import { fingerprintOf } from '../../../shared/intune/drift';
import { freshnessOf, previewOf, SEALED, type ChangeSet } from '../../../shared/views/change';

type Previewable = Pick<ApprovalRequest, 'profileType' | 'operation' | 'target'>;

const SALES = 'a9900000-0000-4000-8000-000000000102';
const KIOSKS = 'a9900000-0000-4000-8000-000000000103';
const PILOT = 'a9900000-0000-4000-8000-000000000104';
const POLICY_ID = 'c0a10000-0000-4000-8000-000000000001';

function snapshot(fields: Partial<TargetSnapshot>): TargetSnapshot {
  const base = {
    resourceType: 'deviceCompliancePolicy',
    id: POLICY_ID,
    displayName: 'Windows 10/11 baseline',
    readAt: '2026-12-07T10:00:00.000Z',
    lastModifiedDateTime: '2026-10-14T13:40:00Z',
    version: '3',
    ...fields,
  };
  return { ...base, fingerprint: fingerprintOf(base) };
}

const device = (displayName = 'LT-ALICE-01', upn = 'alice@maa.test') =>
  snapshot({
    resourceType: 'managedDevice',
    id: 'd3a1c0de-0000-4000-8000-000000000001',
    displayName,
    lastModifiedDateTime: undefined,
    version: undefined,
    device: {
      operatingSystem: 'Windows',
      osVersion: '10.0.22631.4602',
      userPrincipalName: upn,
      userDisplayName: 'Alice',
      ownership: 'company',
      complianceState: 'compliant',
      lastSyncDateTime: '2026-12-07T09:00:00.000Z',
      managementState: 'managed',
      serialNumber: 'SN-1',
    },
  });

/** The request of `profileType` for `operation` validated as submit stores it, with `target`. */
function request(
  profileType: ApprovalRequest['profileType'],
  operation: ApprovalRequest['operation'],
  target?: TargetSnapshot,
): Previewable {
  const checked = checkOperation(profileType, operation);
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return { profileType, operation: checked.operation, ...(target ? { target } : {}) };
}

const KIND_OF_ACTION: Record<string, ChangeSet['kind']> = {
  create: 'create',
  update: 'update',
  replace: 'replace',
  delete: 'delete',
  assign: 'assign',
  addAssignment: 'assign',
  removeAssignment: 'assign',
};

describe('the preview of every catalogue operation', () => {
  it.each(CATALOGUE.map((entry) => [`${entry.profileType} ${entry.resourceType} ${entry.action}`, entry] as const))(
    '%s: the calls completion sends, and the kind of change',
    (_name, entry) => {
      const preview = previewOf(request(entry.profileType, entry.example))!;
      expect(preview.summary).toBe(entry.summary);
      const checked = checkOperation(entry.profileType, entry.example);
      if (!checked.ok) throw new Error('example does not validate');
      expect(preview.calls.map((call) => `${call.method} ${call.path}`)).toEqual(
        entry.calls(checked.operation).map((call) => `${call.method} /${call.version}${call.path}`),
      );
      expect(preview.changes.kind).toBe(entry.deviceAction ? 'deviceAction' : KIND_OF_ACTION[entry.action]);
    },
  );

  it('has none for an operation outside the catalogue (a policy change)', () => {
    expect(
      previewOf({
        profileType: 'operationApprovalPolicy',
        operation: { action: 'delete', resourceType: 'accessPolicy', resourceId: 'deviceWipe' },
      }),
    ).toBeUndefined();
  });
});

describe('the exact calls', () => {
  it('shows a sealed secret as (sealed), never its ciphertext', () => {
    const preview = previewOf({
      profileType: 'deviceWipe',
      operation: {
        action: 'wipe',
        resourceType: 'managedDevice',
        resourceId: 'd3a1c0de-0000-4000-8000-000000000001',
        payload: { keepUserData: true, macOsUnlockCode: { sealed: 'v1.ciphertext' } },
      },
    })!;
    expect(preview.calls).toEqual([
      {
        method: 'POST',
        path: '/v1.0/deviceManagement/managedDevices/d3a1c0de-0000-4000-8000-000000000001/wipe',
        body: { keepUserData: true, macOsUnlockCode: SEALED },
      },
    ]);
  });

  it('lists one call per device of a bulk action, in order', () => {
    const ids = ['d1', 'd2', 'd3'];
    const preview = previewOf({
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceIds: ids },
    })!;
    expect(preview.calls.map((call) => `${call.method} ${call.path}`)).toEqual(
      ids.map((id) => `POST /v1.0/deviceManagement/managedDevices/${id}/retire`),
    );
  });
});

describe('the diff of current against proposed', () => {
  const compliance = (settings: Record<string, JsonValue>, target?: TargetSnapshot) =>
    previewOf(
      request(
        'compliancePolicy',
        {
          action: 'update',
          resourceType: 'deviceCompliancePolicy',
          resourceId: POLICY_ID,
          payload: { policyType: 'windows10CompliancePolicy', ...settings },
        },
        target,
      ),
    )!.changes;

  it.each([
    [
      'a changed, an unchanged and a setting the snapshot does not hold',
      { settings: { passwordMinimumLength: 14, bitLockerEnabled: true, storageRequireEncryption: true } },
      { passwordMinimumLength: 12, bitLockerEnabled: true },
      [
        { name: 'passwordMinimumLength', change: 'changed', current: 12, proposed: 14 },
        { name: 'bitLockerEnabled', change: 'unchanged', current: true, proposed: true },
        { name: 'storageRequireEncryption', change: 'added', proposed: true },
      ],
    ],
    [
      'a rename, against the snapshot’s name',
      { displayName: 'Windows baseline (2027)' },
      {},
      [
        {
          name: 'displayName',
          change: 'changed',
          current: 'Windows 10/11 baseline',
          proposed: 'Windows baseline (2027)',
        },
      ],
    ],
    [
      'a list value compared as a whole',
      { settings: { validOperatingSystemBuildRanges: ['10.0.19045', '10.0.22631'] } },
      { validOperatingSystemBuildRanges: ['10.0.19045'] },
      [
        {
          name: 'validOperatingSystemBuildRanges',
          change: 'changed',
          current: ['10.0.19045'],
          proposed: ['10.0.19045', '10.0.22631'],
        },
      ],
    ],
  ])('update: %s', (_name, payload, current, expected) => {
    const changes = compliance(payload, snapshot({ settings: current }));
    expect(changes).toMatchObject({ kind: 'update', assignments: [], scripts: [] });
    expect(changes.settings).toEqual(expected);
  });

  it('update without a snapshot: every value set, the current one not known', () => {
    expect(compliance({ settings: { passwordMinimumLength: 14 } }).settings).toEqual([
      { name: 'passwordMinimumLength', change: 'added', proposed: 14 },
    ]);
  });

  it('create: every value new, whatever the snapshot', () => {
    const entry = CATALOGUE.find((e) => e.resourceType === 'deviceCategory' && e.action === 'create')!;
    expect(previewOf(request(entry.profileType, entry.example))!.changes).toEqual({
      kind: 'create',
      settings: [
        { name: 'displayName', change: 'added', proposed: 'Shared kiosks' },
        { name: 'description', change: 'added', proposed: 'Devices without a primary user' },
      ],
      assignments: [],
      scripts: [],
    });
  });

  it('settings catalog replace: settings changed, added and removed by definition id', () => {
    const choice = (id: string, value: string) => ({
      settingInstance: {
        '@odata.type': '#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance',
        settingDefinitionId: id,
        choiceSettingValue: { value, children: [] },
      },
    });
    const target = snapshot({
      resourceType: 'configurationPolicy',
      displayName: 'Defender',
      settings: {
        description: 'old',
        settings: [
          { id: '0', ...choice('defender_rtp', 'rtp_0') },
          { id: '1', ...choice('defender_cloud', 'cloud_1') },
        ],
      },
    });
    const changes = previewOf(
      request(
        'configurationPolicy',
        {
          action: 'replace',
          resourceType: 'configurationPolicy',
          resourceId: 'c0f10000-0000-4000-8000-000000000001',
          payload: {
            name: 'Defender',
            description: 'new',
            platforms: 'windows10',
            technologies: ['mdm'],
            settings: [choice('defender_rtp', 'rtp_1'), choice('defender_pua', 'pua_1')],
          },
        },
        target,
      ),
    )!.changes;
    expect(changes.kind).toBe('replace');
    expect(changes.settings).toEqual(
      expect.arrayContaining([
        { name: 'name', change: 'unchanged', current: 'Defender', proposed: 'Defender' },
        { name: 'description', change: 'changed', current: 'old', proposed: 'new' },
        {
          name: 'settings › defender_rtp',
          change: 'changed',
          current: { value: 'rtp_0', children: [] },
          proposed: { value: 'rtp_1', children: [] },
        },
        { name: 'settings › defender_pua', change: 'added', proposed: { value: 'pua_1', children: [] } },
        { name: 'settings › defender_cloud', change: 'removed', current: { value: 'cloud_1', children: [] } },
      ]),
    );
  });

  const current: AssignmentView[] = [
    { target: 'group', groupId: KIOSKS, groupName: 'Kiosks' },
    { target: 'group', groupId: PILOT, groupName: 'Pilot users' },
  ];
  const assign = (assignments: JsonValue[], names: Record<string, string> = {}) =>
    previewOf(
      request(
        'compliancePolicy',
        { action: 'assign', resourceType: 'deviceCompliancePolicy', resourceId: POLICY_ID, payload: { assignments } },
        snapshot({ assignments: current }),
      ),
      names,
    )!.changes.assignments;

  it.each([
    [
      'a group replaced: removed, kept, added with the looked-up name',
      [
        { target: 'group', groupId: PILOT },
        { target: 'group', groupId: SALES },
      ],
      { [SALES]: 'Sales devices' },
      [
        { change: 'removed', target: 'group', groupId: KIOSKS, groupName: 'Kiosks' },
        { change: 'kept', target: 'group', groupId: PILOT, groupName: 'Pilot users' },
        { change: 'added', target: 'group', groupId: SALES, groupName: 'Sales devices' },
      ],
    ],
    [
      'a group the lookup did not name: by id only',
      [{ target: 'group', groupId: SALES }],
      {},
      [
        { change: 'removed', target: 'group', groupId: KIOSKS, groupName: 'Kiosks' },
        { change: 'removed', target: 'group', groupId: PILOT, groupName: 'Pilot users' },
        { change: 'added', target: 'group', groupId: SALES },
      ],
    ],
    [
      'an exclusion of a group assigned now: the name from the snapshot',
      [{ target: 'exclusionGroup', groupId: KIOSKS }, { target: 'allDevices' }],
      {},
      [
        { change: 'removed', target: 'group', groupId: KIOSKS, groupName: 'Kiosks' },
        { change: 'removed', target: 'group', groupId: PILOT, groupName: 'Pilot users' },
        { change: 'added', target: 'exclusionGroup', groupId: KIOSKS, groupName: 'Kiosks' },
        { change: 'added', target: 'allDevices' },
      ],
    ],
    [
      'an empty list: every assignment removed',
      [],
      {},
      [
        { change: 'removed', target: 'group', groupId: KIOSKS, groupName: 'Kiosks' },
        { change: 'removed', target: 'group', groupId: PILOT, groupName: 'Pilot users' },
      ],
    ],
  ])('assign: %s', (_name, proposed, names, expected) => {
    expect(assign(proposed as JsonValue[], names)).toEqual(expected);
  });

  it('app addAssignment: the others kept, the new one added with its intent', () => {
    const changes = previewOf(
      request(
        'app',
        {
          action: 'addAssignment',
          resourceType: 'mobileApp',
          resourceId: 'a9900a00-0000-4000-8000-000000000001',
          payload: { target: 'group', groupId: SALES, intent: 'available' },
        },
        snapshot({ resourceType: 'mobileApp', assignments: [{ target: 'allLicensedUsers', intent: 'required' }] }),
      ),
    )!.changes;
    expect(changes.assignments).toEqual([
      { change: 'kept', target: 'allLicensedUsers', intent: 'required' },
      { change: 'added', target: 'group', groupId: SALES, intent: 'available' },
    ]);
  });

  describe('script content', () => {
    const script = "Write-Output 'hello'\n";
    const base64 = Buffer.from(script).toString('base64');
    const update = (target?: TargetSnapshot) =>
      previewOf(
        request(
          'script',
          {
            action: 'update',
            resourceType: 'deviceManagementScript',
            resourceId: '5c410000-0000-4000-8000-000000000001',
            payload: { scriptContent: base64 },
          },
          target,
        ),
      )!.changes.scripts;

    it.each([
      ['differs from the current one', { sha256: 'a'.repeat(64), length: 40 }, true],
      ['is the same as the current one', { sha256: sha256Hex(base64), length: base64.length }, false],
    ])('shows the proposed text decoded and says whether it %s', (_name, current, differs) => {
      expect(
        update(snapshot({ resourceType: 'deviceManagementScript', settings: { scriptContent: current } })),
      ).toEqual([
        {
          name: 'scriptContent',
          proposedText: script,
          proposedSha256: sha256Hex(base64),
          proposedLength: base64.length,
          current,
          differs,
        },
      ]);
    });

    it('says nothing about the difference when the current script is not known', () => {
      const [change] = update();
      expect(change).toMatchObject({ proposedText: script });
      expect(change).not.toHaveProperty('differs');
    });
  });
});

describe('whether the target changed since submit', () => {
  const at = '2026-12-07T11:00:00.000Z';
  it.each([
    ['unchanged when only the check-in moved on', device(), { state: 'unchanged', readAt: at }],
    [
      'changed, naming what differs, when the device was renamed and handed to someone else',
      device('LT-DAVE-09', 'dave@maa.test'),
      {
        state: 'changed',
        readAt: at,
        differences: ['name LT-ALICE-01 → LT-DAVE-09', 'primary user alice@maa.test → dave@maa.test'],
      },
    ],
    ['gone when Intune no longer knows it', undefined, { state: 'gone', readAt: at }],
  ])('%s', (_name, fresh, expected) => {
    expect(freshnessOf(device(), fresh, at)).toEqual(expected);
  });

  it('names a policy’s new version and modification time', () => {
    const before = snapshot({});
    const after = snapshot({ version: '4', lastModifiedDateTime: '2026-12-07T10:30:00Z' });
    expect(freshnessOf(before, after, at)).toEqual({
      state: 'changed',
      readAt: at,
      differences: ['last modified 2026-10-14T13:40:00Z → 2026-12-07T10:30:00Z', 'version 3 → 4'],
    });
  });
});
