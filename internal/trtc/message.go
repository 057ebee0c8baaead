package trtc

// Limits of custom messages (sendCustomCmdMsg) and SEI messages (sendSEIMsg),
// trtc-reference §3.5. Both kinds share one budget per sender. TRTC writes
// the sizes as "1 KB" and "8 KB/s"; the reference reads them as 1000 bytes,
// so "KB" is 1000 bytes here.
const (
	MinCustomCmdID = 1
	MaxCustomCmdID = 10
	// MaxCustomMsgBytes bounds one custom or SEI message.
	MaxCustomMsgBytes = 1000
	// CustomMsgsPerSecond and CustomBytesPerSecond are the per-sender budget.
	CustomMsgsPerSecond  = 30
	CustomBytesPerSecond = 8000
	// MissedCustomMsgCode is the errCode of onMissCustomCmdMsg.
	MissedCustomMsgCode = -1
)

// ValidCustomCmdID reports whether id is one of TRTC's ten command ids.
func ValidCustomCmdID(id int) bool { return id >= MinCustomCmdID && id <= MaxCustomCmdID }
