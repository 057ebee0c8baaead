package proto

// Custom messages (docs/protocol.md, "Custom messages"): TRTC's
// sendCustomCmdMsg over the signaling socket. Data fields are bytes, which
// encoding/json carries as standard base64.
const (
	TypeCustomMsg  = "custom_msg"  // CustomMsgRequest → CustomMsgResponse; event: CustomMsgEvent
	TypeCustomMiss = "custom_miss" // event: CustomMissEvent
)

// CustomMsgRequest sends one message to everyone else in the room. Seq is
// optional: the sender's own number for the message (per cmdId, increasing),
// which lets the server recognize a message sent again after a resume. Zero
// lets the server number it.
type CustomMsgRequest struct {
	CmdID    int    `json:"cmdId"`
	Data     []byte `json:"data"`
	Reliable bool   `json:"reliable"`
	Ordered  bool   `json:"ordered"`
	Seq      uint32 `json:"seq,omitempty"`
}

// CustomMsgResponse is the number the message goes out with.
type CustomMsgResponse struct {
	Seq uint32 `json:"seq"`
}

// CustomMsgEvent is a message from another user. Index is the message's
// position in the room's message log (increasing by one per message sent in
// the room): a client that has seen an index drops it if it comes again, and
// names the last one it saw when it resumes.
type CustomMsgEvent struct {
	UserID string `json:"userId"`
	CmdID  int    `json:"cmdId"`
	Seq    uint32 `json:"seq"`
	Data   []byte `json:"data"`
	Index  uint64 `json:"index,omitempty"`
}

// CustomMissEvent reports messages of one sender and cmdId that the
// receiver will never get (it fell too far behind): Missed of them, the last
// numbered LastSeq. ErrCode is TRTC's onMissCustomCmdMsg code, −1.
type CustomMissEvent struct {
	UserID  string `json:"userId"`
	CmdID   int    `json:"cmdId"`
	ErrCode int    `json:"errCode"`
	Missed  int    `json:"missed"`
	LastSeq uint32 `json:"lastSeq"`
}
