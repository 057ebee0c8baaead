// rtcengine Meet: the demo application served at /. It uses only the
// public Web SDK (the TRTC Web SDK v5 API) from /sdk/rtcengine.js.
//
// URL parameters: room, user (prefill the form), autojoin=1 (join at once),
// cam=0 / mic=0 (join with camera or microphone off).
import TRTC from '/sdk/rtcengine.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const CHAT_CMD = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const state = {
  trtc: TRTC.create(),
  config: { dev: false },
  userId: '',
  room: '',
  micOn: params.get('mic') !== '0',
  camOn: params.get('cam') !== '0',
  sharing: false,
  inCall: false,
  tiles: new Map(), // key "<userId>/<main|sub>" → tile element
  unread: 0,
};
window.demo = state; // for the browser tests and the curious

// ---------- small helpers ----------

function toast(text, kind = '') {
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.textContent = text;
  $('toasts').append(el);
  setTimeout(() => el.remove(), 4500);
}

function describe(err) {
  if (!err) return 'unknown error';
  const code = err.extraCode !== undefined ? ` (${err.code}/${err.extraCode})` : err.code ? ` (${err.code})` : '';
  return `${err.message || err}${code}`;
}

function setButton(btn, on, icons, titles) {
  btn.classList.toggle('off', !on);
  btn.querySelector('use').setAttribute('href', on ? icons[0] : icons[1]);
  btn.title = on ? titles[0] : titles[1];
}

function roomParams(room) {
  // A number in TRTC's range is a numeric room; anything else a string room.
  if (/^\d+$/.test(room) && Number(room) >= 1 && Number(room) <= 4294967294) return { roomId: Number(room) };
  return { strRoomId: room };
}

// ---------- lobby ----------

async function loadConfig() {
  try {
    state.config = await (await fetch('/demo/config.json')).json();
  } catch {
    state.config = { dev: false };
  }
  $('prod-fields').hidden = !!state.config.dev;
  $('mode-hint').textContent = state.config.dev
    ? 'Development server: a UserSig is issued for you automatically.'
    : 'Production server: paste the SDKAppID and a UserSig issued by your application server.';
}

async function startPreview() {
  $('preview-off').hidden = state.camOn;
  setButton($('pre-cam'), state.camOn, ['#i-cam', '#i-cam-off'], ['Turn camera off', 'Turn camera on']);
  setButton($('pre-mic'), state.micOn, ['#i-mic', '#i-mic-off'], ['Mute microphone', 'Unmute microphone']);
  if (!state.camOn) return;
  try {
    await state.trtc.startLocalVideo({ view: 'preview-video', publish: false });
  } catch (err) {
    if (err.code === TRTC.ERROR_CODE.INVALID_OPERATION) return; // already previewing
    state.camOn = false;
    $('preview-off').hidden = false;
    setButton($('pre-cam'), false, ['#i-cam', '#i-cam-off'], ['Turn camera off', 'Turn camera on']);
    $('join-error').textContent = `Camera: ${describe(err)}`;
  }
}

$('pre-cam').onclick = async () => {
  state.camOn = !state.camOn;
  if (state.camOn) await startPreview();
  else {
    await state.trtc.stopLocalVideo();
    $('preview-off').hidden = false;
    setButton($('pre-cam'), false, ['#i-cam', '#i-cam-off'], ['Turn camera off', 'Turn camera on']);
  }
};
$('pre-mic').onclick = () => {
  state.micOn = !state.micOn;
  setButton($('pre-mic'), state.micOn, ['#i-mic', '#i-mic-off'], ['Mute microphone', 'Unmute microphone']);
};

async function userSigFor(userId) {
  if (state.config.dev) {
    const r = await fetch(`/dev/usersig?userId=${encodeURIComponent(userId)}`);
    const body = await r.json();
    if (!r.ok) throw new Error(body.message || `cannot get a UserSig (${r.status})`);
    return { sdkAppId: body.sdkAppId, userSig: body.userSig };
  }
  const sdkAppId = Number($('sdkappid').value.trim());
  const userSig = $('usersig').value.trim();
  if (!sdkAppId || !userSig) throw new Error('enter the SDKAppID and a UserSig');
  return { sdkAppId, userSig };
}

