import type { HostedFunction } from '../host/appLoader';

/** The kinds of function the Durable backend runs. */
export type DurableFunctionKind = 'orchestrator' | 'activity';

/** Which orchestrator and activity names the app registered (names compare case-insensitively, as in the host). */
export interface RegisteredNames {
  has(kind: DurableFunctionKind, name: string): boolean;
}

/** The message the extension gives for a name the app did not register as a function of `kind`. */
export function missingFunctionMessage(name: string, kind: DurableFunctionKind): string {
  return `The function '${name}' doesn't exist, is disabled, or is not an ${kind} function.`;
}

/** The app's orchestrator and activity functions by name. */
export class FunctionRegistry implements RegisteredNames {
  private readonly byKind: Record<DurableFunctionKind, Map<string, HostedFunction>> = {
    orchestrator: new Map(),
    activity: new Map(),
  };

  constructor(functions: readonly HostedFunction[]) {
    for (const fn of functions) {
      if (fn.kind === 'orchestration') this.byKind.orchestrator.set(fn.name.toLowerCase(), fn);
      if (fn.kind === 'activity') this.byKind.activity.set(fn.name.toLowerCase(), fn);
    }
  }

  get(kind: DurableFunctionKind, name: string): HostedFunction | undefined {
    return this.byKind[kind].get(name.toLowerCase());
  }

  has(kind: DurableFunctionKind, name: string): boolean {
    return this.byKind[kind].has(name.toLowerCase());
  }

  /** Registered names of `kind`, as the app spelled them. */
  names(kind: DurableFunctionKind): string[] {
    return [...this.byKind[kind].values()].map((fn) => fn.name);
  }
}
