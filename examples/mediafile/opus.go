package mediafile

// Opus packets at 48 kHz, the rate Ogg Opus granule positions and WebRTC's
// RTP timestamps count in whatever the encoder's input rate was.
const opusRate = 48000

// opusFrameSamples is the frame size at 48 kHz of each TOC configuration
// (RFC 6716 §3.1, Table 2): SILK 10/20/40/60 ms, Hybrid 10/20 ms, CELT
// 2.5/5/10/20 ms.
func opusFrameSamples(config byte) int {
	switch {
	case config < 12:
		return [...]int{480, 960, 1920, 2880}[config%4]
	case config < 16:
		return [...]int{480, 960}[config%2]
	default:
		return [...]int{120, 240, 480, 960}[config%4]
	}
}

// OpusPacketSamples returns the duration of an Opus packet in 48 kHz
// samples from its TOC byte and frame count (RFC 6716 §3.1–§3.2), or 0 if
// the packet is not valid: empty, a code 3 packet without its frame count
// byte, zero frames, or more than 120 ms.
func OpusPacketSamples(pkt []byte) int {
	if len(pkt) == 0 {
		return 0
	}
	frames := 0
	switch pkt[0] & 0x03 {
	case 0:
		frames = 1
	case 1, 2:
		frames = 2
	case 3:
		if len(pkt) < 2 {
			return 0
		}
		frames = int(pkt[1] & 0x3f)
	}
	n := frames * opusFrameSamples(pkt[0]>>3)
	if n == 0 || n > 5760 {
		return 0
	}
	return n
}

// OpusPacketChannels returns 2 for a stereo packet, else 1 (the TOC's s
// bit).
func OpusPacketChannels(pkt []byte) int {
	if len(pkt) > 0 && pkt[0]&0x04 != 0 {
		return 2
	}
	return 1
}

// OpusLostPackets returns n packets that each stand for one lost or
// discontinued frame in the mode of like: a TOC byte alone (code 0, a
// zero-length frame), which a decoder answers with concealment
// (RFC 6716 §3.2.1). Recorders use them to keep a gap's duration.
func OpusLostPackets(like []byte, n int) [][]byte {
	if len(like) == 0 || n <= 0 {
		return nil
	}
	toc := like[0] &^ 0x03
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte{toc}
	}
	return out
}
