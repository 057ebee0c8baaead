import { describe, expect, it } from 'vitest';
import { RemoteUsers } from '../src/roomstate.js';

describe('RemoteUsers', () => {
  it('reports a snapshot as enters and availability', () => {
    const r = new RemoteUsers();
    expect(r.snapshot([{ userId: 'bob', audio: true, video: true }, { userId: 'eve' }])).toEqual([
      { kind: 'enter', userId: 'bob' },
      { kind: 'audio', userId: 'bob', available: true },
      { kind: 'video', userId: 'bob', streamType: 'main', available: true },
      { kind: 'enter', userId: 'eve' },
    ]);
    expect(r.list()).toEqual(['bob', 'eve']);
  });

  it('ends streams before the user exits', () => {
    const r = new RemoteUsers();
    r.snapshot([{ userId: 'bob', audio: true, sub: true }]);
    expect(r.leave('bob')).toEqual([
      { kind: 'audio', userId: 'bob', available: false },
      { kind: 'video', userId: 'bob', streamType: 'sub', available: false },
      { kind: 'exit', userId: 'bob' },
    ]);
    expect(r.leave('bob')).toEqual([]);
    expect(r.has('bob')).toBe(false);
  });

  it('reconciles a resume snapshot: gone, new and changed users', () => {
    const r = new RemoteUsers();
    r.snapshot([{ userId: 'a', video: true }, { userId: 'b', audio: true }]);
    expect(r.snapshot([{ userId: 'b', audio: false, video: true }, { userId: 'c' }])).toEqual([
      { kind: 'video', userId: 'a', streamType: 'main', available: false },
      { kind: 'exit', userId: 'a' },
      { kind: 'audio', userId: 'b', available: false },
      { kind: 'video', userId: 'b', streamType: 'main', available: true },
      { kind: 'enter', userId: 'c' },
    ]);
  });

  it('an unchanged resume produces no events', () => {
    const r = new RemoteUsers();
    const users = [{ userId: 'a', video: true, audio: true }];
    r.snapshot(users);
    expect(r.snapshot(users)).toEqual([]);
  });

  it('stream events: repeats are silent, unknown streams ignored, unknown users entered first', () => {
    const r = new RemoteUsers();
    r.enter('a');
    expect(r.enter('a')).toEqual([]);
    expect(r.stream('a', 'video', true)).toEqual([{ kind: 'video', userId: 'a', streamType: 'main', available: true }]);
    expect(r.stream('a', 'video', true)).toEqual([]);
    expect(r.stream('a', 'data', true)).toEqual([]);
    expect(r.stream('z', 'audio', false)).toEqual([]);
    expect(r.stream('z', 'audio', true)).toEqual([
      { kind: 'enter', userId: 'z' },
      { kind: 'audio', userId: 'z', available: true },
    ]);
    expect(r.streams('a')).toEqual({ audio: false, video: true, sub: false });
  });

  it('ignores malformed users in snapshots and clears silently', () => {
    const r = new RemoteUsers();
    expect(r.snapshot([{ userId: '' }, null as never, { userId: 'ok' }])).toEqual([{ kind: 'enter', userId: 'ok' }]);
    r.clear();
    expect(r.list()).toEqual([]);
  });

  it('after a re-enter, users missing are away: streams off at once, no exit', () => {
    const r = new RemoteUsers();
    r.snapshot([{ userId: 'a', video: true, audio: true }, { userId: 'b' }, { userId: 'c', sub: true }]);
    expect(r.snapshot([{ userId: 'b' }], true)).toEqual([
      { kind: 'audio', userId: 'a', available: false },
      { kind: 'video', userId: 'a', streamType: 'main', available: false },
      { kind: 'away', userId: 'a' },
      { kind: 'video', userId: 'c', streamType: 'sub', available: false },
      { kind: 'away', userId: 'c' },
    ]);
    expect(r.list()).toEqual(['b']);
    expect(r.awayList()).toEqual(['a', 'c']);
    expect(r.has('a')).toBe(false);
    expect(r.isAway('a')).toBe(true);
  });

  it('an away user who comes back is back, not entered, and its streams come back', () => {
    const r = new RemoteUsers();
    r.snapshot([{ userId: 'a', video: true }, { userId: 'b', audio: true }, { userId: 'c' }]);
    r.snapshot([], true);
    // a comes back with a user_enter, then publishes.
    expect(r.enter('a')).toEqual([{ kind: 'back', userId: 'a' }]);
    expect(r.stream('a', 'video', true)).toEqual([{ kind: 'video', userId: 'a', streamType: 'main', available: true }]);
    // b is in the next snapshot (a second re-enter), publishing.
    expect(r.snapshot([{ userId: 'a', video: true }, { userId: 'b', audio: true }], true)).toEqual([
      { kind: 'back', userId: 'b' },
      { kind: 'audio', userId: 'b', available: true },
    ]);
    // c's first event is a stream: back, then the stream.
    expect(r.stream('c', 'audio', true)).toEqual([
      { kind: 'back', userId: 'c' },
      { kind: 'audio', userId: 'c', available: true },
    ]);
    expect(r.awayList()).toEqual([]);
    // Nobody is away any more: their grace ends without an exit.
    for (const u of ['a', 'b', 'c']) expect(r.expire(u)).toEqual([]);
    expect(r.list().sort()).toEqual(['a', 'b', 'c']);
  });

  it('an away user whose grace ends exits once; a leave of an away user exits it at once', () => {
    const r = new RemoteUsers();
    r.snapshot([{ userId: 'a', audio: true }, { userId: 'b' }]);
    r.snapshot([], true);
    expect(r.expire('a')).toEqual([{ kind: 'exit', userId: 'a' }]);
    expect(r.expire('a')).toEqual([]);
    expect(r.leave('b')).toEqual([{ kind: 'exit', userId: 'b' }]);
    expect(r.expire('b')).toEqual([]);
    expect(r.leave('b')).toEqual([]);
    // Gone for good: entering again is a new enter.
    expect(r.enter('a')).toEqual([{ kind: 'enter', userId: 'a' }]);
  });

  it('a resume keeps away users away and reports users gone as exits', () => {
    const r = new RemoteUsers();
    r.snapshot([{ userId: 'a' }, { userId: 'b' }]);
    r.snapshot([{ userId: 'b' }], true);
    expect(r.snapshot([])).toEqual([{ kind: 'exit', userId: 'b' }]);
    expect(r.awayList()).toEqual(['a']);
    // A second re-enter does not make the away user away twice.
    expect(r.snapshot([], true)).toEqual([]);
    expect(r.awayList()).toEqual(['a']);
    expect(r.snapshot([{ userId: 'a' }])).toEqual([{ kind: 'back', userId: 'a' }]);
  });

  it('clear forgets away users silently', () => {
    const r = new RemoteUsers();
    r.snapshot([{ userId: 'a' }]);
    r.snapshot([], true);
    r.clear();
    expect(r.awayList()).toEqual([]);
    expect(r.expire('a')).toEqual([]);
    expect(r.enter('a')).toEqual([{ kind: 'enter', userId: 'a' }]);
  });
});
