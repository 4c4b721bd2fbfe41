import { DAY_US } from '../rollups.js';

/**
 * The UTC day of an event (`events.day`, migration 7): the leading key of the action, actor and
 * resource indexes. Times are never negative (validate.ts), so SQLite's integer division is the
 * floor computed here.
 */
export function dayOf(tsUs: number): number {
  return Math.floor(tsUs / DAY_US);
}

/** The days of [fromUs, toUs), oldest first. */
export function daysOf(fromUs: number, toUs: number): number[] {
  const days: number[] = [];
  for (let day = dayOf(fromUs); day <= dayOf(toUs - 1); day++) days.push(day);
  return days;
}
