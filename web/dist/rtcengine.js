// rtcengine Web SDK. Generated from web/src by web/build.mjs: do not edit.

// src/errors.ts
var ERROR_CODE = {
  /** A parameter does not meet the API's requirements. */
  INVALID_PARAMETER: 5e3,
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
  UNKNOWN_ERROR: 5999
};
var EXTRA_CODE = {
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
  SIGNAL_TIMEOUT: 5503
};
var RtcError = class extends Error {
  constructor(init) {
    super(init.message);
    this.name = "RtcError";
    this.code = init.code;
    if (init.extraCode !== void 0) this.extraCode = init.extraCode;
    if (init.functionName !== void 0) this.functionName = init.functionName;
    if (init.originError !== void 0) this.originError = init.originError;
  }
  toString() {
    const extra = this.extraCode !== void 0 ? ` extraCode:${this.extraCode}` : "";
    const fn = this.functionName ? ` ${this.functionName}:` : "";
    return `RtcError:${fn} ${this.message} code:${this.code}${extra}`;
  }
};
function invalidParameter(extraCode, message, functionName) {
  return new RtcError({ code: ERROR_CODE.INVALID_PARAMETER, extraCode, message, functionName });
}
function invalidOperation(extraCode, message, functionName) {
  return new RtcError({ code: ERROR_CODE.INVALID_OPERATION, extraCode, message, functionName });
}
function serverError(serverCode, message, functionName) {
  return new RtcError({
    code: ERROR_CODE.SERVER_ERROR,
    extraCode: serverCode,
    message: message || `server error ${serverCode}`,
    functionName
  });
}
function aborted(message, functionName) {
  return new RtcError({ code: ERROR_CODE.OPERATION_ABORT, message, functionName });
}
var deviceErrors = {
  NotFoundError: [EXTRA_CODE.NOT_FOUND, "no such device"],
  DevicesNotFoundError: [EXTRA_CODE.NOT_FOUND, "no such device"],
  NotAllowedError: [EXTRA_CODE.NOT_ALLOWED, "permission denied by the user or the browser"],
  PermissionDeniedError: [EXTRA_CODE.NOT_ALLOWED, "permission denied by the user or the browser"],
  NotReadableError: [EXTRA_CODE.NOT_READABLE, "the device is in use or cannot be read"],
  TrackStartError: [EXTRA_CODE.NOT_READABLE, "the device is in use or cannot be read"],
  OverconstrainedError: [EXTRA_CODE.OVERCONSTRAINED, "the device cannot satisfy the requested profile"],
  ConstraintNotSatisfiedError: [EXTRA_CODE.OVERCONSTRAINED, "the device cannot satisfy the requested profile"],
  InvalidStateError: [EXTRA_CODE.INVALID_STATE, "capture is not possible in the current page state"],
  SecurityError: [EXTRA_CODE.SECURITY, "capture is blocked by the page security policy (HTTPS required)"],
  AbortError: [EXTRA_CODE.ABORTED, "capture was aborted"]
};
function deviceError(err, what, functionName) {
  if (err instanceof RtcError) return err;
  const name = err?.name ?? "";
  const [extra, text] = deviceErrors[name] ?? [EXTRA_CODE.ABORTED, "capture failed"];
  const detail = err?.message;
  return new RtcError({
    code: ERROR_CODE.DEVICE_ERROR,
    extraCode: extra,
    message: `${what}: ${text}${name ? ` (${name}${detail ? `: ${detail}` : ""})` : ""}`,
    functionName,
    originError: err
  });
}

