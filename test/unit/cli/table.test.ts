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
