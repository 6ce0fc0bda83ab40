/**
 * Webhook contact secrets are credentials (Standard Webhooks signing keys): the schedule API and
 * `schedule show` never return them. What they return in their place fails validation, so a
 * document read back and saved unchanged is refused with the path of each secret to supply — never
 * stored with a placeholder as the key.
 */
export const SECRET_NOT_SHOWN = '(not shown: send the whsec_ value)';

const redactChannels = (channels: unknown): unknown =>
  Array.isArray(channels)
    ? channels.map((ch: unknown) => (typeof ch === 'object' && ch !== null && 'secret' in ch ? { ...ch, secret: SECRET_NOT_SHOWN } : ch))
    : channels;

/** A practitioner item (or anything else, unchanged) without its contacts' secrets. */
export const redactItem = <T>(item: T): T =>
  typeof item === 'object' && item !== null && 'channels' in item ? { ...item, channels: redactChannels(item.channels) } : item;

/** The schedule document without any contact secret. */
export const redactSecrets = <T extends { practitioners: readonly unknown[] }>(doc: T): T => ({ ...doc, practitioners: doc.practitioners.map(redactItem) });