$('join-form').onsubmit = async (e) => {
  e.preventDefault();
  $('join-error').textContent = '';
  const room = $('room').value.trim();
  const userId = $('user').value.trim();
  $('join').disabled = true;
  try {
    await join(room, userId);
  } catch (err) {
    $('join-error').textContent = describe(err);
    await state.trtc.exitRoom().catch(() => {});
  } finally {
    $('join').disabled = false;
  }
};

// ---------- the call ----------

async function join(room, userId) {
  const { sdkAppId, userSig } = await userSigFor(userId);
  const trtc = state.trtc;
  await trtc.enterRoom({ sdkAppId, userId, userSig, ...roomParams(room), scene: 'rtc' });
  state.userId = userId;
  state.room = room;
  state.inCall = true;
  history.replaceState(null, '', `?room=${encodeURIComponent(room)}`);
  $('lobby').hidden = true;
  $('call').hidden = false;
  $('room-title').textContent = room;
  const local = addTile(userId, 'main', true);
  if (state.camOn) {
    // The lobby preview moves into the local tile and starts publishing.
    await trtc.updateLocalVideo({ view: local.querySelector('.video'), publish: true }).catch(async () => {
      await trtc.startLocalVideo({ view: local.querySelector('.video') });
    });
    local.classList.add('has-video');
  }
  await trtc.startLocalAudio({ mute: !state.micOn }).catch((err) => toast(`Microphone: ${describe(err)}`, 'error'));
  local.querySelector('.mic-off').hidden = state.micOn;
  trtc.enableAudioVolumeEvaluation(300);
  updateControls();
  updateCount();
}

function addTile(userId, streamType, isLocal = false) {
  const key = `${userId}/${streamType}`;
  let tile = state.tiles.get(key);
  if (tile) return tile;
  tile = $('tile-template').content.firstElementChild.cloneNode(true);
  tile.dataset.user = userId;
  tile.dataset.stream = streamType;
  if (isLocal) tile.dataset.local = '1';
  if (streamType === 'sub') tile.classList.add('screen', 'has-video');
  tile.querySelector('.name').textContent =
    streamType === 'sub' ? `${userId} is presenting` : isLocal ? `${userId} (you)` : userId;
  tile.querySelector('.avatar span').textContent = userId.slice(0, 1);
  if (streamType === 'sub') tile.querySelector('.quality').hidden = true;
  const stage = $('stage');
  if (streamType === 'sub') stage.prepend(tile);
  else stage.append(tile);
  state.tiles.set(key, tile);
  layout();
  return tile;
}

function removeTile(userId, streamType) {
  const key = `${userId}/${streamType}`;
  state.tiles.get(key)?.remove();
  state.tiles.delete(key);
  layout();
}

function layout() {
  const stage = $('stage');
  stage.dataset.count = String(Math.min(state.tiles.size, 9));
  stage.classList.toggle('presenting', [...state.tiles.keys()].some((k) => k.endsWith('/sub')));
}

function updateCount() {
  const people = new Set([...state.tiles.keys()].map((k) => k.split('/')[0])).size;
  $('people-count').textContent = `${people} ${people === 1 ? 'person' : 'people'}`;
}

function updateControls() {
  setButton($('btn-mic'), state.micOn, ['#i-mic', '#i-mic-off'], ['Mute microphone', 'Unmute microphone']);
  setButton($('btn-cam'), state.camOn, ['#i-cam', '#i-cam-off'], ['Turn camera off', 'Turn camera on']);
  $('btn-screen').classList.toggle('active', state.sharing);
  $('btn-screen').title = state.sharing ? 'Stop presenting' : 'Share your screen';
}

$('btn-mic').onclick = async () => {
  state.micOn = !state.micOn;
  try {
    await state.trtc.updateLocalAudio({ mute: !state.micOn });
  } catch (err) {
    if (err.code === TRTC.ERROR_CODE.INVALID_OPERATION) await state.trtc.startLocalAudio({ mute: !state.micOn });
    else toast(describe(err), 'error');
  }
  state.tiles.get(`${state.userId}/main`).querySelector('.mic-off').hidden = state.micOn;
  updateControls();
};

