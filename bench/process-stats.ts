/**
 * Memory and CPU of another process, read from Linux's /proc: the server's resident memory
 * (current and peak since a reset) and the CPU time it used.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Resident memory now, bytes. */
export function rssBytes(pid: number): number {
  return status(pid, 'VmRSS');
}

/** Peak resident memory since the process started or since `resetPeakRss`, bytes. */
export function peakRssBytes(pid: number): number {
  return status(pid, 'VmHWM');
}

/** Starts a new peak-RSS window (writing 5 to clear_refs resets VmHWM to the current RSS). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** User plus system CPU seconds the process has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Samples RSS every `intervalMs` until stopped; the highest sample, bytes. */
export function sampleRss(pid: number, intervalMs = 25): { stop: () => number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // The process ended; keep the last peak.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
