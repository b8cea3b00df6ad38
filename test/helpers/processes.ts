import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

/** Remembers a child so it is killed even if a test crashes before its cleanup runs. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
