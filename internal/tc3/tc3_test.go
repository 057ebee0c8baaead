package tc3

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

var vectorCred = Credential{SecretID: "AKIDEXAMPLE", SecretKey: "SECRETEXAMPLE"}

const (
	vectorTS   = 1700000000
	vectorBody = `{"SdkAppId":1400000000,"RoomId":1234}`
	vectorHost = "trtc.tencentcloudapi.com"
)

func lookupVector(id string) (string, bool) {
	if id == vectorCred.SecretID {
		return vectorCred.SecretKey, true
	}
	return "", false
}

func newPost(host, body string) *http.Request {
	return &http.Request{
		Method: http.MethodPost,
		URL:    &url.URL{Scheme: "https", Host: host, Path: "/"},
		Host:   host,
		Header: http.Header{},
		Body:   io.NopCloser(strings.NewReader(body)),
	}
}

// TestVector reproduces the self-computed vector of trtc-reference §7.1.
func TestVector(t *testing.T) {
	req := newPost(vectorHost, vectorBody)
	Sign(req, []byte(vectorBody), vectorCred, Service, time.Unix(vectorTS, 0))

	const want = "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/trtc/tc3_request, " +
		"SignedHeaders=content-type;host, " +
		"Signature=e8251fc1293990fe57c476e4f1e81ab3f1fd541d37f85309c6dc0702f1417fef"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
	if got := req.Header.Get("X-TC-Timestamp"); got != "1700000000" {
		t.Errorf("X-TC-Timestamp = %q", got)
	}
	if got := req.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := payloadHash(req, []byte(vectorBody)); got != "ab7303050fa1025fa06fbc5edfd8a77270f691aaf18b66f998ccd3def8f92b57" {
		t.Errorf("body hash = %s", got)
	}
	id, err := Verify(req, []byte(vectorBody), lookupVector, time.Unix(vectorTS+60, 0), 0)
	if err != nil || id != "AKIDEXAMPLE" {
		t.Fatalf("Verify = %q, %v", id, err)
	}
}

