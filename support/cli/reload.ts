// Configuration hot reload for `cutover up`: the manifest files it runs are
// watched, and a saved change is applied to the running platform like a
// `kubectl apply` (a changed Rollout template starts an update; unchanged
// documents are left as they are). A file that does not load (bad YAML, a
// field zod refuses) is reported with its file, line and field, and the
// platform keeps running what it had: nothing is half-applied.
import fs from 'node:fs';

export interface ManifestWatch {
  close(): void;
}

export interface WatchOptions {
  /** How often the files are looked at (fs.watchFile polls: it survives editors that replace the file). */
  intervalMs?: number;
  /** Saves closer together than this are applied once. */
  settleMs?: number;
  /** Applies every watched file again (all of them: a Rollout needs its Services). */
  apply: (files: string[]) => Promise<void>;
  say: (line: string) => void;
}

export function watchManifests(files: string[], options: WatchOptions): ManifestWatch {
  const interval = options.intervalMs ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const changed = new Set<string>();
  let closed = false;

  const reload = async (): Promise<void> => {
    const names = [...changed].join(', ');
    changed.clear();
    try {
      await options.apply(files);
      options.say(`reloaded ${names}`);
    } catch (err) {
      options.say(`reload of ${names} failed; still running what was applied before: ${(err as Error).message}`);
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (closed) return;
      // One reload at a time; a save during one is applied right after it.
      if (running !== undefined) {
        again = true;
        return;
      }
      running = reload().finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          schedule();
        }
      });
    }, options.settleMs ?? 300);
  };
  const listeners = files.map((file) => {
    const listener = (now: fs.Stats, before: fs.Stats) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
      if (now.nlink === 0 && now.mtimeMs === 0) {
        options.say(`${file} was removed; still running what was applied from it (cutover up does not delete)`);
        return;
      }
      changed.add(file);
      schedule();
    };
    fs.watchFile(file, { interval, persistent: false }, listener);
    return { file, listener };
  });
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const { file, listener } of listeners) fs.unwatchFile(file, listener);
    },
  };
}
