// Package trtc holds the TRTC contract shared by the server and the SDKs:
// enumerations with TRTC's numeric values, error and warning codes, typed
// identifiers and the parameter rules of trtc-reference §2.1.
//
// It has no dependencies beyond the standard library so that every layer —
// the room state machine, the signaling edge, the REST edge and the Go SDK —
// can share one definition of what a valid room id is.
package trtc
