// Children that outlive a run killed with SIGKILL (no exit hook runs then):
// each run lists the process groups it started in a file named after its own
// pid; the next run that finds a file whose owner is gone kills what it lists,
// after checking that each pid still runs the command that was recorded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DIR = path.join(os.tmpdir(), 'cutover-children');
const tracked = new Map<number, string>();
const ownFile = () => path.join(DIR, `${process.pid}.json`);

function save(): void {
  try {
    if (tracked.size === 0) {
      fs.rmSync(ownFile(), { force: true });
      removeDirIfEmpty();
      return;
    }
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(ownFile(), JSON.stringify({ owner: process.pid, children: [...tracked].map(([pid, command]) => ({ pid, command })) }));
  } catch {
    // Best effort: the exit hook still kills children on any ordinary exit.
  }
}

function removeDirIfEmpty(): void {
  try {
    fs.rmdirSync(DIR);
  } catch {
    // another run still lists children there, or it is already gone
  }
}

export function recordChild(pid: number, command: string): void {
  tracked.set(pid, command);
  save();
}

/** At exit, after the children were killed: nothing of this run is left to sweep. */
export function forgetAllChildren(): void {
  tracked.clear();
  save();
}

export function forgetChild(pid: number): void {
  if (tracked.delete(pid)) save();
}

/** Whether a process with this PID exists (one we may not signal still does). */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const commandOf = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
};

/** Kills the children of earlier runs that died without cleaning up; returns their pids. */
export function sweepLeftovers(): number[] {
  let files: string[];
  try {
    files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const f of files) {
    const file = path.join(DIR, f);
    let entry: { owner: number; children: { pid: number; command: string }[] };
    try {
      entry = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof entry;
    } catch {
      continue;
    }
    if (entry.owner === process.pid || processAlive(entry.owner)) continue;
    for (const child of entry.children) {
      const running = commandOf(child.pid);
      if (running === undefined || !running.startsWith(child.command)) continue;
      try {
        process.kill(-child.pid, 'SIGKILL');
        killed.push(child.pid);
      } catch {
        // gone meanwhile
      }
    }
    fs.rmSync(file, { force: true });
  }
  removeDirIfEmpty();
  return killed;
}
