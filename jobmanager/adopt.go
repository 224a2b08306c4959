package jobmanager

import (
	"sync"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// Adopter is implemented by resource drivers that can hand a JobManager
// the TaskManagers a former JobManager attempt started (the YARN driver:
// containers kept across ApplicationMaster attempts).
type Adopter interface {
	// Adopt claims the TaskManager id, registering from container with
	// pool and slots. It returns the TaskManager the new JobManager asked
	// for that the adopted one replaces ("" when it asked for none of that
	// pool yet), and ok false when the container is not one to adopt.
	// exited is called when the container ends later.
	Adopt(id, container, pool string, slots int, exited func(cause string)) (replaces string, ok bool)
}

// adopt admits a TaskManager of a former attempt (reg.Container set) when
// the driver can adopt it: it then counts as one the core asked for.
func (jm *JobManager) adopt(reg api.Registration) (TaskManagerSpec, bool) {
	ad, ok := jm.opts.Driver.(Adopter)
	if !ok || reg.Container == "" || reg.Pool == "" {
		return TaskManagerSpec{}, false
	}
	id, pool := reg.TaskManager, reg.Pool
	replaces, ok := ad.Adopt(id, reg.Container, pool, reg.Slots, jm.exitedFunc(id, pool))
	if !ok {
		return TaskManagerSpec{}, false
	}
	jm.mu.Lock()
	defer jm.mu.Unlock()
	spec := jm.pools[pool]
	spec.ID, spec.Pool, spec.Slots = id, pool, reg.Slots
	if replaces != "" {
		delete(jm.specs, replaces)
	}
	jm.specs[id] = spec
	jm.log.Info().Str("tm", id).Str("container", reg.Container).Str("replaces", replaces).Msg("adopted a TaskManager of a former attempt")
	return spec, true
}

// exitedFunc is the callback the driver calls once when TaskManager id of
// pool ends.
func (jm *JobManager) exitedFunc(id, pool string) func(string) {
	var once sync.Once
	return func(cause string) {
		once.Do(func() {
			jm.mu.Lock()
			delete(jm.specs, id)
			delete(jm.tms, id)
			jm.mu.Unlock()
			jm.log.Info().Str("tm", id).Str("cause", cause).Msg("TaskManager exited")
			jm.post(TaskManagerExited{TaskManager: id, Pool: pool, Cause: cause})
		})
	}
}
