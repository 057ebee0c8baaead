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
export type RoomEvent = {
    kind: 'enter';
    userId: string;
} | {
    kind: 'exit';
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
    has(userId: string): boolean;
    streams(userId: string): Streams | undefined;
    list(): string[];
    /**
     * Replaces the state with a snapshot (enter or resume response) and
     * returns the events that bring an observer of the old state up to date:
     * users gone (their streams first), users new, streams changed.
     */
    snapshot(users: WireUser[]): RoomEvent[];
    enter(userId: string): RoomEvent[];
    /** A user left: its streams become unavailable, then it exits. */
    leave(userId: string): RoomEvent[];
    /** A stream_available event; a user not yet known is entered first. */
    stream(userId: string, stream: string, available: boolean): RoomEvent[];
    /** Forgets everyone (own exit): no events, as in v5. */
    clear(): void;
}
