package rtc

import (
	"slices"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// streams is what one user makes available.
type streams struct{ audio, video, sub bool }

func streamsOf(u proto.RemoteUser) streams {
	return streams{audio: u.Audio, video: u.Video, sub: u.Sub}
}

func (s *streams) set(name string, on bool) {
	switch name {
	case proto.StreamAudio:
		s.audio = on
	case proto.StreamVideo:
		s.video = on
	case proto.StreamSub:
		s.sub = on
	}
}

func (s streams) get(name string) bool {
	switch name {
	case proto.StreamAudio:
		return s.audio
	case proto.StreamVideo:
		return s.video
	case proto.StreamSub:
		return s.sub
	}
	return false
}

func (s streams) list() []string {
	var out []string
	if s.audio {
		out = append(out, proto.StreamAudio)
	}
	if s.video {
		out = append(out, proto.StreamVideo)
	}
	if s.sub {
		out = append(out, proto.StreamSub)
	}
	return out
}

// emitStreams reports the differences between two stream sets of a user.
func (s *roomSession) emitStreams(user string, before, after streams) {
	if before.video != after.video {
		on := after.video
		s.c.emit(func(l Listener) { l.OnUserVideoAvailable(user, on) })
	}
	if before.sub != after.sub {
		on := after.sub
		s.c.emit(func(l Listener) { l.OnUserSubStreamAvailable(user, on) })
	}
	if before.audio != after.audio {
		on := after.audio
		s.c.emit(func(l Listener) { l.OnUserAudioAvailable(user, on) })
	}
}

// setLocalStream records and announces one of our streams. The server's
// refusal arrives as OnWarning (6001: audience cannot publish) or OnError
// (−102016 screen share taken, −102013/−102015 no privilege).
func (s *roomSession) setLocalStream(name string, on bool) {
	s.c.mu.Lock()
	s.local.set(name, on)
	l := s.link
	ok := s.state == sInRoom && l != nil
	s.c.mu.Unlock()
	if ok {
		s.sendStreamState(l, name, on)
	}
}

func (s *roomSession) sendStreamState(l *link, name string, on bool) {
	l.request(proto.TypeStreamState, proto.StreamState{Stream: name, Available: on}, s.c.o.connectTimeout, ErrCodeDisconnected, func(m proto.Message) {
		if m.Code == 0 {
			return
		}
		s.c.mu.Lock()
		if m.Code == ErrCodeDisconnected {
			// No answer: the link went away or the request timed out. The
			// next connection says it again (recovered); nothing failed.
			if !slices.Contains(s.unsent, name) {
				s.unsent = append(s.unsent, name)
			}
			s.c.mu.Unlock()
			return
		}
		if on {
			s.local.set(name, false) // refused: we do not publish it
		}
		s.c.mu.Unlock()
		code, msg := m.Code, m.Msg
		if code > 0 {
			s.c.emit(func(ls Listener) { ls.OnWarning(code, msg) })
		} else {
			s.c.emit(func(ls Listener) { ls.OnError(code, msg) })
		}
	})
}
