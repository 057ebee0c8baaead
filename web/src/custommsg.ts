// Custom messages (sendCustomMessage / CUSTOM_MESSAGE): TRTC's limits,
// checked before anything is sent, and the wire encoding (base64 in JSON).
import { ERROR_CODE, EXTRA_CODE, RtcError, invalidParameter } from './errors.js';

/** TRTC's limits on custom messages (trtc-reference §10.5). */
export const CUSTOM_MESSAGE_LIMITS = {
  minCmdId: 1,
  maxCmdId: 10,
  maxBytes: 1000, // TRTC's "1 KB" is 1,000 bytes; the server enforces the same
  maxPerSecond: 30,
  maxBytesPerSecond: 8000,
} as const;

/**
 * Two token buckets, one for messages (30/s) and one for bytes (8 KB/s),
 * each holding one second's worth. A message passes when both have room;
 * then it takes from both.
 */
export class CustomMessageLimiter {
  private msgs: number = CUSTOM_MESSAGE_LIMITS.maxPerSecond;
  private bytes: number = CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond;
  private last: number;

  constructor(private now: () => number = () => Date.now()) {
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    const dt = Math.max(0, t - this.last) / 1000;
    this.last = t;
    this.msgs = Math.min(CUSTOM_MESSAGE_LIMITS.maxPerSecond, this.msgs + dt * CUSTOM_MESSAGE_LIMITS.maxPerSecond);
    this.bytes = Math.min(
      CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond,
      this.bytes + dt * CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond,
    );
  }

  /** Takes one message of size bytes, or returns why it may not be sent now. */
  take(size: number): RtcError | null {
    this.refill();
    if (this.msgs < 1) {
      return new RtcError({
        code: ERROR_CODE.INVALID_OPERATION,
        extraCode: EXTRA_CODE.RATE_LIMITED,
        message: `custom messages are limited to ${CUSTOM_MESSAGE_LIMITS.maxPerSecond} per second`,
        functionName: 'sendCustomMessage',
      });
    }
    if (this.bytes < size) {
      return new RtcError({
        code: ERROR_CODE.INVALID_OPERATION,
        extraCode: EXTRA_CODE.RATE_LIMITED,
        message: `custom messages are limited to ${CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond} bytes per second`,
        functionName: 'sendCustomMessage',
      });
    }
    this.msgs -= 1;
    this.bytes -= size;
    return null;
  }
}

/** Checks sendCustomMessage's argument and returns its bytes. */
export function checkCustomMessage(msg: unknown): { cmdId: number; bytes: Uint8Array } {
  const fn = 'sendCustomMessage';
  if (msg === undefined || msg === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'message is required', fn);
  if (typeof msg !== 'object') throw invalidParameter(EXTRA_CODE.TYPE, 'message must be {cmdId, data}', fn);
  const { cmdId, data } = msg as { cmdId?: unknown; data?: unknown };
  if (cmdId === undefined || cmdId === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'cmdId is required', fn);
  if (typeof cmdId !== 'number') throw invalidParameter(EXTRA_CODE.TYPE, 'cmdId must be a number', fn);
  if (!Number.isInteger(cmdId) || cmdId < CUSTOM_MESSAGE_LIMITS.minCmdId || cmdId > CUSTOM_MESSAGE_LIMITS.maxCmdId) {
    throw invalidParameter(
      EXTRA_CODE.OUT_OF_RANGE,
      `cmdId must be an integer in [${CUSTOM_MESSAGE_LIMITS.minCmdId}, ${CUSTOM_MESSAGE_LIMITS.maxCmdId}]`,
      fn,
    );
  }
  if (data === undefined || data === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'data is required', fn);
  let bytes: Uint8Array;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw invalidParameter(EXTRA_CODE.TYPE, 'data must be an ArrayBuffer', fn);
  if (bytes.byteLength === 0) throw invalidParameter(EXTRA_CODE.BUFFER_EMPTY, 'data must not be empty', fn);
  if (bytes.byteLength > CUSTOM_MESSAGE_LIMITS.maxBytes) {
    throw invalidParameter(
      EXTRA_CODE.BUFFER_TOO_LARGE,
      `data is ${bytes.byteLength} bytes; the limit is ${CUSTOM_MESSAGE_LIMITS.maxBytes}`,
      fn,
    );
  }
  return { cmdId, bytes };
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Decodes base64; returns null for anything that is not valid base64. */
export function fromBase64(s: string): ArrayBuffer | null {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  } catch {
    return null;
  }
}