$('btn-cam').onclick = async () => {
  const tile = state.tiles.get(`${state.userId}/main`);
  state.camOn = !state.camOn;
  try {
    if (state.camOn) await state.trtc.startLocalVideo({ view: tile.querySelector('.video') });
    else await state.trtc.stopLocalVideo();
    tile.classList.toggle('has-video', state.camOn);
  } catch (err) {
    state.camOn = !state.camOn;
    toast(`Camera: ${describe(err)}`, 'error');
  }
  updateControls();
};

$('btn-screen').onclick = async () => {
  if (state.sharing) {
    await state.trtc.stopScreenShare();
    screenStopped();
    return;
  }
  const tile = addTile(state.userId, 'sub', true);
  tile.querySelector('.name').textContent = 'You are presenting';
  try {
    await state.trtc.startScreenShare({ view: tile.querySelector('.video') });
    state.sharing = true;
  } catch (err) {
    removeTile(state.userId, 'sub');
    toast(`Screen share: ${describe(err)}`, 'error');
  }
  updateControls();
};

function screenStopped() {
  state.sharing = false;
  removeTile(state.userId, 'sub');
  updateControls();
}

$('btn-leave').onclick = () => leave();

async function leave(message) {
  await state.trtc.exitRoom().catch(() => {});
  await state.trtc.stopLocalAudio().catch(() => {});
  await state.trtc.stopScreenShare().catch(() => {});
  await state.trtc.stopLocalVideo().catch(() => {});
  state.inCall = false;
  state.sharing = false;
  for (const t of state.tiles.values()) t.remove();
  state.tiles.clear();
  $('messages').replaceChildren($('messages').firstElementChild);
  $('chat').hidden = true;
  $('call').hidden = true;
  $('lobby').hidden = false;
  if (message) $('join-error').textContent = message;
  await startPreview();
}

$('copy-link').onclick = async () => {
  const link = `${location.origin}/?room=${encodeURIComponent(state.room)}`;
  try {
    await navigator.clipboard.writeText(link);
    toast('Invite link copied');
  } catch {
    toast(link);
  }
};

// ---------- chat over custom messages ----------

$('btn-chat').onclick = () => {
  $('chat').hidden = !$('chat').hidden;
  if (!$('chat').hidden) {
    state.unread = 0;
    $('unread').hidden = true;
    $('chat-input').focus();
  }
};
$('chat-close').onclick = () => ($('chat').hidden = true);

function addMessage(from, text, mine) {
  const li = document.createElement('li');
  if (mine) li.className = 'mine';
  const who = document.createElement('span');
  who.className = 'who';
  const b = document.createElement('b');
  b.textContent = mine ? 'You' : from;
  who.append(b, new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(who, body);
  $('messages').append(li);
  $('messages').scrollTop = $('messages').scrollHeight;
  if (!mine && $('chat').hidden) {
    state.unread++;
    $('unread').textContent = String(state.unread);
    $('unread').hidden = false;
  }
}

$('chat-form').onsubmit = async (e) => {
  e.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text) return;
  const data = encoder.encode(JSON.stringify({ text }));
  try {
    await state.trtc.sendCustomMessage({ cmdId: CHAT_CMD, data: data.buffer });
    addMessage(state.userId, text, true);
    $('chat-input').value = '';
  } catch (err) {
    toast(`Message not sent: ${describe(err)}`, 'error');
  }
};

// ---------- room events ----------

