import { Api } from '../support/api';
import { newDevices } from '../support/intune';
import { deviceActionBody } from '../support/intune';
import { protect } from '../support/localIntune';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { startRuntime } from '../support/runtime';
import { AUDIT_CSV_COLUMNS } from '../../shared/views/auditExport';

/** RFC 4180 CSV, parsed strictly: quoted fields with doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '"' && field === '') {
      index += 1;
      for (;;) {
        const end = text.indexOf('"', index);
        if (end < 0) throw new Error('unterminated quoted field');
        field += text.slice(index, end);
        index = end + 1;
        if (text[index] === '"') {
          field += '"';
          index += 1;
        } else break;
      }
      if (![',', '\r', undefined].includes(text[index])) throw new Error(`stray text after a quoted field at ${index}`);
    } else if (char === ',') {
      row.push(field);
      field = '';
      index += 1;
    } else if (char === '\r') {
      if (text[index + 1] !== '\n') throw new Error(`bare CR at ${index}`);
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 2;
    } else if (char === '\n') {
      throw new Error(`bare LF at ${index}`);
    } else {
      field += char;
      index += 1;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('the last record is not CRLF-terminated');
  return rows;
}

/** CSV rows as objects keyed by the header row. */
function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
  for (const row of rows) expect(row).toHaveLength(header!.length);
  return rows.map((row) => Object.fromEntries(header!.map((name, n) => [name, row[n]!])));
}

