import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/runtime';

/**
 * The local token issuer's key generation must not deadlock. On Node 20, exporting (as JWK) a key
 * that shares its data with a finished generation job can hang for good when a garbage collection
 * during the export finalises the job. A tiny young generation makes such collections frequent;
 * the child process rotates keys, exporting each new key many times, and must finish.
 */
test('the local key ring generates and publishes keys many times under constant garbage collection without hanging', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-keygen-'));
  const script = `
    const { KeyRing } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'local', 'identity', 'keyRing.js'))});
    const ring = new KeyRing(${JSON.stringify(dataDir)});
    for (let i = 0; i < 10; i++) {
      ring.rotate();
      // Export the new key again and again (as the ring does when it saves and publishes keys):
      // nearly all the allocation is then inside exports, so the first collection after the
      // generation lands in one of them.
      const key = ring.keys[0];
      for (let j = 0; j < 300; j++) {
        key.publicKey.export({ format: 'jwk' });
        key.privateKey.export({ format: 'jwk' });
      }
    }
    process.stdout.write(String(ring.jwks().keys.length));
  `;
  try {
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('hung');
      }, 25_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(`exit ${code}`);
      });
    });
    expect({ outcome, output }).toEqual({ outcome: 'exit 0', output: '2' });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 30_000);
