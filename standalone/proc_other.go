//go:build !linux

package standalone

import "syscall"

// childAttr puts a TaskManager in its own process group. Outside Linux a
// TaskManager whose worker was killed ends when it loses its JobManager.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
