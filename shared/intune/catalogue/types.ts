import type { z } from 'zod';
import type { JsonValue, ProfileType } from '../../domain/model';

/** The Graph versions an operation may be pinned to. */
export type GraphVersion = 'v1.0' | 'beta';
export type GraphMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** One Graph call, relative to the Graph root: `/v1.0/deviceManagement/managedDevices/{id}/wipe`. */
export interface GraphCall {
  method: GraphMethod;
  version: GraphVersion;
  /** Starts with `/`, below the version segment, ids percent-encoded. */
  path: string;
  body?: JsonValue;
}

/**
 * How a write behaves when it is sent again, which decides what the executor may do after a 5xx,
 * a timeout or a crash (see docs/intune.md, "Never twice"):
 * - `idempotent`: sending it again changes nothing more (PUT, `/assign` replace, DELETE, absolute PATCH);
 * - `checkFirst`: it must not be sent again before a read showed its effect is absent (create,
 *   POST `/assignments`, device actions).
 */
export type Idempotency = 'idempotent' | 'checkFirst';

/** The most objects one bulk request may name in `resourceIds`. */
export const MAX_BULK_RESOURCES = 100;

/** Device actions with a tenant-wide daily cap (500 wipes, 1,000 retires, 1,000 deletes). */
export type DeviceAction = 'wipe' | 'retire' | 'delete';

/**
 * An operation as stored on a request, after validation: `payload` is the entry's parsed payload
 * (secrets already sealed, see {@link CatalogueEntry.secretFields}).
 */
export interface CatalogueOperation {
  action: string;
  resourceType: string;
  resourceId?: string;
  /** A bulk operation's objects (entries with `bulk`), in place of `resourceId`. */
  resourceIds?: string[];
  payload?: JsonValue;
}

/**
 * One operation of the closed catalogue: what a request may ask for, for one profile type. The
 * executor derives every Graph write only from the stored, hash-checked operation through
 * {@link CatalogueEntry.calls}: there is no free-form URL or body anywhere.
 */
export interface CatalogueEntry {
  profileType: ProfileType;
  resourceType: string;
  action: string;
  /** One line for people: "Wipe a managed device". */
  summary: string;
  /**
   * `required`: `resourceId` names an existing Intune object, read at submit (the request's
   * `target`) and again before writing; `none`: the operation creates one (no `resourceId`).
   */
  resourceId: 'required' | 'none';
  /** The payload's schema (strict objects); `undefined` when the operation takes no payload. */
  payload?: z.ZodType<JsonValue | undefined, unknown>;
  /**
   * Payload fields that are secrets (the macOS unlock code): stored sealed with the app key,
   * never shown, never hashed in clear; the executor opens them just before sending.
   */
  secretFields?: readonly string[];
  /** The Graph application permission the write needs (least privilege). */
  permission: string;
  /** What sending the write again does. */
  idempotency: Idempotency;
  /** Set for device actions: counted against the tenant's daily cap and observed on the device. */
  deviceAction?: DeviceAction;
  /**
   * True when one request may name up to {@link MAX_BULK_RESOURCES} objects in `resourceIds` in
   * place of `resourceId` (the device actions wipe, retire, delete): each is locked, snapshotted
   * and executed on its own.
   */
  bulk?: boolean;
  /**
   * The write(s) completion sends, in order, derived from the stored operation only. `secrets`
   * holds the opened secret fields (absent when showing the call to people).
   */
  calls(operation: CatalogueOperation, secrets?: Readonly<Record<string, string>>): GraphCall[];
  /** A valid example operation (docs, OpenAPI and the tests that run every entry use it). */
  example: CatalogueOperation;
}
