// rtcengine Web SDK: TRTC Web SDK v5's API over an rtcengine server.
//
//   import TRTC from 'https://your-server/sdk/rtcengine.js';
//   const trtc = TRTC.create();
//   await trtc.enterRoom({ sdkAppId, userId, userSig, roomId: 8888 });
//
// See docs/web-sdk.md.
import { TRTC } from './trtc.js';

export default TRTC;
export { TRTC };
export { ERROR_CODE, EXTRA_CODE, RtcError } from './errors.js';
export { EVENT } from './events.js';
export { TYPE } from './types.js';
export { CUSTOM_MESSAGE_LIMITS } from './custommsg.js';
export { CDNStreaming, PublishMode, CDN_STREAMING_LIMITS } from './cdnstreaming.js';
export type { CDNStreamingOptions } from './cdnstreaming.js';
export { VIDEO_PROFILES, SCREEN_PROFILES, AUDIO_PROFILES } from './profiles.js';
export type * from './events.js';
export type * from './types.js';
