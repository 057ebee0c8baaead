import { RtcError } from './errors.js';
/** TRTC's limits on custom messages (trtc-reference §10.5). */
export declare const CUSTOM_MESSAGE_LIMITS: {
    readonly minCmdId: 1;
    readonly maxCmdId: 10;
    readonly maxBytes: 1000;
    readonly maxPerSecond: 30;
    readonly maxBytesPerSecond: 8000;
};
/**
 * Two token buckets, one for messages (30/s) and one for bytes (8 KB/s),
 * each holding one second's worth. A message passes when both have room;
 * then it takes from both.
 */
export declare class CustomMessageLimiter {
    private now;
    private msgs;
    private bytes;
    private last;
    constructor(now?: () => number);
    private refill;
    /** Takes one message of size bytes, or returns why it may not be sent now. */
    take(size: number): RtcError | null;
}
/** Checks sendCustomMessage's argument and returns its bytes. */
export declare function checkCustomMessage(msg: unknown): {
    cmdId: number;
    bytes: Uint8Array;
};
export declare function toBase64(bytes: Uint8Array): string;
/** Decodes base64; returns null for anything that is not valid base64. */
export declare function fromBase64(s: string): ArrayBuffer | null;
