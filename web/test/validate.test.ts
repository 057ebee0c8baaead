import { describe, expect, it } from 'vitest';
import { RtcError } from '../src/errors.js';
import { checkEnterRoom, checkRole, checkStreamType, checkUserId } from '../src/validate.js';
import { resolveAudioProfile, resolveVideoProfile, scaleDownBy, VIDEO_PROFILES } from '../src/profiles.js';

function codes(f: () => unknown): [number, number | undefined] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RtcError);
    const r = e as RtcError;
    expect(r.message.length).toBeGreaterThan(5);
    return [r.code, r.extraCode];
  }
  throw new Error('no error');
}

const ok = { sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', roomId: 1234 };

describe('checkEnterRoom', () => {
  const rows: [string, unknown, [number, number]][] = [
    ['no options', undefined, [5000, 5001]],
    ['options not an object', 'x', [5000, 5002]],
    ['no sdkAppId', { ...ok, sdkAppId: undefined }, [5000, 5001]],
    ['sdkAppId a string', { ...ok, sdkAppId: '1400000001' }, [5000, 5002]],
    ['sdkAppId zero', { ...ok, sdkAppId: 0 }, [5000, 5005]],
    ['sdkAppId fraction', { ...ok, sdkAppId: 1.5 }, [5000, 5005]],
    ['roomId a string', { ...ok, roomId: '1234' }, [5000, 5016]],
    ['roomId zero', { ...ok, roomId: 0 }, [5000, 5012]],
    ['roomId too large', { ...ok, roomId: 4294967295 }, [5000, 5012]],
    ['no room at all', { ...ok, roomId: undefined }, [5000, 5015]],
    ['strRoomId with a slash', { ...ok, roomId: undefined, strRoomId: 'a/b' }, [5000, 5013]],
    ['strRoomId too long', { ...ok, roomId: undefined, strRoomId: 'x'.repeat(65) }, [5000, 5013]],
    ['no userId', { ...ok, userId: undefined }, [5000, 5001]],
    ['empty userId', { ...ok, userId: '' }, [5000, 5003]],
    ['userId with a space', { ...ok, userId: 'a b' }, [5000, 5005]],
    ['userId too long', { ...ok, userId: 'a'.repeat(33) }, [5000, 5005]],
    ['no userSig', { ...ok, userSig: undefined }, [5000, 5001]],
    ['empty userSig', { ...ok, userSig: '' }, [5000, 5003]],
    ['bad scene', { ...ok, scene: 'meeting' }, [5000, 5005]],
    ['bad role', { ...ok, scene: 'live', role: 'host' }, [5000, 5005]],
    ['autoReceiveAudio not a boolean', { ...ok, autoReceiveAudio: 'yes' }, [5000, 5002]],
  ];
  for (const [name, opts, want] of rows) {
    it(`rejects: ${name}`, () => expect(codes(() => checkEnterRoom(opts))).toEqual(want));
  }

  it('fills defaults', () => {
    const p = checkEnterRoom(ok);
    expect(p).toMatchObject({ scene: 'rtc', role: 'anchor', autoReceiveAudio: true, autoReceiveVideo: false, roomId: 1234 });
  });

  it('ignores the role in the rtc scene', () => {
    expect(checkEnterRoom({ ...ok, role: 'audience' }).role).toBe('anchor');
    expect(checkEnterRoom({ ...ok, scene: 'live', role: 'audience' }).role).toBe('audience');
  });

  it('prefers roomId over strRoomId and accepts the 89 characters', () => {
    expect(checkEnterRoom({ ...ok, strRoomId: 'x' })).toMatchObject({ roomId: 1234, strRoomId: '' });
    const s = 'aZ09 !#$%&()+-:;<=.>?@[]^_{}|~,';
    expect(checkEnterRoom({ ...ok, roomId: undefined, strRoomId: s }).strRoomId).toBe(s);
  });
});

describe('small checks', () => {
  it('userId', () => {
    expect(checkUserId('a_b-C9', 'f')).toBe('a_b-C9');
    expect(codes(() => checkUserId(5, 'f'))).toEqual([5000, 5002]);
  });
  it('role and stream type', () => {
    expect(checkRole('audience', 'f')).toBe('audience');
    expect(codes(() => checkRole(undefined, 'f'))).toEqual([5000, 5001]);
    expect(checkStreamType('sub', 'f')).toBe('sub');
    expect(codes(() => checkStreamType('big', 'f'))).toEqual([5000, 5005]);
    expect(codes(() => checkStreamType(undefined, 'f'))).toEqual([5000, 5001]);
  });
});

describe('profiles', () => {
  it('resolves names and objects', () => {
    expect(resolveVideoProfile(undefined, VIDEO_PROFILES, '480p', 'f')).toEqual({ width: 640, height: 480, frameRate: 15, bitrate: 900 });
    expect(resolveVideoProfile('720p', VIDEO_PROFILES, '480p', 'f').width).toBe(1280);
    const o = { width: 300, height: 200, frameRate: 10, bitrate: 100 };
    expect(resolveVideoProfile(o, VIDEO_PROFILES, '480p', 'f')).toEqual(o);
    expect(resolveAudioProfile('high', 'f').bitrate).toBe(128);
  });
  it('rejects unknown names and bad numbers', () => {
    expect(codes(() => resolveVideoProfile('999p', VIDEO_PROFILES, '480p', 'f'))).toEqual([5000, 5005]);
    expect(codes(() => resolveVideoProfile({ width: 1, height: 0, frameRate: 1, bitrate: 1 }, VIDEO_PROFILES, '480p', 'f'))).toEqual([5000, 5005]);
    expect(codes(() => resolveVideoProfile({ width: '1' }, VIDEO_PROFILES, '480p', 'f'))).toEqual([5000, 5002]);
    expect(codes(() => resolveVideoProfile(7, VIDEO_PROFILES, '480p', 'f'))).toEqual([5000, 5002]);
    expect(codes(() => resolveAudioProfile('loud', 'f'))).toEqual([5000, 5005]);
  });
  it('scales down, never up', () => {
    expect(scaleDownBy(640, 480, 160, 120)).toBe(4);
    expect(scaleDownBy(320, 240, 640, 480)).toBe(1);
    expect(scaleDownBy(0, 0, 160, 120)).toBe(1);
  });
});
