import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A small tmpfs mounted for one test file: a disk that can be filled. */
export interface SmallDisk {
  readonly dir: string;
  /** Writes a filler file until the disk is full. */
  fill(): void;
  /** Removes the filler file. */
  free(): void;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `megabytes` (root only). Where mounting is not permitted it resolves to
 * undefined with a notice, so the tests using it skip, except in CI (`CI` set), where it throws:
 * there the full-disk tests must run.
 */
export function mountSmallDisk(megabytes: number): SmallDisk | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'maa-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(dir);
    const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    if (process.env.CI) throw new Error(`the full-disk tests need to mount a tmpfs (run as root): ${reason}`);
    process.stderr.write(`NOTICE: full-disk tests skipped, mounting a tmpfs is not permitted here (${reason}).\n`);
    return undefined;
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmdirSync(dir);
    },
  };
}
