import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../domain/canonicalJson';
import { COMMAND_FRESHNESS_MS, COMMAND_FUTURE_SKEW_MS } from '../domain/commandNonces';
import { macFor, verifyMac, type AppKeyRing } from './appKey';

/**
 * Commands sent to a request's orchestration carry a MAC that only the app's HTTP layer can make:
 * HMAC-SHA256 under the app key's `command` subkey over the canonical JSON of the instance id, the
 * whole command (every field but the signature and the correlation id, actor included), the
 * instant it was issued and a random nonce. The orchestration has it checked in an activity
 * ({@link verifyCommandSignature}) and remembers nonces itself (`shared/domain/commandNonces.ts`).
 */

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
export type SignatureVerdict = { readonly ok: true; readonly signature: CommandSignature } | { readonly ok: false; readonly code: SignatureRefusal; readonly reason: string };

/** The fields of an event the MAC does not cover: the signature itself and the correlation id (telemetry only). */
const UNSIGNED_FIELDS = new Set(['signature', 'correlationId']);

function signedMessage(instanceId: string, command: Record<string, unknown>, issuedAt: string, nonce: string): string {
  const covered = Object.fromEntries(Object.entries(command).filter(([field]) => !UNSIGNED_FIELDS.has(field)));
  return canonicalJson({ purpose: 'multi-admin-approval/command/v1', instanceId, command: covered, issuedAt, nonce });
}

/**
 * `command` for the orchestration `instanceId` with its {@link CommandSignature} under the ring's
 * current key, issued at `issuedAt`. `command` must be JSON data (see `canonicalJson`).
 */
export function signCommand<T extends object>(ring: AppKeyRing, instanceId: string, command: T, issuedAt: Date, nonce: string = randomBytes(16).toString('base64url')): T & { signature: CommandSignature } {
  const at = issuedAt.toISOString();
  const { kid, mac } = macFor(ring, 'command', signedMessage(instanceId, command as Record<string, unknown>, at, nonce));
  return { ...command, signature: { kid, mac, issuedAt: at, nonce } };
}

/**
 * Checks the signature of `event` (anything that arrived as a command for `instanceId`) under the
 * ring's current or previous key, and its issue time against `now`: at most
 * {@link COMMAND_FRESHNESS_MS} behind and {@link COMMAND_FUTURE_SKEW_MS} ahead. A missing or
 * malformed signature, another instance id, any changed field or an unknown key is
 * `command_unauthenticated`; a genuine signature outside the window is `command_stale`. Never throws.
 */
export function verifyCommandSignature(ring: AppKeyRing, instanceId: string, event: unknown, now: Date): SignatureVerdict {
  const unauthenticated = (reason: string): SignatureVerdict => ({ ok: false, code: 'command_unauthenticated', reason });
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return unauthenticated('the command is not an object');
  const signature = (event as { signature?: unknown }).signature;
  if (!isSignature(signature)) return unauthenticated('the command carries no signature');
  let message: string;
  try {
    message = signedMessage(instanceId, event as Record<string, unknown>, signature.issuedAt, signature.nonce);
  } catch {
    return unauthenticated('the command is not JSON data');
  }
  if (!verifyMac(ring, 'command', message, { kid: signature.kid, mac: signature.mac })) return unauthenticated('the command signature does not verify');
  const issuedMs = Date.parse(signature.issuedAt);
  const age = now.getTime() - issuedMs;
  if (age > COMMAND_FRESHNESS_MS) return { ok: false, code: 'command_stale', reason: `the command was issued at ${signature.issuedAt}, more than ${COMMAND_FRESHNESS_MS / 60_000} minutes ago` };
  if (-age > COMMAND_FUTURE_SKEW_MS) return { ok: false, code: 'command_stale', reason: `the command claims to be issued at ${signature.issuedAt}, in the future` };
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
