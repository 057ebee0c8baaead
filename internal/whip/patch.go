package whip

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// resourceFor finds the resource of a PATCH or DELETE and checks its token.
func (h *Handler) resourceFor(r *http.Request, k Kind) (*resource, *httpError) {
	res, ok := h.lookup(k, r.PathValue("id"))
	if !ok {
		return nil, fail(http.StatusNotFound, trtc.ErrUserNotFound, "no %s session %.40q (it ended, or never existed)", k, r.PathValue("id"))
	}
	if !sameToken(r, res.grant.token) {
		return nil, unauthorized(trtc.ErrUserSigCheckFailed, "the token is not the one this session was created with")
	}
	return res, nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, k Kind) {
	cors(w)
	res, herr := h.resourceFor(r, k)
	if herr != nil {
		herr.write(w)
		return
	}
	res.end("deleted", leaveNormal)
	w.WriteHeader(http.StatusOK)
}

// patch applies a trickle-ice-sdpfrag (RFC 9725 §4.3): with "If-Match: *"
// an ICE restart, answered 200 with the server's new credentials and
// candidates and a new ETag; otherwise new candidates, answered 204. An
// If-Match naming another ICE session is refused with 412.
func (h *Handler) patch(w http.ResponseWriter, r *http.Request, k Kind) {
	cors(w)
	res, herr := h.resourceFor(r, k)
	if herr == nil {
		var frag []byte
		if frag, herr = readBody(w, r, typeSDPFrag, MaxFragmentBytes); herr == nil {
			herr = h.applyFragment(w, r, res, frag)
		}
	}
	if herr != nil {
		herr.write(w)
	}
}

func (h *Handler) applyFragment(w http.ResponseWriter, r *http.Request, res *resource, body []byte) *httpError {
	f, err := ParseFragment(body)
	if err != nil {
		return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "%v", err)
	}
	res.patching.Lock()
	defer res.patching.Unlock()
	if res.isEnded() {
		return fail(http.StatusNotFound, trtc.ErrUserNotFound, "the session has ended")
	}
	res.mu.Lock()
	etag, ufrag := res.etag, res.ufrag
	res.mu.Unlock()
	ifMatch := strings.TrimSpace(r.Header.Get("If-Match"))
	if ifMatch == "*" {
		return h.restart(w, r, res, f)
	}
	if ifMatch != "" && !matchesETag(ifMatch, etag) {
		return fail(http.StatusPreconditionFailed, trtc.ErrInvalidParameter, "If-Match does not name the current ICE session %s", etag)
	}
	if f.ICEUfrag != "" && f.ICEUfrag != ufrag {
		return fail(http.StatusConflict, trtc.ErrInvalidParameter, "ice-ufrag %q is not the session's; an ICE restart needs \"If-Match: *\"", f.ICEUfrag)
	}
	if err := h.addCandidates(res, f); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func matchesETag(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag {
			return true
		}
	}
	return false
}

func (h *Handler) addCandidates(res *resource, f *Fragment) *httpError {
	res.mu.Lock()
	part := res.part
	res.mu.Unlock()
	for _, m := range f.Media {
		mid := m.Mid
		for _, c := range m.Candidates {
			cand := sfu.Candidate{Candidate: c}
			if mid != "" {
				cand.SDPMid = &mid
			}
			if err := part.Candidate(res.kind.target(), cand); err != nil {
				return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "candidate %.80q: %v", c, err)
			}
		}
		if m.EndOfCandidates {
			_ = part.Candidate(res.kind.target(), sfu.Candidate{})
		}
	}
	return nil
}

// restart renegotiates the session with the client's new ICE credentials
// and answers with the server's.
func (h *Handler) restart(w http.ResponseWriter, r *http.Request, res *resource, f *Fragment) *httpError {
	if f.ICEUfrag == "" || f.ICEPwd == "" {
		return fail(http.StatusBadRequest, trtc.ErrInvalidParameter, "an ICE restart needs a=ice-ufrag and a=ice-pwd")
	}
	res.mu.Lock()
	offer := res.offer
	res.mu.Unlock()
	next, err := restartOffer(offer, f.ICEUfrag, f.ICEPwd)
	if err != nil {
		return fail(http.StatusInternalServerError, trtc.ErrServerProcess, "%v", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.AnswerTimeout)
	defer cancel()
	answer, err := res.negotiate(ctx, next)
	if err != nil {
		return mediaError(err)
	}
	out, err := answerFragment(answer)
	if err != nil {
		return fail(http.StatusInternalServerError, trtc.ErrServerProcess, "%v", err)
	}
	res.mu.Lock()
	res.offer, res.ufrag, res.etag = next, f.ICEUfrag, etagOf(out.ICEUfrag)
	etag := res.etag
	res.mu.Unlock()
	if herr := h.addCandidates(res, f); herr != nil {
		return herr
	}
	hd := w.Header()
	hd.Set("Content-Type", typeSDPFrag)
	hd.Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, out.Marshal())
	return nil
}
