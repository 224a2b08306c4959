// Package client submits, finds, watches and stops Floe applications and
// jobs. It holds one cluster descriptor per deployment target (-t
// yarn-session, yarn-per-job, yarn-application, local, remote).
package client