const trtc = state.trtc;
trtc.on(TRTC.EVENT.REMOTE_USER_ENTER, ({ userId }) => {
  addTile(userId, 'main');
  updateCount();
});
trtc.on(TRTC.EVENT.REMOTE_USER_EXIT, ({ userId }) => {
  removeTile(userId, 'main');
  removeTile(userId, 'sub');
  updateCount();
});
trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, async ({ userId, streamType }) => {
  const tile = addTile(userId, streamType);
  tile.classList.add('has-video');
  try {
    await trtc.startRemoteVideo({ userId, streamType, view: tile.querySelector('.video') });
  } catch (err) {
    if (err.extraCode !== 5104) toast(`Video of ${userId}: ${describe(err)}`, 'error');
  }
});
trtc.on(TRTC.EVENT.REMOTE_VIDEO_UNAVAILABLE, ({ userId, streamType }) => {
  if (streamType === 'sub') {
    trtc.stopRemoteVideo({ userId, streamType }).catch(() => {});
    removeTile(userId, 'sub');
  } else state.tiles.get(`${userId}/main`)?.classList.remove('has-video');
});
trtc.on(TRTC.EVENT.REMOTE_AUDIO_AVAILABLE, ({ userId }) => {
  const t = state.tiles.get(`${userId}/main`);
  if (t) t.querySelector('.mic-off').hidden = true;
});
trtc.on(TRTC.EVENT.REMOTE_AUDIO_UNAVAILABLE, ({ userId }) => {
  const t = state.tiles.get(`${userId}/main`);
  if (t) t.querySelector('.mic-off').hidden = false;
});
trtc.on(TRTC.EVENT.AUDIO_VOLUME, ({ result }) => {
  for (const { userId, volume } of result) {
    const t = state.tiles.get(`${userId || state.userId}/main`);
    t?.classList.toggle('speaking', volume > 12);
  }
});
trtc.on(TRTC.EVENT.NETWORK_QUALITY, (q) => {
  const local = state.tiles.get(`${state.userId}/main`);
  const mine = Math.max(q.uplinkNetworkQuality, q.downlinkNetworkQuality);
  if (local) local.querySelector('.quality').dataset.level = String(mine);
  for (const { userId, quality } of q.remoteQuality ?? []) {
    const t = state.tiles.get(`${userId}/main`);
    if (t) t.querySelector('.quality').dataset.level = String(quality);
  }
});
trtc.on(TRTC.EVENT.CONNECTION_STATE_CHANGED, ({ state: s }) => {
  const pill = $('conn-state');
  pill.textContent = { CONNECTED: 'Connected', RECONNECTING: 'Reconnecting…', CONNECTING: 'Connecting…', DISCONNECTED: 'Disconnected' }[s];
  pill.className = `pill ${s === 'CONNECTED' ? '' : s === 'DISCONNECTED' ? 'bad' : 'warn'}`;
});
trtc.on(TRTC.EVENT.CUSTOM_MESSAGE, ({ userId, cmdId, data }) => {
  if (cmdId !== CHAT_CMD) return;
  try {
    const { text } = JSON.parse(decoder.decode(data));
    if (typeof text === 'string') addMessage(userId, text, false);
  } catch {
    // not a chat message
  }
});
trtc.on(TRTC.EVENT.KICKED_OUT, ({ reason }) => {
  const why = {
    kick: 'You joined this room from another tab or device.',
    banned: 'You were removed from the room.',
    room_disband: 'The room was closed.',
  }[reason];
  void leave(why || 'You left the room.');
});
trtc.on(TRTC.EVENT.SCREEN_SHARE_STOPPED, () => screenStopped());
trtc.on(TRTC.EVENT.AUTOPLAY_FAILED, () => {
  const b = $('banner');
  b.textContent = 'Click anywhere to turn on sound';
  b.hidden = false;
  document.addEventListener('click', () => (b.hidden = true), { once: true });
});
trtc.on(TRTC.EVENT.DEVICE_CHANGED, ({ type, action, device }) => {
  if (action === 'active') toast(`Switched ${type} to ${device.label || 'the default device'}`);
  else if (state.inCall && action === 'add') toast(`New ${type}: ${device.label || 'unnamed'}`);
});
trtc.on(TRTC.EVENT.ERROR, (err) => toast(describe(err), 'error'));

// ---------- start ----------

$('room').value = params.get('room') || '';
$('user').value = params.get('user') || '';
await loadConfig();
await startPreview();
if (params.get('autojoin') === '1' && $('room').value && $('user').value) {
  $('join-form').requestSubmit();
}
