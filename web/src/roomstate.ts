// Who else is in the room and what they make available, and the v5 events
// each change produces. Pure state: unit-tested in test/roomstate.test.ts.
//
// Away users. A client whose session was dropped enters the room again —
// in a cluster, after its node died and the room was placed anew on another
// node (docs/cluster.md, "When a node dies") — and may find the room before
// the others have come back to it. A user who was there before and is
// missing after such a re-enter is away, not gone: its streams are reported
// unavailable at once, but its exit waits AWAY_GRACE_MS (RoomSession keeps
// the timers). A user who comes back meanwhile is reported neither exiting
// nor entering; its streams come back as it publishes them again. This is
// the Go SDK's rule (rtc/away.go).

export interface Streams {
  audio: boolean;
  video: boolean;
  sub: boolean;
}

/** A user as listed in the enter/resume response (docs/protocol.md). */
export interface WireUser {
  userId: string;
  role?: number;
  audio?: boolean;
  video?: boolean;
  sub?: boolean;
}

/**
 * How long a user missing after a re-enter may take to come back before
 * REMOTE_USER_EXIT is reported: a dead node's registration expiry (5 s) plus
 * the SDKs' reconnect back-off. The Go SDK's awayGrace.
 */
export const AWAY_GRACE_MS = 10_000;

export type RoomEvent =
  | { kind: 'enter'; userId: string }
  | { kind: 'exit'; userId: string }
  /** Missing after a re-enter: its streams went off just before; an exit follows unless it comes back. */
  | { kind: 'away'; userId: string }
  /** An away user is in the room again: no enter is reported. */
  | { kind: 'back'; userId: string }
  | { kind: 'audio'; userId: string; available: boolean }
  | { kind: 'video'; userId: string; streamType: 'main' | 'sub'; available: boolean };

const none: Streams = { audio: false, video: false, sub: false };

function diffStreams(userId: string, before: Streams, after: Streams): RoomEvent[] {
  const out: RoomEvent[] = [];
  if (before.audio !== after.audio) out.push({ kind: 'audio', userId, available: after.audio });
  if (before.video !== after.video) out.push({ kind: 'video', userId, streamType: 'main', available: after.video });
  if (before.sub !== after.sub) out.push({ kind: 'video', userId, streamType: 'sub', available: after.sub });
  return out;
}

export class RemoteUsers {
  private users = new Map<string, Streams>();
  /** Users missing after a re-enter whose exit is not reported yet. */
  private away = new Set<string>();

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  isAway(userId: string): boolean {
    return this.away.has(userId);
  }

  streams(userId: string): Streams | undefined {
    const s = this.users.get(userId);
    return s ? { ...s } : undefined;
  }

  list(): string[] {
    return [...this.users.keys()];
  }

  /** Users away (missing after a re-enter, exit not reported yet). */
  awayList(): string[] {
    return [...this.away];
  }

  /**
   * Replaces the state with a snapshot (enter or resume response) and
   * returns the events that bring an observer of the old state up to date:
   * users gone (their streams first), users new, streams changed. After a
   * re-enter (reentered) users gone are away instead of exited; away users
   * in the snapshot are back, not entered.
   */
  snapshot(users: WireUser[], reentered = false): RoomEvent[] {
    const now = new Map<string, Streams>();
    for (const u of users) {
      if (!u || typeof u.userId !== 'string' || u.userId === '') continue;
      now.set(u.userId, { audio: !!u.audio, video: !!u.video, sub: !!u.sub });
    }
    const out: RoomEvent[] = [];
    for (const [id, st] of this.users) {
      if (!now.has(id)) {
        out.push(...diffStreams(id, st, none));
        if (reentered) this.away.add(id);
        out.push({ kind: reentered ? 'away' : 'exit', userId: id });
      }
    }
    for (const [id, st] of now) {
      const before = this.users.get(id);
      if (!before) out.push({ kind: this.away.delete(id) ? 'back' : 'enter', userId: id });
      out.push(...diffStreams(id, before ?? none, st));
    }
    this.users = now;
    return out;
  }

  enter(userId: string): RoomEvent[] {
    if (this.users.has(userId)) return [];
    this.users.set(userId, { ...none });
    return [{ kind: this.away.delete(userId) ? 'back' : 'enter', userId }];
  }

  /**
   * A user left: its streams become unavailable, then it exits. An away
   * user's streams were reported off already.
   */
  leave(userId: string): RoomEvent[] {
    const st = this.users.get(userId);
    if (!st) return this.expire(userId);
    this.users.delete(userId);
    return [...diffStreams(userId, st, none), { kind: 'exit', userId }];
  }

  /** The grace of an away user is over: it exits (nothing if it came back). */
  expire(userId: string): RoomEvent[] {
    return this.away.delete(userId) ? [{ kind: 'exit', userId }] : [];
  }

  /** A stream_available event; a user not yet known is entered first. */
  stream(userId: string, stream: string, available: boolean): RoomEvent[] {
    if (stream !== 'audio' && stream !== 'video' && stream !== 'sub') return [];
    const out: RoomEvent[] = [];
    let st = this.users.get(userId);
    if (!st) {
      if (!available) return [];
      out.push(...this.enter(userId));
      st = this.users.get(userId)!;
    }
    const after = { ...st, [stream]: available };
    out.push(...diffStreams(userId, st, after));
    this.users.set(userId, after);
    return out;
  }

  /** Forgets everyone (own exit): no events, as in v5. */
  clear(): void {
    this.users.clear();
    this.away.clear();
  }
}
