package sfu

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unsafe"

	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"
)

// This file is the only place that reads Pion's private state. It is
// written against github.com/pion/webrtc/v4 v4.2.20 (dtlstransport.go:50,
// the DTLSTransport struct) and github.com/pion/dtls/v3 v3.1.8. Pion does
// not export a subscriber connection's SRTP keys nor the writer its SRTP
// session sends through; the fast path (fastpath.go) needs both.
// TestPionPrivateFields fails if an upgrade renames a field or changes its
// type, so a Pion bump cannot silently break the fast path; until that is
// fixed every connection stays on Pion's own write path.

// errPionLayout reports that Pion's private layout is not the one this
// file was written for.
var errPionLayout = errors.New("sfu: unexpected pion/webrtc DTLSTransport layout")

// dtlsTransportField returns the addressable private field name of t after
// checking that its type is want. want is nil when the field's type is
// unexported (Pion's internal mux.Endpoint): then only the kind and the
// type's name are checked.
func dtlsTransportField(t *webrtc.DTLSTransport, name string, want reflect.Type, wantName string) (reflect.Value, error) {
	if t == nil {
		return reflect.Value{}, fmt.Errorf("%w: no transport", errPionLayout)
	}
	f := reflect.ValueOf(t).Elem().FieldByName(name)
	if !f.IsValid() {
		return reflect.Value{}, fmt.Errorf("%w: no field %s", errPionLayout, name)
	}
	switch {
	case want != nil && f.Type() != want:
		return reflect.Value{}, fmt.Errorf("%w: %s is %s, want %s", errPionLayout, name, f.Type(), want)
	case want == nil && (f.Kind() != reflect.Pointer || f.Type().Elem().Name() != wantName):
		return reflect.Value{}, fmt.Errorf("%w: %s is %s, want *%s", errPionLayout, name, f.Type(), wantName)
	}
	// An unexported field cannot be read through reflect; a view of the
	// same memory made with NewAt can.
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), nil
}

// dtlsConnOf returns the DTLS connection of a connected transport.
// The caller must have seen the transport connected (t.State() takes the
// lock under which Pion stored the field, which orders this read after
// that write).
func dtlsConnOf(t *webrtc.DTLSTransport) (*dtls.Conn, error) {
	if t == nil || t.State() != webrtc.DTLSTransportStateConnected {
		return nil, errors.New("sfu: DTLS transport not connected")
	}
	f, err := dtlsTransportField(t, "conn", reflect.TypeFor[*dtls.Conn](), "")
	if err != nil {
		return nil, err
	}
	c, _ := f.Interface().(*dtls.Conn)
	if c == nil {
		return nil, errors.New("sfu: DTLS transport has no connection")
	}
	return c, nil
}

// srtpEndpointOf returns the writer Pion's SRTP session sends through: the
// ICE connection's SRTP endpoint, which follows the selected candidate
// pair whatever its transport (UDP, ICE-TCP, TURN).
func srtpEndpointOf(t *webrtc.DTLSTransport) (io.Writer, error) {
	f, err := dtlsTransportField(t, "srtpEndpoint", nil, "Endpoint")
	if err != nil {
		return nil, err
	}
	if f.IsNil() {
		return nil, errors.New("sfu: DTLS transport has no SRTP endpoint")
	}
	w, ok := f.Interface().(io.Writer)
	if !ok {
		return nil, fmt.Errorf("%w: srtpEndpoint is not a writer", errPionLayout)
	}
	return w, nil
}

// dtlsIsClient reports whether the local side of a DTLS connection was the
// handshake's client, which decides which half of the exported keys is the
// local (sending) one (RFC 5764 §4.2). dtls.State keeps it private but
// serializes it, under this exported field name, in MarshalBinary.
func dtlsIsClient(st *dtls.State) (bool, error) {
	raw, err := st.MarshalBinary()
	if err != nil {
		return false, fmt.Errorf("sfu: DTLS state: %w", err)
	}
	var role struct{ IsClient bool }
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&role); err != nil {
		return false, fmt.Errorf("sfu: DTLS state: %w", err)
	}
	return role.IsClient, nil
}
