/**
 * Cluster redirects (docs/protocol.md "Redirect", docs/cluster.md): a node
 * that does not own the room answers `enter` with code 302 and the owner's
 * signaling URL; the SDK enters again there and keeps that URL for resumes.
 */

/** The enter response code of a redirect. */
export const CODE_REDIRECT = 302;

/**
 * Redirects followed in a row for one enter; while reconnecting, redirects
 * followed at once (without the back-off) in a row.
 */
export const MAX_REDIRECTS = 3;

/** The owner's URL of a redirect answer, or null when it is malformed. */
export function redirectURL(data: unknown): string | null {
  if (!data || typeof data !== 'object') return null;
  const u = (data as { url?: unknown }).url;
  if (typeof u !== 'string' || u.length > 2048) return null;
  try {
    const parsed = new URL(u);
    if ((parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') || !parsed.host) return null;
  } catch {
    return null;
  }
  return u;
}