// src/cdnstreaming.ts
var PublishMode = {
  PublishMainStreamToCDN: "PublishMainStreamToCDN",
  PublishSubStreamToCDN: "PublishSubStreamToCDN",
  PublishMixStreamToCDN: "PublishMixStreamToCDN"
};
var MODE_CODE = {
  PublishMainStreamToCDN: 1,
  PublishSubStreamToCDN: 2,
  PublishMixStreamToCDN: 3
};
var CDN_STREAMING_LIMITS = { maxUrlLength: 1024, maxLayouts: 16, maxSide: 1920 };
function isObj(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function num(v, name, fn, lo, hi) {
  if (v === void 0) return void 0;
  if (typeof v !== "number" || !Number.isInteger(v)) throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be an integer`, fn);
  if (v < lo || v > hi) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${name} must be between ${lo} and ${hi}`, fn);
  return v;
}
function user(v, name, fn) {
  if (!isObj(v) || typeof v.userId !== "string" || v.userId === "") {
    throw invalidParameter(EXTRA_CODE.REQUIRED, `${name}.userId is required`, fn);
  }
  const out = { userId: v.userId };
  const room = num(v.roomId, `${name}.roomId`, fn, 1, 4294967294);
  if (room !== void 0) out.intRoomId = room;
  if (typeof v.strRoomId === "string" && v.strRoomId !== "") out.strRoomId = v.strRoomId;
  return out;
}
function modeOf(options, fn) {
  if (!isObj(options) || !isObj(options.target)) throw invalidParameter(EXTRA_CODE.REQUIRED, "options.target is required", fn);
  const m = options.target.publishMode;
  if (typeof m !== "string" || !(m in MODE_CODE)) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `target.publishMode must be one of ${Object.keys(MODE_CODE).join(", ")}`, fn);
  }
  return m;
}
function mediaStreamRequest(options, fn, taskId) {
  const mode = modeOf(options, fn);
  const o = options;
  const url = o.target.url;
  if (typeof url !== "string" || !url.startsWith("rtmp://") || url.length > CDN_STREAMING_LIMITS.maxUrlLength) {
    throw invalidParameter(EXTRA_CODE.REQUIRED, "target.url must be an rtmp:// URL (Tencent stream ids are not supported)", fn);
  }
  const req = { target: { mode: MODE_CODE[mode], cdnUrlList: [{ rtmpUrl: url }] } };
  if (taskId) req.taskId = taskId;
  if (o.encoding !== void 0) {
    if (!isObj(o.encoding)) throw invalidParameter(EXTRA_CODE.TYPE, "encoding must be an object", fn);
    const e = o.encoding;
    const side = CDN_STREAMING_LIMITS.maxSide;
    req.encoder = {
      videoEncodedWidth: num(e.videoWidth, "encoding.videoWidth", fn, 0, side),
      videoEncodedHeight: num(e.videoHeight, "encoding.videoHeight", fn, 0, side),
      videoEncodedKbps: num(e.videoBitrate, "encoding.videoBitrate", fn, 0, 1e4),
      videoEncodedFPS: num(e.videoFramerate, "encoding.videoFramerate", fn, 0, 60),
      videoEncodedGOP: num(e.videoGOP, "encoding.videoGOP", fn, 0, 5),
      audioEncodedSampleRate: num(e.audioSampleRate, "encoding.audioSampleRate", fn, 0, 48e3),
      audioEncodedKbps: num(e.audioBitrate, "encoding.audioBitrate", fn, 0, 500),
      audioEncodedChannelNum: num(e.audioChannels, "encoding.audioChannels", fn, 1, 2)
    };
  }
  if (o.mix !== void 0 && mode === "PublishMixStreamToCDN") {
    if (!isObj(o.mix)) throw invalidParameter(EXTRA_CODE.TYPE, "mix must be an object", fn);
    const m = o.mix;
    const layouts = m.videoLayoutList ?? [];
    const audios = m.audioMixUserList ?? [];
    if (!Array.isArray(layouts) || !Array.isArray(audios)) {
      throw invalidParameter(EXTRA_CODE.TYPE, "mix.videoLayoutList and mix.audioMixUserList must be arrays", fn);
    }
    if (layouts.length > CDN_STREAMING_LIMITS.maxLayouts || audios.length > CDN_STREAMING_LIMITS.maxLayouts) {
      throw invalidParameter(EXTRA_CODE.TOO_LARGE, `at most ${CDN_STREAMING_LIMITS.maxLayouts} layouts and audio users`, fn);
    }
    req.mix = {
      backgroundColor: num(m.backgroundColor, "mix.backgroundColor", fn, 0, 16777215),
      backgroundImage: m.backgroundImage,
      audioMixUserList: audios.map((u, i) => user(u, `mix.audioMixUserList[${i}]`, fn)),
      videoLayoutList: layouts.map((l, i) => {
        const name = `mix.videoLayoutList[${i}]`;
        if (!isObj(l)) throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be an object`, fn);
        const x = num(l.locationX, `${name}.locationX`, fn, 0, CDN_STREAMING_LIMITS.maxSide) ?? 0;
        const y = num(l.locationY, `${name}.locationY`, fn, 0, CDN_STREAMING_LIMITS.maxSide) ?? 0;
        const w = num(l.width, `${name}.width`, fn, 2, CDN_STREAMING_LIMITS.maxSide);
        const h = num(l.height, `${name}.height`, fn, 2, CDN_STREAMING_LIMITS.maxSide);
        if (w === void 0 || h === void 0) throw invalidParameter(EXTRA_CODE.REQUIRED, `${name}.width and height are required`, fn);
        return {
          rect: { left: x, top: y, right: x + w, bottom: y + h },
          zOrder: num(l.zOrder, `${name}.zOrder`, fn, 0, 15) ?? 0,
          fillMode: l.fillMode === 1 || l.fillMode === 2 ? 1 : 0,
          fixedVideoUser: user(l.fixedVideoUser, `${name}.fixedVideoUser`, fn),
          fixedVideoStreamType: l.fixedVideoStreamType === "sub" ? 2 : 0
        };
      })
    };
  }
  return req;
}
var CDNStreaming = class {
  constructor(request) {
    this.request = request;
    this.tasks = /* @__PURE__ */ new Map();
  }
  check(resp, fn) {
    if (resp.code) throw serverError(resp.code, resp.msg ?? "", fn);
    return isObj(resp.data) ? resp.data : {};
  }
  async start(options) {
    const fn = "startPlugin";
    const mode = modeOf(options, fn);
    if (this.tasks.has(mode)) throw invalidOperation(void 0, `CDNStreaming ${mode} already runs: updatePlugin or stopPlugin it`, fn);
    const data = this.check(await this.request("start_publish_media_stream", mediaStreamRequest(options, fn)), fn);
    if (typeof data.taskId === "string" && data.taskId) this.tasks.set(mode, data.taskId);
  }
  async update(options) {
    const fn = "updatePlugin";
    const mode = modeOf(options, fn);
    const task = this.tasks.get(mode);
    if (!task) throw invalidOperation(void 0, `CDNStreaming ${mode} is not running: startPlugin it first`, fn);
    this.check(await this.request("update_publish_media_stream", mediaStreamRequest(options, fn, task)), fn);
  }
  async stop(options) {
    const fn = "stopPlugin";
    const mode = modeOf(options, fn);
    const task = this.tasks.get(mode);
    if (!task) return;
    this.tasks.delete(mode);
    this.check(await this.request("stop_publish_media_stream", { taskId: task }), fn);
  }
};

// src/custommsg.ts
var CUSTOM_MESSAGE_LIMITS = {
  minCmdId: 1,
  maxCmdId: 10,
  maxBytes: 1e3,
  // TRTC's "1 KB" is 1,000 bytes; the server enforces the same
  maxPerSecond: 30,
  maxBytesPerSecond: 8e3
};
var CustomMessageLimiter = class {
  constructor(now = () => Date.now()) {
    this.now = now;
    this.msgs = CUSTOM_MESSAGE_LIMITS.maxPerSecond;
    this.bytes = CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond;
    this.last = now();
  }
  refill() {
    const t = this.now();
    const dt = Math.max(0, t - this.last) / 1e3;
    this.last = t;
    this.msgs = Math.min(CUSTOM_MESSAGE_LIMITS.maxPerSecond, this.msgs + dt * CUSTOM_MESSAGE_LIMITS.maxPerSecond);
    this.bytes = Math.min(
      CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond,
      this.bytes + dt * CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond
    );
  }
  /** Takes one message of size bytes, or returns why it may not be sent now. */
  take(size) {
    this.refill();
    if (this.msgs < 1) {
      return new RtcError({
        code: ERROR_CODE.INVALID_OPERATION,
        extraCode: EXTRA_CODE.RATE_LIMITED,
        message: `custom messages are limited to ${CUSTOM_MESSAGE_LIMITS.maxPerSecond} per second`,
        functionName: "sendCustomMessage"
      });
    }
    if (this.bytes < size) {
      return new RtcError({
        code: ERROR_CODE.INVALID_OPERATION,
        extraCode: EXTRA_CODE.RATE_LIMITED,
        message: `custom messages are limited to ${CUSTOM_MESSAGE_LIMITS.maxBytesPerSecond} bytes per second`,
        functionName: "sendCustomMessage"
      });
    }
    this.msgs -= 1;
    this.bytes -= size;
    return null;
  }
};
function checkCustomMessage(msg) {
  const fn = "sendCustomMessage";
  if (msg === void 0 || msg === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "message is required", fn);
  if (typeof msg !== "object") throw invalidParameter(EXTRA_CODE.TYPE, "message must be {cmdId, data}", fn);
  const { cmdId, data } = msg;
  if (cmdId === void 0 || cmdId === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "cmdId is required", fn);
  if (typeof cmdId !== "number") throw invalidParameter(EXTRA_CODE.TYPE, "cmdId must be a number", fn);
  if (!Number.isInteger(cmdId) || cmdId < CUSTOM_MESSAGE_LIMITS.minCmdId || cmdId > CUSTOM_MESSAGE_LIMITS.maxCmdId) {
    throw invalidParameter(
      EXTRA_CODE.OUT_OF_RANGE,
      `cmdId must be an integer in [${CUSTOM_MESSAGE_LIMITS.minCmdId}, ${CUSTOM_MESSAGE_LIMITS.maxCmdId}]`,
      fn
    );
  }
  if (data === void 0 || data === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "data is required", fn);
  let bytes;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw invalidParameter(EXTRA_CODE.TYPE, "data must be an ArrayBuffer", fn);
  if (bytes.byteLength === 0) throw invalidParameter(EXTRA_CODE.BUFFER_EMPTY, "data must not be empty", fn);
  if (bytes.byteLength > CUSTOM_MESSAGE_LIMITS.maxBytes) {
    throw invalidParameter(
      EXTRA_CODE.BUFFER_TOO_LARGE,
      `data is ${bytes.byteLength} bytes; the limit is ${CUSTOM_MESSAGE_LIMITS.maxBytes}`,
      fn
    );
  }
  return { cmdId, bytes };
}
function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 32768) {
    s += String.fromCharCode(...bytes.subarray(i, i + 32768));
  }
  return btoa(s);
}
function fromBase64(s) {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  } catch {
    return null;
  }
}

// src/profiles.ts
var VIDEO_PROFILES = {
  "120p": { width: 160, height: 120, frameRate: 15, bitrate: 200 },
  "120p_2": { width: 160, height: 120, frameRate: 15, bitrate: 100 },
  "180p": { width: 320, height: 180, frameRate: 15, bitrate: 350 },
  "180p_2": { width: 320, height: 180, frameRate: 15, bitrate: 150 },
  "240p": { width: 320, height: 240, frameRate: 15, bitrate: 400 },
  "240p_2": { width: 320, height: 240, frameRate: 15, bitrate: 200 },
  "360p": { width: 640, height: 360, frameRate: 15, bitrate: 800 },
  "360p_2": { width: 640, height: 360, frameRate: 15, bitrate: 400 },
  "480p": { width: 640, height: 480, frameRate: 15, bitrate: 900 },
  "480p_2": { width: 640, height: 480, frameRate: 15, bitrate: 500 },
  "720p": { width: 1280, height: 720, frameRate: 15, bitrate: 1500 },
  "1080p": { width: 1920, height: 1080, frameRate: 15, bitrate: 2e3 },
  "1440p": { width: 2560, height: 1440, frameRate: 30, bitrate: 4860 },
  "4K": { width: 3840, height: 2160, frameRate: 30, bitrate: 9e3 }
};
var DEFAULT_VIDEO_PROFILE = "480p";
var DEFAULT_SMALL_PROFILE = { width: 160, height: 120, frameRate: 15, bitrate: 100 };
var SCREEN_PROFILES = {
  "480p": { width: 640, height: 480, frameRate: 5, bitrate: 900 },
  "480p_2": { width: 640, height: 480, frameRate: 30, bitrate: 1e3 },
  "720p": { width: 1280, height: 720, frameRate: 5, bitrate: 1200 },
  "720p_2": { width: 1280, height: 720, frameRate: 30, bitrate: 3e3 },
  "1080p": { width: 1920, height: 1080, frameRate: 5, bitrate: 1600 },
  "1080p_2": { width: 1920, height: 1080, frameRate: 30, bitrate: 4e3 }
};
var DEFAULT_SCREEN_PROFILE = "1080p";
var AUDIO_PROFILES = {
  speech: { sampleRate: 16e3, channelCount: 1, bitrate: 24 },
  standard: { sampleRate: 48e3, channelCount: 1, bitrate: 40 },
  "standard-stereo": { sampleRate: 48e3, channelCount: 2, bitrate: 64 },
  high: { sampleRate: 48e3, channelCount: 1, bitrate: 128 },
  "high-stereo": { sampleRate: 48e3, channelCount: 2, bitrate: 192 }
};
var DEFAULT_AUDIO_PROFILE = "standard";
var PROFILE_LIMITS = { maxWidth: 4096, maxHeight: 4096, maxFrameRate: 60, maxBitrate: 2e4 };
function checkNumber(v, name, max, fn) {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be a number`, fn);
  }
  if (v <= 0 || v > max) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${name} must be in (0, ${max}], got ${v}`, fn);
  }
  return v;
}
function resolveVideoProfile(p, table, fallback, fn, what = "profile") {
  if (p === void 0 || p === null) return { ...table[fallback] };
  if (typeof p === "string") {
    const found = table[p];
    if (!found) {
      throw invalidParameter(
        EXTRA_CODE.OUT_OF_RANGE,
        `${what} "${p}" is not one of ${Object.keys(table).join(", ")}`,
        fn
      );
    }
    return { ...found };
  }
  if (typeof p !== "object") {
    throw invalidParameter(EXTRA_CODE.TYPE, `${what} must be a profile name or {width, height, frameRate, bitrate}`, fn);
  }
  const o = p;
  return {
    width: checkNumber(o.width, `${what}.width`, PROFILE_LIMITS.maxWidth, fn),
    height: checkNumber(o.height, `${what}.height`, PROFILE_LIMITS.maxHeight, fn),
    frameRate: checkNumber(o.frameRate, `${what}.frameRate`, PROFILE_LIMITS.maxFrameRate, fn),
    bitrate: checkNumber(o.bitrate, `${what}.bitrate`, PROFILE_LIMITS.maxBitrate, fn)
  };
}
function resolveAudioProfile(p, fn) {
  if (p === void 0 || p === null) return { ...AUDIO_PROFILES[DEFAULT_AUDIO_PROFILE] };
  if (typeof p !== "string") throw invalidParameter(EXTRA_CODE.TYPE, "audio profile must be a string", fn);
  const found = AUDIO_PROFILES[p];
  if (!found) {
    throw invalidParameter(
      EXTRA_CODE.OUT_OF_RANGE,
      `audio profile "${p}" is not one of ${Object.keys(AUDIO_PROFILES).join(", ")}`,
      fn
    );
  }
  return { ...found };
}
function cameraConstraints(p, cameraId, front) {
  const c = {
    width: { ideal: p.width },
    height: { ideal: p.height },
    frameRate: { ideal: p.frameRate }
  };
  if (cameraId) c.deviceId = { exact: cameraId };
  else if (front !== void 0) c.facingMode = front ? "user" : "environment";
  return c;
}
function scaleDownBy(srcW, srcH, dstW, dstH) {
  if (!srcW || !srcH || !dstW || !dstH) return 1;
  return Math.max(1, Math.min(srcW / dstW, srcH / dstH));
}

// src/devices.ts
function mediaDevices(fn) {
  if (typeof navigator === "undefined" || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new RtcError({
      code: ERROR_CODE.ENV_NOT_SUPPORTED,
      extraCode: EXTRA_CODE.NO_MEDIA_DEVICES,
      message: "this page cannot capture media: navigator.mediaDevices is missing (HTTPS or localhost is required)",
      functionName: fn
    });
  }
  return navigator.mediaDevices;
}
async function captureCamera(profile, cameraId, front, fn) {
  const md = mediaDevices(fn);
  try {
    const s = await md.getUserMedia({ video: cameraConstraints(profile, cameraId, front), audio: false });
    return s.getVideoTracks()[0];
  } catch (e) {
    throw deviceError(e, "camera", fn);
  }
}
async function captureMicrophone(profile, o, fn) {
  const md = mediaDevices(fn);
  const c = {
    sampleRate: profile.sampleRate,
    channelCount: profile.channelCount,
    echoCancellation: o.echoCancellation ?? true,
    noiseSuppression: o.noiseSuppression ?? true,
    autoGainControl: o.autoGainControl ?? true
  };
  if (o.microphoneId) c.deviceId = { exact: o.microphoneId };
  try {
    const s = await md.getUserMedia({ audio: c, video: false });
    return s.getAudioTracks()[0];
  } catch (e) {
    throw deviceError(e, "microphone", fn);
  }
}
async function captureScreen(profile, systemAudio, fn) {
  const md = mediaDevices(fn);
  if (!md.getDisplayMedia) {
    throw new RtcError({
      code: ERROR_CODE.ENV_NOT_SUPPORTED,
      extraCode: EXTRA_CODE.NO_SCREEN_SHARE,
      message: "this browser cannot share the screen (getDisplayMedia is missing)",
      functionName: fn
    });
  }
  try {
    const s = await md.getDisplayMedia({
      video: { width: { max: profile.width }, height: { max: profile.height }, frameRate: { max: profile.frameRate } },
      audio: systemAudio
    });
    return { video: s.getVideoTracks()[0], audio: s.getAudioTracks()[0] ?? null };
  } catch (e) {
    throw deviceError(e, "screen share", fn);
  }
}
var kindOf = { videoinput: "camera", audioinput: "microphone", audiooutput: "speaker" };
function plain(d) {
  return { deviceId: d.deviceId, groupId: d.groupId, kind: d.kind, label: d.label };
}
async function listDevices(kind, requestPermission = true) {
  const md = mediaDevices(`get${kind === "videoinput" ? "Camera" : kind === "audioinput" ? "Microphone" : "Speaker"}List`);
  let all = (await md.enumerateDevices()).filter((d) => d.kind === kind);
  if (requestPermission && kind !== "audiooutput" && all.length > 0 && all.every((d) => !d.label)) {
    try {
      const s = await md.getUserMedia(kind === "videoinput" ? { video: true } : { audio: true });
      s.getTracks().forEach((t) => t.stop());
      all = (await md.enumerateDevices()).filter((d) => d.kind === kind);
    } catch {
    }
  }
  return all.map(plain);
}
function diffDevices(before, after) {
  const key = (d) => `${d.kind}|${d.deviceId}`;
  const old = new Map(before.map((d) => [key(d), d]));
  const now = new Map(after.map((d) => [key(d), d]));
  const out = [];
  for (const [k, d] of old) {
    const type = kindOf[d.kind];
    if (type && !now.has(k)) out.push({ type, action: "remove", device: plain(d) });
  }
  for (const [k, d] of now) {
    const type = kindOf[d.kind];
    if (type && !old.has(k)) out.push({ type, action: "add", device: plain(d) });
  }
  return out;
}
async function enumerateAll() {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.enumerateDevices) return [];
  return (await navigator.mediaDevices.enumerateDevices()).map(plain);
}

// src/events.ts
var EVENT = {
  ERROR: "error",
  AUTOPLAY_FAILED: "autoplay-failed",
  KICKED_OUT: "kicked-out",
  REMOTE_USER_ENTER: "remote-user-enter",
  REMOTE_USER_EXIT: "remote-user-exit",
  REMOTE_AUDIO_AVAILABLE: "remote-audio-available",
  REMOTE_AUDIO_UNAVAILABLE: "remote-audio-unavailable",
  REMOTE_VIDEO_AVAILABLE: "remote-video-available",
  REMOTE_VIDEO_UNAVAILABLE: "remote-video-unavailable",
  AUDIO_VOLUME: "audio-volume",
  NETWORK_QUALITY: "network-quality",
  CONNECTION_STATE_CHANGED: "connection-state-changed",
  SCREEN_SHARE_STOPPED: "screen-share-stopped",
  DEVICE_CHANGED: "device-changed",
  STATISTICS: "statistics",
  CUSTOM_MESSAGE: "custom-message",
  FIRST_VIDEO_FRAME: "first-video-frame",
  PUBLISH_STATE_CHANGED: "publish-state-changed",
  AUDIO_PLAY_STATE_CHANGED: "audio-play-state-changed",
  VIDEO_PLAY_STATE_CHANGED: "video-play-state-changed"
};
var Emitter = class {
  constructor() {
    this.handlers = /* @__PURE__ */ new Map();
  }
  on(event, fn, context) {
    const list = this.handlers.get(event) ?? [];
    list.push({ fn, ctx: context, once: false });
    this.handlers.set(event, list);
  }
  once(event, fn, context) {
    const list = this.handlers.get(event) ?? [];
    list.push({ fn, ctx: context, once: true });
    this.handlers.set(event, list);
  }
  /** Removes one handler, every handler of an event (no fn), or all ('*'). */
  off(event, fn, context) {
    if (event === "*") {
      this.handlers.clear();
      return;
    }
    if (!fn) {
      this.handlers.delete(event);
      return;
    }
    const list = this.handlers.get(event);
    if (!list) return;
    this.handlers.set(
      event,
      list.filter((h) => h.fn !== fn || context !== void 0 && h.ctx !== context)
    );
  }
  emit(event, payload) {
    const list = this.handlers.get(event);
    if (!list || list.length === 0) return;
    for (const h of [...list]) {
      if (h.once) this.off(event, h.fn, h.ctx);
      try {
        h.fn.call(h.ctx, payload);
      } catch (err) {
        console.error(`rtcengine: a handler of "${event}" threw`, err);
      }
    }
  }
  listenerCount(event) {
    return this.handlers.get(event)?.length ?? 0;
  }
};

// src/sdp.ts
function mediaSections(sdp) {
  const out = [];
  let cur = null;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("m=")) {
      cur = { mid: "", kind: line.slice(2).split(" ")[0] ?? "", streamId: "", trackId: "", direction: "sendrecv" };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line.startsWith("a=mid:")) cur.mid = line.slice(6);
    else if (line.startsWith("a=msid:")) {
      const [stream, track] = line.slice(7).split(" ");
      cur.streamId = stream ?? "";
      cur.trackId = track ?? "";
    } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line)) {
      cur.direction = line.slice(2);
    }
  }
  return out;
}
function trackIdsByMid(sdp) {
  const m = /* @__PURE__ */ new Map();
  for (const s of mediaSections(sdp)) {
    if (s.mid && s.trackId) m.set(s.mid, s.trackId);
  }
  return m;
}
function candidateAddress(candidate) {
  const parts = candidate.replace(/^a=/, "").split(" ");
  return parts.length > 5 ? parts[4] ?? "" : "";
}
function isLoopbackHost(host) {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}
function candidateFilter(serverHost) {
  if (!isLoopbackHost(serverHost)) return () => true;
  return (c) => {
    if (c === "") return true;
    return isLoopbackHost(candidateAddress(c));
  };
}

// src/peer.ts
var NEGOTIATION_TIMEOUT_MS = 1e4;
function pubOfferError(m, fn = "publish") {
  if (m.code === 6001) {
    return new RtcError({
      code: ERROR_CODE.INVALID_OPERATION,
      extraCode: EXTRA_CODE.AUDIENCE_FORBIDDEN,
      message: 'audience members cannot publish: switchRole("anchor") first',
      functionName: fn
    });
  }
  if (m.code === -8 || m.code === -3308) {
    return new RtcError({
      code: ERROR_CODE.OPERATION_FAILED,
      extraCode: EXTRA_CODE.SIGNAL_TIMEOUT,
      message: `publishing was not answered: ${m.msg ?? ""}`,
      functionName: fn
    });
  }
  return serverError(m.code ?? -1, m.msg ?? "publish refused", fn);
}
var Side = class {
  constructor(target, deps) {
    this.target = target;
    this.deps = deps;
    this.pc = null;
    this.held = [];
    this.chain = Promise.resolve();
    this.closed = false;
  }
  /** Runs op after every operation queued before it. */
  serial(op) {
    const run = this.chain.then(op);
    this.chain = run.then(
      () => {
      },
      () => {
      }
    );
    return run;
  }
  newPC() {
    const pc = this.deps.createPC();
    pc.onicecandidate = (e) => {
      if (!e.candidate || !e.candidate.candidate) return;
      if (!this.deps.keepCandidate(e.candidate.candidate)) return;
      this.deps.send("candidate", {
        target: this.target,
        candidate: e.candidate.candidate,
        sdpMid: e.candidate.sdpMid,
        sdpMLineIndex: e.candidate.sdpMLineIndex
      });
    };
    pc.onconnectionstatechange = () => {
      if (this.pc === pc) this.deps.onConnectionState(this.target, pc.connectionState);
    };
    return pc;
  }
  /** A server candidate (trickled); held until there is a remote description. */
  addRemoteCandidate(c) {
    if (!c || !c.candidate) return;
    if (!this.pc || !this.pc.remoteDescription) {
      this.held.push(c);
      return;
    }
    this.pc.addIceCandidate(c).catch((e) => this.deps.warn(`${this.target}: remote candidate rejected`, e));
  }
  async flushHeld() {
    const held = this.held;
    this.held = [];
    for (const c of held) {
      try {
        await this.pc.addIceCandidate(c);
      } catch (e) {
        this.deps.warn(`${this.target}: held candidate rejected`, e);
      }
    }
  }
  get connectionState() {
    return this.pc ? this.pc.connectionState : "none";
  }
  close() {
    this.closed = true;
    this.held = [];
    if (this.pc) {
      this.pc.onicecandidate = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
    }
    this.pc = null;
  }
};
var Publisher = class extends Side {
  constructor(deps) {
    super("pub", deps);
    this.wanted = /* @__PURE__ */ new Map();
    this.sending = /* @__PURE__ */ new Map();
    this.restartNext = false;
    this.msid = null;
  }
  /** Sets (or with null removes) the track of a stream; negotiate() applies it. */
  set(stream, track, encodings) {
    if (track) this.wanted.set(stream, { track, encodings });
    else this.wanted.delete(stream);
  }
  has(stream) {
    return this.wanted.has(stream);
  }
  /** Swaps a stream's track without renegotiating (camera or microphone switch). */
  async replace(stream, track) {
    const w = this.wanted.get(stream);
    if (w) w.track = track;
    const s = this.sending.get(stream);
    if (s) {
      await s.transceiver.sender.replaceTrack(track);
      s.track = track;
    }
  }
  /** Changes a stream's encoding limits (bitrate, frame rate, scale). */
  async encode(stream, enc) {
    const w = this.wanted.get(stream);
    if (w) w.encodings = [{ ...w.encodings?.[0] ?? {}, ...enc }];
    const s = this.sending.get(stream);
    if (!s) return;
    const params = s.transceiver.sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) return;
    params.encodings[0] = { ...params.encodings[0], ...enc };
    await s.transceiver.sender.setParameters(params);
  }
  /** Restarts ICE with the next offer (after a network change or failure). */
  restartIce() {
    if (!this.pc) return Promise.resolve();
    this.restartNext = true;
    return this.negotiate();
  }
  /**
   * Brings the connection in line with the wanted tracks and, if anything
   * changed, offers it. Rejects with the server's refusal.
   */
  negotiate() {
    return this.serial(() => this.doNegotiate());
  }
  /** Forgets the connection (a fresh enter negotiates a new one). */
  reset() {
    this.close();
    this.closed = false;
    this.sending.clear();
    this.msid = null;
  }
  async doNegotiate() {
    if (this.closed) return;
    if (!this.pc && this.wanted.size === 0) return;
    if (!this.pc) this.pc = this.newPC();
    const pc = this.pc;
    let changed = !pc.localDescription || this.restartNext;
    for (const [stream, s] of this.sending) {
      const w = this.wanted.get(stream);
      if (w && w.track.kind === s.track.kind) {
        if (w.track !== s.track) {
          await s.transceiver.sender.replaceTrack(w.track);
          s.track = w.track;
        }
        continue;
      }
      pc.removeTrack(s.transceiver.sender);
      this.sending.delete(stream);
      changed = true;
    }
    for (const [stream, w] of this.wanted) {
      if (this.sending.has(stream)) continue;
      if (!this.msid) this.msid = new MediaStream();
      const init = { direction: "sendonly", streams: [this.msid] };
      if (w.encodings) init.sendEncodings = w.encodings;
      const transceiver = pc.addTransceiver(w.track, init);
      this.sending.set(stream, { transceiver, track: w.track });
      changed = true;
    }
    if (!changed) return;
    const restart = this.restartNext;
    this.restartNext = false;
    const offer = await pc.createOffer(restart ? { iceRestart: true } : void 0);
    await pc.setLocalDescription(offer);
    const ids = trackIdsByMid(offer.sdp ?? "");
    const tracks = [];
    for (const [stream, s] of this.sending) {
      const id = s.transceiver.mid ? ids.get(s.transceiver.mid) : void 0;
      tracks.push({ id: id ?? s.track.id, stream });
    }
    const resp = await this.deps.request("pub_offer", { sdp: offer.sdp, tracks }, NEGOTIATION_TIMEOUT_MS);
    if (this.pc !== pc) return;
    if (resp.code || !resp.data?.sdp) {
      try {
        await pc.setLocalDescription({ type: "rollback" });
      } catch (e) {
        this.deps.warn("pub: rollback failed", e);
      }
      if (restart) this.restartNext = true;
      throw pubOfferError(resp.code ? resp : { ...resp, code: -1, msg: "pub_offer answered without an SDP" });
    }
    await pc.setRemoteDescription({ type: "answer", sdp: resp.data.sdp });
    await this.flushHeld();
  }
  /** The streams being sent, by mid (statistics). */
  streamsByMid() {
    const m = /* @__PURE__ */ new Map();
    for (const [stream, s] of this.sending) if (s.transceiver.mid) m.set(s.transceiver.mid, stream);
    return m;
  }
  close() {
    super.close();
    this.sending.clear();
  }
};
var Subscriber = class extends Side {
  constructor(deps, onTracks) {
    super("sub", deps);
    this.onTracks = onTracks;
    this.tracks = /* @__PURE__ */ new Map();
    this.keysByMid = /* @__PURE__ */ new Map();
  }
  /** Answers a sub_offer. */
  onOffer(sdp) {
    return this.serial(async () => {
      if (this.closed) return;
      if (!this.pc) this.pc = this.newPC();
      const pc = this.pc;
      await pc.setRemoteDescription({ type: "offer", sdp });
      await this.flushHeld();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      const resp = await this.deps.request("sub_answer", { sdp: answer.sdp }, NEGOTIATION_TIMEOUT_MS);
      if (resp.code) this.deps.warn(`sub_answer refused: ${resp.code} ${resp.msg ?? ""}`);
      if (this.pc === pc) this.refresh(sdp);
    });
  }
  /** Recomputes which remote tracks are being received and reports changes. */
  refresh(remoteSdp) {
    const ids = trackIdsByMid(remoteSdp);
    const now = /* @__PURE__ */ new Map();
    const byMid = /* @__PURE__ */ new Map();
    for (const t of this.pc.getTransceivers()) {
      if (!t.mid) continue;
      const dir = t.currentDirection;
      if (dir !== "recvonly" && dir !== "sendrecv") continue;
      const key = ids.get(t.mid);
      if (!key || !key.includes("/")) continue;
      now.set(key, t.receiver.track);
      byMid.set(t.mid, key);
    }
    const added = [];
    const removed = [];
    for (const [k, track] of now) if (this.tracks.get(k) !== track) added.push([k, track]);
    for (const k of this.tracks.keys()) if (!now.has(k)) removed.push(k);
    this.tracks = now;
    this.keysByMid = byMid;
    if (added.length || removed.length) this.onTracks(added, removed);
  }
  track(key) {
    return this.tracks.get(key);
  }
  /** "<userId>/<stream>" by mid (statistics). */
  keysByMidMap() {
    return new Map(this.keysByMid);
  }
  /** Asks the server to restart ICE; its new offer follows. */
  async restartIce() {
    if (!this.pc) return;
    const resp = await this.deps.request("restart_ice", { target: "sub" }, NEGOTIATION_TIMEOUT_MS);
    if (resp.code) this.deps.warn(`restart_ice refused: ${resp.code} ${resp.msg ?? ""}`);
  }
  /** Forgets the connection and its tracks (a fresh enter). */
  reset() {
    const removed = [...this.tracks.keys()];
    this.close();
    this.closed = false;
    this.tracks.clear();
    this.keysByMid.clear();
    if (removed.length) this.onTracks([], removed);
  }
};

// src/player.ts
var AutoplayGuard = class {
  constructor() {
    this.blocked = /* @__PURE__ */ new Set();
    this.armed = false;
    this.onGesture = () => {
      const all = [...this.blocked];
      this.blocked.clear();
      for (const ev of ["click", "touchstart", "keydown", "pointerdown"]) {
        document.removeEventListener(ev, this.onGesture, { capture: true });
      }
      this.armed = false;
      for (const p of all) void p.play();
    };
  }
  add(p) {
    this.blocked.add(p);
    if (this.armed || typeof document === "undefined") return;
    this.armed = true;
    for (const ev of ["click", "touchstart", "keydown", "pointerdown"]) {
      document.addEventListener(ev, this.onGesture, { capture: true });
    }
  }
  remove(p) {
    this.blocked.delete(p);
  }
};
var autoplayGuard = new AutoplayGuard();
var Player = class {
  constructor(o) {
    this.o = o;
    this.wrapper = null;
    this.track = null;
    this.reported = false;
    this.firstFrameSeen = false;
    this.destroyed = false;
    this.volume = 1;
    if (o.kind === "video") {
      const v = document.createElement("video");
      v.autoplay = true;
      v.playsInline = true;
      v.muted = true;
      v.setAttribute("playsinline", "");
      v.style.cssText = `width:100%;height:100%;object-fit:${o.fillMode ?? "cover"};background:#000;display:block;`;
      if (o.mirror) v.style.transform = "scaleX(-1)";
      this.el = v;
      this.wrapper = document.createElement("div");
      this.wrapper.className = "rtcengine-player";
      this.wrapper.dataset.userId = o.userId;
      this.wrapper.dataset.mediaType = o.mediaType;
      this.wrapper.style.cssText = "width:100%;height:100%;position:relative;overflow:hidden;";
      this.wrapper.appendChild(v);
      if (o.container) o.container.appendChild(this.wrapper);
    } else {
      const a = document.createElement("audio");
      a.autoplay = true;
      this.el = a;
    }
    this.el.addEventListener("playing", () => this.o.onPlayState?.("PLAYING", "playing"));
    this.el.addEventListener("pause", () => {
      if (!this.destroyed) this.o.onPlayState?.("PAUSED", "pause");
    });
  }
  get container() {
    return this.wrapper?.parentElement ?? null;
  }
  /** Moves a video player into another view (null: off the page). */
  move(container) {
    if (!this.wrapper) return;
    if (container) container.appendChild(this.wrapper);
    else this.wrapper.remove();
  }
  setMirror(m) {
    if (this.o.kind === "video") this.el.style.transform = m ? "scaleX(-1)" : "";
  }
  setFillMode(f) {
    if (this.o.kind === "video") this.el.style.objectFit = f;
  }
  setTrack(track) {
    if (this.destroyed || track === this.track) return;
    this.track = track;
    this.firstFrameSeen = false;
    this.el.srcObject = track ? new MediaStream([track]) : null;
    if (track) {
      this.watchFirstFrame();
      void this.play();
    }
  }
  hasTrack() {
    return this.track !== null;
  }
  /** 0..1 */
  setVolume(v) {
    this.volume = v;
    this.el.volume = v;
  }
  setSink(deviceId) {
    const el = this.el;
    return el.setSinkId ? el.setSinkId(deviceId) : Promise.resolve();
  }
  /** Plays; an autoplay refusal is reported and retried on the next gesture. */
  async play() {
    if (this.destroyed || !this.track) return;
    this.el.volume = this.volume;
    try {
      await this.el.play();
      this.reported = false;
      autoplayGuard.remove(this);
    } catch (e) {
      const name = e?.name;
      if (name !== "NotAllowedError" || this.destroyed) return;
      autoplayGuard.add(this);
      if (!this.reported) {
        this.reported = true;
        this.o.onAutoplayFailed?.(() => this.play());
      }
    }
  }
  /** Resumes a paused player (tab back in the foreground). */
  resumeIfPaused() {
    if (this.track && this.el.paused) void this.play();
  }
  watchFirstFrame() {
    if (this.o.kind !== "video" || !this.o.onFirstFrame) return;
    const v = this.el;
    const track = this.track;
    const report = (w, h) => {
      if (this.destroyed || this.firstFrameSeen || this.track !== track) return;
      this.firstFrameSeen = true;
      this.o.onFirstFrame?.(w, h);
    };
    if (v.requestVideoFrameCallback) {
      v.requestVideoFrameCallback((_now, meta) => report(meta.width, meta.height));
    } else {
      v.addEventListener("loadeddata", () => report(v.videoWidth, v.videoHeight), { once: true });
    }
  }
  destroy() {
    if (this.destroyed) return;
    const wasPlaying = this.track !== null && !this.el.paused;
    this.destroyed = true;
    if (wasPlaying) this.o.onPlayState?.("STOPPED", "ended");
    autoplayGuard.remove(this);
    this.el.pause();
    this.el.srcObject = null;
    this.wrapper?.remove();
    this.track = null;
  }
};

