// Package am is Floe's YARN ApplicationMaster: it registers with the
// ResourceManager, runs the allocate loop, launches and replaces TaskManager
// containers through the NodeManagers, and unregisters when the cluster ends.
// It implements the JobManager's resource driver for YARN; nothing outside
// this package knows that TaskManagers live in YARN containers.
package am
