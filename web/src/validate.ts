// Checks of API parameters, in TRTC's order (trtc-reference §2.1, §10.2),
// with v5's error codes. Pure: unit-tested in test/validate.test.ts.
import { EXTRA_CODE, invalidParameter } from './errors.js';
import type { EnterRoomOptions, Role, Scene, View } from './types.js';
import type { StreamType } from './events.js';

export const MAX_ROOM_ID = 4294967294;
export const MAX_STR_ROOM_ID_BYTES = 64;
export const MAX_USER_ID_BYTES = 32;
const USER_ID_RE = /^[A-Za-z0-9_-]+$/;
// The 89 characters TRTC allows in strRoomId.
const STR_ROOM_ID_RE = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]+$/;

/** Scene and role numbers of the signaling protocol (docs/protocol.md). */
export const SCENE_CODE: Record<Scene, number> = { rtc: 0, live: 1 };
export const ROLE_CODE: Record<Role, number> = { anchor: 20, audience: 21 };

export interface EnterParams {
  sdkAppId: number;
  userId: string;
  userSig: string;
  roomId: number;
  strRoomId: string;
  scene: Scene;
  role: Role;
  privateMapKey: string;
  autoReceiveAudio: boolean;
  autoReceiveVideo: boolean;
  userDefineRecordId: string;
  streamId: string;
  businessInfo: string;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

function optionalString(o: Record<string, unknown>, key: string, fn: string, maxBytes = 1024): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a string`, fn);
  if (byteLength(v) > maxBytes) {
    throw invalidParameter(EXTRA_CODE.TOO_LARGE, `${key} must be at most ${maxBytes} bytes`, fn);
  }
  return v;
}

function optionalBool(o: Record<string, unknown>, key: string, dflt: boolean, fn: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a boolean`, fn);
  return v;
}