// src/roomstate.ts
var AWAY_GRACE_MS = 1e4;
var none = { audio: false, video: false, sub: false };
function diffStreams(userId, before, after) {
  const out = [];
  if (before.audio !== after.audio) out.push({ kind: "audio", userId, available: after.audio });
  if (before.video !== after.video) out.push({ kind: "video", userId, streamType: "main", available: after.video });
  if (before.sub !== after.sub) out.push({ kind: "video", userId, streamType: "sub", available: after.sub });
  return out;
}
var RemoteUsers = class {
  constructor() {
    this.users = /* @__PURE__ */ new Map();
    /** Users missing after a re-enter whose exit is not reported yet. */
    this.away = /* @__PURE__ */ new Set();
  }
  has(userId) {
    return this.users.has(userId);
  }
  isAway(userId) {
    return this.away.has(userId);
  }
  streams(userId) {
    const s = this.users.get(userId);
    return s ? { ...s } : void 0;
  }
  list() {
    return [...this.users.keys()];
  }
  /** Users away (missing after a re-enter, exit not reported yet). */
  awayList() {
    return [...this.away];
  }
  /**
   * Replaces the state with a snapshot (enter or resume response) and
   * returns the events that bring an observer of the old state up to date:
   * users gone (their streams first), users new, streams changed. After a
   * re-enter (reentered) users gone are away instead of exited; away users
   * in the snapshot are back, not entered.
   */
  snapshot(users, reentered = false) {
    const now = /* @__PURE__ */ new Map();
    for (const u of users) {
      if (!u || typeof u.userId !== "string" || u.userId === "") continue;
      now.set(u.userId, { audio: !!u.audio, video: !!u.video, sub: !!u.sub });
    }
    const out = [];
    for (const [id, st] of this.users) {
      if (!now.has(id)) {
        out.push(...diffStreams(id, st, none));
        if (reentered) this.away.add(id);
        out.push({ kind: reentered ? "away" : "exit", userId: id });
      }
    }
    for (const [id, st] of now) {
      const before = this.users.get(id);
      if (!before) out.push({ kind: this.away.delete(id) ? "back" : "enter", userId: id });
      out.push(...diffStreams(id, before ?? none, st));
    }
    this.users = now;
    return out;
  }
  enter(userId) {
    if (this.users.has(userId)) return [];
    this.users.set(userId, { ...none });
    return [{ kind: this.away.delete(userId) ? "back" : "enter", userId }];
  }
  /**
   * A user left: its streams become unavailable, then it exits. An away
   * user's streams were reported off already.
   */
  leave(userId) {
    const st = this.users.get(userId);
    if (!st) return this.expire(userId);
    this.users.delete(userId);
    return [...diffStreams(userId, st, none), { kind: "exit", userId }];
  }
  /** The grace of an away user is over: it exits (nothing if it came back). */
  expire(userId) {
    return this.away.delete(userId) ? [{ kind: "exit", userId }] : [];
  }
  /** A stream_available event; a user not yet known is entered first. */
  stream(userId, stream, available) {
    if (stream !== "audio" && stream !== "video" && stream !== "sub") return [];
    const out = [];
    let st = this.users.get(userId);
    if (!st) {
      if (!available) return [];
      out.push(...this.enter(userId));
      st = this.users.get(userId);
    }
    const after = { ...st, [stream]: available };
    out.push(...diffStreams(userId, st, after));
    this.users.set(userId, after);
    return out;
  }
  /** Forgets everyone (own exit): no events, as in v5. */
  clear() {
    this.users.clear();
    this.away.clear();
  }
};

// src/signal.ts
var SUBPROTOCOL = "rtcengine.v1";
var CODE_DISCONNECTED = -8;
var CODE_TIMEOUT = -3308;
var browserSocket = (url, protocols) => new WebSocket(url, protocols);
var Signal = class {
  constructor(factory, opts) {
    this.factory = factory;
    this.opts = opts;
    this.ws = null;
    this.nextId = 0;
    this.pending = /* @__PURE__ */ new Map();
    this.ticker = null;
    this.closed = false;
    /** When the last frame arrived (ms, for liveness checks). */
    this.lastFrameAt = 0;
    this.bytesSent = 0;
    this.bytesReceived = 0;
    this.now = opts.now ?? (() => Date.now());
  }
  /** Connects; rejects with a reason if the socket does not open in time. */
  open(url, timeoutMs) {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = this.factory(url, [SUBPROTOCOL]);
      } catch (e) {
        reject(new Error(`cannot connect to ${url}: ${e.message}`));
        return;
      }
      this.ws = ws;
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.teardown();
        reject(new Error(`no connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ws.protocol !== SUBPROTOCOL) {
          this.teardown();
          reject(new Error(`the server does not speak ${SUBPROTOCOL}`));
          return;
        }
        this.lastFrameAt = this.now();
        this.startTicker();
        resolve();
      };
      ws.onmessage = (ev) => this.onFrame(ev.data);
      ws.onerror = () => {
      };
      ws.onclose = (ev) => {
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          this.teardown();
          reject(new Error(`connection to ${url} refused or closed (${ev?.code ?? ""} ${ev?.reason ?? ""})`.trim()));
          return;
        }
        this.lost(`closed by the server (${ev?.code ?? ""}${ev?.reason ? " " + ev.reason : ""})`);
      };
    });
  }
  get isOpen() {
    return !this.closed && this.ws !== null && this.ws.readyState === 1;
  }
  setHeartbeat(heartbeatMs, timeoutMs) {
    if (heartbeatMs > 0) this.opts.heartbeatMs = heartbeatMs;
    if (timeoutMs > 0) this.opts.timeoutMs = timeoutMs;
    if (this.ticker) this.startTicker();
  }
  /**
   * Sends a request. It resolves with the response, or with a synthesized
   * one carrying CODE_TIMEOUT (no answer in time) or CODE_DISCONNECTED (the
   * connection ended first). It never rejects.
   */
  request(type, data, timeoutMs) {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      if (!this.isOpen) {
        resolve({ type: "response", id, code: CODE_DISCONNECTED, msg: "not connected" });
        return;
      }
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) resolve({ type: "response", id, code: CODE_TIMEOUT, msg: `${type}: no response` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.write(data === void 0 ? { type, id } : { type, id, data });
    });
  }
  /** Sends a frame that gets no response. */
  send(type, data) {
    if (!this.isOpen) return false;
    this.write(data === void 0 ? { type } : { type, data });
    return true;
  }
  write(m) {
    const s = JSON.stringify(m);
    this.bytesSent += s.length;
    try {
      this.ws.send(s);
    } catch {
      this.lost("send failed");
    }
  }
  onFrame(raw) {
    this.lastFrameAt = this.now();
    if (typeof raw !== "string") return;
    this.bytesReceived += raw.length;
    let m;
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    if (!m || typeof m !== "object" || typeof m.type !== "string") return;
    if (m.type === "ping") return;
    if (m.type === "response") {
      const p = m.id !== void 0 ? this.pending.get(m.id) : void 0;
      if (p) {
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m);
      }
      return;
    }
    this.opts.onEvent(m);
  }
  startTicker() {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), this.opts.heartbeatMs);
  }
  /** Sends a heartbeat and declares the connection lost after a silent timeout. */
  tick() {
    if (this.closed) return;
    if (this.now() - this.lastFrameAt > this.opts.timeoutMs) {
      this.lost(`no message from the server for ${this.opts.timeoutMs} ms`);
      return;
    }
    this.send("ping");
  }
  /** Checks liveness now (after a network change or when the tab shows again). */
  checkAlive() {
    if (!this.isOpen) {
      if (!this.closed) this.lost("socket is not open");
      return false;
    }
    this.tick();
    return this.isOpen;
  }
  lost(reason) {
    if (this.closed) return;
    this.teardown();
    this.opts.onLost(reason);
  }
  teardown() {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    const ws = this.ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1e3, "bye");
      } catch {
      }
    }
    const all = [...this.pending.entries()];
    this.pending.clear();
    for (const [id, p] of all) {
      clearTimeout(p.timer);
      p.resolve({ type: "response", id, code: CODE_DISCONNECTED, msg: "connection lost" });
    }
  }
  /** Closes without reporting the loss. */
  close() {
    if (this.closed) return;
    this.teardown();
  }
};

// src/validate.ts
var MAX_ROOM_ID = 4294967294;
var MAX_STR_ROOM_ID_BYTES = 64;
var MAX_USER_ID_BYTES = 32;
var USER_ID_RE = /^[A-Za-z0-9_-]+$/;
var STR_ROOM_ID_RE = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]+$/;
var SCENE_CODE = { rtc: 0, live: 1 };
var ROLE_CODE = { anchor: 20, audience: 21 };
function byteLength(s) {
  return new TextEncoder().encode(s).length;
}
function optionalString(o, key, fn, maxBytes = 1024) {
  const v = o[key];
  if (v === void 0 || v === null) return "";
  if (typeof v !== "string") throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a string`, fn);
  if (byteLength(v) > maxBytes) {
    throw invalidParameter(EXTRA_CODE.TOO_LARGE, `${key} must be at most ${maxBytes} bytes`, fn);
  }
  return v;
}
function optionalBool(o, key, dflt, fn) {
  const v = o[key];
  if (v === void 0 || v === null) return dflt;
  if (typeof v !== "boolean") throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a boolean`, fn);
  return v;
}
function checkUserId(v, fn, key = "userId") {
  if (v === void 0 || v === null) throw invalidParameter(EXTRA_CODE.REQUIRED, `${key} is required`, fn);
  if (typeof v !== "string") throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a string`, fn);
  if (v === "") throw invalidParameter(EXTRA_CODE.EMPTY, `${key} must not be empty`, fn);
  if (byteLength(v) > MAX_USER_ID_BYTES || !USER_ID_RE.test(v)) {
    throw invalidParameter(
      EXTRA_CODE.OUT_OF_RANGE,
      `${key} must be at most ${MAX_USER_ID_BYTES} characters of a-z, A-Z, 0-9, _ and -`,
      fn
    );
  }
  return v;
}
function checkRole(v, fn) {
  if (v !== "anchor" && v !== "audience") {
    if (v === void 0 || v === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "role is required", fn);
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `role must be 'anchor' or 'audience', got ${String(v)}`, fn);
  }
  return v;
}
function checkStreamType(v, fn) {
  if (v === void 0 || v === null) {
    throw invalidParameter(EXTRA_CODE.REQUIRED, "streamType is required ('main' or 'sub')", fn);
  }
  if (v !== "main" && v !== "sub") {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `streamType must be 'main' or 'sub', got ${String(v)}`, fn);
  }
  return v;
}
function checkEnterRoom(opts) {
  const fn = "enterRoom";
  if (opts === void 0 || opts === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "options are required", fn);
  if (typeof opts !== "object") throw invalidParameter(EXTRA_CODE.TYPE, "options must be an object", fn);
  const o = opts;
  const app = o.sdkAppId;
  if (app === void 0 || app === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "sdkAppId is required", fn);
  if (typeof app !== "number") throw invalidParameter(EXTRA_CODE.TYPE, "sdkAppId must be a number", fn);
  if (!Number.isInteger(app) || app <= 0 || app > 4294967295) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `sdkAppId must be an integer in [1, 4294967295], got ${app}`, fn);
  }
  let roomId = 0;
  let strRoomId = "";
  const r = o.roomId;
  if (r !== void 0 && r !== null) {
    if (typeof r === "string") {
      throw invalidParameter(
        EXTRA_CODE.ROOM_ID_IS_STRING,
        "roomId must be a number; use strRoomId for a string room id",
        fn
      );
    }
    if (typeof r !== "number" || !Number.isInteger(r) || r < 1 || r > MAX_ROOM_ID) {
      throw invalidParameter(EXTRA_CODE.ROOM_ID_RANGE, `roomId must be an integer in [1, ${MAX_ROOM_ID}]`, fn);
    }
    roomId = r;
  }
  const s = o.strRoomId;
  if (roomId === 0 && s !== void 0 && s !== null && s !== "") {
    if (typeof s !== "string" || byteLength(s) > MAX_STR_ROOM_ID_BYTES || !STR_ROOM_ID_RE.test(s)) {
      throw invalidParameter(
        EXTRA_CODE.STR_ROOM_ID,
        `strRoomId must be at most ${MAX_STR_ROOM_ID_BYTES} bytes of a-z, A-Z, 0-9, space and !#$%&()+-:;<=.>?@[]^_{}|~,`,
        fn
      );
    }
    strRoomId = s;
  }
  if (roomId === 0 && strRoomId === "") {
    throw invalidParameter(EXTRA_CODE.ROOM_ID_MISSING, "one of roomId and strRoomId is required", fn);
  }
  const userId = checkUserId(o.userId, fn);
  const sig = o.userSig;
  if (sig === void 0 || sig === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "userSig is required", fn);
  if (typeof sig !== "string") throw invalidParameter(EXTRA_CODE.TYPE, "userSig must be a string", fn);
  if (sig === "") throw invalidParameter(EXTRA_CODE.EMPTY, "userSig must not be empty", fn);
  let scene = "rtc";
  if (o.scene !== void 0 && o.scene !== null) {
    if (o.scene !== "rtc" && o.scene !== "live") {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `scene must be 'rtc' or 'live', got ${String(o.scene)}`, fn);
    }
    scene = o.scene;
  }
  let role = "anchor";
  if (o.role !== void 0 && o.role !== null) role = checkRole(o.role, fn);
  return {
    sdkAppId: app,
    userId,
    userSig: sig,
    roomId,
    strRoomId,
    scene,
    role: scene === "rtc" ? "anchor" : role,
    privateMapKey: optionalString(o, "privateMapKey", fn, 8192),
    autoReceiveAudio: optionalBool(o, "autoReceiveAudio", true, fn),
    autoReceiveVideo: optionalBool(o, "autoReceiveVideo", false, fn),
    userDefineRecordId: optionalString(o, "userDefineRecordId", fn, 64),
    streamId: optionalString(o, "streamId", fn, 64),
    businessInfo: optionalString(o, "businessInfo", fn, 8192)
  };
}
function resolveView(view, fn, required) {
  if (view === void 0 || view === null) {
    if (required) throw invalidParameter(EXTRA_CODE.REQUIRED, "view is required (an element id or an HTMLElement)", fn);
    return null;
  }
  if (typeof view === "string") {
    if (view === "") throw invalidParameter(EXTRA_CODE.EMPTY, "view must not be an empty id", fn);
    const el = typeof document !== "undefined" ? document.getElementById(view) : null;
    if (!el) throw invalidParameter(EXTRA_CODE.ELEMENT_NOT_FOUND, `no element with id "${view}" on the page`, fn);
    return el;
  }
  if (typeof HTMLElement === "undefined" || !(view instanceof HTMLElement)) {
    throw invalidParameter(EXTRA_CODE.NOT_ELEMENT, "view must be an element id or an HTMLElement", fn);
  }
  return view;
}
function checkOptions(o, fn, required) {
  if (o === void 0 || o === null) {
    if (required) throw invalidParameter(EXTRA_CODE.REQUIRED, "options are required", fn);
    return {};
  }
  if (typeof o !== "object") throw invalidParameter(EXTRA_CODE.TYPE, "options must be an object", fn);
  return o;
}
function checkBool(v, name, fn) {
  if (v === void 0 || v === null) return void 0;
  if (typeof v !== "boolean") throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be a boolean`, fn);
  return v;
}
function checkOptionalString(v, name, fn) {
  if (v === void 0 || v === null) return void 0;
  if (typeof v !== "string") throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be a string`, fn);
  return v;
}

