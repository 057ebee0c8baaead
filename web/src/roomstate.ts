// Who else is in the room and what they make available, and the v5 events
// each change produces. Pure state: unit-tested in test/roomstate.test.ts.

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

export type RoomEvent =
  | { kind: 'enter'; userId: string }
  | { kind: 'exit'; userId: string }
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

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  streams(userId: string): Streams | undefined {
    const s = this.users.get(userId);
    return s ? { ...s } : undefined;
  }

  list(): string[] {
    return [...this.users.keys()];
  }

  /**
   * Replaces the state with a snapshot (enter or resume response) and
   * returns the events that bring an observer of the old state up to date:
   * users gone (their streams first), users new, streams changed.
   */
  snapshot(users: WireUser[]): RoomEvent[] {
    const now = new Map<string, Streams>();
    for (const u of users) {
      if (!u || typeof u.userId !== 'string' || u.userId === '') continue;
      now.set(u.userId, { audio: !!u.audio, video: !!u.video, sub: !!u.sub });
    }
    const out: RoomEvent[] = [];
    for (const [id, st] of this.users) {
      if (!now.has(id)) {
        out.push(...diffStreams(id, st, none));
        out.push({ kind: 'exit', userId: id });
      }
    }
    for (const [id, st] of now) {
      const before = this.users.get(id);
      if (!before) out.push({ kind: 'enter', userId: id });
      out.push(...diffStreams(id, before ?? none, st));
    }
    this.users = now;
    return out;
  }

  enter(userId: string): RoomEvent[] {
    if (this.users.has(userId)) return [];
    this.users.set(userId, { ...none });
    return [{ kind: 'enter', userId }];
  }

  /** A user left: its streams become unavailable, then it exits. */
  leave(userId: string): RoomEvent[] {
    const st = this.users.get(userId);
    if (!st) return [];
    this.users.delete(userId);
    return [...diffStreams(userId, st, none), { kind: 'exit', userId }];
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
  }
}
