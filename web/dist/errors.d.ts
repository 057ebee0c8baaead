/** Error categories (TRTC.ERROR_CODE). */
export declare const ERROR_CODE: {
    /** A parameter does not meet the API's requirements. */
    readonly INVALID_PARAMETER: 5000;
    /** The API's preconditions are not met (not in a room, user missing, called twice…). */
    readonly INVALID_OPERATION: 5100;
    /** The browser lacks a capability the API needs. */
    readonly ENV_NOT_SUPPORTED: 5200;
    /** A camera, microphone or screen could not be captured. */
    readonly DEVICE_ERROR: 5300;
    /** The server refused the request; extraCode is the server's TRTC code. */
    readonly SERVER_ERROR: 5400;
    /** The SDK could not complete the operation after retrying (network). */
    readonly OPERATION_FAILED: 5500;
    /** The operation was abandoned because a later call superseded it. */
    readonly OPERATION_ABORT: 5998;
    /** Anything else. */
    readonly UNKNOWN_ERROR: 5999;
};
export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];
/** extraCode values used with the categories above. */
export declare const EXTRA_CODE: {
    readonly REQUIRED: 5001;
    readonly TYPE: 5002;
    readonly EMPTY: 5003;
    readonly INSTANCE: 5004;
    readonly OUT_OF_RANGE: 5005;
    readonly NEGATIVE: 5006;
    readonly TOO_SMALL: 5007;
    readonly TOO_LARGE: 5008;
    readonly ELEMENT_NOT_FOUND: 5009;
    readonly NOT_ELEMENT: 5010;
    readonly ROOM_ID_RANGE: 5012;
    readonly STR_ROOM_ID: 5013;
    readonly STREAM_TYPE_REQUIRED: 5014;
    readonly ROOM_ID_MISSING: 5015;
    readonly ROOM_ID_IS_STRING: 5016;
    readonly BUFFER_EMPTY: 5017;
    readonly BUFFER_TOO_LARGE: 5018;
    readonly NOT_IN_ROOM: 5101;
    readonly REMOTE_USER_NOT_FOUND: 5102;
    readonly REMOTE_STREAM_NOT_FOUND: 5103;
    readonly REPEATED_CALL: 5104;
    readonly CAMERA_NOT_STARTED: 5105;
    readonly MICROPHONE_NOT_STARTED: 5106;
    readonly AUDIENCE_FORBIDDEN: 5107;
    /** rtcengine: custom messages sent faster than 30 per second or 8 KB per second. */
    readonly RATE_LIMITED: 5110;
    /** rtcengine: the instance was destroyed. */
    readonly DESTROYED: 5111;
    readonly NO_WEBRTC: 5201;
    readonly NO_MEDIA_DEVICES: 5202;
    readonly NO_SCREEN_SHARE: 5203;
    readonly NOT_FOUND: 5301;
    readonly NOT_ALLOWED: 5302;
    readonly NOT_READABLE: 5303;
    readonly OVERCONSTRAINED: 5304;
    readonly INVALID_STATE: 5305;
    readonly SECURITY: 5306;
    readonly ABORTED: 5307;
    readonly CAMERA_RECAPTURE_FAILED: 5308;
    readonly MICROPHONE_RECAPTURE_FAILED: 5309;
    readonly MEDIA_CONNECTION_FAILED: 5501;
    readonly RECONNECT_FAILED: 5502;
    readonly SIGNAL_TIMEOUT: 5503;
};
/** The error every SDK call rejects with (v5's RtcError). */
export declare class RtcError extends Error {
    /** One of ERROR_CODE. */
    readonly code: number;
    /** The precise reason: an EXTRA_CODE value or, for SERVER_ERROR, the server's TRTC code. */
    readonly extraCode?: number;
    /** The SDK method that failed, when an API call failed. */
    readonly functionName?: string;
    /** The underlying error (a DOMException for device errors). */
    readonly originError?: unknown;
    constructor(init: {
        code: number;
        extraCode?: number;
        message: string;
        functionName?: string;
        originError?: unknown;
    });
    toString(): string;
}
export declare function invalidParameter(extraCode: number, message: string, functionName?: string): RtcError;
export declare function invalidOperation(extraCode: number | undefined, message: string, functionName?: string): RtcError;
export declare function serverError(serverCode: number, message: string, functionName?: string): RtcError;
export declare function aborted(message: string, functionName?: string): RtcError;
/** Maps a getUserMedia/getDisplayMedia failure to DEVICE_ERROR. */
export declare function deviceError(err: unknown, what: string, functionName: string): RtcError;
/** Makes a rejected promise that does not report itself as unhandled. */
export declare function quietReject<T>(err: unknown): Promise<T>;
