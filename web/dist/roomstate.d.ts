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
export declare const AWAY_GRACE_MS = 10000;
export type RoomEvent = {
    kind: 'enter';
    userId: string;
} | {
    kind: 'exit';
    userId: string;
}
/** Missing after a re-enter: its streams went off just before; an exit follows unless it comes back. */
 | {
    kind: 'away';
    userId: string;
}
/** An away user is in the room again: no enter is reported. */
 | {
    kind: 'back';
    userId: string;
} | {
    kind: 'audio';
    userId: string;
    available: boolean;
} | {
    kind: 'video';
    userId: string;
    streamType: 'main' | 'sub';
    available: boolean;
};
export declare class RemoteUsers {
    private users;
    /** Users missing after a re-enter whose exit is not reported yet. */
    private away;
    has(userId: string): boolean;
    isAway(userId: string): boolean;
    streams(userId: string): Streams | undefined;
    list(): string[];
    /** Users away (missing after a re-enter, exit not reported yet). */
    awayList(): string[];
    /**
     * Replaces the state with a snapshot (enter or resume response) and
     * returns the events that bring an observer of the old state up to date:
     * users gone (their streams first), users new, streams changed. After a
     * re-enter (reentered) users gone are away instead of exited; away users
     * in the snapshot are back, not entered.
     */
    snapshot(users: WireUser[], reentered?: boolean): RoomEvent[];
    enter(userId: string): RoomEvent[];
    /**
     * A user left: its streams become unavailable, then it exits. An away
     * user's streams were reported off already.
     */
    leave(userId: string): RoomEvent[];
    /** The grace of an away user is over: it exits (nothing if it came back). */
    expire(userId: string): RoomEvent[];
    /** A stream_available event; a user not yet known is entered first. */
    stream(userId: string, stream: string, available: boolean): RoomEvent[];
    /** Forgets everyone (own exit): no events, as in v5. */
    clear(): void;
}
