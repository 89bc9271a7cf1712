import { renderColumns, renderFields, renderTable } from '../../../cli/table';
import { requestDetail } from '../../../cli/render';
import { wipe } from '../notify/fixtures';

describe('renderTable', () => {
  it('aligns columns two spaces apart under their headers, without trailing spaces', () => {
    const text = renderTable(
      [{ header: 'ID' }, { header: 'STATUS' }, { header: 'NOTES' }],
      [
        ['r-1', 'needsApproval', ''],
        ['request-22', 'approved', 'ok'],
      ],
    );
    expect(text).toBe(
      ['ID          STATUS         NOTES', 'r-1         needsApproval', 'request-22  approved       ok', ''].join('\n'),
    );
  });

  it('cuts cells over their column width with an ellipsis and fills missing cells', () => {
    const text = renderTable([{ header: 'A', maxWidth: 5 }, { header: 'B' }], [['abcdefgh', 'x'], ['abcde']]);
    expect(text).toBe(['A      B', 'abcd…  x', 'abcde', ''].join('\n'));
  });

  it('replaces control characters, so user text can neither break lines nor drive the terminal', () => {
    const text = renderTable([{ header: 'JUSTIFICATION' }], [['line\nbreak \u001b[31mred\u001b[0m\ttab']]);
    expect(text).toBe('JUSTIFICATION\nline?break ?[31mred?[0m?tab\n');
    expect(text.split('\n')).toHaveLength(3);
  });

  it('writes bidi controls and invisible characters as <U+XXXX>, so "\u202e24-potpal" cannot show as laptop-42', () => {
    const text = renderTable([{ header: 'RESOURCE' }], [['\u202e24-potpal'], ['dev\u200b-1\u2066']]);
    expect(text).toBe('RESOURCE\n<U+202E>24-potpal\ndev<U+200B>-1<U+2066>\n');
    expect(renderFields([['resource id', '\u202e24-potpal']])).toBe('resource id:  <U+202E>24-potpal\n');
  });

  it('prints only the header when there are no rows', () => {
    expect(renderTable([{ header: 'ID' }, { header: 'STATUS' }], [])).toBe('ID  STATUS\n');
  });
});

describe('renderFields and renderColumns', () => {
  it('aligns key: value lines and leaves out fields without a value', () => {
    expect(
      renderFields([
        ['id', 'r-1'],
        ['completed', undefined],
        ['justification', 'stolen\nlaptop'],
      ]),
    ).toBe('id:             r-1\njustification:  stolen?laptop\n');
  });

  it('aligns rows without a header', () => {
    expect(
      renderColumns([
        ['login', 'get a token'],
        ['policies list', 'list'],
      ]),
    ).toBe('login          get a token\npolicies list  list\n');
  });
});

describe('maa show', () => {
  it('prints a request whose resourceId and justification carry bidi overrides with them escaped', () => {
    const request = wipe();
    const shown = requestDetail({
      ...request,
      operation: { ...request.operation, resourceId: '\u202e24-potpal' },
      justification: 'ok \u202eyas',
    });
    expect(shown).not.toMatch(/[\u202e]/);
    expect(shown).toContain('operation:      wipe managedDevice/<U+202E>24-potpal');
    expect(shown).toContain('justification:  ok <U+202E>yas');
  });
});

describe('maa show: the target and the execution', () => {
  it("shows the device the submit read, the execution's code and client-request-id, and the device's outcome", () => {
    const request = wipe();
    const shown = requestDetail({
      ...request,
      operation: {
        ...request.operation,
        payload: { keepUserData: false, macOsUnlockCode: { sealed: 'k1.aXY.Ym9keQ' } },
      },
      target: {
        resourceType: 'managedDevice',
        id: 'd3a1c0de-0000-4000-8000-000000000002',
        displayName: 'MAC-BOB-01',
        readAt: '2026-03-01T10:00:00.000Z',
        device: {
          operatingSystem: 'macOS',
          osVersion: '15.1',
          userPrincipalName: 'bob@maa.test',
          userDisplayName: 'Bob',
          ownership: 'company',
          complianceState: 'compliant',
          lastSyncDateTime: '2026-03-01T09:30:00.000Z',
          managementState: 'managed',
        },
        fingerprint: 'f'.repeat(64),
      },
      status: 'completed',
      execution: {
        status: 'succeeded',
        at: '2026-03-01T11:00:00.000Z',
        detail: 'Graph accepted the wipe',
        code: 'accepted',
        graph: {
          clientRequestId: '5b0f7c8e-1d2a-5b3c-9d4e-0f1a2b3c4d5e',
          calls: [
            {
              method: 'POST',
              path: '/v1.0/deviceManagement/managedDevices/d3a1c0de-0000-4000-8000-000000000002/wipe',
              status: 204,
              at: '2026-03-01T11:00:00.000Z',
            },
          ],
        },
        device: { state: 'done', at: '2026-03-01T11:06:00.000Z', detail: 'the device confirmed the wipe' },
      },
    });

    expect(shown).toContain(
      'target:             MAC-BOB-01 (managedDevice d3a1c0de-0000-4000-8000-000000000002), read 2026-03-01 10:00:00Z',
    );
    expect(shown).toContain('device:             macOS 15.1, company-owned, compliant, managed');
    expect(shown).toContain('device user:        Bob <bob@maa.test>');
    expect(shown).toContain('execution code:     accepted');
    expect(shown).toContain('client-request-id:  5b0f7c8e-1d2a-5b3c-9d4e-0f1a2b3c4d5e');
    expect(shown).toContain(
      'graph calls:        POST /v1.0/deviceManagement/managedDevices/d3a1c0de-0000-4000-8000-000000000002/wipe 204',
    );
    expect(shown).toContain('device outcome:     done at 2026-03-01 11:06:00Z: the device confirmed the wipe');
    expect(shown).toContain('payload:            {"keepUserData":false,"macOsUnlockCode":"(sealed)"}');
    expect(shown).not.toContain('Ym9keQ');
  });
});
