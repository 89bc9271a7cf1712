import { createHash, randomBytes } from 'node:crypto';
import type { AppKeyRing } from '../../../shared/keys/appKey';
import { startOfDay, submitBodyOf, type NewForm } from '../../../shared/views/portalForms';
import {
  newPortalNonce,
  outcomeSeal,
  PORTAL_CSP,
  portalCsrfField,
  portalPage,
  verifyOutcomeSeal,
  verifyPortalCsrf,
  type Viewer,
} from '../../../shared/views/portalLayout';
import { html } from '../../../shared/views/html';

describe("a filter's day in the viewer's time zone", () => {
  it.each([
    ['2026-12-07', 'UTC', 0, '2026-12-07T00:00:00.000Z'],
    ['2026-12-07', 'Europe/Berlin', 0, '2026-12-06T23:00:00.000Z'],
    ['2026-07-01', 'Europe/Berlin', 0, '2026-06-30T22:00:00.000Z'],
    // The day the clocks go forward at 02:00: its midnight is still winter time.
    ['2026-03-29', 'Europe/Berlin', 0, '2026-03-28T23:00:00.000Z'],
    ['2026-03-29', 'Europe/Berlin', 1, '2026-03-29T22:00:00.000Z'],
    // The day the clocks go back at 02:00: its midnight is still summer time.
    ['2026-11-01', 'America/New_York', 0, '2026-11-01T04:00:00.000Z'],
    ['2026-11-01', 'America/New_York', 1, '2026-11-02T05:00:00.000Z'],
    ['2026-12-31', 'UTC', 1, '2027-01-01T00:00:00.000Z'],
    ['2026-12-07', 'Asia/Kolkata', 0, '2026-12-06T18:30:00.000Z'],
    // Clocks go forward at midnight: the day starts at 01:00 local, not an hour before midnight.
    ['2026-09-06', 'America/Santiago', 0, '2026-09-06T04:00:00.000Z'],
    ['2026-09-05', 'America/Santiago', 1, '2026-09-06T04:00:00.000Z'],
  ])('%s in %s (+%i days) starts at %s', (date, zone, days, expected) => {
    expect(startOfDay(date, zone, days)).toBe(expected);
  });

  it.each(['2026-02-30', '2026-13-01', '07.12.2026', 'yesterday', '2026-1-7', ''])('is no day for %j', (date) => {
    expect(startOfDay(date, 'UTC')).toBeUndefined();
  });
});

describe("the portal's CSRF field", () => {
  const key = (id: string) => ({ id, secret: randomBytes(32) });
  const ring: AppKeyRing = { current: key('k1') };
  const alice = 'a11ce000-0000-4000-8000-000000000001';

  it('verifies for the person and the browser it was made for, and for no other', () => {
    const nonce = newPortalNonce();
    const field = portalCsrfField(ring, alice, nonce);
    expect(verifyPortalCsrf(ring, alice, nonce, field)).toBe(true);
    expect(verifyPortalCsrf(ring, alice.toUpperCase(), nonce, field)).toBe(true);
    expect(verifyPortalCsrf(ring, 'b0b00000-0000-4000-8000-000000000002', nonce, field)).toBe(false);
    expect(verifyPortalCsrf(ring, alice, newPortalNonce(), field)).toBe(false);
    expect(verifyPortalCsrf(ring, alice, undefined, field)).toBe(false);
    expect(verifyPortalCsrf(ring, alice, 'short', field)).toBe(false);
    expect(verifyPortalCsrf(ring, alice, nonce, undefined)).toBe(false);
    expect(verifyPortalCsrf(ring, alice, nonce, `${field}x`)).toBe(false);
    expect(verifyPortalCsrf({ current: key('k2') }, alice, nonce, field)).toBe(false);
  });

  it('keeps verifying a page made before a key rotation', () => {
    const nonce = newPortalNonce();
    const field = portalCsrfField(ring, alice, nonce);
    expect(verifyPortalCsrf({ current: key('k2'), previous: ring.current }, alice, nonce, field)).toBe(true);
  });
});

describe("a command outcome's seal", () => {
  const ring: AppKeyRing = { current: { id: 'k1', secret: randomBytes(32) } };
  const bob = 'b0b00000-0000-4000-8000-000000000002';
  const parts = ['refused', 'approve', 'invalid_state'];
  const seal = outcomeSeal(ring, bob, 'r-1', parts);

  it('verifies only for the person, request and outcome it was made for', () => {
    expect(verifyOutcomeSeal(ring, bob, 'r-1', parts, seal)).toBe(true);
    expect(verifyOutcomeSeal(ring, 'a11ce000-0000-4000-8000-000000000001', 'r-1', parts, seal)).toBe(false);
    expect(verifyOutcomeSeal(ring, bob, 'r-2', parts, seal)).toBe(false);
    expect(verifyOutcomeSeal(ring, bob, 'r-1', ['applied', 'approve', ''], seal)).toBe(false);
    expect(verifyOutcomeSeal(ring, bob, 'r-1', ['refused', 'approve', 'expired'], seal)).toBe(false);
    // Parts cannot slide into each other.
    expect(verifyOutcomeSeal(ring, bob, 'r-1', ['refused', 'approve\ninvalid_state', ''], seal)).toBe(false);
    expect(verifyOutcomeSeal(ring, bob, 'r-1\nrefused', ['approve', 'invalid_state', ''], seal)).toBe(false);
    expect(verifyOutcomeSeal(ring, bob, 'r-1', parts, null)).toBe(false);
    expect(
      verifyOutcomeSeal(
        { current: { id: 'k2', secret: randomBytes(32) }, previous: ring.current },
        bob,
        'r-1',
        parts,
        seal,
      ),
    ).toBe(true);
  });
});

