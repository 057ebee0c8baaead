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
});
