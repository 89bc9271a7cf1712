import path from 'node:path';
import { parseClockAdvance } from './clock';
import { AppLoadError } from './host/appLoader';

/** Settings of the local runtime itself (not the app's). */
export interface RuntimeSettings {
  appDir: string;
  port: number;
  host: string;
  dataDir: string;
  manualClock: boolean;
  logLevel: string;
  bodyLimitBytes: number;
  synchronous: 'FULL' | 'NORMAL';
  /** How DurableClient reaches the management API: in-process (default) or over the loopback listener. */
  rpcTransport: 'inprocess' | 'http';
  /** Whether the app's functions run on their own thread (default) or on the host's. */
  appThread: boolean;
  /** The Graph application permissions granted to the app's local Graph client, replacing the seeded list. */
  graphPermissions?: string[];
  /** How long a wipe or retire in the local Intune tenant stays pending, in milliseconds (runtime clock). */
  intuneDeviceDelayMs: number;
}

/** A wipe or retire in the local Intune tenant completes after this long unless MAA_LOCAL_INTUNE_DEVICE_DELAY says otherwise. */
const INTUNE_DEVICE_DELAY_DEFAULT = 'PT5M';

/** Reads the runtime's settings from the environment (after local.settings.json was applied); throws {@link AppLoadError} on a bad value. */
export function runtimeSettingsFromEnv(env: NodeJS.ProcessEnv, appDir: string): RuntimeSettings {
  const port = env.PORT === undefined || env.PORT === '' ? 7071 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AppLoadError(`PORT must be a port number, not "${env.PORT}"`);
  const limit = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT ? Number(env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT) : 104_857_600;
  if (!Number.isInteger(limit) || limit <= 0)
    throw new AppLoadError('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes');
  const clock = (env.MAA_LOCAL_CLOCK ?? 'real').toLowerCase();
  if (clock !== 'real' && clock !== 'manual')
    throw new AppLoadError(`MAA_LOCAL_CLOCK must be "real" or "manual", not "${env.MAA_LOCAL_CLOCK}"`);
  const sync = (env.MAA_LOCAL_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new AppLoadError('MAA_LOCAL_SYNCHRONOUS must be FULL or NORMAL');
  const transport = (env.MAA_LOCAL_RPC_TRANSPORT ?? 'inprocess').toLowerCase();
  if (transport !== 'inprocess' && transport !== 'http')
    throw new AppLoadError('MAA_LOCAL_RPC_TRANSPORT must be "inprocess" or "http"');
  const appThread = (env.MAA_LOCAL_APP_THREAD ?? 'on').toLowerCase();
  if (appThread !== 'on' && appThread !== 'off') throw new AppLoadError('MAA_LOCAL_APP_THREAD must be "on" or "off"');
  const delay = (env.MAA_LOCAL_INTUNE_DEVICE_DELAY ?? '').trim() || INTUNE_DEVICE_DELAY_DEFAULT;
  let intuneDeviceDelayMs: number;
  try {
    intuneDeviceDelayMs = parseClockAdvance(delay);
  } catch {
    throw new AppLoadError(`MAA_LOCAL_INTUNE_DEVICE_DELAY must be an ISO-8601 duration such as PT5M, not "${delay}"`);
  }
  const permissions = (env.MAA_LOCAL_GRAPH_PERMISSIONS ?? '').trim();
  return {
    appDir,
    port,
    rpcTransport: transport,
    appThread: appThread === 'on',
    host: env.MAA_LOCAL_HOST ?? '127.0.0.1',
    dataDir: path.resolve(appDir, env.MAA_DATA_DIR ?? '.data'),
    manualClock: clock === 'manual',
    logLevel: env.MAA_LOG_LEVEL ?? 'information',
    bodyLimitBytes: limit,
    synchronous: sync,
    ...(permissions === ''
      ? {}
      : {
          graphPermissions: permissions
            .split(',')
            .map((permission) => permission.trim())
            .filter(Boolean),
        }),
    intuneDeviceDelayMs,
  };
}
