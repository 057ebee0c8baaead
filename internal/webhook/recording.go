package webhook

// Cloud recording events (EventGroupId 3, trtc-reference §8.3). Their
// EventInfo is {RoomId, EventTs, EventMsTs, UserId (the recording robot),
// TaskId, Payload}.
const (
	EventRecorderStart EventType = 301
	EventRecorderStop  EventType = 302
	EventUploadStart   EventType = 303
	EventFileInfo      EventType = 304
	EventUploadStop    EventType = 305
	EventFailover      EventType = 306
	EventFileSlice     EventType = 307
	EventUploadError   EventType = 308
	EventDownloadImage EventType = 309
	EventMP4Stop       EventType = 310
	EventVODCommit     EventType = 311
	EventVODStop       EventType = 312
)

// GroupRecording is the EventGroupId of cloud recording events.
const GroupRecording = 3

func init() {
	for t, n := range map[EventType]string{
		EventRecorderStart: "EVENT_TYPE_CLOUD_RECORDING_RECORDER_START",
		EventRecorderStop:  "EVENT_TYPE_CLOUD_RECORDING_RECORDER_STOP",
		EventUploadStart:   "EVENT_TYPE_CLOUD_RECORDING_UPLOAD_START",
		EventFileInfo:      "EVENT_TYPE_CLOUD_RECORDING_FILE_INFO",
		EventUploadStop:    "EVENT_TYPE_CLOUD_RECORDING_UPLOAD_STOP",
		EventFailover:      "EVENT_TYPE_CLOUD_RECORDING_FAILOVER",
		EventFileSlice:     "EVENT_TYPE_CLOUD_RECORDING_FILE_SLICE",
		EventUploadError:   "EVENT_TYPE_CLOUD_RECORDING_UPLOAD_ERROR",
		EventDownloadImage: "EVENT_TYPE_CLOUD_RECORDING_DOWNLOAD_IMAGE_ERROR",
		EventMP4Stop:       "EVENT_TYPE_CLOUD_RECORDING_MP4_STOP",
		EventVODCommit:     "EVENT_TYPE_CLOUD_RECORDING_VOD_COMMIT",
		EventVODStop:       "EVENT_TYPE_CLOUD_RECORDING_VOD_STOP",
	} {
		eventNames[t] = n
	}
}

// isRecording reports whether t is a cloud recording event.
func (t EventType) isRecording() bool { return t >= EventRecorderStart && t <= EventVODStop }
