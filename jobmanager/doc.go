// Package jobmanager coordinates jobs without knowing the platform: the
// dispatcher and REST API, per-job scheduling of subtasks into slots, and
// failover.
package jobmanager
