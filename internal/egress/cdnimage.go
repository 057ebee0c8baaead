package egress

import "github.com/rtcengine/rtcengine/internal/trtc"

// Layout images of relay tasks. Their failures are not recording events
// (DOWNLOAD_IMAGE_ERROR, 309, belongs to the recording callbacks): a relay
// keeps them for DescribePublishCdnStream (docs/cdn.md).

// maxImageFailures bounds the failures a task keeps (the newest are kept).
const maxImageFailures = 16

// ImageFailure is a layout image a relay task could not use.
type ImageFailure struct {
	URL   string
	Error string
}

// imageFailed keeps an image's failure.
func (s *pushSet) imageFailed(url string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.images = append(s.images, ImageFailure{URL: url, Error: err.Error()})
	if n := len(s.images); n > maxImageFailures {
		s.images = append(s.images[:0], s.images[n-maxImageFailures:]...)
	}
}

// ImageFailures lists the layout images a relay task could not fetch or
// decode (at most the 16 newest).
func (s *Service) ImageFailures(app trtc.SDKAppID, id string) ([]ImageFailure, error) {
	t, err := s.relay(app, id)
	if err != nil {
		return nil, err
	}
	t.push.mu.Lock()
	defer t.push.mu.Unlock()
	return append([]ImageFailure(nil), t.push.images...), nil
}
