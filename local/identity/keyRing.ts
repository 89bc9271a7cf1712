import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A published signing key (JWKS member). */
export interface PublicJwk {
  kty: 'RSA';
  use: 'sig';
  alg: 'RS256';
  kid: string;
  n: string;
  e: string;
}

interface StoredKey {
  kid: string;
  createdAt: string;
  privateKey: JsonWebKey;
}

interface LoadedKey {
  kid: string;
  createdAt: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: PublicJwk;
}

// The current key and the one before it: tokens signed before a rotation stay verifiable.
const KEPT_KEYS = 2;
/** Tokens remembered as verified; the app reuses one token for every Graph call of its hour. */
const VERIFIED_TOKENS = 256;

/**
 * The local issuer's RSA signing keys, kept in `<dataDir>/local-identity/signing-keys.json` (0600)
 * so tokens survive restarts. The first key signs; {@link rotate} puts a new one first and keeps the
 * previous one published. `kid` is the key's RFC 7638 thumbprint.
 */
export class KeyRing {
  private keys: LoadedKey[];
  private readonly file: string;
  /** Tokens whose signature verified, with the kid that signed them (a hit counts only while that key is published). */
  private readonly verified = new Map<string, { kid: string; claims: Readonly<Record<string, unknown>> }>();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'local-identity', 'signing-keys.json');
    this.keys = this.load();
    if (this.keys.length === 0) this.rotate();
  }

  /** The keys to publish, current first. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /** Kid of the signing key. */
  get currentKid(): string {
    return this.keys[0]!.kid;
  }

  /** Generates a new signing key, keeps the previous one published, persists both; returns the new kid. */
  rotate(): string {
    // Generated as PEM and parsed again, so no KeyObject we keep shares its key data (and that
    // data's lock) with the generation job. Node 20 can deadlock when a garbage collection during
    // a JWK export finalises such a job: the job's destructor waits for the lock the export holds.
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const key = loaded(createPrivateKey(privateKey), new Date().toISOString());
    this.keys = [key, ...this.keys].slice(0, KEPT_KEYS);
    this.save();
    return key.kid;
  }

  /** A compact RS256 JWT of `claims`, signed with the current key. */
  sign(claims: Record<string, unknown>): string {
    const key = this.keys[0]!;
    const header = encode({ alg: 'RS256', typ: 'JWT', kid: key.kid });
    const input = `${header}.${encode(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
  }

  /** The claims of an RS256 JWT signed by one of the published keys; `undefined` when it is not one. */
  verify(token: string): Readonly<Record<string, unknown>> | undefined {
    const remembered = this.verified.get(token);
    if (remembered && this.keys.some((key) => key.kid === remembered.kid)) return remembered.claims;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    try {
      const protectedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
        alg?: unknown;
        kid?: unknown;
      };
      const key = this.keys.find((candidate) => candidate.kid === protectedHeader.kid);
      if (protectedHeader.alg !== 'RS256' || !key) return undefined;
      if (!verify('sha256', Buffer.from(`${header}.${payload}`), key.publicKey, Buffer.from(signature, 'base64url')))
        return undefined;
      const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
      // The signature check is the costly part; the callers check the claims (expiry included) each time.
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.clear();
      const frozen = Object.freeze(claims as Record<string, unknown>);
      this.verified.set(token, { kid: key.kid, claims: frozen });
      return frozen;
    } catch {
      return undefined;
    }
  }

  private load(): LoadedKey[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const stored = (JSON.parse(text) as { keys: StoredKey[] }).keys;
      return stored.map((key) => loaded(createPrivateKey({ key: key.privateKey, format: 'jwk' }), key.createdAt));
    } catch (error) {
      throw new Error(
        `the local signing keys in ${this.file} are unreadable (${(error as Error).message}); delete the file to start with new keys`,
      );
    }
  }

  private save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const stored: StoredKey[] = this.keys.map((key) => ({
      kid: key.kid,
      createdAt: key.createdAt,
      privateKey: key.privateKey.export({ format: 'jwk' }),
    }));
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ keys: stored }, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}

function loaded(privateKey: KeyObject, createdAt: string): LoadedKey {
  const publicKey = createPublicKey(privateKey);
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') throw new Error('not an RSA key');
  // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
  return { kid, createdAt, privateKey, publicKey, publicJwk: { kty: 'RSA', use: 'sig', alg: 'RS256', kid, n, e } };
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
