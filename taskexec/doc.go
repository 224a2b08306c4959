// Package taskexec is the TaskManager: it registers its slots with a
// JobManager, runs subtasks (operator chains) in them, exchanges records
// with other TaskManagers and sends heartbeats.
package taskexec
