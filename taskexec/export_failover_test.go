package taskexec

import "time"

// AbandonAll exposes abandonAll to the external tests.
func (tm *TaskManager) AbandonAll(bound time.Duration) { tm.abandonAll(bound) }
