import { v7 } from 'uuid';

/** UUIDv7: time-ordered, so new rows land at the right edge of (tenant_id, id) indexes. */
export const newId = (): string => v7();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_RE.test(value);
