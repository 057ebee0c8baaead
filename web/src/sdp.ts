// The little SDP and ICE-candidate reading the SDK needs: which track id
// (a=msid) each media section (a=mid) carries, and which candidates can
// reach a given server.

export interface MediaSection {
  mid: string;
  kind: string;
  /** a=msid stream id ("-" when none). */
  streamId: string;
  /** a=msid track id: the MediaStreamTrack id the section carries. */
  trackId: string;
  direction: string;
}

/** Lists the media sections of an SDP with their mid and msid. */
export function mediaSections(sdp: string): MediaSection[] {
  const out: MediaSection[] = [];
  let cur: MediaSection | null = null;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      cur = { mid: '', kind: line.slice(2).split(' ')[0] ?? '', streamId: '', trackId: '', direction: 'sendrecv' };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('a=mid:')) cur.mid = line.slice(6);
    else if (line.startsWith('a=msid:')) {
      const [stream, track] = line.slice(7).split(' ');
      cur.streamId = stream ?? '';
      cur.trackId = track ?? '';
    } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line)) {
      cur.direction = line.slice(2);
    }
  }
  return out;
}

/** Maps mid → track id for the sections that carry one. */
export function trackIdsByMid(sdp: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of mediaSections(sdp)) {
    if (s.mid && s.trackId) m.set(s.mid, s.trackId);
  }
  return m;
}

/** The connection address of an ICE candidate line, or '' if unreadable. */
export function candidateAddress(candidate: string): string {
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ …
  const parts = candidate.replace(/^a=/, '').split(' ');
  return parts.length > 5 ? (parts[4] ?? '') : '';
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Decides which local candidates to send. A server reached over loopback
 * listens for media on loopback only, so only loopback candidates can
 * connect to it; sending the others would only make the server probe
 * addresses it cannot reach.
 */
export function candidateFilter(serverHost: string): (candidate: string) => boolean {
  if (!isLoopbackHost(serverHost)) return () => true;
  return (c) => {
    if (c === '') return true; // end of candidates
    return isLoopbackHost(candidateAddress(c));
  };
}
