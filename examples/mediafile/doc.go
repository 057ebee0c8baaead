// Package mediafile reads and writes the container formats the examples
// use to move encoded media in and out of rtcengine: IVF (VP8), H.264
// Annex-B elementary streams and Ogg Opus. It works frame by frame, the
// unit the Go SDK's SendCustomVideoData, SendCustomAudioData and render
// callbacks take, and needs no cgo.
//
// It is example code: small, strict about what it accepts, and not a
// general demuxer. It is public only so that the integration tests in
// test/ can drive the examples in-process.
package mediafile
