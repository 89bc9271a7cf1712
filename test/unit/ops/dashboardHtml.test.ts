import { activityChart, chartScale, renderRequestList, requestListHref } from '../../../shared/ops/dashboardHtml';
import { formFiltersOf, requestFiltersOf } from '../../../shared/ops/requestList';
import { dashboardRequestsQuerySchema } from '../../../shared/ops/schemas';
import type { HourBucket } from '../../../shared/ops/summary';
import { wipe } from '../notify/fixtures';

const hours = (start: string, values: [number, number, number][]): HourBucket[] =>
  values.map(([submitted, decided, completed], index) => ({
    hour: new Date(Date.parse(start) + index * 3_600_000).toISOString(),
    submitted,
    decided,
    completed,
  }));

describe('chartScale', () => {
  it.each([
    [0, 1, 1, [0, 1]],
    [1, 1, 1, [0, 1]],
    [3, 1, 3, [0, 1, 2, 3]],
    [7, 2, 8, [0, 2, 4, 6, 8]],
    [8, 2, 8, [0, 2, 4, 6, 8]],
    [13, 5, 15, [0, 5, 10, 15]],
    [40, 10, 40, [0, 10, 20, 30, 40]],
    [97, 50, 100, [0, 50, 100]],
    [1234, 500, 1500, [0, 500, 1000, 1500]],
  ])('for a largest value of %i steps by %i up to %i', (max, step, top, ticks) => {
    expect(chartScale(max)).toEqual({ top, step, ticks });
  });
});

describe('activityChart', () => {
  const day = hours(
    '2026-12-06T09:00:00.000Z',
    Array.from(
      { length: 24 },
      (_, index) => [index === 23 ? 7 : 0, index === 23 ? 3 : 0, 0] as [number, number, number],
    ),
  );

  it('labels the y axis with its scale and the hours on the viewer clock, and names the zone in the legend', () => {
    const svg = activityChart(day, 'Asia/Kolkata', new Date('2026-12-07T09:00:00Z'));
    expect([...svg.matchAll(/class="y-tick"[^>]*>(\d+)</g)].map((match) => match[1])).toEqual([
      '0',
      '2',
      '4',
      '6',
      '8',
    ]);
    const xs = [...svg.matchAll(/class="x-tick[^"]*"[^>]*>([^<]+)</g)].map((match) => match[1]);
    expect(xs).toEqual(['14:30', '17:30', '20:30', '23:30', '02:30', '05:30', '08:30', '11:30']);
    expect(svg).toContain('<li id="chart-zone">Hours in Asia/Kolkata (UTC+05:30)</li>');
    expect(svg).toContain('scale 0–8, step 2');
    expect(svg).toContain('<title>13:30–14:30 submitted: 7</title>');
    // Every other hour label gives way on a phone.
    expect([...svg.matchAll(/class="x-tick( minor)?"/g)].map((match) => Boolean(match[1]))).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it('draws a bar at the height its count has on the scale, and none for zero', () => {
    const svg = activityChart(day, 'UTC');
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((match) => Number(match[1]));
    // Plot height 232 for 0..8: 7 -> 203, 3 -> 87.
    expect(heights).toEqual([203, 87]);
    expect(svg).toContain('Hours in UTC');
  });
});

describe('the request list', () => {
  const query = (text: string) => dashboardRequestsQuerySchema.parse(Object.fromEntries(new URLSearchParams(text)));

  it.each([
    ['nothing', '', 'UTC', {}],
    ['empty form fields', 'status=&profileType=&initiator=&target=&createdFrom=&createdTo=&top=', 'UTC', {}],
    [
      'each filter',
      'status=needsApproval&profileType=deviceWipe&initiator=a11ce&target=%20dev-1%20',
      'UTC',
      { status: 'needsApproval', profileType: 'deviceWipe', initiatorId: 'a11ce', target: 'dev-1' },
    ],
    [
      'days in the viewer zone, the last one whole',
      'createdFrom=2026-12-01&createdTo=2026-12-07',
      'Europe/Berlin',
      { createdFrom: '2026-11-30T23:00:00.000Z', createdTo: '2026-12-07T23:00:00.000Z' },
    ],
    [
      'instants in UTC with milliseconds, as the stores compare them',
      'createdFrom=2026-12-01T08:00:00Z&createdTo=2026-12-02T08:00:00%2B01:00',
      'Europe/Berlin',
      { createdFrom: '2026-12-01T08:00:00.000Z', createdTo: '2026-12-02T07:00:00.000Z' },
    ],
  ])('turns %s into the store filters', (_what, text, zone, expected) => {
    expect(requestFiltersOf(query(text), zone)).toEqual(expected);
  });

  it.each([
    ['status=waiting', 'status'],
    ['profileType=everything', 'profileType'],
    ['createdFrom=2026-02-30', 'createdFrom'],
    ['createdTo=yesterday', 'createdTo'],
    ['top=101', 'top'],
    ['tz=Mars/Olympus', 'tz'],
    ['sort=id', ''],
  ])('refuses %s', (text, field) => {
    const result = dashboardRequestsQuerySchema.safeParse(Object.fromEntries(new URLSearchParams(text)));
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join('.')).toBe(field);
  });

  it('links each row to the request page, escapes user text, and keeps the filters on the next page', () => {
    const request = { ...wipe(), initiator: { id: 'a11ce', displayName: 'Alice <admin>' } };
    const html = renderRequestList({
      zone: 'Europe/Berlin',
      filters: formFiltersOf(query('status=needsApproval&top=10')),
      items: [request],
      continuationToken: 'tok+en/=',
      paged: true,
    });
    expect(html).toContain(`<a class="request-link" href="/api/portal/requests/${request.id}">`);
    expect(html).toContain('Alice &lt;admin&gt;');
    expect(html).not.toContain('Alice <admin>');
    expect(html).toContain(
      `href="${requestListHref({ status: 'needsApproval', top: '10', continuationToken: 'tok+en/=' }).replace(/&/g, '&amp;')}"`,
    );
    expect(html).toContain('id="first-page" href="/api/ops/dashboard/requests?status=needsApproval&amp;top=10"');
    expect(html).toContain('<option value="needsApproval" selected>Waiting for approval</option>');
    // Created 2026-01-01 09:00 UTC, shown in Berlin with UTC on hover.
    expect(html).toContain(
      '<time datetime="2026-01-01T09:00:00.000Z" title="2026-01-01 09:00 UTC">2026-01-01 10:00 CET</time>',
    );
    // The initiator's name filters the list to that initiator, keeping the other filters.
    expect(html).toContain('href="/api/ops/dashboard/requests?status=needsApproval&amp;top=10&amp;initiator=a11ce"');
  });

  it('says when nothing matches and offers no next page', () => {
    const html = renderRequestList({ zone: 'UTC', filters: formFiltersOf(query('')), items: [], paged: false });
    expect(html).toContain('No requests match.');
    expect(html).not.toContain('id="next-page"');
    expect(html).not.toContain('id="first-page"');
  });
});