export function checkUserId(v: unknown, fn: string, key = 'userId'): string {
  if (v === undefined || v === null) throw invalidParameter(EXTRA_CODE.REQUIRED, `${key} is required`, fn);
  if (typeof v !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a string`, fn);
  if (v === '') throw invalidParameter(EXTRA_CODE.EMPTY, `${key} must not be empty`, fn);
  if (byteLength(v) > MAX_USER_ID_BYTES || !USER_ID_RE.test(v)) {
    throw invalidParameter(
      EXTRA_CODE.OUT_OF_RANGE,
      `${key} must be at most ${MAX_USER_ID_BYTES} characters of a-z, A-Z, 0-9, _ and -`,
      fn,
    );
  }
  return v;
}

export function checkRole(v: unknown, fn: string): Role {
  if (v !== 'anchor' && v !== 'audience') {
    if (v === undefined || v === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'role is required', fn);
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `role must be 'anchor' or 'audience', got ${String(v)}`, fn);
  }
  return v;
}

export function checkStreamType(v: unknown, fn: string): StreamType {
  if (v === undefined || v === null) {
    throw invalidParameter(EXTRA_CODE.REQUIRED, "streamType is required ('main' or 'sub')", fn);
  }
  if (v !== 'main' && v !== 'sub') {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `streamType must be 'main' or 'sub', got ${String(v)}`, fn);
  }
  return v;
}

/** Validates enterRoom's options and fills in defaults. */
export function checkEnterRoom(opts: unknown): EnterParams {
  const fn = 'enterRoom';
  if (opts === undefined || opts === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'options are required', fn);
  if (typeof opts !== 'object') throw invalidParameter(EXTRA_CODE.TYPE, 'options must be an object', fn);
  const o = opts as Record<string, unknown> & Partial<EnterRoomOptions>;

  const app = o.sdkAppId;
  if (app === undefined || app === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'sdkAppId is required', fn);
  if (typeof app !== 'number') throw invalidParameter(EXTRA_CODE.TYPE, 'sdkAppId must be a number', fn);
  if (!Number.isInteger(app) || app <= 0 || app > 0xffffffff) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `sdkAppId must be an integer in [1, 4294967295], got ${app}`, fn);
  }

  let roomId = 0;
  let strRoomId = '';
  const r = o.roomId;
  if (r !== undefined && r !== null) {
    if (typeof r === 'string') {
      throw invalidParameter(
        EXTRA_CODE.ROOM_ID_IS_STRING,
        'roomId must be a number; use strRoomId for a string room id',
        fn,
      );
    }
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > MAX_ROOM_ID) {
      throw invalidParameter(EXTRA_CODE.ROOM_ID_RANGE, `roomId must be an integer in [1, ${MAX_ROOM_ID}]`, fn);
    }
    roomId = r;
  }
  const s = o.strRoomId;
  if (roomId === 0 && s !== undefined && s !== null && s !== '') {
    if (typeof s !== 'string' || byteLength(s) > MAX_STR_ROOM_ID_BYTES || !STR_ROOM_ID_RE.test(s)) {
      throw invalidParameter(
        EXTRA_CODE.STR_ROOM_ID,
        `strRoomId must be at most ${MAX_STR_ROOM_ID_BYTES} bytes of a-z, A-Z, 0-9, space and !#$%&()+-:;<=.>?@[]^_{}|~,`,
        fn,
      );
    }
    strRoomId = s;
  }
  if (roomId === 0 && strRoomId === '') {
    throw invalidParameter(EXTRA_CODE.ROOM_ID_MISSING, 'one of roomId and strRoomId is required', fn);
  }

  const userId = checkUserId(o.userId, fn);
  const sig = o.userSig;
  if (sig === undefined || sig === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'userSig is required', fn);
  if (typeof sig !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, 'userSig must be a string', fn);
  if (sig === '') throw invalidParameter(EXTRA_CODE.EMPTY, 'userSig must not be empty', fn);

  let scene: Scene = 'rtc';
  if (o.scene !== undefined && o.scene !== null) {
    if (o.scene !== 'rtc' && o.scene !== 'live') {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `scene must be 'rtc' or 'live', got ${String(o.scene)}`, fn);
    }
    scene = o.scene;
  }
  let role: Role = 'anchor';
  if (o.role !== undefined && o.role !== null) role = checkRole(o.role, fn);

  return {
    sdkAppId: app,
    userId,
    userSig: sig,
    roomId,
    strRoomId,
    scene,
    role: scene === 'rtc' ? 'anchor' : role,
    privateMapKey: optionalString(o, 'privateMapKey', fn, 8192),
    autoReceiveAudio: optionalBool(o, 'autoReceiveAudio', true, fn),
    autoReceiveVideo: optionalBool(o, 'autoReceiveVideo', false, fn),
    userDefineRecordId: optionalString(o, 'userDefineRecordId', fn, 64),
    streamId: optionalString(o, 'streamId', fn, 64),
    businessInfo: optionalString(o, 'businessInfo', fn, 8192),
  };
}

/**
 * Resolves a view to an element. undefined and null mean "no view" unless
 * required; a string is an element id that must be on the page.
 */
export function resolveView(view: View | undefined, fn: string, required: boolean): HTMLElement | null {
  if (view === undefined || view === null) {
    if (required) throw invalidParameter(EXTRA_CODE.REQUIRED, 'view is required (an element id or an HTMLElement)', fn);
    return null;
  }
  if (typeof view === 'string') {
    if (view === '') throw invalidParameter(EXTRA_CODE.EMPTY, 'view must not be an empty id', fn);
    const el = typeof document !== 'undefined' ? document.getElementById(view) : null;
    if (!el) throw invalidParameter(EXTRA_CODE.ELEMENT_NOT_FOUND, `no element with id "${view}" on the page`, fn);
    return el;
  }
  if (typeof HTMLElement === 'undefined' || !(view instanceof HTMLElement)) {
    throw invalidParameter(EXTRA_CODE.NOT_ELEMENT, 'view must be an element id or an HTMLElement', fn);
  }
  return view;
}

/** Checks an options argument is an object (or absent when optional). */
export function checkOptions(o: unknown, fn: string, required: boolean): Record<string, any> {
  if (o === undefined || o === null) {
    if (required) throw invalidParameter(EXTRA_CODE.REQUIRED, 'options are required', fn);
    return {};
  }
  if (typeof o !== 'object') throw invalidParameter(EXTRA_CODE.TYPE, 'options must be an object', fn);
  return o as Record<string, any>;
}

export function checkBool(v: unknown, name: string, fn: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be a boolean`, fn);
  return v;
}

export function checkOptionalString(v: unknown, name: string, fn: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be a string`, fn);
  return v;
}
