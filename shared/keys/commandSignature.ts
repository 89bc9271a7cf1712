import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../domain/canonicalJson';
import { COMMAND_FRESHNESS_MS, COMMAND_FUTURE_SKEW_MS } from '../domain/commandNonces';
import { macFor, verifyMac, type AppKeyRing } from './appKey';

// Commands sent to a request's orchestration carry a MAC that only the app can make (its Durable
// client adapter, `shared/durable/client.ts`): HMAC-SHA256 under the app key's `command` subkey
// over the canonical JSON of the instance id, the whole command (every field but the signature and
// the correlation id, actor included), the instant it was issued and a random nonce. The
// orchestration has it checked in an activity ({@link verifyCommandSignature}) and remembers nonces
// itself (`shared/domain/commandNonces.ts`).

/** The signature a command event carries. */
export interface CommandSignature {
  /** Id of the app key that made `mac`. */
  readonly kid: string;
  /** base64url HMAC-SHA256 */
  readonly mac: string;
  /** RFC 3339: when the HTTP layer sent the command. */
  readonly issuedAt: string;
  /** 128 random bits, base64url: the orchestration applies a nonce once. */
  readonly nonce: string;
}

/** Why a signature is refused: missing or not ours (`command_unauthenticated`), or too old or too new (`command_stale`). */
export type SignatureRefusal = 'command_unauthenticated' | 'command_stale';

/** The verdict on a command event's signature. */
export type SignatureVerdict =
  | { readonly ok: true; readonly signature: CommandSignature }
  | { readonly ok: false; readonly code: SignatureRefusal; readonly reason: string };

/** The fields of an event the MAC does not cover: the signature itself and the correlation id (telemetry only). */
const UNSIGNED_FIELDS = new Set(['signature', 'correlationId']);

/** What a signature says the signed object is: a command for a running orchestration, or the input that starts one. */
type Signed = 'command' | 'start';

function signedMessage(
  kind: Signed,
  instanceId: string,
  command: Record<string, unknown>,
  issuedAt: string,
  nonce: string,
): string {
  const covered = Object.fromEntries(Object.entries(command).filter(([field]) => !UNSIGNED_FIELDS.has(field)));
  return canonicalJson({ purpose: `multi-admin-approval/${kind}/v1`, instanceId, command: covered, issuedAt, nonce });
}

function sign<T extends object>(
  kind: Signed,
  ring: AppKeyRing,
  instanceId: string,
  command: T,
  issuedAt: Date,
  nonce: string,
): T & { signature: CommandSignature } {
  const at = issuedAt.toISOString();
  const { kid, mac } = macFor(
    ring,
    'command',
    signedMessage(kind, instanceId, command as Record<string, unknown>, at, nonce),
  );
  return { ...command, signature: { kid, mac, issuedAt: at, nonce } };
}

/** The signature of `event` when it is a genuine `kind` for `instanceId` under the ring's current or previous key; the refusal otherwise. */
function authentic(kind: Signed, ring: AppKeyRing, instanceId: string, event: unknown): SignatureVerdict {
  const unauthenticated = (reason: string): SignatureVerdict => ({
    ok: false,
    code: 'command_unauthenticated',
    reason,
  });
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return unauthenticated(`the ${kind} is not an object`);
  const signature = (event as { signature?: unknown }).signature;
  if (!isSignature(signature)) return unauthenticated(`the ${kind} carries no signature`);
  let message: string;
  try {
    message = signedMessage(kind, instanceId, event as Record<string, unknown>, signature.issuedAt, signature.nonce);
  } catch {
    return unauthenticated(`the ${kind} is not JSON data`);
  }
  if (!verifyMac(ring, 'command', message, { kid: signature.kid, mac: signature.mac }))
    return unauthenticated(`the ${kind} signature does not verify`);
  return { ok: true, signature };
}

/**
 * `command` for the orchestration `instanceId` with its {@link CommandSignature} under the ring's
 * current key, issued at `issuedAt`. `command` must be JSON data (see `canonicalJson`).
 */
export function signCommand<T extends object>(
  ring: AppKeyRing,
  instanceId: string,
  command: T,
  issuedAt: Date,
  nonce: string = randomBytes(16).toString('base64url'),
): T & { signature: CommandSignature } {
  return sign('command', ring, instanceId, command, issuedAt, nonce);
}

/**
 * The input that starts the orchestration `instanceId`, signed like a command but as a start (a
 * start's signature never verifies as a command's, nor the reverse). Whoever can start
 * orchestrations through the Durable API cannot make one: the first step checks it with
 * {@link verifyStartSignature} and runs nothing when it fails.
 */
export function signStart<T extends object>(
  ring: AppKeyRing,
  instanceId: string,
  input: T,
  issuedAt: Date,
): T & { signature: CommandSignature } {
  return sign('start', ring, instanceId, input, issuedAt, randomBytes(16).toString('base64url'));
}

/**
 * Checks the signature of a start input for `instanceId` (every field but the signature and the
 * correlation id is covered). No freshness check: a start may run long after it was sent (a host
 * that restarts late recovers it), and a genuine input replayed only repeats steps the trail
 * already holds. Never throws.
 */
export function verifyStartSignature(ring: AppKeyRing, instanceId: string, input: unknown): SignatureVerdict {
  return authentic('start', ring, instanceId, input);
}

/**
 * Checks the signature of `event` (anything that arrived as a command for `instanceId`) under the
 * ring's current or previous key, and its issue time against `now`: at most
 * {@link COMMAND_FRESHNESS_MS} behind and {@link COMMAND_FUTURE_SKEW_MS} ahead. A missing or
 * malformed signature, another instance id, any changed field or an unknown key is
 * `command_unauthenticated`; a genuine signature outside the window is `command_stale`. Never throws.
 */
export function verifyCommandSignature(
  ring: AppKeyRing,
  instanceId: string,
  event: unknown,
  now: Date,
): SignatureVerdict {
  const verdict = authentic('command', ring, instanceId, event);
  if (!verdict.ok) return verdict;
  const { signature } = verdict;
  const issuedMs = Date.parse(signature.issuedAt);
  const age = now.getTime() - issuedMs;
  if (age > COMMAND_FRESHNESS_MS)
    return {
      ok: false,
      code: 'command_stale',
      reason: `the command was issued at ${signature.issuedAt}, more than ${COMMAND_FRESHNESS_MS / 60_000} minutes ago`,
    };
  if (-age > COMMAND_FUTURE_SKEW_MS)
    return {
      ok: false,
      code: 'command_stale',
      reason: `the command claims to be issued at ${signature.issuedAt}, in the future`,
    };
  return { ok: true, signature };
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function isSignature(value: unknown): value is CommandSignature {
  if (typeof value !== 'object' || value === null) return false;
  const { kid, mac, issuedAt, nonce } = value as Record<string, unknown>;
  return (
    typeof kid === 'string' &&
    typeof mac === 'string' &&
    typeof issuedAt === 'string' &&
    INSTANT.test(issuedAt) &&
    Number.isFinite(Date.parse(issuedAt)) &&
    typeof nonce === 'string' &&
    /^[A-Za-z0-9_-]{16,64}$/.test(nonce)
  );
}
