import type { Crud, LogName } from '../../domain/event.js';

/** Small integer codes for closed enumerations, stored instead of their names. Never renumber. */
export const LOG_CODE: Record<LogName, number> = { audit: 0, request: 1, user: 2, mcp: 3 };
export const CRUD_CODE: Record<Crud, number> = { create: 0, read: 1, update: 2, delete: 3, other: 4 };