// src/redirect.ts
var CODE_REDIRECT = 302;
var MAX_REDIRECTS = 3;
function redirectURL(data) {
  if (!data || typeof data !== "object") return null;
  const u = data.url;
  if (typeof u !== "string" || u.length > 2048) return null;
  try {
    const parsed = new URL(u);
    if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:" || !parsed.host) return null;
  } catch {
    return null;
  }
  return u;
}

// src/room.ts
var SDK_VERSION = "0.1.0";
var CODE_USER_NOT_FOUND = -102007;
var CODE_SERVER_OVERLOADED = -100021;
var CODE_KICKED_BY_NEWER = 6100;
var DEFAULT_TIMINGS = {
  connectTimeoutMs: 5e3,
  requestTimeoutMs: 5e3,
  heartbeatMs: 2e3,
  timeoutMs: 1e4,
  maxReconnectMs: 12e4,
  awayGraceMs: AWAY_GRACE_MS
};
var RoomSession = class {
  constructor(params, url, factory, hooks, t = DEFAULT_TIMINGS) {
    this.params = params;
    this.url = url;
    this.factory = factory;
    this.hooks = hooks;
    this.t = t;
    this.users = new RemoteUsers();
    this.phase = "entering";
    this.signal = null;
    this.sessionId = "";
    this.resumeToken = "";
    this.connState = "DISCONNECTED";
    this.retryTimer = null;
    this.lostAt = 0;
    this.backoff = 100;
    this.attempt = 0;
    this.bytes = { sent: 0, received: 0 };
    /** Index of the last custom message received: resume asks for what came after. */
    this.lastMsgIndex = null;
    /** The room owner's signaling URL after a redirect (redirect.ts). */
    this.target = null;
    /** Redirects answering the reconnect's enters in a row. */
    this.redirects = 0;
    /** The pending exit of each away user (roomstate.ts). */
    this.awayTimers = /* @__PURE__ */ new Map();
    this.role = params.role;
  }
  get inRoom() {
    return this.phase === "in" || this.phase === "reconnecting";
  }
  get connected() {
    return this.phase === "in";
  }
  get connectionState() {
    return this.connState;
  }
  signalBytes() {
    return {
      sent: this.bytes.sent + (this.signal?.bytesSent ?? 0),
      received: this.bytes.received + (this.signal?.bytesReceived ?? 0)
    };
  }
  setState(next) {
    if (next === this.connState) return;
    const prev = this.connState;
    this.connState = next;
    this.hooks.state(prev, next);
  }
  /** The enter of these params; retry marks an enter again after the session timed out while reconnecting (webhook 103 reason 3). */
  enterRequest(retry = false) {
    const p = this.params;
    return {
      sdkAppId: p.sdkAppId,
      userId: p.userId,
      userSig: p.userSig,
      roomId: p.roomId || void 0,
      strRoomId: p.roomId ? void 0 : p.strRoomId,
      role: ROLE_CODE[this.role],
      scene: SCENE_CODE[p.scene],
      privateMapKey: p.privateMapKey || void 0,
      streamId: p.streamId || void 0,
      userDefineRecordId: p.userDefineRecordId || void 0,
      businessInfo: p.businessInfo || void 0,
      terminal: {
        terminalType: 100,
        userType: 1,
        sdkVersion: `rtcengine-web/${SDK_VERSION}`,
        device: typeof navigator !== "undefined" ? navigator.userAgent.slice(0, 128) : "unknown"
      },
      autoRecvAudio: p.autoReceiveAudio,
      autoRecvVideo: p.autoReceiveVideo,
      retry: retry || void 0
    };
  }
  newSignal() {
    const s = new Signal(this.factory, {
      heartbeatMs: this.t.heartbeatMs,
      timeoutMs: this.t.timeoutMs,
      onEvent: (m) => {
        if (this.signal === s) this.onEvent(m);
      },
      onLost: (reason) => {
        if (this.signal === s) this.onLost(reason);
      }
    });
    return s;
  }
  /**
   * Connects and enters. Resolves with the enter response's code: 0 on
   * success, else the server's (or a synthesized timeout/connection) code
   * and message; the session is then over.
   */
  async enter() {
    this.setState("CONNECTING");
    let m;
    for (let hops = 0; ; hops++) {
      const s = this.newSignal();
      this.signal = s;
      try {
        await s.open(this.target ?? this.url, this.t.connectTimeoutMs);
      } catch (e) {
        this.close();
        return { code: CODE_TIMEOUT, msg: e.message };
      }
      if (this.phase === "ended") {
        s.close();
        return { code: CODE_DISCONNECTED, msg: "exitRoom was called while entering" };
      }
      m = await s.request("enter", this.enterRequest(), this.t.requestTimeoutMs);
      if (this.phase === "ended") return { code: CODE_DISCONNECTED, msg: "exitRoom was called while entering" };
      if (m.code !== CODE_REDIRECT) break;
      const to = redirectURL(m.data);
      this.keepBytes();
      this.signal = null;
      s.close();
      if (!to || hops >= MAX_REDIRECTS) {
        this.close();
        return { code: m.code, msg: "the server redirected the enter too often or to a bad URL" };
      }
      this.target = to;
    }
    if (m.code) {
      this.close();
      return { code: m.code, msg: m.msg ?? "" };
    }
    this.phase = "in";
    this.apply(m.data);
    this.setState("CONNECTED");
    this.report(this.users.snapshot(Array.isArray(m.data?.users) ? m.data.users : []));
    return { code: 0, msg: "" };
  }
  apply(data) {
    if (!data || typeof data !== "object") return;
    if (typeof data.sessionId === "string") this.sessionId = data.sessionId;
    if (typeof data.resumeToken === "string") this.resumeToken = data.resumeToken;
    if (data.role === 21) this.role = "audience";
    else if (data.role === 20) this.role = "anchor";
    const hb = typeof data.heartbeatMs === "number" ? data.heartbeatMs : 0;
    const to = typeof data.timeoutMs === "number" ? data.timeoutMs : 0;
    if (hb > 0) this.t = { ...this.t, heartbeatMs: hb };
    if (to > 0) this.t = { ...this.t, timeoutMs: to };
    this.signal?.setHeartbeat(hb, to);
  }
  /** A request on the current connection (CODE_DISCONNECTED while reconnecting). */
  request(type, data, timeoutMs = this.t.requestTimeoutMs) {
    if (!this.signal || this.phase !== "in") {
      return Promise.resolve({ type: "response", code: CODE_DISCONNECTED, msg: "not connected" });
    }
    return this.signal.request(type, data, timeoutMs);
  }
  send(type, data) {
    if (!this.signal || this.phase !== "in") return false;
    return this.signal.send(type, data);
  }
  onEvent(m) {
    if (this.phase === "ended") return;
    const d = m.data && typeof m.data === "object" ? m.data : {};
    switch (m.type) {
      case "user_enter":
        if (typeof d.userId === "string") this.report(this.users.enter(d.userId));
        break;
      case "user_leave":
        if (typeof d.userId === "string") this.report(this.users.leave(d.userId));
        break;
      case "stream_available":
        if (typeof d.userId === "string" && typeof d.stream === "string") {
          this.report(this.users.stream(d.userId, d.stream, !!d.available));
        }
        break;
      case "kicked": {
        const reason = d.reason === 2 ? "room_disband" : d.code === CODE_KICKED_BY_NEWER ? "kick" : "banned";
        const msg = typeof d.msg === "string" && d.msg ? d.msg : reason === "room_disband" ? "the room was dismissed" : "removed from the room";
        this.close();
        this.hooks.kicked(reason, msg);
        break;
      }
      case "closing":
        this.signal?.close();
        this.onLost("server is shutting down");
        break;
      case "warning":
        this.hooks.warning(m.code ?? 0, m.msg ?? "");
        break;
      case "error":
        this.hooks.warning(m.code ?? 0, m.msg ?? "the server refused a message");
        break;
      default:
        this.hooks.event(m);
    }
  }
  /** Passes room events on, starting and ending the grace of away users. */
  report(events) {
    for (const e of events) {
      if (e.kind === "away") this.startAway(e.userId);
      else if (e.kind === "back" || e.kind === "exit") this.stopAway(e.userId);
    }
    this.hooks.roomEvents(events);
  }
  startAway(userId) {
    if (this.awayTimers.has(userId)) return;
    const grace = this.t.awayGraceMs ?? AWAY_GRACE_MS;
    this.awayTimers.set(
      userId,
      setTimeout(() => {
        this.awayTimers.delete(userId);
        if (this.phase !== "ended") this.report(this.users.expire(userId));
      }, grace)
    );
  }
  stopAway(userId) {
    const t = this.awayTimers.get(userId);
    if (t === void 0) return;
    clearTimeout(t);
    this.awayTimers.delete(userId);
  }
  /** Checks the connection now (network change, tab shown again). */
  checkAlive() {
    if (this.phase === "in") this.signal?.checkAlive();
    else if (this.phase === "reconnecting") this.retryNow();
  }
  onLost(_reason) {
    if (this.phase !== "in") return;
    this.keepBytes();
    this.signal = null;
    this.phase = "reconnecting";
    this.lostAt = Date.now();
    this.backoff = 100;
    this.attempt = 0;
    this.redirects = 0;
    this.setState("RECONNECTING");
    this.scheduleRetry(0);
  }
  keepBytes() {
    if (!this.signal) return;
    this.bytes.sent += this.signal.bytesSent;
    this.bytes.received += this.signal.bytesReceived;
  }
  scheduleRetry(delay) {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retry();
    }, delay);
  }
  /** Retries at once (the network came back), keeping the back-off. */
  retryNow() {
    if (this.phase === "reconnecting" && this.retryTimer) this.scheduleRetry(0);
  }
  async retry() {
    if (this.phase !== "reconnecting") return;
    if (Date.now() - this.lostAt > this.t.maxReconnectMs) {
      this.end();
      this.hooks.failed(`could not reconnect within ${Math.round(this.t.maxReconnectMs / 1e3)} s`);
      return;
    }
    this.attempt++;
    const s = this.newSignal();
    this.signal = s;
    let outcome = "retry";
    let fatal = "";
    let resumed = false;
    try {
      try {
        await s.open(this.target ?? this.url, Math.min(this.t.connectTimeoutMs, 5e3));
      } catch (e) {
        this.target = null;
        throw e;
      }
      const resume = { sessionId: this.sessionId, resumeToken: this.resumeToken };
      if (this.lastMsgIndex !== null) resume.lastMsgIndex = this.lastMsgIndex;
      let m = await s.request("resume", resume, 5e3);
      if (m.code === CODE_USER_NOT_FOUND) {
        this.lastMsgIndex = null;
        m = await s.request("enter", this.enterRequest(true), 5e3);
        if (m.code === CODE_REDIRECT) {
          const to = redirectURL(m.data);
          if (to) {
            this.target = to;
            outcome = "redirected";
          }
        } else if (m.code && m.code !== CODE_TIMEOUT && m.code !== CODE_DISCONNECTED && m.code !== CODE_SERVER_OVERLOADED) {
          outcome = "fatal";
          fatal = `the server refused to enter the room again: ${m.code} ${m.msg ?? ""}`;
        }
      }
      if (!m.code && this.phase === "reconnecting" && this.signal === s) {
        outcome = "ok";
        resumed = !!m.data?.resumed;
        this.phase = "in";
        this.apply(m.data);
        this.setState("CONNECTED");
        this.report(this.users.snapshot(Array.isArray(m.data?.users) ? m.data.users : [], !resumed));
        this.hooks.recovered(resumed);
      }
    } catch {
      outcome = "retry";
    }
    if (outcome === "ok") return;
    if (this.signal === s) {
      this.keepBytes();
      s.close();
      this.signal = null;
    }
    if (this.phase !== "reconnecting") return;
    if (outcome === "fatal") {
      this.end();
      this.hooks.failed(fatal);
      return;
    }
    if (outcome !== "redirected") this.redirects = 0;
    else if (++this.redirects <= MAX_REDIRECTS) {
      this.scheduleRetry(0);
      return;
    }
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, 2e3);
    this.scheduleRetry(delay);
  }
  /** Sets the role after a successful switch_role. */
  setRole(r) {
    this.role = r;
  }
  /** Tells the server we leave (bounded wait), then closes. */
  async exit() {
    if (this.phase === "ended") return;
    const s = this.signal;
    const wasIn = this.phase === "in";
    this.end();
    if (s && wasIn) {
      await s.request("exit", void 0, 3e3);
    }
    s?.close();
  }
  end() {
    if (this.phase === "ended") return;
    this.phase = "ended";
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const t of this.awayTimers.values()) clearTimeout(t);
    this.awayTimers.clear();
    this.keepBytes();
    const s = this.signal;
    this.signal = null;
    if (s && !s.isOpen) s.close();
    this.users.clear();
    this.setState("DISCONNECTED");
  }
  /** Ends the session without telling the server (destroy, kicked). */
  close() {
    const s = this.signal;
    this.end();
    s?.close();
  }
};

