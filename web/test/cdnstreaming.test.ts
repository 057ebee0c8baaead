import { describe, expect, it } from 'vitest';
import { CDNStreaming, PublishMode, mediaStreamRequest } from '../src/cdnstreaming.js';
import { ERROR_CODE, EXTRA_CODE, RtcError } from '../src/errors.js';
import type { Message } from '../src/signal.js';

const url = 'rtmp://127.0.0.1:1935/live/show';

/** A server stand-in that records requests and answers from a script. */
function fakeServer(answer: (type: string, data: any) => Partial<Message> = () => ({ code: 0, data: { taskId: 't1' } })) {
  const sent: { type: string; data: any }[] = [];
  const plugin = new CDNStreaming(async (type, data) => {
    sent.push({ type, data });
    return { type: 'response', ...answer(type, data) } as Message;
  });
  return { plugin, sent };
}

async function rejects(p: Promise<unknown>): Promise<RtcError> {
  try {
    await p;
  } catch (e) {
    return e as RtcError;
  }
  throw new Error('no error');
}

describe('CDNStreaming options', () => {
  it('maps a mix to the signaling request', () => {
    const req = mediaStreamRequest(
      {
        target: { publishMode: PublishMode.PublishMixStreamToCDN, url },
        encoding: { videoWidth: 640, videoHeight: 360, videoBitrate: 800, videoFramerate: 15, audioSampleRate: 48000, audioChannels: 2 },
        mix: {
          backgroundColor: 0x102030,
          audioMixUserList: [{ userId: 'a' }],
          videoLayoutList: [
            { fixedVideoUser: { userId: 'a' }, width: 640, height: 360 },
            { fixedVideoUser: { userId: 'b', roomId: 7 }, fixedVideoStreamType: 'sub', width: 160, height: 90, locationX: 470, locationY: 10, zOrder: 1, fillMode: 1 },
          ],
        },
      },
      'startPlugin',
    );
    expect(req).toEqual({
      target: { mode: 3, cdnUrlList: [{ rtmpUrl: url }] },
      encoder: {
        videoEncodedWidth: 640, videoEncodedHeight: 360, videoEncodedKbps: 800, videoEncodedFPS: 15, videoEncodedGOP: undefined,
        audioEncodedSampleRate: 48000, audioEncodedKbps: undefined, audioEncodedChannelNum: 2,
      },
      mix: {
        backgroundColor: 0x102030,
        backgroundImage: undefined,
        audioMixUserList: [{ userId: 'a' }],
        videoLayoutList: [
          { rect: { left: 0, top: 0, right: 640, bottom: 360 }, zOrder: 0, fillMode: 0, fixedVideoUser: { userId: 'a' }, fixedVideoStreamType: 0 },
          { rect: { left: 470, top: 10, right: 630, bottom: 100 }, zOrder: 1, fillMode: 1, fixedVideoUser: { userId: 'b', intRoomId: 7 }, fixedVideoStreamType: 2 },
        ],
      },
    });
  });

  it('refuses bad options before sending', () => {
    const bad: [string, unknown, number][] = [
      ['no target', {}, EXTRA_CODE.REQUIRED],
      ['unknown mode', { target: { publishMode: 'PublishMixStreamToRoom', url } }, EXTRA_CODE.OUT_OF_RANGE],
      ['no url', { target: { publishMode: 'PublishMainStreamToCDN', streamId: 's' } }, EXTRA_CODE.REQUIRED],
      ['http url', { target: { publishMode: 'PublishMainStreamToCDN', url: 'http://x/y/z' } }, EXTRA_CODE.REQUIRED],
      ['width 4000', { target: { publishMode: 'PublishMainStreamToCDN', url }, encoding: { videoWidth: 4000 } }, EXTRA_CODE.OUT_OF_RANGE],
      ['fractional fps', { target: { publishMode: 'PublishMainStreamToCDN', url }, encoding: { videoFramerate: 1.5 } }, EXTRA_CODE.TYPE],
      ['layout without user', { target: { publishMode: 'PublishMixStreamToCDN', url }, mix: { videoLayoutList: [{ width: 2, height: 2 }] } }, EXTRA_CODE.REQUIRED],
      ['layout without size', { target: { publishMode: 'PublishMixStreamToCDN', url }, mix: { videoLayoutList: [{ fixedVideoUser: { userId: 'a' } }] } }, EXTRA_CODE.REQUIRED],
      ['17 layouts', { target: { publishMode: 'PublishMixStreamToCDN', url }, mix: { videoLayoutList: Array(17).fill({ fixedVideoUser: { userId: 'a' }, width: 2, height: 2 }) } }, EXTRA_CODE.TOO_LARGE],
    ];
    for (const [name, opts, extra] of bad) {
      let err: RtcError | undefined;
      try {
        mediaStreamRequest(opts, 'startPlugin');
      } catch (e) {
        err = e as RtcError;
      }
      expect(err?.code, name).toBe(ERROR_CODE.INVALID_PARAMETER);
      expect(err?.extraCode, name).toBe(extra);
    }
  });
});

describe('CDNStreaming plugin', () => {
  it('starts, updates and stops one task per mode', async () => {
    const { plugin, sent } = fakeServer();
    const opts = { target: { publishMode: PublishMode.PublishMainStreamToCDN, url } };
    await plugin.start(opts);
    expect(sent[0]).toEqual({ type: 'start_publish_media_stream', data: { target: { mode: 1, cdnUrlList: [{ rtmpUrl: url }] } } });
    const again = await rejects(plugin.start(opts));
    expect(again.code).toBe(ERROR_CODE.INVALID_OPERATION);
    await plugin.update({ target: { publishMode: PublishMode.PublishMainStreamToCDN, url: url + '2' } });
    expect(sent[1].type).toBe('update_publish_media_stream');
    expect(sent[1].data.taskId).toBe('t1');
    await plugin.stop(opts);
    expect(sent[2]).toEqual({ type: 'stop_publish_media_stream', data: { taskId: 't1' } });
    await plugin.stop(opts); // idempotent: nothing sent
    expect(sent.length).toBe(3);
    const notRunning = await rejects(plugin.update(opts));
    expect(notRunning.code).toBe(ERROR_CODE.INVALID_OPERATION);
  });

  it('reports the server refusal with its TRTC code', async () => {
    const { plugin } = fakeServer(() => ({ code: -4, msg: 'not supported', data: { taskId: '' } }));
    const err = await rejects(plugin.start({ target: { publishMode: PublishMode.PublishSubStreamToCDN, url } }));
    expect(err.code).toBe(ERROR_CODE.SERVER_ERROR);
    expect(err.extraCode).toBe(-4);
    expect(err.functionName).toBe('startPlugin');
  });
});