function ndjsonRecords(text: string): any[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe.each(['sqlite', 'cosmos'] as const)(
  'request search and audit export on the real runtime (%s store)',
  (storeKind) => {
    let api: Api;
    let cosmos: CosmosTestServer | undefined;
    let devices: string[];
    /** wipe of device 0 (alice), retire of device 1 (bob), bulk wipe of devices 2 and 1 (alice), newest last. */
    let ids: string[];
    let bobId: string;

    const raw = async (user: string, route: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${api.runtime.url}/api/${route}`, {
        headers: { authorization: `Bearer ${await api.token(user)}`, ...headers },
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    };
    const listed = async (query: string, user = 'olga') => {
      const answer = await api.call(user, 'GET', `requests?${query}`);
      expect(answer.status).toBe(200);
      return (answer.body.items as { id: string }[]).map((request) => request.id).filter((id) => ids.includes(id));
    };

    beforeAll(async () => {
      if (storeKind === 'cosmos') {
        cosmos = await startCosmosServer();
        // The test server's certificate is self-signed; only the runtime child process is told to accept it.
        const env = { COSMOS_ENDPOINT: cosmos.endpoint, COSMOS_KEY: cosmos.key, NODE_TLS_REJECT_UNAUTHORIZED: '0' };
        api = new Api(await startRuntime({ env }));
      } else {
        api = new Api(await startRuntime());
      }
      await protect(api, 'deviceWipe', 'deviceRetire');
      devices = await newDevices(api.runtime.url, 'LT-SEARCH', 3);
      const submit = async (user: string, body: unknown) => {
        const answer = await api.call(user, 'POST', 'requests', body);
        if (answer.status !== 202) throw new Error(`submit answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        return answer.body as { id: string; initiator: { id: string } };
      };
      const first = await submit('alice', deviceActionBody('deviceWipe', devices[0]!));
      const second = await submit('bob', deviceActionBody('deviceRetire', devices[1]!));
      const third = await submit('alice', {
        profileType: 'deviceWipe',
        operation: { action: 'wipe', resourceType: 'managedDevice', resourceIds: [devices[2], devices[1]] },
        justification: 'Stolen from the car: "both" laptops, see INC-7',
      });
      ids = [first.id, second.id, third.id];
      bobId = second.initiator.id;
      // A decision, so that the trail of the first has more than its submission.
      const approved = await api.call('bob', 'POST', `requests/${first.id}/approve`, { notes: '=SUM(A1) checked, ok' });
      expect([200, 202]).toContain(approved.status);
      await api.until('alice', first.id, (request) => request.status === 'approved');
    }, 90_000);
    afterAll(async () => {
      await api?.runtime.dispose();
      await cosmos?.stop();
    });

    describe('GET /api/requests filters', () => {
      it('finds requests by target, a resource id or any device of a bulk action, in any letter case', async () => {
        expect(await listed(`view=all&target=${devices[1]!.toUpperCase()}`)).toEqual([ids[2], ids[1]]);
        expect(await listed(`view=all&target=${devices[0]}`)).toEqual([ids[0]]);
        expect(await listed(`view=mine&target=${devices[1]}`, 'alice')).toEqual([ids[2]]);
        expect(await listed('view=all&target=no-such-device')).toEqual([]);
      });

      it('finds requests by profile type, initiator, status and creation time, and combinations', async () => {
        expect(await listed('view=all&profileType=deviceRetire')).toEqual([ids[1]]);
        expect(await listed(`view=all&initiator=${bobId}`)).toEqual([ids[1]]);
        expect(await listed('view=all&profileType=deviceWipe&status=approved')).toEqual([ids[0]]);
        expect(await listed(`view=all&profileType=deviceWipe&target=${devices[1]}&status=needsApproval`)).toEqual([
          ids[2],
        ]);
        const created = await Promise.all(
          ids.map(async (id) => (await api.call('olga', 'GET', `requests/${id}`)).body.createdAt as string),
        );
        expect(await listed(`view=all&createdFrom=${created[1]}&createdTo=${created[2]}`)).toEqual([ids[1]]);
        expect(await listed(`view=all&createdFrom=${created[1]}`)).toEqual([ids[2], ids[1]]);
        // An offset is the same instant as its UTC spelling.
        const offset = new Date(Date.parse(created[1]!) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
        expect(await listed(`view=all&createdFrom=${encodeURIComponent(offset)}`)).toEqual([ids[2], ids[1]]);
        expect(await listed('view=received&profileType=deviceRetire', 'carol')).toEqual([ids[1]]);
      });

      it('pages through filtered results, the token bound to the filters', async () => {
        const first = await api.call('olga', 'GET', `requests?view=all&target=${devices[1]}&top=1`);
        expect(first.body.items.map((request: { id: string }) => request.id)).toEqual([ids[2]]);
        const token = encodeURIComponent(first.body.continuationToken as string);
        const second = await api.call(
          'olga',
          'GET',
          `requests?view=all&target=${devices[1]}&top=1&continuationToken=${token}`,
        );
        expect(second.body.items.map((request: { id: string }) => request.id)).toEqual([ids[1]]);
        const other = await api.call(
          'olga',
          'GET',
          `requests?view=all&target=${devices[0]}&top=1&continuationToken=${token}`,
        );
        expect(other.status).toBe(400);
        expect(other.body.code).toBe('invalid_continuation');
      });

      it.each([
        ['status=lost', 'query.status'],
        ['profileType=toaster', 'query.profileType'],
        ['createdFrom=yesterday', 'query.createdFrom'],
        ['createdTo=2026-13-01T00:00:00Z', 'query.createdTo'],
        ['createdFrom=2026-12-02T00:00:00Z&createdTo=2026-12-01T00:00:00Z', 'query.createdTo'],
        ['target=', 'query.target'],
        [`initiator=${'x'.repeat(300)}`, 'query.initiator'],
        ['device=abc', 'query.device'],
      ])('refuses %s with validation_failed naming %s', async (query, path) => {
        const answer = await api.call('olga', 'GET', `requests?view=all&${query}`);
        expect(answer.status).toBe(400);
        expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(answer.body.code).toBe('validation_failed');
        expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
      });
    });

    describe('GET /api/requests/{id}/audit as a file', () => {
      it('answers CSV for Accept: text/csv, every record with the chain verdict, parsing as RFC 4180', async () => {
        const json = await api.call('alice', 'GET', `requests/${ids[0]}/audit?top=100`);
        const answer = await raw('alice', `requests/${ids[0]}/audit`, { accept: 'text/csv' });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(answer.headers.get('content-disposition')).toBe(`attachment; filename="audit-${ids[0]}.csv"`);
        const rows = csvRecords(answer.text);
        expect(rows.map((row) => Number(row.seq))).toEqual(json.body.items.map((item: { seq: number }) => item.seq));
        expect(rows.every((row) => row.chainValid === 'true' && row.requestId === ids[0])).toBe(true);
        expect(rows.map((row) => row.hash)).toEqual(json.body.items.map((item: { hash: string }) => item.hash));
        for (const [n, row] of rows.entries()) expect(JSON.parse(row.data!)).toEqual(json.body.items[n].data);
        expect(rows.map((row) => row.type)).toContain('request.approved');
      });

      it('answers JSON Lines for Accept: application/x-ndjson or format=ndjson, and JSON otherwise', async () => {
        const byAccept = await raw('alice', `requests/${ids[2]}/audit`, { accept: 'application/x-ndjson' });
        expect(byAccept.headers.get('content-type')).toBe('application/x-ndjson');
        const records = ndjsonRecords(byAccept.text);
        expect(records.length).toBeGreaterThan(0);
        expect(records.every((record) => record.chainValid === true && record.requestId === ids[2])).toBe(true);
        expect(records.map((record) => record.seq)).toEqual(records.map((_, n) => n));
        const byFormat = await raw('alice', `requests/${ids[2]}/audit?format=ndjson`, { accept: 'text/csv' });
        expect(byFormat.text).toBe(byAccept.text);
        const csvByFormat = await raw('alice', `requests/${ids[2]}/audit?format=csv`);
        expect(csvByFormat.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        for (const accept of ['application/json', '*/*', 'text/html']) {
          const plain = await api.call('alice', 'GET', `requests/${ids[2]}/audit`, undefined, { accept });
          expect(plain.headers.get('content-type')).toMatch(/application\/json/);
          expect(plain.body.chainValid).toBe(true);
        }
      });

      it('refuses those who may not see the request, and an unknown format', async () => {
        const hidden = await raw('dave', `requests/${ids[0]}/audit`, { accept: 'text/csv' });
        expect(hidden.status).toBe(404);
        expect(hidden.headers.get('content-type')).toMatch(/application\/problem\+json/);
        const badFormat = await api.call('alice', 'GET', `requests/${ids[0]}/audit?format=xlsx`);
        expect(badFormat.status).toBe(400);
        expect(badFormat.body.errors.map((error: { path: string }) => error.path)).toContain('query.format');
      });
    });

    describe('GET /api/audit (a time range)', () => {
      const everything = () =>
        `from=2000-01-01T00:00:00Z&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;

      it('exports every record of the range across requests to operators, in time order, as CSV and JSON Lines', async () => {
        const csv = await raw('olga', `audit?${everything()}`, { accept: 'text/csv' });
        expect(csv.status).toBe(200);
        expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        const rows = csvRecords(csv.text);
        for (const id of ids) expect(rows.some((row) => row.requestId === id)).toBe(true);
        const keys = rows.map((row) => [row.at!, row.requestId!, Number(row.seq)] as const);
        const sorted = [...keys].sort((a, b) =>
          a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2],
        );
        expect(keys).toEqual(sorted);
        expect(rows.every((row) => row.chainValid === 'true')).toBe(true);
        // A decision's notes that a spreadsheet would run as a formula are only data: the cell holds JSON.
        expect(rows.find((row) => row.requestId === ids[0] && row.type === 'request.approved')?.data).toContain(
          '"notes":"=SUM(A1) checked, ok"',
        );

        const ndjson = await raw('olga', `audit?${everything()}`);
        expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson');
        const records = ndjsonRecords(ndjson.text);
        expect(records.map((record) => `${record.requestId}:${record.seq}`)).toEqual(
          rows.map((row) => `${row.requestId}:${row.seq}`),
        );
      });

      it('exports only the records of the range', async () => {
        const trail = (await api.call('olga', 'GET', `requests/${ids[1]}/audit?top=100`)).body.items as {
          at: string;
        }[];
        const from = trail[0]!.at;
        const to = new Date(Date.parse(from) + 1).toISOString();
        const records = ndjsonRecords((await raw('olga', `audit?from=${from}&to=${to}&format=ndjson`)).text);
        expect(records.length).toBeGreaterThan(0);
        expect(records.every((record) => record.at === from)).toBe(true);
        const empty = await raw('olga', `audit?from=${from}&to=${from}&format=csv`);
        expect(csvRecords(empty.text)).toEqual([]);
      });

      it('refuses callers without MAA.Operator, and bad ranges', async () => {
        for (const user of ['alice', 'bob', 'dave']) {
          const answer = await api.call(user, 'GET', `audit?${everything()}`);
          expect(answer.status).toBe(403);
          expect(answer.body.code).toBe('forbidden');
        }
        for (const [query, path] of [
          ['to=2026-12-01T00:00:00Z', 'query.from'],
          ['from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', 'query.to'],
          ['from=last%20week&to=2026-12-01T00:00:00Z', 'query.from'],
          [`${everything()}&format=json`, 'query.format'],
        ] as const) {
          const answer = await api.call('olga', 'GET', `audit?${query}`);
          expect(answer.status).toBe(400);
          expect(answer.body.code).toBe('validation_failed');
          expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
        }
      });
    });
  },
);