// src/stats.ts
var num2 = (v) => typeof v === "number" && Number.isFinite(v) ? v : 0;
function readReport(report, names) {
  const byId = /* @__PURE__ */ new Map();
  for (const [id, s] of report) byId.set(id, s);
  const st = { rttMs: null, bytesSent: 0, bytesReceived: 0, out: [], in: [], localAudioLevel: null };
  const remoteIn = /* @__PURE__ */ new Map();
  for (const s of byId.values()) {
    if (s.type === "remote-inbound-rtp" && s.localId) remoteIn.set(s.localId, s);
  }
  for (const s of byId.values()) {
    switch (s.type) {
      case "transport": {
        st.bytesSent += num2(s.bytesSent);
        st.bytesReceived += num2(s.bytesReceived);
        const pair = s.selectedCandidatePairId ? byId.get(s.selectedCandidatePairId) : void 0;
        if (pair && typeof pair.currentRoundTripTime === "number") st.rttMs = pair.currentRoundTripTime * 1e3;
        break;
      }
      case "outbound-rtp": {
        const name = s.mid !== void 0 ? names.get(String(s.mid)) : void 0;
        if (!name) break;
        const r = remoteIn.get(s.id);
        st.out.push({
          stream: name,
          kind: s.kind ?? s.mediaType ?? "",
          bytesSent: num2(s.bytesSent),
          packetsSent: num2(s.packetsSent),
          frameWidth: num2(s.frameWidth),
          frameHeight: num2(s.frameHeight),
          framesPerSecond: num2(s.framesPerSecond),
          remotePacketsLost: r ? Math.max(0, num2(r.packetsLost)) : 0,
          remoteJitterMs: r ? num2(r.jitter) * 1e3 : 0
        });
        break;
      }
      case "inbound-rtp": {
        const key = s.mid !== void 0 ? names.get(String(s.mid)) : void 0;
        if (!key) break;
        st.in.push({
          key,
          kind: s.kind ?? s.mediaType ?? "",
          bytesReceived: num2(s.bytesReceived),
          packetsReceived: num2(s.packetsReceived),
          packetsLost: Math.max(0, num2(s.packetsLost)),
          framesDecoded: num2(s.framesDecoded),
          frameWidth: num2(s.frameWidth),
          frameHeight: num2(s.frameHeight),
          framesPerSecond: num2(s.framesPerSecond),
          jitterMs: num2(s.jitter) * 1e3,
          audioLevel: num2(s.audioLevel),
          totalSamplesReceived: num2(s.totalSamplesReceived)
        });
        break;
      }
      case "media-source":
        if (s.kind === "audio" && typeof s.audioLevel === "number") {
          st.localAudioLevel = Math.max(st.localAudioLevel ?? 0, s.audioLevel);
        }
        break;
    }
  }
  return st;
}
var QUALITY_LEVELS = [
  { level: 1, loss: 1, rtt: 100, jitter: 30 },
  { level: 2, loss: 3, rtt: 200, jitter: 50 },
  { level: 3, loss: 8, rtt: 400, jitter: 100 },
  { level: 4, loss: 15, rtt: 600, jitter: 200 }
];
function rateNetwork(lossPct, rttMs, jitterMs) {
  for (const l of QUALITY_LEVELS) {
    if (lossPct < l.loss && rttMs < l.rtt && jitterMs < l.jitter) return l.level;
  }
  return 5;
}
function kbps(bytes, seconds) {
  return seconds > 0 ? Math.round(Math.max(0, bytes) * 8 / seconds / 1e3) : 0;
}
function pct(lost, total) {
  if (total <= 0 || lost <= 0) return 0;
  return Math.min(100, Math.round(lost / total * 1e3) / 10);
}
function computeReport(prev, cur, down) {
  const dt = prev ? (cur.at - prev.at) / 1e3 : 0;
  const rtts = [cur.pub?.rttMs, cur.sub?.rttMs].filter((v) => typeof v === "number");
  const rtt = rtts.length ? Math.round(rtts.reduce((a, b) => a + b, 0) / rtts.length) : 0;
  const prevOut = new Map((prev?.pub?.out ?? []).map((o) => [o.stream, o]));
  const prevIn = new Map((prev?.sub?.in ?? []).map((i) => [i.key, i]));
  const hasAudioOut = (cur.pub?.out ?? []).some((o) => o.kind === "audio");
  let sent = 0;
  let lostUp = 0;
  let upJitter = 0;
  const localVideo = [];
  let localAudio = { bitrate: 0, audioLevel: cur.pub?.localAudioLevel ?? 0 };
  for (const o of cur.pub?.out ?? []) {
    const p = prevOut.get(o.stream);
    sent += o.packetsSent - (p?.packetsSent ?? o.packetsSent);
    lostUp += o.remotePacketsLost - (p?.remotePacketsLost ?? o.remotePacketsLost);
    if (o.kind === "audio" || !hasAudioOut) upJitter = Math.max(upJitter, o.remoteJitterMs);
    const rate = kbps(o.bytesSent - (p?.bytesSent ?? o.bytesSent), dt);
    if (o.kind === "audio") localAudio = { ...localAudio, bitrate: rate };
    else {
      localVideo.push({
        width: o.frameWidth,
        height: o.frameHeight,
        frameRate: Math.round(o.framesPerSecond),
        bitrate: rate,
        videoType: o.stream === "small" ? "small" : o.stream === "sub" ? "sub" : "big"
      });
    }
  }
  const audioFrom = new Set((cur.sub?.in ?? []).filter((i) => i.kind === "audio").map((i) => i.key.split("/")[0]));
  let received = 0;
  let lostDown = 0;
  let downJitter = 0;
  const remote = /* @__PURE__ */ new Map();
  const perUser = /* @__PURE__ */ new Map();
  for (const i of cur.sub?.in ?? []) {
    const p = prevIn.get(i.key);
    const dRecv = i.packetsReceived - (p?.packetsReceived ?? i.packetsReceived);
    const dLost = i.packetsLost - (p?.packetsLost ?? i.packetsLost);
    received += Math.max(0, dRecv);
    lostDown += Math.max(0, dLost);
    const [userId, stream] = i.key.split("/");
    const rateJitter = i.kind === "audio" || !audioFrom.has(userId);
    if (rateJitter) downJitter = Math.max(downJitter, i.jitterMs);
    const u = perUser.get(userId) ?? { recv: 0, lost: 0, jitter: 0, fresh: true };
    u.recv += Math.max(0, dRecv);
    u.lost += Math.max(0, dLost);
    if (rateJitter) u.jitter = Math.max(u.jitter, i.jitterMs);
    if (p) u.fresh = false;
    perUser.set(userId, u);
    let r = remote.get(userId);
    if (!r) {
      r = { userId, audio: { bitrate: 0, audioLevel: 0 }, video: [] };
      remote.set(userId, r);
    }
    const rate = kbps(i.bytesReceived - (p?.bytesReceived ?? i.bytesReceived), dt);
    if (i.kind === "audio") r.audio = { bitrate: rate, audioLevel: i.audioLevel };
    else {
      r.video.push({
        width: i.frameWidth,
        height: i.frameHeight,
        frameRate: Math.round(i.framesPerSecond),
        bitrate: rate,
        videoType: stream === "sub" ? "sub" : "big"
      });
    }
  }
  const upLoss = pct(lostUp, sent + Math.max(0, lostUp));
  const downLoss = pct(lostDown, received + lostDown);
  const publishing = (cur.pub?.out.length ?? 0) > 0;
  const receiving = (cur.sub?.in.length ?? 0) > 0;
  const statistics = {
    rtt,
    upLoss,
    downLoss,
    bytesSent: (cur.pub?.bytesSent ?? 0) + (cur.sub?.bytesSent ?? 0) + cur.signalBytesSent,
    bytesReceived: (cur.pub?.bytesReceived ?? 0) + (cur.sub?.bytesReceived ?? 0) + cur.signalBytesReceived,
    localStatistics: { audio: localAudio, video: localVideo },
    remoteStatistics: [...remote.values()]
  };
  const known = prev !== null && rtts.length > 0;
  const quality = {
    uplinkNetworkQuality: down ? 6 : known && publishing ? rateNetwork(upLoss, rtt, upJitter) : 0,
    downlinkNetworkQuality: down ? 6 : known && receiving ? rateNetwork(downLoss, rtt, downJitter) : 0,
    uplinkRTT: rtt,
    uplinkLoss: upLoss,
    downlinkRTT: rtt,
    downlinkLoss: downLoss,
    remoteQuality: [...perUser].map(([userId, u]) => ({
      userId,
      // Nothing received this interval (e.g. muted streams are not forwarded): unknown.
      quality: down ? 6 : !known || u.fresh || u.recv === 0 ? 0 : rateNetwork(pct(u.lost, u.recv + u.lost), rtt, u.jitter)
    }))
  };
  return { statistics, quality };
}
function volumes(cur, localOn) {
  const result = [];
  if (localOn) result.push({ userId: "", volume: Math.round((cur.pub?.localAudioLevel ?? 0) * 100) });
  for (const i of cur.sub?.in ?? []) {
    if (i.kind !== "audio") continue;
    result.push({ userId: i.key.split("/")[0], volume: Math.round(i.audioLevel * 100) });
  }
  return { result };
}

// src/speedtest.ts
var PROBE = {
  MAGIC: 14,
  VERSION: 1,
  HEADER: 48,
  MAX_SIZE: 1200,
  /** Sequence numbers a receiver remembers, per direction. */
  MAX_PACKETS: 1 << 16,
  /** The highest rate a test may ask for (kbps). */
  MAX_KBPS: 5e3,
  /** The highest rate of the online chorus scene (kbps). */
  MAX_CHORUS_KBPS: 1e3,
  /**
   * The largest datagram sent over the data channel: a message must fit one
   * SCTP chunk (at most 1160 bytes at the server's SCTP MTU of 1191), or losing
   * either half of it loses it, counting the path's loss about twice.
   */
  CHANNEL_MAX_SIZE: 1100,
  /**
   * What a message costs on the wire beyond a UDP probe of its size: SCTP
   * common and DATA chunk headers (12 + 16) and a DTLS AES-GCM record's
   * header, nonce and tag (13 + 8 + 16). Rates count it with every message,
   * so that they mean what the UDP test's do (the server does the same).
   */
  CHANNEL_OVERHEAD: 65
};
var PING = 1;
var PONG = 2;
var UP = 3;
var DOWN = 4;
var PROBE_CHANNEL = "probe";
var PROBE_CHANNEL_INIT = { ordered: false, maxRetransmits: 0 };
var SPEED_TEST_TIMINGS = {
  connectMs: 5e3,
  requestMs: 5e3,
  gatherMs: 2e3,
  /** How long the data channel may take to open. */
  openMs: 5e3,
  pings: 10,
  pingGapMs: 30,
  /** How long pongs may take after the last ping. */
  pongWaitMs: 500,
  paceMs: 5,
  /** What may wait in the channel's send buffer before a datagram is dropped (as a full socket would). */
  maxBufferedBytes: 64 * 1024,
  /** How long the upload's last datagrams may take to leave the channel's buffer. */
  drainMs: 1e3
};
function encodeProbe(p) {
  const size = Math.min(Math.max(p.size, PROBE.HEADER), PROBE.MAX_SIZE);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b[0] = PROBE.MAGIC;
  b[1] = PROBE.VERSION;
  b[2] = p.type;
  b.set(p.token.subarray(0, 16), 4);
  v.setUint32(20, p.seq >>> 0);
  v.setBigUint64(24, BigInt(Math.max(0, Math.round(p.sent))));
  v.setBigUint64(32, BigInt(Math.max(0, Math.round(p.echo))));
  v.setBigUint64(40, p.cookie);
  return b;
}
function parseProbe(data) {
  const b = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (b.length < PROBE.HEADER || b[0] !== PROBE.MAGIC || b[1] !== PROBE.VERSION) return null;
  const type = b[2];
  if (type < PING || type > DOWN) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    type,
    token: b.slice(4, 20),
    seq: v.getUint32(20),
    sent: Number(v.getBigUint64(24)),
    echo: Number(v.getBigUint64(32)),
    cookie: v.getBigUint64(40),
    size: b.length
  };
}
function parseToken(hex) {
  if (typeof hex !== "string" || !/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const t = new Uint8Array(16);
  for (let i = 0; i < 16; i++) t[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return t;
}
function sameToken(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function packetSize(kbps2) {
  return Math.min(Math.max(Math.floor(kbps2 * 1e3 / 8 / 50), PROBE.HEADER), PROBE.MAX_SIZE);
}
function channelPacketSize(kbps2) {
  return Math.min(packetSize(kbps2), PROBE.CHANNEL_MAX_SIZE);
}
var ProbeReceiver = class {
  constructor() {
    this.seen = new Uint32Array(PROBE.MAX_PACKETS / 32);
    this.count = 0;
    this.bytes = 0;
    // of every packet but the first
    this.first = 0;
    this.last = 0;
    this.jitter = 0;
    // µs
    this.prevTransit = 0;
    this.haveTransit = false;
  }
  /** Records a packet that arrived at atUs (µs), sent at sentUs on the sender's clock. */
  add(seq, sentUs, size, atUs) {
    if (seq >= PROBE.MAX_PACKETS) return;
    const w = seq >>> 5;
    const bit = 1 << (seq & 31);
    if (this.seen[w] & bit) return;
    this.seen[w] = this.seen[w] | bit;
    if (this.count === 0) this.first = atUs;
    else this.bytes += size;
    this.count++;
    if (atUs > this.last) this.last = atUs;
    const transit = atUs - sentUs;
    if (this.haveTransit) this.jitter += (Math.abs(transit - this.prevTransit) - this.jitter) / 16;
    this.prevTransit = transit;
    this.haveTransit = true;
  }
  get received() {
    return this.count;
  }
  /** Summarizes what arrived of sent packets. */
  report(sent) {
    const r = { sent, received: this.count, loss: 0, kbps: -1, jitterMs: -1 };
    if (sent > 0) {
      let got = 0;
      for (let seq = 0; seq < Math.min(sent, PROBE.MAX_PACKETS); seq++) {
        if (this.seen[seq >>> 5] & 1 << (seq & 31)) got++;
      }
      r.received = got;
      r.loss = Math.max(0, 1 - got / sent);
    }
    const spanUs = this.last - this.first;
    if (this.count >= 2 && spanUs > 0) r.kbps = Math.floor(this.bytes * 8 / (spanUs / 1e6) / 1e3);
    if (this.count >= 2) r.jitterMs = Math.round(this.jitter / 1e3);
    return r;
  }
};
function checkSpeedTestParams(params) {
  const fn = "startSpeedTest";
  if (params === void 0 || params === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "params are required", fn);
  if (typeof params !== "object") throw invalidParameter(EXTRA_CODE.TYPE, "params must be an object", fn);
  const o = params;
  const app = o.sdkAppId;
  if (app === void 0 || app === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "sdkAppId is required", fn);
  if (typeof app !== "number") throw invalidParameter(EXTRA_CODE.TYPE, "sdkAppId must be a number", fn);
  if (!Number.isInteger(app) || app <= 0 || app > 4294967295) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `sdkAppId must be an integer in [1, 4294967295], got ${app}`, fn);
  }
  const userId = checkUserId(o.userId, fn);
  const sig = o.userSig;
  if (sig === void 0 || sig === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "userSig is required", fn);
  if (typeof sig !== "string") throw invalidParameter(EXTRA_CODE.TYPE, "userSig must be a string", fn);
  if (sig === "") throw invalidParameter(EXTRA_CODE.EMPTY, "userSig must not be empty", fn);
  let scene = 2;
  if (o.scene !== void 0 && o.scene !== null) {
    if (o.scene !== 1 && o.scene !== 2 && o.scene !== 3) {
      throw invalidParameter(
        EXTRA_CODE.OUT_OF_RANGE,
        "scene must be 1 (delay), 2 (delay and bandwidth) or 3 (online chorus)",
        fn
      );
    }
    scene = o.scene;
  }
  const limit = scene === 3 ? PROBE.MAX_CHORUS_KBPS : PROBE.MAX_KBPS;
  const bandwidth = (key) => {
    const v = o[key];
    if (v === void 0 || v === null || v === 0) return 0;
    if (typeof v !== "number") throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a number`, fn);
    if (!Number.isInteger(v) || v < 10 || v > limit) {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${key} must be 0 (not tested) or 10..${limit} kbps`, fn);
    }
    return v;
  };
  return {
    sdkAppId: app,
    userId,
    userSig: sig,
    expectedUpBandwidth: bandwidth("expectedUpBandwidth"),
    expectedDownBandwidth: bandwidth("expectedDownBandwidth"),
    scene,
    server: o.server
  };
}
function rateSpeedTest(r, p) {
  const loss = 100 * Math.max(r.upLostRate, r.downLostRate);
  const jitter = Math.max(r.upJitter, r.downJitter, 0);
  let q = rateNetwork(loss, r.rtt, jitter);
  const short = (got, want) => want > 0 && got >= 0 && got < want / 2;
  if ((short(r.availableUpBandwidth, p.expectedUpBandwidth) || short(r.availableDownBandwidth, p.expectedDownBandwidth)) && q < 5) q++;
  return q;
}
function failedResult(ip, errMsg) {
  return {
    success: false,
    errMsg,
    ip,
    quality: 0,
    upLostRate: 0,
    downLostRate: 0,
    rtt: 0,
    availableUpBandwidth: -1,
    availableDownBandwidth: -1,
    upJitter: -1,
    downJitter: -1
  };
}
function filterCandidates(sdp, keep) {
  return sdp.split(/\r\n/).filter((line) => !line.startsWith("a=candidate:") || keep(line.slice(2))).join("\r\n");
}
var running = false;
async function startSpeedTest(params, deps) {
  const fn = "startSpeedTest";
  const p = checkSpeedTestParams(params);
  const d = deps(p.server);
  if (running) throw invalidOperation(EXTRA_CODE.REPEATED_CALL, "a speed test is already running", fn);
  if (d.inRoom) throw invalidOperation(void 0, "startSpeedTest works before enterRoom only", fn);
  running = true;
  try {
    return await new SpeedRun(p, d).run();
  } finally {
    running = false;
  }
}
var Lost = class extends Error {
};
var SpeedRun = class {
  constructor(p, d) {
    this.p = p;
    this.d = d;
    this.fail = () => {
    };
    this.pc = null;
    this.dc = null;
    this.token = new Uint8Array(16);
    this.cookie = 0n;
    this.rtts = [];
    this.pongsWanted = null;
    this.down = new ProbeReceiver();
    this.phaseMs = 2e3;
    this.t = { ...SPEED_TEST_TIMINGS, ...d.timings };
    this.nowUs = d.nowUs ?? (() => Math.round((performance.timeOrigin + performance.now()) * 1e3));
    this.lost = new Promise((_, reject) => {
      this.fail = (reason) => reject(new Lost(reason));
    });
    this.lost.catch(() => {
    });
    this.signal = new Signal(d.socketFactory, {
      heartbeatMs: 2e3,
      timeoutMs: 1e4,
      onEvent: () => {
      },
      onLost: (reason) => this.fail(`signaling connection lost: ${reason}`)
    });
  }
  /** Waits for v unless the test fails first. */
  guard(v) {
    return Promise.race([v, this.lost]);
  }
  sleep(ms) {
    return this.guard(new Promise((resolve) => setTimeout(resolve, ms)));
  }
  /** Waits up to ms for done to be called; reports whether it was. */
  within(ms, arm) {
    return this.guard(
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        arm(() => {
          clearTimeout(timer);
          resolve(true);
        });
      })
    );
  }
  async call(type, data, timeoutMs = this.t.requestMs) {
    const m = await this.guard(this.signal.request(type, data, timeoutMs));
    if (m.code) throw new Error(`${type} refused: ${m.code} ${m.msg ?? ""}`.trim());
    return m;
  }
  async run() {
    let ip = new URL(this.d.url).hostname.replace(/^\[|\]$/g, "");
    try {
      await this.signal.open(this.d.url, this.t.connectMs);
    } catch (e) {
      return failedResult("", `cannot reach the server: ${e.message}`);
    }
    try {
      const st = await this.connect();
      if (typeof st.ip === "string" && st.ip !== "") ip = st.ip;
      return await this.measure(ip);
    } catch (e) {
      return failedResult(ip, e.message);
    } finally {
      if (this.signal.isOpen) this.signal.send("speed_test_end");
      this.dc?.close();
      this.pc?.close();
      this.signal.close();
    }
  }
  /** Offers the data channel, starts the test and waits for the channel to open. */
  async connect() {
    const pc = this.d.createPC();
    this.pc = pc;
    const dc = pc.createDataChannel(PROBE_CHANNEL, PROBE_CHANNEL_INIT);
    this.dc = dc;
    dc.binaryType = "arraybuffer";
    dc.onmessage = (ev) => {
      if (ev.data instanceof ArrayBuffer) this.onDatagram(ev.data);
    };
    await this.guard(pc.setLocalDescription(await pc.createOffer()));
    await this.within(this.t.gatherMs, (done) => {
      if (pc.iceGatheringState === "complete") done();
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === "complete") done();
      };
    });
    const offer = filterCandidates(pc.localDescription?.sdp ?? "", this.d.keepCandidate);
    const m = await this.call("speed_test", {
      sdkAppId: this.p.sdkAppId,
      userId: this.p.userId,
      userSig: this.p.userSig,
      expectedUpBandwidth: this.p.expectedUpBandwidth,
      expectedDownBandwidth: this.p.expectedDownBandwidth,
      scene: this.p.scene,
      transport: "datachannel",
      sdp: offer
    });
    const st = m.data ?? {};
    const token = parseToken(st.token);
    if (!token || typeof st.sdp !== "string") throw new Error("bad speed_test response");
    this.token = token;
    this.signal.setHeartbeat(Number(st.heartbeatMs) || 0, Number(st.timeoutMs) || 0);
    this.phaseMs = Math.min(Math.max(Number(st.phaseMs) || 2e3, 500), 5e3);
    await this.guard(pc.setRemoteDescription({ type: "answer", sdp: st.sdp }));
    const open = await this.within(this.t.openMs, (done) => {
      if (dc.readyState === "open") done();
      dc.onopen = () => done();
    });
    if (!open) throw new Error("the data channel to the media port did not open (UDP blocked?)");
    return st;
  }
  async measure(ip) {
    const res = { ...failedResult(ip, ""), success: true };
    const pingLoss = await this.ping();
    res.rtt = this.rtt();
    if (this.p.scene === 1) {
      res.upLostRate = res.downLostRate = pingLoss;
    } else {
      if (this.p.expectedUpBandwidth > 0) {
        const up = await this.upload(this.p.expectedUpBandwidth);
        res.upLostRate = up.loss;
        res.upJitter = up.jitterMs;
        res.availableUpBandwidth = Math.min(up.kbps, this.p.expectedUpBandwidth);
      }
      if (this.p.expectedDownBandwidth > 0) {
        const down = await this.download(this.p.expectedDownBandwidth);
        res.downLostRate = down.loss;
        res.downJitter = down.jitterMs;
        res.availableDownBandwidth = Math.min(down.kbps, this.p.expectedDownBandwidth);
      }
    }
    res.quality = rateSpeedTest(res, this.p);
    return res;
  }
  onDatagram(data) {
    const at = this.nowUs();
    const p = parseProbe(data);
    if (!p || !sameToken(p.token, this.token)) return;
    if (p.type === PONG) {
      this.cookie = p.cookie;
      if (p.echo <= at) this.rtts.push((at - p.echo) / 1e3);
      if (this.rtts.length >= this.t.pings) this.pongsWanted?.();
    } else if (p.type === DOWN) {
      this.down.add(p.seq, p.sent, p.size + PROBE.CHANNEL_OVERHEAD, at);
    }
  }
  /** Sends a datagram unless the channel's buffer is full (then it is lost, as on a full socket). */
  send(type, seq, size) {
    const dc = this.dc;
    if (dc.readyState !== "open") throw new Error("the data channel closed");
    if (dc.bufferedAmount > this.t.maxBufferedBytes) return;
    const b = encodeProbe({ type, token: this.token, seq, sent: this.nowUs(), echo: 0, cookie: this.cookie, size });
    dc.send(b);
  }
  /** Measures the round trip and learns the server's cookie; returns the share of pings not answered. */
  async ping() {
    for (let i = 0; i < this.t.pings; i++) {
      this.send(PING, i, PROBE.HEADER);
      await this.sleep(this.t.pingGapMs);
    }
    await this.within(this.t.pongWaitMs, (done) => {
      if (this.rtts.length >= this.t.pings) done();
      this.pongsWanted = done;
    });
    this.pongsWanted = null;
    if (this.rtts.length === 0) throw new Error("the server did not answer probes on the data channel");
    return 1 - Math.min(this.rtts.length, this.t.pings) / this.t.pings;
  }
  /** The median round trip, ms. */
  rtt() {
    const s = [...this.rtts].sort((a, b) => a - b);
    return Math.round(s[s.length >> 1] ?? 0);
  }
  /** Sends kbps for the phase, paced, then asks the server what came. */
  async upload(kbps2) {
    const size = channelPacketSize(kbps2);
    const perMs = kbps2 * 1e3 / 8 / size / 1e3;
    const start = performance.now();
    let sent = 0;
    for (; ; ) {
      const el = Math.min(performance.now() - start, this.phaseMs);
      for (const due = Math.floor(perMs * el); sent <= due && el < this.phaseMs; sent++) this.send(UP, sent, size);
      if (el >= this.phaseMs) break;
      await this.sleep(this.t.paceMs);
    }
    const dc = this.dc;
    if (dc.bufferedAmount > 0) {
      await this.within(this.t.drainMs, (done) => {
        dc.bufferedAmountLowThreshold = 0;
        dc.onbufferedamountlow = done;
      });
      dc.onbufferedamountlow = null;
    }
    const m = await this.call("speed_test_up", { sent });
    return reportOf(m.data, sent);
  }
  /** Asks the server for kbps over the phase and measures what arrives. */
  async download(kbps2) {
    const m = await this.call(
      "speed_test_down",
      { kbps: kbps2, durationMs: this.phaseMs, size: channelPacketSize(kbps2) },
      this.phaseMs + this.t.requestMs
    );
    const sent = reportOf(m.data, 0).sent;
    await this.sleep(Math.max(300, 2 * this.rtt()));
    return this.down.report(sent);
  }
};
function reportOf(data, sent) {
  const o = data && typeof data === "object" ? data : {};
  const num3 = (v, dflt) => typeof v === "number" && Number.isFinite(v) ? v : dflt;
  return {
    sent: Math.max(0, Math.floor(num3(o.sent, sent))),
    received: Math.max(0, Math.floor(num3(o.received, 0))),
    loss: Math.min(1, Math.max(0, num3(o.loss, 0))),
    kbps: Math.floor(num3(o.kbps, -1)),
    jitterMs: Math.round(num3(o.jitterMs, -1))
  };
}

