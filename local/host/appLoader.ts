import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fg from 'fast-glob';
import type { BindingInfo, FunctionsCore, RegisteredFunction } from './functionsCore';

/** The parts of host.json the runtime honours. */
export interface HostSettings {
  routePrefix: string;
  hubName: string;
  raw: Record<string, unknown>;
}

/** Thrown when the app cannot be loaded or uses something the runtime does not provide. */
export class AppLoadError extends Error {
  override name = 'AppLoadError';
}

/** Reads host.json (missing file = defaults). */
export function readHostSettings(appDir: string): HostSettings {
  const file = path.join(appDir, 'host.json');
  const raw = existsSync(file) ? (parseJsonFile(file) as Record<string, unknown>) : {};
  const extensions = (raw.extensions ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const routePrefix = extensions.http?.routePrefix;
  const hubName = extensions.durableTask?.hubName;
  return {
    routePrefix: typeof routePrefix === 'string' ? routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    hubName: typeof hubName === 'string' && hubName.length > 0 ? hubName : 'TestHubName',
    raw,
  };
}

/**
 * Copies `Values` from local.settings.json into the environment, without overriding variables that
 * are already set (as Core Tools does).
 */
export function applyLocalSettings(appDir: string, env: NodeJS.ProcessEnv): string[] {
  const file = path.join(appDir, 'local.settings.json');
  if (!existsSync(file)) return [];
  const settings = parseJsonFile(file) as { Values?: Record<string, unknown> };
  const applied: string[] = [];
  for (const [key, value] of Object.entries(settings.Values ?? {})) {
    if (env[key] === undefined && value !== null && value !== undefined) {
      env[key] = String(value);
      applied.push(key);
    }
  }
  return applied;
}

/** Resolves the `main` glob of the app's package.json to entry-point files, in a stable order. */
export function findEntryPoints(appDir: string): string[] {
  const file = path.join(appDir, 'package.json');
  if (!existsSync(file)) throw new AppLoadError(`no package.json in ${appDir}`);
  const main = (parseJsonFile(file) as { main?: unknown }).main;
  if (typeof main !== 'string' || main.length === 0) {
    throw new AppLoadError(`package.json in ${appDir} has no "main" entry point (a file or glob)`);
  }
  const files = fg.sync(main, { cwd: appDir, absolute: true, onlyFiles: true }).sort();
  if (files.length === 0) {
    throw new AppLoadError(`package.json "main" (${main}) matches no file in ${appDir}; did you run "npm run build"?`);
  }
  return files;
}

/** Loads each entry point as the worker does: `require`, or `import()` for ES modules. */
export async function loadEntryPoints(core: FunctionsCore, appDir: string, files: string[]): Promise<void> {
  const typeModule = (parseJsonFile(path.join(appDir, 'package.json')) as { type?: string }).type === 'module';
  for (const file of files) {
    core.currentEntryPoint = file;
    try {
      if (file.endsWith('.mjs') || (typeModule && !file.endsWith('.cjs'))) {
        await import(pathToFileURL(file).href);
      } else {
        require(file);
      }
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      throw new AppLoadError(`failed to load ${path.relative(appDir, file)}: ${message}`);
    } finally {
      core.currentEntryPoint = undefined;
    }
  }
}

/**
 * Loads the app as the worker does at start-up: every entry point, then registration is locked.
 * Throws {@link AppLoadError} when nothing registered through `@azure/functions` or the app asks
 * for something the runtime does not provide (HTTP streaming).
 */
export async function loadApp(core: FunctionsCore, appDir: string): Promise<void> {
  await loadEntryPoints(core, appDir, findEntryPoints(appDir));
  core.lock();
  if (!core.programmingModel) throw new AppLoadError('the app registered no functions through @azure/functions');
  const capabilities = await core.programmingModel.getCapabilities?.({});
  if (capabilities?.HttpUri)
    throw new AppLoadError(
      'HTTP streaming (app.setup({ enableHttpStream: true })) is not supported by the local runtime',
    );
}

/** The kinds of function the runtime can run. */
export type FunctionKind = 'http' | 'timer' | 'orchestration' | 'activity';

/** A registered function with the runtime's view of its bindings. */
export interface HostedFunction {
  readonly name: string;
  readonly kind: FunctionKind;
  readonly registered: RegisteredFunction;
  readonly triggerBindingName: string;
  readonly trigger: BindingInfo;
  /** Names of `durableClient` input bindings. */
  readonly durableClientBindings: string[];
}

const TRIGGER_KINDS: Record<string, FunctionKind> = {
  httptrigger: 'http',
  timertrigger: 'timer',
  orchestrationtrigger: 'orchestration',
  activitytrigger: 'activity',
};

/**
 * Classifies every registration. Refuses, with one message listing them all, any binding the runtime
 * does not provide (queues, entities, streaming HTTP, ...), so nothing silently never runs.
 */
export function classifyFunctions(registrations: Iterable<RegisteredFunction>): HostedFunction[] {
  const hosted: HostedFunction[] = [];
  const problems: string[] = [];
  for (const registered of registrations) {
    const { name, bindings } = registered.metadata;
    let trigger: { bindingName: string; info: BindingInfo } | undefined;
    const clients: string[] = [];
    for (const [bindingName, info] of Object.entries(bindings)) {
      const type = String(info.type).toLowerCase();
      if (/trigger$/i.test(type)) {
        trigger = { bindingName, info };
        if (!TRIGGER_KINDS[type]) problems.push(`function "${name}": trigger type "${info.type}" is not supported`);
      } else if (type === 'durableclient' || type === 'orchestrationclient') {
        clients.push(bindingName);
      } else if (!(type === 'http' && info.direction === 'out')) {
        problems.push(
          `function "${name}": ${info.direction} binding "${bindingName}" of type "${info.type}" is not supported`,
        );
      }
    }
    if (!trigger) {
      problems.push(`function "${name}" has no trigger binding`);
      continue;
    }
    const kind = TRIGGER_KINDS[String(trigger.info.type).toLowerCase()];
    if (kind) {
      hosted.push({
        name,
        kind,
        registered,
        triggerBindingName: trigger.bindingName,
        trigger: trigger.info,
        durableClientBindings: clients,
      });
    }
  }
  if (problems.length > 0) {
    throw new AppLoadError(
      `the local runtime cannot host this app:\n  - ${problems.join('\n  - ')}\n` +
        'Supported: HTTP triggers (with http output and durableClient inputs), timer triggers, orchestration and activity triggers.',
    );
  }
  return hosted;
}

function parseJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AppLoadError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
