package whip

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// MaxOfferBytes caps a POSTed SDP offer.
const MaxOfferBytes = 64 << 10

// offerInfo is what the endpoints need to know about a client's offer.
type offerInfo struct {
	audio, video  bool     // a usable section of the kind (the one allowed)
	videoTrackIDs []string // MediaStreamTrack ids of the video section (msid)
	ufrag, pwd    string   // the client's ICE credentials
}

// direction is an SDP media direction (RFC 8866 §6.7).
func direction(d *sdp.SessionDescription, m *sdp.MediaDescription) string {
	for _, dir := range []string{"sendrecv", "sendonly", "recvonly", "inactive"} {
		if _, ok := m.Attribute(dir); ok {
			return dir
		}
	}
	for _, dir := range []string{"sendrecv", "sendonly", "recvonly", "inactive"} {
		if _, ok := d.Attribute(dir); ok {
			return dir
		}
	}
	return "sendrecv"
}

// inspectOffer parses an offer and applies the endpoints' rules: at least
// one audio or video section, at most one of each kind, and each one able
// to carry media the endpoint's way: client → server for WHIP (publish),
// server → client for WHEP. Sections rejected with port 0 and data channel
// sections are ignored. Codec support is checked by the media engine.
// Errors wrap ErrBadOffer.
func inspectOffer(text string, publish bool) (*offerInfo, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return nil, fmt.Errorf("%w: malformed SDP: %w", ErrBadOffer, err)
	}
	info := &offerInfo{}
	info.ufrag, _ = d.Attribute("ice-ufrag")
	info.pwd, _ = d.Attribute("ice-pwd")
	for i, m := range d.MediaDescriptions {
		kind := m.MediaName.Media
		if (kind != "audio" && kind != "video") || m.MediaName.Port.Value == 0 {
			continue
		}
		if (kind == "audio" && info.audio) || (kind == "video" && info.video) {
			return nil, fmt.Errorf("%w: more than one %s section; send one audio and one video track", ErrBadOffer, kind)
		}
		dir := direction(&d, m)
		want, verb := "recvonly", "receive"
		if publish {
			want, verb = "sendonly", "send"
		}
		if dir != want && dir != "sendrecv" {
			return nil, fmt.Errorf("%w: section %d (%s) is %s; this endpoint needs the client to %s (%s)", ErrBadOffer, i, kind, dir, verb, want)
		}
		if u, ok := m.Attribute("ice-ufrag"); ok && info.ufrag == "" {
			info.ufrag = u
		}
		if p, ok := m.Attribute("ice-pwd"); ok && info.pwd == "" {
			info.pwd = p
		}
		if kind == "audio" {
			info.audio = true
			continue
		}
		info.video = true
		for _, a := range m.Attributes {
			var track string
			switch a.Key {
			case "msid":
				if f := strings.Fields(a.Value); len(f) == 2 {
					track = f[1]
				}
			case "ssrc":
				if f := strings.Fields(a.Value); len(f) == 3 && strings.HasPrefix(f[1], "msid:") {
					track = f[2]
				}
			}
			if track != "" && !containsString(info.videoTrackIDs, track) {
				info.videoTrackIDs = append(info.videoTrackIDs, track)
			}
		}
	}
	if !info.audio && !info.video {
		return nil, fmt.Errorf("%w: no audio or video section", ErrBadOffer)
	}
	if info.ufrag == "" || info.pwd == "" {
		return nil, fmt.Errorf("%w: no ICE credentials (a=ice-ufrag, a=ice-pwd)", ErrBadOffer)
	}
	return info, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// restartOffer turns the offer a resource was created with into the offer
// an ICE restart stands for (RFC 9725 §4.3.2): the same media with the
// client's new credentials, without the old candidates, and a new session
// version.
func restartOffer(text, ufrag, pwd string) (string, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return "", fmt.Errorf("%w: stored offer: %w", ErrBadOffer, err)
	}
	d.Origin.SessionVersion++
	d.Attributes = rewriteICE(d.Attributes, ufrag, pwd)
	for _, m := range d.MediaDescriptions {
		m.Attributes = rewriteICE(m.Attributes, ufrag, pwd)
	}
	b, err := d.Marshal()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	return string(b), nil
}

func rewriteICE(attrs []sdp.Attribute, ufrag, pwd string) []sdp.Attribute {
	out := attrs[:0]
	for _, a := range attrs {
		switch a.Key {
		case "candidate", "end-of-candidates":
			continue
		case "ice-ufrag":
			a.Value = ufrag
		case "ice-pwd":
			a.Value = pwd
		}
		out = append(out, a)
	}
	return out
}

// answerFragment extracts what an ICE restart's answer says about the
// server's side, as the trickle-ice-sdpfrag the PATCH returns: the new
// credentials, and the first section (all media are bundled) with the
// server's candidates.
func answerFragment(text string) (*Fragment, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	f := &Fragment{ICEOptions: "trickle"}
	f.ICEUfrag, _ = d.Attribute("ice-ufrag")
	f.ICEPwd, _ = d.Attribute("ice-pwd")
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value == 0 {
			continue
		}
		if u, ok := m.Attribute("ice-ufrag"); ok && f.ICEUfrag == "" {
			f.ICEUfrag = u
		}
		if p, ok := m.Attribute("ice-pwd"); ok && f.ICEPwd == "" {
			f.ICEPwd = p
		}
		fm := FragmentMedia{Kind: m.MediaName.Media, EndOfCandidates: true}
		fm.Line = strings.Join(append([]string{m.MediaName.Media, "9", strings.Join(m.MediaName.Protos, "/")}, m.MediaName.Formats...), " ")
		fm.Mid, _ = m.Attribute("mid")
		for _, a := range m.Attributes {
			if a.Key == "candidate" {
				fm.Candidates = append(fm.Candidates, "candidate:"+a.Value)
			}
		}
		f.Media = append(f.Media, fm)
		break
	}
	if f.ICEUfrag == "" || len(f.Media) == 0 {
		return nil, fmt.Errorf("answer has no ICE credentials or media")
	}
	return f, nil
}
