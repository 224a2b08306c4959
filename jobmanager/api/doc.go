// Package api holds the JobManager's control-plane messages, shared by the
// JobManager, TaskManagers (package taskexec) and clients: versioned JSON
// bodies over HTTP, each request signed with the per-application secret
// (HMAC-SHA256, see auth.go).
//
// Endpoints (all POST or GET under /v1, JSON bodies):
//
//	client → JM  POST /v1/jobs               SubmitJob        → JobStatus
//	             GET  /v1/jobs                                → JobList
//	             GET  /v1/jobs/{id}                           → JobStatus (with the exception history)
//	             POST /v1/jobs/{id}/cancel                    → JobStatus
//	             GET  /v1/overview                            → Overview (also GET /)
//	             GET  /v1/taskmanagers                        → TaskManagerList
//	             POST /v1/cluster/shutdown   ShutdownRequest  → {}  (YARN sessions)
//	TM → JM      POST /v1/taskmanagers/register  Registration → RegistrationReply
//	             POST /v1/taskmanagers/poll      Poll         → Commands (long poll; it is also the heartbeat)
//	             POST /v1/taskmanagers/update    TaskUpdate   → {}
//
// GETs are signed too, except where the server is told to serve them openly
// (ServerOptions.OpenReads, set by the YARN ApplicationMaster so that they
// work through the YARN web proxy, which cannot sign).
//
// A TaskManager only ever dials the JobManager, so no TaskManager needs a
// control port of its own; commands reach it as replies to its poll.
package api
