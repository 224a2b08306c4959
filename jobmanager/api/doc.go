// Package api holds the JobManager's control-plane protocol, shared by the
// JobManager, TaskManagers (package taskexec) and clients: versioned JSON
// bodies over HTTP for clients, and one framed control channel per
// TaskManager, both authenticated with the per-application secret
// (HMAC-SHA256, see auth.go).
//
// Client endpoints (all under /v1, JSON bodies, signed):
//
//	client → JM  POST /v1/jobs               SubmitJob        → JobStatus
//	             GET  /v1/jobs                                → JobList
//	             GET  /v1/jobs/{id}                           → JobStatus (with the exception history)
//	             POST /v1/jobs/{id}/cancel                    → JobStatus
//	             GET  /v1/overview                            → Overview (also GET /)
//	             GET  /v1/taskmanagers                        → TaskManagerList
//	             POST /v1/cluster/shutdown   ShutdownRequest  → {}  (YARN sessions)
//	TM → JM      GET  /v1/control            signed upgrade to the control channel
//
// GETs are signed too, except where the server is told to serve them openly
// (ServerOptions.OpenReads, set by the YARN ApplicationMaster so that they
// work through the YARN web proxy, which cannot sign). The signature covers
// a digest of the body, not the body, so the JobManager authenticates a
// request before reading its body and never reads an unauthenticated one.
//
// # Control channel
//
// A TaskManager only ever dials the JobManager, on the JobManager's one
// HTTP port (the host:port a YARN AM registers), so no TaskManager needs a
// control port of its own. Dial sends a signed HTTP/1.1 upgrade (a replayed
// one fails on its nonce); the JobManager answers 101 with a proof that it
// holds the secret too, and from then on both ends exchange frames on the
// one TCP connection:
//
//	TM                                          JM
//	 | GET /v1/control, Upgrade: floe-control/1  |
//	 |   Authorization: Floe-HMAC-SHA256 …       |
//	 |------------------------------------------>|
//	 |          101, Floe-Server-Proof: …        |
//	 |<------------------------------------------|
//	 | MsgRegister (Registration)                |
//	 |------------------------------------------>|
//	 |   MsgRegistered (RegistrationReply+Timing)|
//	 |<------------------------------------------|  (or MsgRefused, close)
//	 |<---- MsgDeploy / MsgCancel / MsgShutdown --|  pushed when the core emits them
//	 |----- MsgTaskUpdate ---------------------->|  pushed when a subtask changes state
//	 |<---- MsgHeartbeat ----------------------->|  every Timing.Interval, both ways
//
// Every frame is length-prefixed and carries the frame version, a message
// type and a JSON payload:
//
//	+---------------+---------+---------+-------------------+
//	| length uint32 | version | type    | payload (JSON)    |
//	| big endian    | uint8=1 | MsgType | length - 2 bytes  |
//	+---------------+---------+---------+-------------------+
//
// length is at most MaxFrameSize. The timing is declared once (Timing, from
// heartbeat.interval and heartbeat.timeout): an end that reads nothing for
// Timeout closes the connection, writes must finish within Timeout, and the
// handshake within HandshakeTimeout. A TaskManager whose channel drops
// dials again at once and re-registers with Registration.Reconnect; the
// JobManager takes it back (with the commands queued meanwhile) while it
// still knows it, and refuses it once released or lost.
//
// Extension point: message types 32 and up are checkpointing —
// MsgTriggerCheckpoint and MsgNotifyCheckpoint (JM → TM),
// MsgAcknowledgeCheckpoint (with StateHandles) and MsgDeclineCheckpoint
// (TM → JM). They are declared, encoded and tested; until the checkpoint
// coordinator exists both ends log and drop them. A new message takes a
// new type number and a payload struct here; an unknown type closes the
// channel, so a change peers cannot ignore bumps FrameVersion.
//
//	ch, reply, err := api.Dial(ctx, "jm-host:8081", secret, api.Registration{TaskManager: "tm-1", Slots: 4})
//	go ch.Run(ctx, func(f api.Frame) error { … })
//	err = ch.Send(api.MsgTaskUpdate, api.TaskUpdate{…})
package api