func TestParseAuthorization(t *testing.T) {
	const sig = "e8251fc1293990fe57c476e4f1e81ab3f1fd541d37f85309c6dc0702f1417fef"
	tests := []struct {
		name    string
		header  string
		want    Parsed
		wantErr bool
	}{
		{
			name:   "sdk form",
			header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + sig,
			want:   Parsed{Algorithm, "AKID", "2023-11-14", "trtc", []string{"content-type", "host"}, sig},
		},
		{
			name:   "extra spaces and headers, any order",
			header: "TC3-HMAC-SHA256   Signature=" + sig + " ,SignedHeaders=host;x-tc-action;content-type , Credential=AKID/2023-11-14/trtc/tc3_request",
			want:   Parsed{Algorithm, "AKID", "2023-11-14", "trtc", []string{"host", "x-tc-action", "content-type"}, sig},
		},
		{name: "empty", header: "", wantErr: true},
		{name: "other algorithm", header: "HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + sig, wantErr: true},
		{name: "missing signature", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host", wantErr: true},
		{name: "repeated element", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + sig, wantErr: true},
		{name: "unknown element", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + sig + ", Foo=bar", wantErr: true},
		{name: "short scope", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc, SignedHeaders=content-type;host, Signature=" + sig, wantErr: true},
		{name: "bad terminator", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3, SignedHeaders=content-type;host, Signature=" + sig, wantErr: true},
		{name: "bad date", header: "TC3-HMAC-SHA256 Credential=AKID/2023-13-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + sig, wantErr: true},
		{name: "empty secret id", header: "TC3-HMAC-SHA256 Credential=/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + sig, wantErr: true},
		{name: "host not signed", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type, Signature=" + sig, wantErr: true},
		{name: "content-type not signed", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=host;x-tc-action, Signature=" + sig, wantErr: true},
		{name: "upper-case header name", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=Content-Type;host, Signature=" + sig, wantErr: true},
		{name: "empty header name", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;;host, Signature=" + sig, wantErr: true},
		{name: "short signature", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=abc", wantErr: true},
		{name: "non-hex signature", header: "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.Repeat("z", 64), wantErr: true},
		{name: "too long", header: "TC3-HMAC-SHA256 Credential=" + strings.Repeat("A", 5000) + "/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=" + sig, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorization(tt.header)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidAuthorization) {
					t.Fatalf("err = %v, want ErrInvalidAuthorization", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want.String() {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	base := time.Unix(vectorTS, 0)
	body := []byte(vectorBody)
	signed := func() *http.Request {
		r := newPost(vectorHost, vectorBody)
		Sign(r, body, vectorCred, Service, base)
		return r
	}
	// hand builds a request with its own Authorization over the given
	// headers, service and date, signed with the vector key.
	hand := func(signedHeaders []string, service, date string, edit func(*http.Request)) *http.Request {
		r := newPost(vectorHost, vectorBody)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-TC-Timestamp", strconv.Itoa(vectorTS))
		if edit != nil {
			edit(r)
		}
		p := Parsed{Algorithm, vectorCred.SecretID, date, service, signedHeaders, ""}
		p.Signature = hexMAC(vectorCred.SecretKey, p, vectorTS, canonicalRequest(r, body, signedHeaders))
		r.Header.Set("Authorization", p.String())
		return r
	}

	tests := []struct {
		name string
		req  func() *http.Request
		body []byte
		now  time.Time
		want error
	}{
		{name: "valid", req: signed},
		{name: "valid 5 min later", req: signed, now: base.Add(5 * time.Minute)},
		{name: "valid 5 min early", req: signed, now: base.Add(-5 * time.Minute)},
		{name: "expired", req: signed, now: base.Add(5*time.Minute + time.Second), want: ErrSignatureExpire},
		{name: "from the future", req: signed, now: base.Add(-6 * time.Minute), want: ErrSignatureExpire},
		{name: "no authorization", req: func() *http.Request {
			r := signed()
			r.Header.Del("Authorization")
			return r
		}, want: ErrInvalidAuthorization},
		{name: "two authorizations", req: func() *http.Request {
			r := signed()
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
			return r
		}, want: ErrInvalidAuthorization},
		{name: "garbage authorization", req: func() *http.Request {
			r := signed()
			r.Header.Set("Authorization", "Bearer x")
			return r
		}, want: ErrInvalidAuthorization},
		{name: "unknown secret id", req: func() *http.Request {
			r := newPost(vectorHost, vectorBody)
			Sign(r, body, Credential{"AKIDOTHER", "SECRETEXAMPLE"}, Service, base)
			return r
		}, want: ErrSecretIDNotFound},
		{name: "wrong key", req: func() *http.Request {
			r := newPost(vectorHost, vectorBody)
			Sign(r, body, Credential{"AKIDEXAMPLE", "WRONG"}, Service, base)
			return r
		}, want: ErrSignatureFailure},
		{name: "tampered body", req: signed, body: []byte(`{"SdkAppId":1400000000,"RoomId":1235}`), want: ErrSignatureFailure},
		{name: "tampered host", req: func() *http.Request {
			r := signed()
			r.Host = "evil.example"
			return r
		}, want: ErrSignatureFailure},
		{name: "tampered content-type", req: func() *http.Request {
			r := signed()
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, want: ErrSignatureFailure},
		{name: "tampered timestamp", req: func() *http.Request {
			r := signed()
			r.Header.Set("X-TC-Timestamp", strconv.Itoa(vectorTS+1))
			return r
		}, want: ErrSignatureFailure},
		{name: "missing timestamp", req: func() *http.Request {
			r := signed()
			r.Header.Del("X-TC-Timestamp")
			return r
		}, want: ErrTimestamp},
		{name: "signed timestamp with sign", req: func() *http.Request {
			r := signed()
			r.Header.Set("X-TC-Timestamp", "+1700000000")
			return r
		}, want: ErrTimestamp},
		{name: "uppercase hex signature", req: func() *http.Request {
			r := signed()
			p, _ := ParseAuthorization(r.Header.Get("Authorization"))
			p.Signature = strings.ToUpper(p.Signature)
			r.Header.Set("Authorization", p.String())
			return r
		}},
		{name: "extra signed headers", req: func() *http.Request {
			return hand([]string{"content-type", "host", "x-tc-action"}, Service, "2023-11-14", func(r *http.Request) {
				r.Header.Set("X-TC-Action", "DismissRoom")
			})
		}},
		{name: "extra signed header tampered", req: func() *http.Request {
			r := hand([]string{"content-type", "host", "x-tc-action"}, Service, "2023-11-14", func(r *http.Request) {
				r.Header.Set("X-TC-Action", "DismissRoom")
			})
			r.Header.Set("X-TC-Action", "RemoveUser")
			return r
		}, want: ErrSignatureFailure},
		{name: "header values are trimmed", req: func() *http.Request {
			r := signed()
			r.Header.Set("Content-Type", "  application/json ")
			return r
		}},
		{name: "signed header absent from request", req: func() *http.Request {
			return hand([]string{"content-type", "host", "x-tc-region"}, Service, "2023-11-14", nil)
		}},
		{name: "scope date differs from timestamp", req: func() *http.Request {
			return hand([]string{"content-type", "host"}, Service, "2023-11-13", nil)
		}, want: ErrSignatureFailure},
		{name: "scope names another service", req: func() *http.Request {
			return hand([]string{"content-type", "host"}, "cvm", "2023-11-14", nil)
		}, want: ErrSignatureFailure},
		{name: "unsigned payload", req: func() *http.Request {
			r := newPost(vectorHost, vectorBody)
			r.Header.Set("X-TC-Content-SHA256", UnsignedPayload)
			Sign(r, nil, vectorCred, Service, base)
			return r
		}, body: []byte(`{"anything":1}`)},
		{name: "unsigned payload header added after signing", req: func() *http.Request {
			r := signed()
			r.Header.Set("X-TC-Content-SHA256", UnsignedPayload)
			return r
		}, want: ErrSignatureFailure},
		{name: "get with query", req: func() *http.Request {
			r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/", RawQuery: "RoomId=1234&SdkAppId=1400000000"}, Host: vectorHost, Header: http.Header{}}
			Sign(r, nil, vectorCred, Service, base)
			return r
		}, body: []byte{}},
		{name: "get with tampered query", req: func() *http.Request {
			r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/", RawQuery: "RoomId=1234&SdkAppId=1400000000"}, Host: vectorHost, Header: http.Header{}}
			Sign(r, nil, vectorCred, Service, base)
			r.URL.RawQuery = "RoomId=1235&SdkAppId=1400000000"
			return r
		}, body: []byte{}, want: ErrSignatureFailure},
		{name: "put", req: func() *http.Request {
			r := signed()
			r.Method = http.MethodPut
			return r
		}, want: ErrMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = base
			}
			b := tt.body
			if b == nil {
				b = body
			}
			id, err := Verify(tt.req(), b, lookupVector, now, 0)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if id != vectorCred.SecretID {
					t.Errorf("secret id = %q", id)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func hexMAC(key string, p Parsed, unix int64, canonical string) string {
	const digits = "0123456789abcdef"
	mac := signature(key, p, unix, canonical)
	out := make([]byte, 0, 2*len(mac))
	for _, c := range mac {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// roundTripFunc lets the SDK's requests be captured without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSDKRequestsVerify signs requests with tencentcloud-sdk-go's common
// client, an independent implementation, and verifies them here.
func TestSDKRequestsVerify(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		unsigned bool
		endpoint string
	}{
		{name: "post", method: "POST", endpoint: "trtc.tencentcloudapi.com"},
		{name: "post with port", method: "POST", endpoint: "127.0.0.1:8443"},
		{name: "post unsigned payload", method: "POST", unsigned: true, endpoint: "trtc.tencentcloudapi.com"},
		{name: "get", method: "GET", endpoint: "trtc.tencentcloudapi.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var verr error
			var seen bool
			prof := profile.NewClientProfile()
			prof.HttpProfile.Endpoint = tt.endpoint
			prof.HttpProfile.ReqMethod = tt.method
			prof.UnsignedPayload = tt.unsigned
			client := common.NewCommonClient(common.NewCredential(vectorCred.SecretID, vectorCred.SecretKey), "ap-guangzhou", prof)
			client.WithHttpTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				seen = true
				var body []byte
				if r.Body != nil {
					body, _ = io.ReadAll(r.Body)
				}
				// What a server sees: Host from the request line.
				r.Host = r.URL.Host
				_, verr = Verify(r, body, lookupVector, time.Now(), 0)
				return &http.Response{
					StatusCode: 200,
					Header:     http.Header{"Content-Type": {"application/json"}},
					Body:       io.NopCloser(strings.NewReader(`{"Response":{"RequestId":"x"}}`)),
				}, nil
			}))
			req := tchttp.NewCommonRequest("trtc", "2019-07-22", "DismissRoom")
			if err := req.SetActionParameters(map[string]any{"SdkAppId": 1400000000, "RoomId": 1234}); err != nil {
				t.Fatal(err)
			}
			if err := client.Send(req, tchttp.NewCommonResponse()); err != nil {
				t.Fatal(err)
			}
			if !seen {
				t.Fatal("transport not called")
			}
			if verr != nil {
				t.Fatalf("Verify rejected the SDK's request: %v", verr)
			}
		})
	}
}

// TestSignMatchesSDK checks that Sign and the SDK agree byte for byte on the
// Authorization of the same request.
func TestSignMatchesSDK(t *testing.T) {
	var sdkReq *http.Request
	var sdkBody []byte
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = vectorHost
	client := common.NewCommonClient(common.NewCredential(vectorCred.SecretID, vectorCred.SecretKey), "ap-guangzhou", prof)
	client.WithHttpTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sdkReq = r
		sdkBody, _ = io.ReadAll(r.Body)
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"Response":{"RequestId":"x"}}`))}, nil
	}))
	req := tchttp.NewCommonRequest("trtc", "2019-07-22", "RemoveUser")
	if err := req.SetActionParameters(`{"SdkAppId":1400000000,"RoomId":1234,"UserIds":["a","b"]}`); err != nil {
		t.Fatal(err)
	}
	if err := client.Send(req, tchttp.NewCommonResponse()); err != nil {
		t.Fatal(err)
	}
	ts, err := strconv.ParseInt(sdkReq.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	ours := newPost(sdkReq.Host, string(sdkBody))
	Sign(ours, sdkBody, vectorCred, Service, time.Unix(ts, 0))
	if got, want := ours.Header.Get("Authorization"), sdkReq.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n ours %s\n  sdk %s", got, want)
	}
}

func TestSignKeepsContentType(t *testing.T) {
	r := newPost(vectorHost, "")
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	Sign(r, nil, vectorCred, Service, time.Unix(vectorTS, 0))
	if got := r.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if _, err := Verify(r, nil, lookupVector, time.Unix(vectorTS, 0), 0); err != nil {
		t.Fatal(err)
	}
	g := &http.Request{Method: http.MethodGet, URL: &url.URL{Host: vectorHost, Path: "/"}, Header: http.Header{}}
	Sign(g, nil, vectorCred, Service, time.Unix(vectorTS, 0))
	if got := g.Header.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
		t.Errorf("GET Content-Type = %q", got)
	}
	// Host from the URL when req.Host is empty.
	if _, err := Verify(g, nil, lookupVector, time.Unix(vectorTS, 0), 0); err != nil {
		t.Fatal(err)
	}
}