// src/types.ts
var TYPE = {
  SCENE_RTC: "rtc",
  SCENE_LIVE: "live",
  ROLE_ANCHOR: "anchor",
  ROLE_AUDIENCE: "audience",
  STREAM_TYPE_MAIN: "main",
  STREAM_TYPE_SUB: "sub",
  AUDIO_PROFILE_SPEECH: "speech",
  AUDIO_PROFILE_STANDARD: "standard",
  AUDIO_PROFILE_STANDARD_STEREO: "standard-stereo",
  AUDIO_PROFILE_HIGH: "high",
  AUDIO_PROFILE_HIGH_STEREO: "high-stereo",
  QOS_PREFERENCE_SMOOTH: "smooth",
  QOS_PREFERENCE_CLEAR: "clear"
};

// src/trtc.ts
var STATS_INTERVAL_MS = 2e3;
var MIN_VOLUME_INTERVAL_MS = 100;
var ICE_GRACE_MS = 2e3;
function defaultServer() {
  try {
    const u = new URL(import.meta.url);
    if (u.protocol === "http:" || u.protocol === "https:") {
      return `${u.protocol === "https:" ? "wss:" : "ws:"}//${u.host}/signal`;
    }
  } catch {
  }
  if (typeof location !== "undefined" && (location.protocol === "http:" || location.protocol === "https:")) {
    return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/signal`;
  }
  return "ws://127.0.0.1:7880/signal";
}
function signalUrl(server) {
  if (server === void 0 || server === null || server === "") return defaultServer();
  if (typeof server !== "string") throw invalidParameter(EXTRA_CODE.TYPE, "server must be a string URL", "create");
  let u;
  try {
    u = new URL(server);
  } catch {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `server "${server}" is not a URL`, "create");
  }
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  else if (u.protocol !== "ws:" && u.protocol !== "wss:") {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, "server must be a ws://, wss://, http:// or https:// URL", "create");
  }
  if (u.pathname === "" || u.pathname === "/") u.pathname = "/signal";
  return u.toString();
}
var instances = /* @__PURE__ */ new Set();
var currentSpeaker = "";
var _TRTC = class _TRTC {
  constructor(serverUrl, internal) {
    this.serverUrl = serverUrl;
    this.emitter = new Emitter();
    this.room = null;
    this.announced = { audio: false, video: false, sub: false };
    this.camera = null;
    this.mic = null;
    this.screen = null;
    this.busy = /* @__PURE__ */ new Set();
    // startLocalVideo/Audio/ScreenShare in progress
    this.remoteVideo = /* @__PURE__ */ new Map();
    this.remoteAudio = /* @__PURE__ */ new Map();
    this.audioWanted = /* @__PURE__ */ new Map();
    this.audioVolume = /* @__PURE__ */ new Map();
    this.limiter = new CustomMessageLimiter();
    this.statsTimer = null;
    this.volumeTimer = null;
    this.volumeInterval = 0;
    this.volumeInBackground = false;
    this.prevSnapshot = null;
    this.iceTimers = /* @__PURE__ */ new Map();
    this.devices = [];
    this.destroyed = false;
    // ---- plugins (cdnstreaming.ts) ---------------------------------------
    this.cdn = null;
    /** The network changed: check signaling now and restart ICE on both connections. */
    this.onNetworkChange = () => {
      const room = this.room;
      if (!room) return;
      room.checkAlive();
      if (room.connected) {
        void this.restartIce("pub");
        void this.restartIce("sub");
      }
    };
    this.onVisibility = () => {
      if (typeof document === "undefined" || document.hidden) return;
      for (const rv of this.remoteVideo.values()) rv.player.resumeIfPaused();
      for (const [u, p] of this.remoteAudio) if (this.audioWanted.get(u) !== false) p.resumeIfPaused();
      this.camera?.player?.resumeIfPaused();
      if (this.camera && this.camera.track.readyState === "ended") void this.onDeviceLost("camera", this.camera.track);
      if (this.mic && this.mic.track.readyState === "ended") void this.onDeviceLost("microphone", this.mic.track);
      this.room?.checkAlive();
    };
    this.onDeviceChange = async () => {
      const now = await enumerateAll().catch(() => []);
      const events = diffDevices(this.devices, now);
      this.devices = now;
      for (const e of events) this.emit(EVENT.DEVICE_CHANGED, e);
    };
    this.socketFactory = internal.socketFactory ?? browserSocket;
    this.timings = internal.timings ?? {};
    this.keepCandidate = candidateFilter(new URL(serverUrl).hostname);
    const createPC = internal.createPC ?? (() => new RTCPeerConnection({ bundlePolicy: "max-bundle" }));
    const deps = {
      request: (type, data, timeoutMs) => this.request(type, data, timeoutMs),
      send: (type, data) => this.room?.send(type, data) ?? false,
      createPC,
      keepCandidate: (c) => this.keepCandidate(c),
      onConnectionState: (target, state) => this.onPeerState(target, state),
      warn: (msg, err) => console.warn(`rtcengine: ${msg}`, err ?? "")
    };
    this.pub = new Publisher(deps);
    this.sub = new Subscriber(deps, (added, removed) => this.onRemoteTracks(added, removed));
    instances.add(this);
    this.listen();
  }
  /** Creates an instance: one user in at most one room at a time. */
  static create(options, internal) {
    const o = checkOptions(options, "create", false);
    return new _TRTC(signalUrl(o.server), internal ?? {});
  }
  static getCameraList(requestPermission = true) {
    return listDevices("videoinput", requestPermission);
  }
  static getMicrophoneList(requestPermission = true) {
    return listDevices("audioinput", requestPermission);
  }
  static getSpeakerList(requestPermission = true) {
    return listDevices("audiooutput", requestPermission);
  }
  /** Routes every instance's remote audio to a speaker. */
  static async setCurrentSpeaker(speakerId) {
    if (typeof speakerId !== "string") throw invalidParameter(EXTRA_CODE.TYPE, "speakerId must be a string", "setCurrentSpeaker");
    currentSpeaker = speakerId;
    for (const t of instances) await t.applySpeaker();
  }
  static async isSupported() {
    const has = (v) => typeof v !== "undefined";
    const detail = {
      isBrowserSupported: typeof window !== "undefined",
      isWebRTCSupported: typeof RTCPeerConnection !== "undefined",
      isMediaDevicesSupported: typeof navigator !== "undefined" && has(navigator.mediaDevices?.getUserMedia),
      isScreenShareSupported: typeof navigator !== "undefined" && has(navigator.mediaDevices?.getDisplayMedia),
      isWebSocketSupported: typeof WebSocket !== "undefined"
    };
    return { result: detail.isWebRTCSupported && detail.isWebSocketSupported, detail };
  }
  static setLogLevel(_level) {
  }
  /**
   * Measures the network to the server before entering a room (TRTC's
   * startSpeedTest): round trip, loss, jitter and available bandwidth each
   * way. See docs/web-sdk.md.
   */
  static startSpeedTest(params, internal) {
    return startSpeedTest(params, (server) => {
      const url = signalUrl(server);
      return {
        url,
        socketFactory: internal?.socketFactory ?? browserSocket,
        createPC: internal?.createPC ?? (() => new RTCPeerConnection()),
        keepCandidate: candidateFilter(new URL(url).hostname),
        inRoom: [...instances].some((t) => t.room !== null)
      };
    });
  }
  /** The signaling URL this instance connects to. */
  get server() {
    return this.serverUrl;
  }
  on(event, handler, context) {
    this.emitter.on(event, handler, context);
    return this;
  }
  once(event, handler, context) {
    this.emitter.once(event, handler, context);
    return this;
  }
  off(event, handler, context) {
    this.emitter.off(event, handler, context);
    return this;
  }
  emit(event, payload) {
    this.emitter.emit(event, payload);
  }
  alive(fn) {
    if (this.destroyed) {
      throw invalidOperation(EXTRA_CODE.DESTROYED, "this TRTC instance was destroyed: create a new one", fn);
    }
  }
  requireRoom(fn) {
    const r = this.room;
    if (!r || !r.inRoom) throw invalidOperation(EXTRA_CODE.NOT_IN_ROOM, `${fn} needs to be called after enterRoom succeeds`, fn);
    return r;
  }
  isAudience() {
    const r = this.room;
    return !!r && r.params.scene === "live" && r.role === "audience";
  }
  request(type, data, timeoutMs) {
    if (!this.room) return Promise.resolve({ type: "response", code: CODE_DISCONNECTED, msg: "not in a room" });
    return this.room.request(type, data, timeoutMs);
  }
  // ---- room ----------------------------------------------------------
  /** Enters a room (v5 enterRoom). */
  async enterRoom(options) {
    const fn = "enterRoom";
    this.alive(fn);
    const p = checkEnterRoom(options);
    if (this.room) {
      throw invalidOperation(
        EXTRA_CODE.REPEATED_CALL,
        this.room.inRoom ? "already in a room: call exitRoom first" : "enterRoom is already in progress",
        fn
      );
    }
    const room = new RoomSession(p, this.serverUrl, this.socketFactory, this.hooks(), {
      connectTimeoutMs: 5e3,
      requestTimeoutMs: 5e3,
      heartbeatMs: 2e3,
      timeoutMs: 1e4,
      maxReconnectMs: 12e4,
      ...this.timings
    });
    this.room = room;
    this.resetMedia();
    for (const u of [...this.audioWanted.keys()]) this.audioWanted.delete(u);
    const r = await room.enter();
    if (this.room !== room) throw aborted("exitRoom was called before enterRoom finished", fn);
    if (r.code) {
      this.room = null;
      if (r.code === CODE_TIMEOUT || r.code === CODE_DISCONNECTED) {
        throw new RtcError({
          code: ERROR_CODE.OPERATION_FAILED,
          extraCode: EXTRA_CODE.SIGNAL_TIMEOUT,
          message: `cannot reach the rtcengine server at ${this.serverUrl}: ${r.msg}`,
          functionName: fn
        });
      }
      throw serverError(r.code, r.msg, fn);
    }
    this.startStats();
    if (this.volumeInterval > 0) this.startVolume();
    void this.republish(fn);
  }
  hooks() {
    return {
      roomEvents: (events) => this.onRoomEvents(events),
      kicked: (reason, message) => {
        this.leaveMedia();
        this.room = null;
        this.emit(EVENT.KICKED_OUT, { reason, message });
      },
      event: (m) => this.onSignalEvent(m),
      state: (prevState, state) => this.emit(EVENT.CONNECTION_STATE_CHANGED, { prevState, state }),
      recovered: (resumed) => void this.onRecovered(resumed),
      failed: (reason) => {
        this.leaveMedia();
        this.room = null;
        this.emit(
          EVENT.ERROR,
          new RtcError({ code: ERROR_CODE.OPERATION_FAILED, extraCode: EXTRA_CODE.RECONNECT_FAILED, message: reason })
        );
      },
      warning: (code, msg) => console.warn(`rtcengine: server warning ${code}: ${msg}`)
    };
  }
  /** Leaves the room (v5 exitRoom). Local capture keeps running. */
  async exitRoom() {
    const room = this.room;
    if (!room) return;
    this.room = null;
    this.leaveMedia();
    await room.exit();
  }
  /** Changes role in the live scene (v5 switchRole). */
  async switchRole(role, option) {
    const fn = "switchRole";
    this.alive(fn);
    const r = checkRole(role, fn);
    const pmk = checkOptionalString(option?.privateMapKey, "privateMapKey", fn);
    const room = this.requireRoom(fn);
    if (room.params.scene !== "live") {
      throw invalidOperation(void 0, "switchRole works only in the 'live' scene", fn);
    }
    if (room.role === r) return;
    const resp = await room.request("switch_role", { role: ROLE_CODE[r], privateMapKey: pmk });
    if (resp.code) throw serverError(resp.code, resp.msg ?? "", fn);
    room.setRole(r);
    if (r === "audience") {
      this.announced = { audio: false, video: false, sub: false };
      for (const s of ["audio", "big", "small", "sub"]) this.pub.set(s, null);
      await this.pub.negotiate().catch((e) => this.report(e));
      return;
    }
    await this.republish(fn);
  }
  /** Releases everything; the instance cannot be used again. */
  async destroy() {
    if (this.destroyed) return;
    await this.exitRoom().catch(() => {
    });
    this.destroyed = true;
    this.stopCamera();
    this.stopMic();
    this.stopScreen();
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    this.volumeTimer = null;
    this.unlisten();
    this.emitter.off("*");
    instances.delete(this);
  }
  onRoomEvents(events) {
    for (const e of events) {
      switch (e.kind) {
        case "enter":
          this.emit(EVENT.REMOTE_USER_ENTER, { userId: e.userId });
          break;
        case "away":
        // missing after a re-enter (roomstate.ts): its players go, the exit may follow
        case "exit":
          for (const st of ["main", "sub"]) this.dropRemoteVideo(`${e.userId}/${st}`);
          this.remoteAudio.get(e.userId)?.destroy();
          this.remoteAudio.delete(e.userId);
          if (e.kind === "exit") this.emit(EVENT.REMOTE_USER_EXIT, { userId: e.userId });
          break;
        case "audio":
          if (e.available) {
            if (this.audioWanted.get(e.userId) === false) {
              void this.request("subscribe", { userId: e.userId, stream: "audio", on: false });
            }
            this.emit(EVENT.REMOTE_AUDIO_AVAILABLE, { userId: e.userId });
          } else this.emit(EVENT.REMOTE_AUDIO_UNAVAILABLE, { userId: e.userId });
          break;
        case "video":
          this.emit(e.available ? EVENT.REMOTE_VIDEO_AVAILABLE : EVENT.REMOTE_VIDEO_UNAVAILABLE, {
            userId: e.userId,
            streamType: e.streamType
          });
          break;
      }
    }
  }
  onSignalEvent(m) {
    const d = m.data && typeof m.data === "object" ? m.data : {};
    switch (m.type) {
      case "sub_offer":
        if (typeof d.sdp === "string" && d.sdp) {
          this.sub.onOffer(d.sdp).catch((e) => console.warn("rtcengine: cannot answer the subscriber offer", e));
        }
        break;
      case "candidate": {
        const c = { candidate: d.candidate, sdpMid: d.sdpMid, sdpMLineIndex: d.sdpMLineIndex };
        if (d.target === "pub") this.pub.addRemoteCandidate(c);
        else if (d.target === "sub") this.sub.addRemoteCandidate(c);
        break;
      }
      case "custom_msg": {
        if (typeof d.userId !== "string" || typeof d.data !== "string") break;
        const room = this.room;
        if (room && typeof d.index === "number" && d.index > 0) {
          if (room.lastMsgIndex !== null && d.index <= room.lastMsgIndex) break;
          room.lastMsgIndex = d.index;
        }
        const data = fromBase64(d.data);
        if (!data) break;
        this.emit(EVENT.CUSTOM_MESSAGE, {
          userId: d.userId,
          cmdId: typeof d.cmdId === "number" ? d.cmdId : 0,
          seq: typeof d.seq === "number" ? d.seq : 0,
          data
        });
        break;
      }
      case "custom_miss":
        console.warn(`rtcengine: missed ${d.missed} custom messages (cmdId ${d.cmdId}) from ${d.userId}`);
        break;
    }
  }
  /** Back after a connection loss: media is kept (resumed) or renegotiated. */
  async onRecovered(resumed) {
    if (!resumed) {
      this.pub.reset();
      this.sub.reset();
      this.announced = { audio: false, video: false, sub: false };
      await this.republish("reconnect");
      for (const rv of this.remoteVideo.values()) {
        void this.request("subscribe", {
          userId: rv.userId,
          stream: rv.streamType === "main" ? "video" : "sub",
          on: true,
          layer: rv.small ? "small" : "auto"
        });
      }
      for (const [u, want2] of this.audioWanted) {
        void this.request("subscribe", { userId: u, stream: "audio", on: want2 });
      }
      return;
    }
    const want = this.desiredStreams();
    this.announced = { audio: !want.audio, video: !want.video, sub: !want.sub };
    await this.republish("reconnect");
    for (const [target, side] of [
      ["pub", this.pub],
      ["sub", this.sub]
    ]) {
      const st = side.connectionState;
      if (st === "failed" || st === "disconnected") void this.restartIce(target);
    }
  }
  resetMedia() {
    this.pub.reset();
    this.sub.reset();
    this.announced = { audio: false, video: false, sub: false };
    this.prevSnapshot = null;
  }
  /** Tears down room media (exit, kick, failure); local capture stays. */
  leaveMedia() {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    for (const t of this.iceTimers.values()) clearTimeout(t);
    this.iceTimers.clear();
    for (const rv of this.remoteVideo.values()) rv.player.destroy();
    this.remoteVideo.clear();
    for (const p of this.remoteAudio.values()) p.destroy();
    this.remoteAudio.clear();
    this.resetMedia();
  }
  // ---- publishing ----------------------------------------------------
  desiredStreams() {
    const pubOK = !!this.room && !this.isAudience();
    return {
      audio: pubOK && !!this.mic && this.mic.publish && !this.mic.mute,
      video: pubOK && !!this.camera && this.camera.publish && !this.camera.mute,
      sub: pubOK && !!this.screen && this.screen.publish
    };
  }
  /** Tells the server a stream is (not) available; refusals reject. */
  async announce(stream, available, fn) {
    if (this.announced[stream] === available) return;
    const r = await this.request("stream_state", { stream, available });
    if (!available) {
      this.announced[stream] = false;
      return;
    }
    if (r.code === 6001) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    if (r.code === CODE_DISCONNECTED) return;
    if (r.code) throw serverError(r.code, r.msg ?? "", fn);
    this.announced[stream] = true;
  }
  cameraEncodings(c) {
    const s = c.track.getSettings?.() ?? {};
    const small = c.small ?? DEFAULT_SMALL_PROFILE;
    return {
      big: [{ maxBitrate: c.profile.bitrate * 1e3, maxFramerate: c.profile.frameRate }],
      small: [
        {
          maxBitrate: small.bitrate * 1e3,
          maxFramerate: small.frameRate,
          scaleResolutionDownBy: scaleDownBy(s.width ?? c.profile.width, s.height ?? c.profile.height, small.width, small.height)
        }
      ]
    };
  }
  /** Puts the wanted local tracks on the publisher connection (no announcing). */
  setPubTracks() {
    const ok = !!this.room && !this.isAudience();
    const c = this.camera;
    if (ok && c && c.publish) {
      const enc = this.cameraEncodings(c);
      this.pub.set("big", c.track, enc.big);
      if (c.small) {
        if (!c.smallTrack) c.smallTrack = c.track.clone();
        this.pub.set("small", c.smallTrack, enc.small);
      } else this.pub.set("small", null);
    } else {
      this.pub.set("big", null);
      this.pub.set("small", null);
    }
    const m = this.mic;
    this.pub.set("audio", ok && m && m.publish ? m.track : null, m ? [{ maxBitrate: m.profile.bitrate * 1e3 }] : void 0);
    const s = this.screen;
    this.pub.set(
      "sub",
      ok && s && s.publish ? s.track : null,
      s ? [{ maxBitrate: s.profile.bitrate * 1e3, maxFramerate: s.profile.frameRate }] : void 0
    );
  }
  /**
   * Publishes what is captured and unpublishes what is not, announcing
   * streams first (the server may refuse, e.g. a second screen sharer).
   * Used on enter, recovery and switching to anchor; errors become ERROR
   * events unless fn is an API that should reject.
   */
  async republish(fn) {
    if (!this.room?.connected) return;
    if (this.isAudience() && (this.camera?.publish || this.mic?.publish || this.screen?.publish)) {
      console.warn('rtcengine: audience members do not publish; switchRole("anchor") to publish');
    }
    const want = this.desiredStreams();
    this.setPubTracks();
    try {
      for (const k of ["audio", "video", "sub"]) {
        if (!want[k]) await this.announce(k, false, fn);
      }
      for (const k of ["audio", "video", "sub"]) {
        if (want[k]) {
          try {
            await this.announce(k, true, fn);
          } catch (e) {
            if (k === "sub") {
              this.stopScreen();
              this.setPubTracks();
              this.emit(EVENT.SCREEN_SHARE_STOPPED, void 0);
            }
            throw e;
          }
        }
      }
      await this.pub.negotiate();
    } catch (e) {
      if (fn === "enterRoom" || fn === "reconnect") this.report(e);
      else throw e;
    }
  }
  report(e) {
    const err = e instanceof RtcError ? e : new RtcError({ code: ERROR_CODE.UNKNOWN_ERROR, message: String(e?.message ?? e) });
    this.emit(EVENT.ERROR, err);
  }
  // ---- local video ---------------------------------------------------
  /** Opens the camera, previews it in view and publishes it (v5 startLocalVideo). */
  async startLocalVideo(options) {
    const fn = "startLocalVideo";
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const view = resolveView(o.view, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const profile = resolveVideoProfile(opt.profile, VIDEO_PROFILES, DEFAULT_VIDEO_PROFILE, fn);
    const small = this.smallProfile(opt.small, fn);
    const publish = checkBool(o.publish, "publish", fn) ?? true;
    const mute = checkBool(o.mute, "mute", fn) ?? false;
    const mirror = checkBool(opt.mirror, "option.mirror", fn) ?? true;
    const fillMode = this.fillMode(opt.fillMode, "cover", fn);
    const cameraId = checkOptionalString(opt.cameraId, "option.cameraId", fn);
    const front = checkBool(opt.useFrontCamera, "option.useFrontCamera", fn);
    const given = this.checkTrack(opt.videoTrack, "video", "option.videoTrack", fn);
    if (this.camera || this.busy.has("camera")) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, "the camera is already started: use updateLocalVideo", fn);
    }
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    this.busy.add("camera");
    let track;
    try {
      track = given ?? await captureCamera(profile, cameraId, front, fn);
    } finally {
      this.busy.delete("camera");
    }
    if (this.destroyed) {
      if (!given) track.stop();
      throw aborted("the instance was destroyed while the camera was starting", fn);
    }
    track.enabled = !mute;
    const cam = {
      track,
      owned: !given,
      profile,
      small,
      smallTrack: null,
      cameraId,
      player: null,
      publish,
      mute,
      mirror,
      fillMode
    };
    if (view) {
      cam.player = new Player({ kind: "video", userId: "", mediaType: "video", container: view, mirror, fillMode });
      cam.player.setTrack(track);
    }
    this.camera = cam;
    this.watchEnded(track, "camera");
    if (this.room?.connected && publish) {
      try {
        await this.republish(fn);
      } catch (e) {
        this.stopCamera();
        this.setPubTracks();
        await this.pub.negotiate().catch(() => {
        });
        throw e;
      }
    }
  }
  /** Changes the camera's view, device, profile, mute or publishing (v5 updateLocalVideo). */
  async updateLocalVideo(options) {
    const fn = "updateLocalVideo";
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const viewGiven = "view" in o;
    const view = viewGiven ? resolveView(o.view, fn, false) : null;
    const opt = checkOptions(o.option, fn, false);
    const profile = opt.profile !== void 0 ? resolveVideoProfile(opt.profile, VIDEO_PROFILES, DEFAULT_VIDEO_PROFILE, fn) : null;
    const publish = checkBool(o.publish, "publish", fn);
    const mute = checkBool(o.mute, "mute", fn);
    const mirror = checkBool(opt.mirror, "option.mirror", fn);
    const fillMode = opt.fillMode !== void 0 ? this.fillMode(opt.fillMode, "cover", fn) : void 0;
    const cameraId = checkOptionalString(opt.cameraId, "option.cameraId", fn);
    const c = this.camera;
    if (!c) throw invalidOperation(EXTRA_CODE.CAMERA_NOT_STARTED, "the camera is not started: call startLocalVideo first", fn);
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    if (viewGiven) {
      if (view && !c.player) {
        c.player = new Player({ kind: "video", userId: "", mediaType: "video", container: view, mirror: c.mirror, fillMode: c.fillMode });
        c.player.setTrack(c.track);
      } else if (c.player) {
        if (view) c.player.move(view);
        else {
          c.player.destroy();
          c.player = null;
        }
      }
    }
    if (mirror !== void 0) {
      c.mirror = mirror;
      c.player?.setMirror(mirror);
    }
    if (fillMode) {
      c.fillMode = fillMode;
      c.player?.setFillMode(fillMode);
    }
    if (cameraId !== void 0 && cameraId !== c.cameraId) {
      const t = await captureCamera(profile ?? c.profile, cameraId, void 0, fn);
      await this.swapCamera(t, cameraId);
    }
    if (profile) {
      c.profile = profile;
      await c.track.applyConstraints({ width: { ideal: profile.width }, height: { ideal: profile.height }, frameRate: { ideal: profile.frameRate } }).catch((e) => {
        throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `the camera cannot use this profile: ${e?.message ?? e}`, fn);
      });
      await this.pub.encode("big", { maxBitrate: profile.bitrate * 1e3, maxFramerate: profile.frameRate });
    }
    if (mute !== void 0) {
      c.mute = mute;
      c.track.enabled = !mute;
    }
    if (publish !== void 0) c.publish = publish;
    await this.republish(fn);
  }
  /** Stops the camera and unpublishes it (v5 stopLocalVideo). */
  async stopLocalVideo() {
    this.alive("stopLocalVideo");
    if (!this.camera) return;
    this.stopCamera();
    await this.republish("stopLocalVideo").catch((e) => this.report(e));
  }
  stopCamera() {
    const c = this.camera;
    if (!c) return;
    this.camera = null;
    c.player?.destroy();
    if (c.owned) c.track.stop();
    c.smallTrack?.stop();
  }
  async swapCamera(t, cameraId) {
    const c = this.camera;
    if (!c) {
      t.stop();
      return;
    }
    const old = c.track;
    const oldSmall = c.smallTrack;
    c.track = t;
    c.cameraId = cameraId;
    c.owned = true;
    t.enabled = !c.mute;
    c.player?.setTrack(t);
    await this.pub.replace("big", t);
    if (c.small) {
      c.smallTrack = t.clone();
      await this.pub.replace("small", c.smallTrack);
    }
    this.watchEnded(t, "camera");
    old.stop();
    oldSmall?.stop();
  }
  smallProfile(v, fn) {
    if (v === void 0 || v === null || v === false) return null;
    if (v === true) return { ...DEFAULT_SMALL_PROFILE };
    return resolveVideoProfile(v, VIDEO_PROFILES, DEFAULT_VIDEO_PROFILE, fn, "option.small");
  }
  fillMode(v, dflt, fn) {
    if (v === void 0 || v === null) return dflt;
    if (v !== "contain" && v !== "cover" && v !== "fill") {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, "fillMode must be 'contain', 'cover' or 'fill'", fn);
    }
    return v;
  }
  checkTrack(v, kind, name, fn) {
    if (v === void 0 || v === null) return void 0;
    if (typeof MediaStreamTrack === "undefined" || !(v instanceof MediaStreamTrack)) {
      throw invalidParameter(EXTRA_CODE.INSTANCE, `${name} must be a MediaStreamTrack`, fn);
    }
    if (v.kind !== kind) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${name} must be a ${kind} track`, fn);
    return v;
  }
  // ---- local audio ---------------------------------------------------
  /** Opens the microphone and publishes it (v5 startLocalAudio). */
  async startLocalAudio(options) {
    const fn = "startLocalAudio";
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const profile = resolveAudioProfile(opt.profile, fn);
    const publish = checkBool(o.publish, "publish", fn) ?? true;
    const mute = checkBool(o.mute, "mute", fn) ?? false;
    const microphoneId = checkOptionalString(opt.microphoneId, "option.microphoneId", fn);
    const given = this.checkTrack(opt.audioTrack, "audio", "option.audioTrack", fn);
    const ec = checkBool(opt.echoCancellation, "option.echoCancellation", fn);
    const ns = checkBool(opt.noiseSuppression, "option.noiseSuppression", fn);
    const agc = checkBool(opt.autoGainControl, "option.autoGainControl", fn);
    if (this.mic || this.busy.has("mic")) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, "the microphone is already started: use updateLocalAudio", fn);
    }
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    this.busy.add("mic");
    let track;
    try {
      track = given ?? await captureMicrophone(profile, { microphoneId, echoCancellation: ec, noiseSuppression: ns, autoGainControl: agc }, fn);
    } finally {
      this.busy.delete("mic");
    }
    if (this.destroyed) {
      if (!given) track.stop();
      throw aborted("the instance was destroyed while the microphone was starting", fn);
    }
    track.enabled = !mute;
    this.mic = { track, owned: !given, profile, microphoneId, publish, mute };
    this.watchEnded(track, "microphone");
    if (this.room?.connected && publish) {
      try {
        await this.republish(fn);
      } catch (e) {
        this.stopMic();
        this.setPubTracks();
        await this.pub.negotiate().catch(() => {
        });
        throw e;
      }
    }
  }
  /** Mutes, switches or (un)publishes the microphone (v5 updateLocalAudio). */
  async updateLocalAudio(options) {
    const fn = "updateLocalAudio";
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const publish = checkBool(o.publish, "publish", fn);
    const mute = checkBool(o.mute, "mute", fn);
    const microphoneId = checkOptionalString(opt.microphoneId, "option.microphoneId", fn);
    const m = this.mic;
    if (!m) throw invalidOperation(EXTRA_CODE.MICROPHONE_NOT_STARTED, "the microphone is not started: call startLocalAudio first", fn);
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    if (microphoneId !== void 0 && microphoneId !== m.microphoneId) {
      const t = await captureMicrophone(m.profile, { microphoneId }, fn);
      await this.swapMic(t, microphoneId);
    }
    if (mute !== void 0) {
      m.mute = mute;
      m.track.enabled = !mute;
    }
    if (publish !== void 0) m.publish = publish;
    await this.republish(fn);
  }
  /** Stops the microphone and unpublishes it (v5 stopLocalAudio). */
  async stopLocalAudio() {
    this.alive("stopLocalAudio");
    if (!this.mic) return;
    this.stopMic();
    await this.republish("stopLocalAudio").catch((e) => this.report(e));
  }
  stopMic() {
    const m = this.mic;
    if (!m) return;
    this.mic = null;
    if (m.owned) m.track.stop();
  }
  async swapMic(t, microphoneId) {
    const m = this.mic;
    if (!m) {
      t.stop();
      return;
    }
    const old = m.track;
    m.track = t;
    m.microphoneId = microphoneId;
    m.owned = true;
    t.enabled = !m.mute;
    await this.pub.replace("audio", t);
    this.watchEnded(t, "microphone");
    old.stop();
  }
  // ---- screen share --------------------------------------------------
  /** Shares the screen as the sub stream (v5 startScreenShare). */
  async startScreenShare(options) {
    const fn = "startScreenShare";
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const view = resolveView(o.view, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const profile = resolveVideoProfile(opt.profile, SCREEN_PROFILES, DEFAULT_SCREEN_PROFILE, fn);
    const publish = checkBool(o.publish, "publish", fn) ?? true;
    const fillMode = this.fillMode(opt.fillMode, "contain", fn);
    checkBool(opt.systemAudio, "option.systemAudio", fn);
    const given = this.checkTrack(opt.videoTrack, "video", "option.videoTrack", fn);
    if (this.screen || this.busy.has("screen")) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, "the screen is already shared", fn);
    }
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    this.busy.add("screen");
    let track;
    try {
      track = given ?? (await captureScreen(profile, false, fn)).video;
    } finally {
      this.busy.delete("screen");
    }
    if (this.destroyed) {
      if (!given) track.stop();
      throw aborted("the instance was destroyed while screen sharing was starting", fn);
    }
    const sc = { track, owned: !given, profile, player: null, publish };
    if (view) {
      sc.player = new Player({ kind: "video", userId: "", mediaType: "screen", container: view, fillMode });
      sc.player.setTrack(track);
    }
    this.screen = sc;
    track.addEventListener("ended", () => {
      if (this.screen?.track !== track) return;
      void this.stopScreenShare().then(() => this.emit(EVENT.SCREEN_SHARE_STOPPED, void 0));
    });
    if (this.room?.connected && publish) {
      try {
        await this.republish(fn);
      } catch (e) {
        this.stopScreen();
        this.setPubTracks();
        await this.pub.negotiate().catch(() => {
        });
        throw e;
      }
    }
  }
  /** Stops sharing the screen (v5 stopScreenShare). */
  async stopScreenShare() {
    this.alive("stopScreenShare");
    if (!this.screen) return;
    this.stopScreen();
    await this.republish("stopScreenShare").catch((e) => this.report(e));
  }
  stopScreen() {
    const s = this.screen;
    if (!s) return;
    this.screen = null;
    s.player?.destroy();
    if (s.owned) s.track.stop();
  }
  // ---- remote media --------------------------------------------------
  remoteUser(v, fn, allowAll) {
    if (v === void 0 || v === null) throw invalidParameter(EXTRA_CODE.REQUIRED, "userId is required", fn);
    if (typeof v !== "string") throw invalidParameter(EXTRA_CODE.TYPE, "userId must be a string", fn);
    if (v === "") throw invalidParameter(EXTRA_CODE.EMPTY, "userId must not be empty", fn);
    if (v === "*" && !allowAll) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, "userId '*' is not allowed here", fn);
    return v;
  }
  /** Plays a remote user's camera or screen in view (v5 startRemoteVideo). */
  async startRemoteVideo(options) {
    const fn = "startRemoteVideo";
    this.alive(fn);
    const o = checkOptions(options, fn, true);
    const userId = this.remoteUser(o.userId, fn, false);
    const streamType = checkStreamType(o.streamType, fn);
    const view = resolveView(o.view, fn, true);
    const opt = checkOptions(o.option, fn, false);
    const small = checkBool(opt.small, "option.small", fn) ?? false;
    const mirror = checkBool(opt.mirror, "option.mirror", fn) ?? false;
    const fillMode = this.fillMode(opt.fillMode, streamType === "sub" ? "contain" : "cover", fn);
    const room = this.requireRoom(fn);
    const st = room.users.streams(userId);
    if (!st) throw invalidOperation(EXTRA_CODE.REMOTE_USER_NOT_FOUND, `remote user ${userId} is not in the room`, fn);
    if (streamType === "main" ? !st.video : !st.sub) {
      throw invalidOperation(
        EXTRA_CODE.REMOTE_STREAM_NOT_FOUND,
        `remote user ${userId} does not publish ${streamType === "main" ? "video" : "a screen share"}`,
        fn
      );
    }
    const key = `${userId}/${streamType}`;
    if (this.remoteVideo.has(key)) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, `${key} is already playing: use updateRemoteVideo`, fn);
    }
    const player = new Player({
      kind: "video",
      userId,
      mediaType: streamType === "sub" ? "screen" : "video",
      container: view,
      mirror,
      fillMode,
      onAutoplayFailed: (resume) => this.emit(EVENT.AUTOPLAY_FAILED, { userId, mediaType: streamType === "sub" ? "screen" : "video", resume }),
      onFirstFrame: (width, height) => this.emit(EVENT.FIRST_VIDEO_FRAME, { userId, streamType, width, height }),
      onPlayState: (state, reason) => this.emit(EVENT.VIDEO_PLAY_STATE_CHANGED, { userId, streamType, state, reason })
    });
    this.remoteVideo.set(key, { userId, streamType, player, small });
    const wire = streamType === "main" ? "video" : "sub";
    const existing = this.sub.track(`${userId}/${wire}`);
    if (existing) player.setTrack(existing);
    const r = await room.request("subscribe", { userId, stream: wire, on: true, layer: small ? "small" : "auto" });
    if (r.code && r.code !== CODE_DISCONNECTED) {
      this.dropRemoteVideo(key);
      if (r.code === -102007) throw invalidOperation(EXTRA_CODE.REMOTE_USER_NOT_FOUND, `remote user ${userId} left`, fn);
      throw serverError(r.code, r.msg ?? "", fn);
    }
  }
  /** Moves a remote video to another view or changes its layer (v5 updateRemoteVideo). */
  async updateRemoteVideo(options) {
    const fn = "updateRemoteVideo";
    this.alive(fn);
    const o = checkOptions(options, fn, true);
    const userId = this.remoteUser(o.userId, fn, false);
    const streamType = checkStreamType(o.streamType, fn);
    const viewGiven = "view" in o;
    const view = viewGiven ? resolveView(o.view, fn, false) : null;
    const opt = checkOptions(o.option, fn, false);
    const small = checkBool(opt.small, "option.small", fn);
    const mirror = checkBool(opt.mirror, "option.mirror", fn);
    const fillMode = opt.fillMode !== void 0 ? this.fillMode(opt.fillMode, "cover", fn) : void 0;
    const room = this.requireRoom(fn);
    const rv = this.remoteVideo.get(`${userId}/${streamType}`);
    if (!rv) throw invalidOperation(EXTRA_CODE.REMOTE_STREAM_NOT_FOUND, `${userId}/${streamType} is not playing`, fn);
    if (viewGiven) rv.player.move(view);
    if (mirror !== void 0) rv.player.setMirror(mirror);
    if (fillMode) rv.player.setFillMode(fillMode);
    if (small !== void 0 && small !== rv.small) {
      rv.small = small;
      const r = await room.request("subscribe", {
        userId,
        stream: streamType === "main" ? "video" : "sub",
        on: true,
        layer: small ? "small" : "auto"
      });
      if (r.code && r.code !== CODE_DISCONNECTED) throw serverError(r.code, r.msg ?? "", fn);
    }
  }
  /** Stops playing remote video; userId '*' stops all (v5 stopRemoteVideo). */
  async stopRemoteVideo(options) {
    const fn = "stopRemoteVideo";
    this.alive(fn);
    const o = checkOptions(options, fn, true);
    const userId = this.remoteUser(o.userId, fn, true);
    const keys = userId === "*" ? [...this.remoteVideo.keys()] : o.streamType === void 0 ? [`${userId}/main`, `${userId}/sub`] : [`${userId}/${checkStreamType(o.streamType, fn)}`];
    for (const k of keys) {
      const rv = this.remoteVideo.get(k);
      if (!rv) continue;
      this.dropRemoteVideo(k);
      await this.request("subscribe", { userId: rv.userId, stream: rv.streamType === "main" ? "video" : "sub", on: false });
    }
  }
  dropRemoteVideo(key) {
    const rv = this.remoteVideo.get(key);
    if (!rv) return;
    rv.player.destroy();
    this.remoteVideo.delete(key);
  }
  /** Stops or resumes receiving a remote user's audio; '*' for all (v5 muteRemoteAudio). */
  async muteRemoteAudio(userId, mute) {
    const fn = "muteRemoteAudio";
    this.alive(fn);
    const u = this.remoteUser(userId, fn, true);
    if (typeof mute !== "boolean") throw invalidParameter(mute === void 0 ? EXTRA_CODE.REQUIRED : EXTRA_CODE.TYPE, "mute must be a boolean", fn);
    const room = this.requireRoom(fn);
    const users = u === "*" ? room.users.list() : [u];
    if (u !== "*" && !room.users.has(u)) {
      throw invalidOperation(EXTRA_CODE.REMOTE_USER_NOT_FOUND, `remote user ${u} is not in the room`, fn);
    }
    for (const id of users) {
      this.audioWanted.set(id, !mute);
      const p = this.remoteAudio.get(id);
      if (p) {
        if (mute) p.el.pause();
        else void p.play();
      }
      const r = await room.request("subscribe", { userId: id, stream: "audio", on: !mute });
      if (r.code && r.code !== CODE_DISCONNECTED && u !== "*") throw serverError(r.code, r.msg ?? "", fn);
    }
  }
  /** Sets a remote user's playback volume 0..100; '*' for all (v5 setRemoteAudioVolume). */
  setRemoteAudioVolume(userId, volume) {
    const fn = "setRemoteAudioVolume";
    this.alive(fn);
    const u = this.remoteUser(userId, fn, true);
    if (typeof volume !== "number" || !Number.isFinite(volume)) {
      throw invalidParameter(volume === void 0 ? EXTRA_CODE.REQUIRED : EXTRA_CODE.TYPE, "volume must be a number", fn);
    }
    if (volume < 0 || volume > 100) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, "volume must be in [0, 100]", fn);
    const ids = u === "*" ? [.../* @__PURE__ */ new Set([...this.remoteAudio.keys(), ...this.room?.users.list() ?? []])] : [u];
    for (const id of ids) {
      this.audioVolume.set(id, volume);
      this.remoteAudio.get(id)?.setVolume(volume / 100);
    }
  }
  onRemoteTracks(added, removed) {
    for (const key of removed) {
      const [userId, stream] = key.split("/");
      if (stream === "audio") {
        this.remoteAudio.get(userId)?.destroy();
        this.remoteAudio.delete(userId);
      } else {
        this.remoteVideo.get(`${userId}/${stream === "video" ? "main" : "sub"}`)?.player.setTrack(null);
      }
    }
    for (const [key, track] of added) {
      const [userId, stream] = key.split("/");
      if (stream === "audio") {
        if (this.audioWanted.get(userId) === false) continue;
        let p = this.remoteAudio.get(userId);
        if (!p) {
          p = new Player({
            kind: "audio",
            userId,
            mediaType: "audio",
            onAutoplayFailed: (resume) => this.emit(EVENT.AUTOPLAY_FAILED, { userId, mediaType: "audio", resume }),
            onPlayState: (state, reason) => this.emit(EVENT.AUDIO_PLAY_STATE_CHANGED, { userId, state, reason })
          });
          p.setVolume((this.audioVolume.get(userId) ?? 100) / 100);
          if (currentSpeaker) void p.setSink(currentSpeaker).catch(() => {
          });
          this.remoteAudio.set(userId, p);
        }
        p.setTrack(track);
      } else {
        this.remoteVideo.get(`${userId}/${stream === "video" ? "main" : "sub"}`)?.player.setTrack(track);
      }
    }
  }
  async applySpeaker() {
    for (const p of this.remoteAudio.values()) await p.setSink(currentSpeaker).catch(() => {
    });
  }
  plugin(name, fn) {
    this.alive(fn);
    if (name !== "CDNStreaming") {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `plugin ${String(name)} is not available: rtcengine has 'CDNStreaming'`, fn);
    }
    this.requireRoom(fn);
    this.cdn ?? (this.cdn = new CDNStreaming((type, data) => this.request(type, data)));
    return this.cdn;
  }
  /** Starts a plugin (v5 startPlugin); 'CDNStreaming' relays or mixes to an RTMP URL. */
  async startPlugin(name, options) {
    return this.plugin(name, "startPlugin").start(options);
  }
  /** Updates a running plugin (v5 updatePlugin). */
  async updatePlugin(name, options) {
    return this.plugin(name, "updatePlugin").update(options);
  }
  /** Stops a plugin (v5 stopPlugin); stopping what does not run does nothing. */
  async stopPlugin(name, options) {
    return this.plugin(name, "stopPlugin").stop(options);
  }
  // ---- messages ------------------------------------------------------
  /**
   * Sends a custom message to everyone in the room (v5 sendCustomMessage).
   * Bad input throws at once; the returned promise settles when the server
   * has accepted the message.
   */
  sendCustomMessage(message) {
    const fn = "sendCustomMessage";
    this.alive(fn);
    const { cmdId, bytes } = checkCustomMessage(message);
    const room = this.requireRoom(fn);
    if (this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, "audience members cannot send custom messages", fn);
    }
    const limited = this.limiter.take(bytes.byteLength);
    if (limited) throw limited;
    const p = room.request("custom_msg", { cmdId, data: toBase64(bytes), reliable: true, ordered: true }).then((r) => {
      if (!r.code) return;
      if (r.code === 6001) {
        throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, "audience members cannot send custom messages", fn);
      }
      throw serverError(r.code, r.msg ?? "", fn);
    });
    p.catch(() => {
    });
    return p;
  }
  // ---- statistics and volumes ----------------------------------------
  /** Reports AUDIO_VOLUME every interval ms (≤ 0 stops; at least 100 ms). */
  enableAudioVolumeEvaluation(interval = 2e3, enableInBackground = false) {
    const fn = "enableAudioVolumeEvaluation";
    this.alive(fn);
    if (typeof interval !== "number" || !Number.isFinite(interval)) {
      throw invalidParameter(EXTRA_CODE.TYPE, "interval must be a number of milliseconds", fn);
    }
    if (typeof enableInBackground !== "boolean") throw invalidParameter(EXTRA_CODE.TYPE, "enableInBackground must be a boolean", fn);
    this.volumeInterval = interval <= 0 ? 0 : Math.max(MIN_VOLUME_INTERVAL_MS, interval);
    this.volumeInBackground = enableInBackground;
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    this.volumeTimer = null;
    if (this.volumeInterval > 0 && this.room) this.startVolume();
  }
  startVolume() {
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    this.volumeTimer = setInterval(() => {
      if (!this.room?.inRoom) return;
      if (!this.volumeInBackground && typeof document !== "undefined" && document.hidden) return;
      void this.snapshot().then((s) => {
        if (this.room) this.emit(EVENT.AUDIO_VOLUME, volumes(s, !!this.mic && !this.mic.mute && this.mic.publish));
      });
    }, this.volumeInterval);
  }
  startStats() {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.prevSnapshot = null;
    this.statsTimer = setInterval(() => {
      const room = this.room;
      if (!room) return;
      void this.snapshot().then((cur) => {
        if (this.room !== room) return;
        const rep = computeReport(this.prevSnapshot, cur, room.connectionState !== "CONNECTED");
        this.prevSnapshot = cur;
        this.emit(EVENT.NETWORK_QUALITY, rep.quality);
        this.emit(EVENT.STATISTICS, rep.statistics);
      });
    }, STATS_INTERVAL_MS);
  }
  async snapshot() {
    const at = typeof performance !== "undefined" ? performance.now() : Date.now();
    const pubNames = new Map(this.pub.streamsByMid());
    const subNames = this.sub.keysByMidMap();
    const [a, b] = await Promise.all([
      this.pub.pc?.getStats().catch(() => null),
      this.sub.pc?.getStats().catch(() => null)
    ]);
    const sig = this.room?.signalBytes() ?? { sent: 0, received: 0 };
    return {
      at,
      pub: a ? readReport(a, pubNames) : null,
      sub: b ? readReport(b, subNames) : null,
      signalBytesSent: sig.sent,
      signalBytesReceived: sig.received
    };
  }
  /**
   * rtcengine extension: what is being received from a user, read from the
   * browser's statistics now (framesDecoded, packetsReceived, …).
   */
  async getRemoteStreamStats(userId) {
    const s = await this.snapshot();
    const out = {};
    for (const i of s.sub?.in ?? []) {
      const [u, stream] = i.key.split("/");
      if (u === userId) out[stream] = i;
    }
    return out;
  }
  /** rtcengine extension: the connection states of the two PeerConnections. */
  getConnectionStates() {
    return {
      signal: this.room?.connectionState ?? "DISCONNECTED",
      publisher: this.pub.connectionState,
      subscriber: this.sub.connectionState
    };
  }
  /** The local camera track, or a remote user's video track (v5 getVideoTrack). */
  getVideoTrack(options) {
    const u = options?.userId ?? "";
    const st = options?.streamType ?? "main";
    if (!u) return st === "sub" ? this.screen?.track ?? null : this.camera?.track ?? null;
    return this.sub.track(`${u}/${st === "main" ? "video" : "sub"}`) ?? null;
  }
  /** The local microphone track, or a remote user's audio track (v5 getAudioTrack). */
  getAudioTrack(userId) {
    if (!userId) return this.mic?.track ?? null;
    return this.sub.track(`${userId}/audio`) ?? null;
  }
  // ---- connection health and browser events --------------------------
  onPeerState(target, state) {
    const t = this.iceTimers.get(target);
    if (t) clearTimeout(t);
    this.iceTimers.delete(target);
    if (state === "failed") void this.restartIce(target);
    else if (state === "disconnected") {
      this.iceTimers.set(
        target,
        setTimeout(() => {
          this.iceTimers.delete(target);
          const side = target === "pub" ? this.pub : this.sub;
          if (side.connectionState === "disconnected" || side.connectionState === "failed") void this.restartIce(target);
        }, ICE_GRACE_MS)
      );
    }
  }
  async restartIce(target) {
    if (!this.room?.connected) return;
    try {
      if (target === "pub") await this.pub.restartIce();
      else await this.sub.restartIce();
    } catch (e) {
      this.report(
        new RtcError({
          code: ERROR_CODE.OPERATION_FAILED,
          extraCode: EXTRA_CODE.MEDIA_CONNECTION_FAILED,
          message: `media connection (${target}) could not be restarted: ${e?.message ?? e}`
        })
      );
    }
  }
  watchEnded(track, kind) {
    track.addEventListener("ended", () => void this.onDeviceLost(kind, track));
  }
  /**
   * The device of a local track went away (unplugged, or revoked): capture
   * the default device instead and keep publishing, or report DEVICE_ERROR.
   */
  async onDeviceLost(kind, track) {
    const fn = kind === "camera" ? "startLocalVideo" : "startLocalAudio";
    if (kind === "camera" ? this.camera?.track !== track : this.mic?.track !== track) return;
    try {
      let t;
      if (kind === "camera") {
        t = await captureCamera(this.camera.profile, void 0, void 0, fn);
        if (this.camera?.track !== track) return t.stop();
        await this.swapCamera(t, void 0);
      } else {
        t = await captureMicrophone(this.mic.profile, {}, fn);
        if (this.mic?.track !== track) return t.stop();
        await this.swapMic(t, void 0);
      }
      const id = t.getSettings?.().deviceId ?? "";
      const dev = (await enumerateAll().catch(() => [])).find(
        (d) => d.deviceId === id && d.kind === (kind === "camera" ? "videoinput" : "audioinput")
      );
      this.emit(EVENT.DEVICE_CHANGED, {
        type: kind,
        action: "active",
        device: dev ?? { deviceId: id, groupId: "", kind: kind === "camera" ? "videoinput" : "audioinput", label: t.label }
      });
    } catch (e) {
      if (kind === "camera") this.stopCamera();
      else this.stopMic();
      await this.republish("reconnect");
      this.emit(
        EVENT.ERROR,
        new RtcError({
          code: ERROR_CODE.DEVICE_ERROR,
          extraCode: kind === "camera" ? EXTRA_CODE.CAMERA_RECAPTURE_FAILED : EXTRA_CODE.MICROPHONE_RECAPTURE_FAILED,
          message: `the ${kind} stopped and no other could be opened: ${e?.message ?? e}`,
          originError: e
        })
      );
    }
  }
  listen() {
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onNetworkChange);
      navigator.connection?.addEventListener?.("change", this.onNetworkChange);
    }
    if (typeof document !== "undefined") document.addEventListener("visibilitychange", this.onVisibility);
    if (typeof navigator !== "undefined" && navigator.mediaDevices?.addEventListener) {
      navigator.mediaDevices.addEventListener("devicechange", this.onDeviceChange);
      void enumerateAll().then((d) => this.devices = d).catch(() => {
      });
    }
  }
  unlisten() {
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onNetworkChange);
      navigator.connection?.removeEventListener?.("change", this.onNetworkChange);
    }
    if (typeof document !== "undefined") document.removeEventListener("visibilitychange", this.onVisibility);
    if (typeof navigator !== "undefined" && navigator.mediaDevices?.removeEventListener) {
      navigator.mediaDevices.removeEventListener("devicechange", this.onDeviceChange);
    }
  }
};
_TRTC.EVENT = EVENT;
_TRTC.ERROR_CODE = ERROR_CODE;
_TRTC.TYPE = TYPE;
_TRTC.VERSION = SDK_VERSION;
var TRTC = _TRTC;

// src/index.ts
var index_default = TRTC;
export {
  AUDIO_PROFILES,
  CDNStreaming,
  CDN_STREAMING_LIMITS,
  CUSTOM_MESSAGE_LIMITS,
  ERROR_CODE,
  EVENT,
  EXTRA_CODE,
  PublishMode,
  RtcError,
  SCREEN_PROFILES,
  TRTC,
  TYPE,
  VIDEO_PROFILES,
  index_default as default
};
