package tc3

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add("TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=e8251fc1293990fe57c476e4f1e81ab3f1fd541d37f85309c6dc0702f1417fef")
	f.Add("TC3-HMAC-SHA256 Signature=E8251FC1293990FE57C476E4F1E81AB3F1FD541D37F85309C6DC0702F1417FEF,SignedHeaders=host;content-type;x-tc-action,Credential=a=b/2000-02-29/cvm/tc3_request")
	f.Add("TC3-HMAC-SHA256 Credential=/2023-11-14/trtc/tc3_request, SignedHeaders=;, Signature=")
	f.Add("TC3-HMAC-SHA256 ,,,===")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseAuthorization(h)
		if err != nil {
			if !errors.Is(err, ErrInvalidAuthorization) {
				t.Fatalf("error %v does not wrap ErrInvalidAuthorization", err)
			}
			return
		}
		// A parsed header formats to a header that parses to the same value.
		q, err := ParseAuthorization(p.String())
		if err != nil {
			t.Fatalf("reparse of %q: %v", p.String(), err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed %+v to %+v", p, q)
		}
	})
}

// FuzzVerify feeds arbitrary headers and bodies to Verify, which must not
// panic and must return one of its sentinels; and checks that whatever
// content type, host and body a client uses, Sign produces a request that
// Verify accepts.
func FuzzVerify(f *testing.F) {
	f.Add("POST", "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host;x-a, Signature=e8251fc1293990fe57c476e4f1e81ab3f1fd541d37f85309c6dc0702f1417fef",
		"1700000000", "application/json", "trtc.tencentcloudapi.com", "X-A", " v ", "", []byte(`{"SdkAppId":1400000000,"RoomId":1234}`))
	f.Add("GET", "", "", "", "", "", "", "a=b&c", []byte(nil))
	f.Add("POST", "TC3-HMAC-SHA256 x", "-1", "\x00", "h:1", "X-TC-Content-SHA256", "UNSIGNED-PAYLOAD", "", []byte("{"))
	f.Fuzz(func(t *testing.T, method, auth, ts, ctype, host, hname, hvalue, query string, body []byte) {
		now := time.Unix(vectorTS, 0)
		req := &http.Request{
			Method: method,
			URL:    &url.URL{Path: "/", RawQuery: query},
			Host:   host,
			Header: http.Header{},
		}
		req.Header["Authorization"] = []string{auth}
		req.Header["X-Tc-Timestamp"] = []string{ts}
		req.Header["Content-Type"] = []string{ctype}
		req.Header[http.CanonicalHeaderKey(hname)] = append(req.Header[http.CanonicalHeaderKey(hname)], hvalue)

		_, err := Verify(req, body, lookupVector, now, 0)
		if err != nil {
			sentinels := []error{ErrMethod, ErrInvalidAuthorization, ErrSecretIDNotFound, ErrTimestamp, ErrSignatureExpire, ErrSignatureFailure}
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error %v wraps no sentinel", err)
			}
		}

		if method != http.MethodGet {
			method = http.MethodPost
		}
		signed := &http.Request{Method: method, URL: &url.URL{Path: "/", RawQuery: query}, Host: host, Header: http.Header{}}
		signed.Header.Set("Content-Type", ctype)
		Sign(signed, body, vectorCred, Service, now)
		if _, err := Verify(signed, body, lookupVector, now, 0); err != nil {
			t.Fatalf("signed request rejected: %v (ts %s)", err, strconv.Itoa(vectorTS))
		}
	})
}