describe('a portal page', () => {
  const viewer: Viewer = {
    id: 'a11ce000-0000-4000-8000-000000000001',
    displayName: 'Alice <admin>',
    roles: ['MAA.Requester'],
    zone: 'Europe/Berlin',
    csrf: 'field"value',
    here: '/api/portal/requests?view=mine&x="y"',
  };
  const document = portalPage('Home', viewer, 'home', html`<h1>Hello</h1>`);

  it('has every inline style sheet allowed by its hash in the Content-Security-Policy, and nothing else', () => {
    const sheets = [...document.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);
    expect(sheets).toHaveLength(2);
    const allowed = /style-src ([^;]+)/.exec(PORTAL_CSP)![1]!.split(' ');
    expect(allowed).toEqual(sheets.map((sheet) => `'sha256-${createHash('sha256').update(sheet).digest('base64')}'`));
    expect(PORTAL_CSP).toContain("default-src 'none'");
    expect(PORTAL_CSP).toContain("form-action 'self'");
    expect(document).not.toMatch(/<script/i);
  });

  it('escapes what it shows of the viewer and offers All requests to operators only', () => {
    expect(document).toContain('Alice &#60;admin&#62;');
    expect(document).toContain('value="field&#34;value"');
    expect(document).toContain('value="/api/portal/requests?view=mine&#38;x=&#34;y&#34;"');
    expect(document).not.toContain('All requests');
    expect(portalPage('Home', { ...viewer, roles: ['MAA.Operator'] }, 'home', html``)).toContain('All requests');
    expect(document).toContain('<option selected>Europe/Berlin</option>');
  });
});

describe('the submit form as a request body', () => {
  const DEVICE = 'd3a1c0de-0000-4000-8000-000000000001';
  const OTHER = 'd3a1c0de-0000-4000-8000-000000000002';
  const wipe: NewForm = {
    operation: 'deviceWipe/managedDevice/wipe',
    resourceId: DEVICE,
    justification: 'Stolen (INC-1)',
  };

  it('is the body of POST /api/requests: one device, several (a bulk action), options as JSON', () => {
    expect(submitBodyOf(wipe)).toEqual({
      body: {
        profileType: 'deviceWipe',
        operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: DEVICE },
        justification: 'Stolen (INC-1)',
      },
    });
    expect(submitBodyOf({ ...wipe, resourceId: ` ${DEVICE},\n${OTHER} ` })).toMatchObject({
      body: { operation: { resourceIds: [DEVICE, OTHER] } },
    });
    expect(submitBodyOf({ ...wipe, payload: '{"keepEnrollmentData": true}' })).toMatchObject({
      body: { operation: { payload: { keepEnrollmentData: true } } },
    });
  });

  it.each<[string, NewForm, { field: string; message: RegExp }[]]>([
    ['no operation', { ...wipe, operation: undefined }, [{ field: 'operation', message: /^Choose an operation/ }]],
    [
      'an operation the catalogue lacks',
      { ...wipe, operation: 'deviceWipe/managedDevice/explode' },
      [{ field: 'operation', message: /^Choose an operation/ }],
    ],
    [
      'options that are not JSON',
      { ...wipe, payload: '{keep: 1}' },
      [{ field: 'payload', message: /^Not valid JSON/ }],
    ],
    ['a blank justification', { ...wipe, justification: '  ' }, [{ field: 'justification', message: /^Say why/ }]],
    ['no target', { ...wipe, resourceId: undefined }, [{ field: 'resourceId', message: /./ }]],
    ['a target that is no id', { ...wipe, resourceId: 'LT-ALICE-01' }, [{ field: 'resourceId', message: /./ }]],
    [
      'an option the operation does not take',
      { ...wipe, payload: '{"keepEverything": true}' },
      [{ field: 'payload', message: /./ }],
    ],
  ])('names the field at fault for %s', (_case, form, expected) => {
    const result = submitBodyOf(form);
    expect('errors' in result).toBe(true);
    const errors = 'errors' in result ? result.errors : [];
    expect(errors).toEqual(
      expected.map((item) => ({ field: item.field, message: expect.stringMatching(item.message) })),
    );
  });
});
