package standalone

import "syscall"

// childAttr puts a TaskManager in its own process group and kills it when
// the worker dies, even by SIGKILL: a TaskManager never outlives its
// worker.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
