/**
 * Group membership and app roles as the directory (Entra, through Microsoft Graph) sees it.
 * Membership is transitive: a user in a group nested in a group is a member of both. Ids are
 * object ids (GUIDs) and compare case-insensitively; answers use the caller's spelling of candidate ids.
 */
export interface Directory {
  /**
   * The values of the API app's roles (`MAA.Requester`...) `userId` holds now, assigned to them or
   * to a group they are a (transitive) member of, sorted; `[]` for a user the directory does not know.
   */
  appRolesOf(userId: string): Promise<string[]>;
  /** The subset of `candidateGroupIds` that `userId` is a (transitive) member of; `[]` for a user the directory does not know. */
  memberGroupsOf(userId: string, candidateGroupIds: readonly string[]): Promise<string[]>;
  /** Every group `userId` is a (transitive) member of; `[]` for a user the directory does not know. */
  allGroupsOf(userId: string): Promise<string[]>;
  /** The users among the transitive members of `groupId` (nested groups are followed, not listed); `[]` for a group the directory does not know. */
  usersInGroup(groupId: string): Promise<DirectoryUser[]>;
  /** The user with this object id, or undefined when the directory does not know them. */
  findUser(userId: string): Promise<DirectoryUser | undefined>;
  /** The subset of `groupIds` that name groups the directory knows (in the caller's spelling and order). */
  existingGroups(groupIds: readonly string[]): Promise<string[]>;
  /**
   * The users among the transitive members of `groupIds`, each once, with the API app's roles
   * each holds (as {@link appRolesOf} reads them): who could approve under a policy. `[]` for
   * groups the directory does not know.
   */
  approverCandidates(groupIds: readonly string[]): Promise<ApproverCandidate[]>;
}

/** A member of approver groups and the API app's roles they hold, sorted. */
export interface ApproverCandidate extends DirectoryUser {
  readonly roles: readonly string[];
}

/** A user as the directory describes them: enough to address a notification. */
export interface DirectoryUser {
  readonly id: string;
  readonly displayName: string;
  /** The primary SMTP address, when the user has a mailbox. */
  readonly mail?: string;
  readonly userPrincipalName?: string;
}

/** How long and how much {@link CachedDirectory} remembers. */
export interface DirectoryCacheOptions {
  /** Lifetime of an answer in milliseconds; 0 disables caching. */
  readonly ttlMs: number;
  /** Most remembered entries (one per user for `allGroupsOf` and `appRolesOf`, one per user and group otherwise). Default 10 000. */
  readonly maxEntries?: number;
  /** The current time in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * A {@link Directory} that remembers answers of another one briefly, so bursts of authorization
 * checks cost one Graph call. Per-(user, group) answers are remembered individually, so calls with
 * different candidate lists share them, and a remembered `allGroupsOf` answers `memberGroupsOf`
 * too. Concurrent identical lookups share one call. The oldest entry is dropped when full; a
 * failed lookup is not remembered.
 */
export class CachedDirectory implements Directory {
  private readonly entries = new Map<string, Entry<boolean | readonly string[]>>();
  private readonly inflight = new Map<string, Promise<readonly string[]>>();
  private readonly candidates = new Map<string, Entry<readonly ApproverCandidate[]>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: Directory,
    private readonly options: DirectoryCacheOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async memberGroupsOf(userId: string, candidateGroupIds: readonly string[]): Promise<string[]> {
    const user = userId.toLowerCase();
    const all = this.get<readonly string[]>(`all:${user}`);
    if (all !== undefined) {
      const groups = new Set(all.map((id) => id.toLowerCase()));
      return candidateGroupIds.filter((id) => groups.has(id.toLowerCase()));
    }
    const answers = new Map<string, boolean>();
    const unknown: string[] = [];
    for (const id of new Set(candidateGroupIds.map((candidate) => candidate.toLowerCase()))) {
      const member = this.get<boolean>(`member:${user}:${id}`);
      if (member === undefined) unknown.push(id);
      else answers.set(id, member);
    }
    if (unknown.length > 0) {
      const key = `check:${user}:${[...unknown].sort().join(',')}`;
      const found = new Set(
        (await this.once(key, () => this.inner.memberGroupsOf(userId, unknown))).map((id) => id.toLowerCase()),
      );
      for (const id of unknown) {
        answers.set(id, found.has(id));
        this.set(`member:${user}:${id}`, found.has(id));
      }
    }
    return candidateGroupIds.filter((id) => answers.get(id.toLowerCase()) === true);
  }

  allGroupsOf(userId: string): Promise<string[]> {
    return this.list(`all:${userId.toLowerCase()}`, () => this.inner.allGroupsOf(userId));
  }

  appRolesOf(userId: string): Promise<string[]> {
    return this.list(`roles:${userId.toLowerCase()}`, () => this.inner.appRolesOf(userId));
  }

  /** Not cached: notifications ask rarely, and should reach whoever is in the group now. */
  usersInGroup(groupId: string): Promise<DirectoryUser[]> {
    return this.inner.usersInGroup(groupId);
  }

  /** Not cached here: the Graph directory remembers profiles briefly itself (no authorization reads them). */
  findUser(userId: string): Promise<DirectoryUser | undefined> {
    return this.inner.findUser(userId);
  }

  /** Not cached: asked when a policy is submitted, and a group created a moment ago must count. */
  existingGroups(groupIds: readonly string[]): Promise<string[]> {
    return this.inner.existingGroups(groupIds);
  }

  /**
   * Remembered like the roles (an answer per set of groups): policy views and submits ask, and
   * a role granted a moment ago counts once the cache lifetime has passed.
   */
  async approverCandidates(groupIds: readonly string[]): Promise<ApproverCandidate[]> {
    const key = `candidates:${[...new Set(groupIds.map((id) => id.toLowerCase()))].sort().join(',')}`;
    const cached = this.candidates.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return [...cached.value];
    const answer = await this.inner.approverCandidates(groupIds);
    if (this.options.ttlMs > 0) {
      if (this.candidates.size >= 100) this.candidates.delete(this.candidates.keys().next().value!);
      this.candidates.set(key, { value: Object.freeze([...answer]), expiresAt: this.now() + this.options.ttlMs });
    }
    return [...answer];
  }

  /** A remembered list answer under `key`, else `load`'s (then remembered). */
  private async list(key: string, load: () => Promise<readonly string[]>): Promise<string[]> {
    const cached = this.get<readonly string[]>(key);
    if (cached !== undefined) return [...cached];
    const answer = await this.once(key, load);
    this.set(key, Object.freeze([...answer]));
    return [...answer];
  }

  private once(key: string, load: () => Promise<readonly string[]>): Promise<readonly string[]> {
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = load().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private get<T extends boolean | readonly string[]>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  private set(key: string, value: boolean | readonly string[]): void {
    if (this.options.ttlMs <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
  }
}
