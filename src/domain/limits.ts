/**
 * Size limits on what producers may send. Each is named so that docs/api.md can cite it and every
 * layer (HTTP body limit, batch size, field validation) uses the same number.
 *
 * String lengths count UTF-16 code units (JavaScript `length`), which is at least the number of
 * characters.
 */

/** One event, serialised as compact JSON, in UTF-8 bytes (413 when over). */
export const MAX_EVENT_BYTES = 32 * 1024;

/** Events in one `{"events": [...]}` batch. */
export const MAX_BATCH_EVENTS = 1000;

/** One HTTP request body, in bytes (413 when over). */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** Identifiers: actor.id, resource.id, resource.type, request.id, session_id, service, environment, error_code, changes[].field. */
export const MAX_ID_LENGTH = 256;

/** Human names: actor.name, actor.email, resource.name. */
export const MAX_NAME_LENGTH = 512;

/** Paths: resource.path, request.path. */
export const MAX_PATH_LENGTH = 2048;

/** client.user_agent. */
export const MAX_USER_AGENT_LENGTH = 1024;

/** outcome.reason. */
export const MAX_REASON_LENGTH = 1024;

/** action. */
export const MAX_ACTION_LENGTH = 128;

/** category (a short slug such as `secrets`). */
export const MAX_CATEGORY_LENGTH = 64;

/** request.method (an HTTP method token). */
export const MAX_METHOD_LENGTH = 32;

/** Keys in `context`. */
export const MAX_CONTEXT_KEYS = 64;

/** One `context` key. */
export const MAX_CONTEXT_KEY_LENGTH = 128;

/** One string value in `context`. */
export const MAX_CONTEXT_STRING_LENGTH = 1024;

/** Entries in `changes`. */
export const MAX_CHANGES = 200;

/** How deeply arrays and objects may nest inside one `changes[].old` / `changes[].new` value. */
export const MAX_CHANGE_DEPTH = 8;

/** How far in the future `occurred_at` may be (clock skew allowance), in microseconds: one day. */
export const MAX_FUTURE_SKEW_US = 86_400_000_000;
