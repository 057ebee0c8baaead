package cluster

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// FuzzClusterInputs feeds every input a node takes from outside — an
// internal call's body and headers, a registration read from Redis — to
// its parser. None panics; an internal call body is accepted only with a
// valid room and users; a registration and a call verify only when signed
// with the secret.
func FuzzClusterInputs(f *testing.F) {
	good := NodeInfo{ID: "a", URL: "http://127.0.0.1:7880", Media: "127.0.0.1:7882", Started: 1, Updated: 2}
	good.Sig = signNode(testSecret, good)
	record, _ := json.Marshal(good)
	f.Add([]byte(`{"action":"DismissRoom","app":1400000001,"num":1,"token":3}`), "a", "1700000000000", "00112233445566778899aabbccddeeff", "00")
	f.Add([]byte(`{"action":"RemoveUsers","app":1,"str":"a b","users":["x","y"],"token":1}`), "b", "x", "", "")
	f.Add([]byte(`{"action":"SetUserBlocked","app":1,"num":4294967295,"users":[]}`), "", "", "", "")
	f.Add(record, "a", "1", "2", "3")
	f.Add([]byte(`{"id":"a","url":"http://x","sig":""}`), "a", "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, node, ts, nonce, sig string) {
		if call, key, users, err := decodeCall(body); err == nil {
			if key.App == 0 || (key.Num == 0 && key.Str == "") {
				t.Fatalf("accepted a call without a room: %+v", call)
			}
			if call.Action == actionSetBlocked && len(users) != 1 {
				t.Fatalf("accepted SetUserBlocked with %d users", len(users))
			}
		}
		if n, err := parseNode(testSecret, "a", string(body)); err == nil {
			if n.ID != "a" || signNode(testSecret, n) != n.Sig {
				t.Fatalf("accepted an unsigned registration %+v", n)
			}
		}
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1"+InternalPath, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set(headerNode, node)
		req.Header.Set(headerTime, ts)
		req.Header.Set(headerNonce, nonce)
		req.Header.Set(headerSig, sig)
		h := req.Header
		if newVerifier(testSecret).verify(req, body, time.Now()) == nil &&
			sig != signCall(testSecret, req.Method, req.URL.Path, h.Get(headerNode), h.Get(headerTime), h.Get(headerNonce), body) {
			t.Fatal("verified a call with a wrong signature")
		}
	})
}
