// The error model of TRTC Web SDK v5: every failed call rejects (or throws)
// an RtcError whose `code` is one of eight categories and whose `extraCode`
// says exactly what went wrong. Codes are v5's; see docs/web-sdk.md.

/** Error categories (TRTC.ERROR_CODE). */
export const ERROR_CODE = {
  /** A parameter does not meet the API's requirements. */
  INVALID_PARAMETER: 5000,
  /** The API's preconditions are not met (not in a room, user missing, called twice…). */
  INVALID_OPERATION: 5100,
  /** The browser lacks a capability the API needs. */
  ENV_NOT_SUPPORTED: 5200,
  /** A camera, microphone or screen could not be captured. */
  DEVICE_ERROR: 5300,
  /** The server refused the request; extraCode is the server's TRTC code. */
  SERVER_ERROR: 5400,
  /** The SDK could not complete the operation after retrying (network). */
  OPERATION_FAILED: 5500,
  /** The operation was abandoned because a later call superseded it. */
  OPERATION_ABORT: 5998,
  /** Anything else. */
  UNKNOWN_ERROR: 5999,
} as const;

export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];

/** extraCode values used with the categories above. */
export const EXTRA_CODE = {
  // INVALID_PARAMETER
  REQUIRED: 5001,
  TYPE: 5002,
  EMPTY: 5003,
  INSTANCE: 5004,
  OUT_OF_RANGE: 5005,
  NEGATIVE: 5006,
  TOO_SMALL: 5007,
  TOO_LARGE: 5008,
  ELEMENT_NOT_FOUND: 5009,
  NOT_ELEMENT: 5010,
  ROOM_ID_RANGE: 5012,
  STR_ROOM_ID: 5013,
  STREAM_TYPE_REQUIRED: 5014,
  ROOM_ID_MISSING: 5015,
  ROOM_ID_IS_STRING: 5016,
  BUFFER_EMPTY: 5017,
  BUFFER_TOO_LARGE: 5018,
  // INVALID_OPERATION
  NOT_IN_ROOM: 5101,
  REMOTE_USER_NOT_FOUND: 5102,
  REMOTE_STREAM_NOT_FOUND: 5103,
  REPEATED_CALL: 5104,
  CAMERA_NOT_STARTED: 5105,
  MICROPHONE_NOT_STARTED: 5106,
  AUDIENCE_FORBIDDEN: 5107,
  /** rtcengine: custom messages sent faster than 30 per second or 8 KB per second. */
  RATE_LIMITED: 5110,
  /** rtcengine: the instance was destroyed. */
  DESTROYED: 5111,
  // ENV_NOT_SUPPORTED
  NO_WEBRTC: 5201,
  NO_MEDIA_DEVICES: 5202,
  NO_SCREEN_SHARE: 5203,
  // DEVICE_ERROR (getUserMedia / getDisplayMedia DOMException names)
  NOT_FOUND: 5301,
  NOT_ALLOWED: 5302,
  NOT_READABLE: 5303,
  OVERCONSTRAINED: 5304,
  INVALID_STATE: 5305,
  SECURITY: 5306,
  ABORTED: 5307,
  CAMERA_RECAPTURE_FAILED: 5308,
  MICROPHONE_RECAPTURE_FAILED: 5309,
  // OPERATION_FAILED
  MEDIA_CONNECTION_FAILED: 5501,
  RECONNECT_FAILED: 5502,
  SIGNAL_TIMEOUT: 5503,
} as const;

/** The error every SDK call rejects with (v5's RtcError). */
export class RtcError extends Error {
  /** One of ERROR_CODE. */
  readonly code: number;
  /** The precise reason: an EXTRA_CODE value or, for SERVER_ERROR, the server's TRTC code. */
  readonly extraCode?: number;
  /** The SDK method that failed, when an API call failed. */
  readonly functionName?: string;
  /** The underlying error (a DOMException for device errors). */
  readonly originError?: unknown;

  constructor(init: { code: number; extraCode?: number; message: string; functionName?: string; originError?: unknown }) {
    super(init.message);
    this.name = 'RtcError';
    this.code = init.code;
    if (init.extraCode !== undefined) this.extraCode = init.extraCode;
    if (init.functionName !== undefined) this.functionName = init.functionName;
    if (init.originError !== undefined) this.originError = init.originError;
  }

  override toString(): string {
    const extra = this.extraCode !== undefined ? ` extraCode:${this.extraCode}` : '';
    const fn = this.functionName ? ` ${this.functionName}:` : '';
    return `RtcError:${fn} ${this.message} code:${this.code}${extra}`;
  }
}

export function invalidParameter(extraCode: number, message: string, functionName?: string): RtcError {
  return new RtcError({ code: ERROR_CODE.INVALID_PARAMETER, extraCode, message, functionName });
}

export function invalidOperation(extraCode: number | undefined, message: string, functionName?: string): RtcError {
  return new RtcError({ code: ERROR_CODE.INVALID_OPERATION, extraCode, message, functionName });
}

export function serverError(serverCode: number, message: string, functionName?: string): RtcError {
  return new RtcError({
    code: ERROR_CODE.SERVER_ERROR,
    extraCode: serverCode,
    message: message || `server error ${serverCode}`,
    functionName,
  });
}

export function aborted(message: string, functionName?: string): RtcError {
  return new RtcError({ code: ERROR_CODE.OPERATION_ABORT, message, functionName });
}

const deviceErrors: Record<string, [number, string]> = {
  NotFoundError: [EXTRA_CODE.NOT_FOUND, 'no such device'],
  DevicesNotFoundError: [EXTRA_CODE.NOT_FOUND, 'no such device'],
  NotAllowedError: [EXTRA_CODE.NOT_ALLOWED, 'permission denied by the user or the browser'],
  PermissionDeniedError: [EXTRA_CODE.NOT_ALLOWED, 'permission denied by the user or the browser'],
  NotReadableError: [EXTRA_CODE.NOT_READABLE, 'the device is in use or cannot be read'],
  TrackStartError: [EXTRA_CODE.NOT_READABLE, 'the device is in use or cannot be read'],
  OverconstrainedError: [EXTRA_CODE.OVERCONSTRAINED, 'the device cannot satisfy the requested profile'],
  ConstraintNotSatisfiedError: [EXTRA_CODE.OVERCONSTRAINED, 'the device cannot satisfy the requested profile'],
  InvalidStateError: [EXTRA_CODE.INVALID_STATE, 'capture is not possible in the current page state'],
  SecurityError: [EXTRA_CODE.SECURITY, 'capture is blocked by the page security policy (HTTPS required)'],
  AbortError: [EXTRA_CODE.ABORTED, 'capture was aborted'],
};

/** Maps a getUserMedia/getDisplayMedia failure to DEVICE_ERROR. */
export function deviceError(err: unknown, what: string, functionName: string): RtcError {
  if (err instanceof RtcError) return err;
  const name = (err as { name?: string })?.name ?? '';
  const [extra, text] = deviceErrors[name] ?? [EXTRA_CODE.ABORTED, 'capture failed'];
  const detail = (err as { message?: string })?.message;
  return new RtcError({
    code: ERROR_CODE.DEVICE_ERROR,
    extraCode: extra,
    message: `${what}: ${text}${name ? ` (${name}${detail ? `: ${detail}` : ''})` : ''}`,
    functionName,
    originError: err,
  });
}

/** Makes a rejected promise that does not report itself as unhandled. */
export function quietReject<T>(err: unknown): Promise<T> {
  const p = Promise.reject(err) as Promise<T>;
  p.catch(() => {});
  return p;
}
