package api

// LogRequest (MsgLogRequest, JM → TM) asks a TaskManager for the tail of
// one of its log files, for GET /taskmanagers/:tmid/logs/:name.
type LogRequest struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
	// Tail is how many bytes from the end to send (at most MaxLogTail).
	Tail int64 `json:"tail"`
}

// MaxLogTail bounds the bytes of one LogReply (well under MaxFrameSize).
const MaxLogTail = 1 << 20

// LogReply (MsgLogReply, TM → JM) answers a LogRequest with the file's
// size and tail, or the reason it cannot.
type LogReply struct {
	ID    uint64 `json:"id"`
	Size  int64  `json:"size"`
	Data  string `json:"data"`
	Error string `json:"error,omitempty"`
}
