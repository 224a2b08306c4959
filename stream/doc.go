// Package stream is the public Go API for writing Floe jobs, and the role
// switch of a job binary (local, plan, taskmanager).
package stream
