import type { Role, Scene, View } from './types.js';
import type { StreamType } from './events.js';
export declare const MAX_ROOM_ID = 4294967294;
export declare const MAX_STR_ROOM_ID_BYTES = 64;
export declare const MAX_USER_ID_BYTES = 32;
/** Scene and role numbers of the signaling protocol (docs/protocol.md). */
export declare const SCENE_CODE: Record<Scene, number>;
export declare const ROLE_CODE: Record<Role, number>;
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
export declare function checkUserId(v: unknown, fn: string, key?: string): string;
export declare function checkRole(v: unknown, fn: string): Role;
export declare function checkStreamType(v: unknown, fn: string): StreamType;
/** Validates enterRoom's options and fills in defaults. */
export declare function checkEnterRoom(opts: unknown): EnterParams;
/**
 * Resolves a view to an element. undefined and null mean "no view" unless
 * required; a string is an element id that must be on the page.
 */
export declare function resolveView(view: View | undefined, fn: string, required: boolean): HTMLElement | null;
/** Checks an options argument is an object (or absent when optional). */
export declare function checkOptions(o: unknown, fn: string, required: boolean): Record<string, any>;
export declare function checkBool(v: unknown, name: string, fn: string): boolean | undefined;
export declare function checkOptionalString(v: unknown, name: string, fn: string): string | undefined;
