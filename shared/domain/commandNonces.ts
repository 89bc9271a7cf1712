/** How far a signed command's issue time may lie behind the orchestration's time before it is stale: 5 minutes. */
export const COMMAND_FRESHNESS_MS = 5 * 60_000;
/** How far it may lie ahead of it (clock skew between app instances): 1 minute. */
export const COMMAND_FUTURE_SKEW_MS = 60_000;

/**
 * The nonces of authenticated commands an orchestration has applied or refused, each remembered
 * until `rememberMs` after its command was issued (past that the command is stale and refused
 * anyway). Pure and deterministic: the orchestration keeps one in its replayed state and passes
 * its own time.
 */
export class CommandNonces {
  /** Nonce to the epoch milliseconds until which it is remembered. */
  private readonly until = new Map<string, number>();

  constructor(private readonly rememberMs: number) {}

  /**
   * True when `nonce` is new at `nowMs` (it is then remembered until `issuedAtMs` + `rememberMs`),
   * false when it was seen and is still remembered: a replay. Nonces past their time are forgotten.
   */
  admit(nonce: string, issuedAtMs: number, nowMs: number): boolean {
    for (const [seen, until] of this.until) if (until < nowMs) this.until.delete(seen);
    if (this.until.has(nonce)) return false;
    this.until.set(nonce, Math.max(issuedAtMs, nowMs) + this.rememberMs);
    return true;
  }

  /** True when `nonce` was admitted and is still remembered at `nowMs` (it would be refused as a replay); changes nothing. */
  remembers(nonce: string, nowMs: number): boolean {
    const until = this.until.get(nonce);
    return until !== undefined && until >= nowMs;
  }

  /** How many nonces are remembered now. */
  get size(): number {
    return this.until.size;
  }
}
