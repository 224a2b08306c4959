package am

import (
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

// Adoption: a later ApplicationMaster attempt takes over the TaskManager
// containers YARN kept from former attempts. Their TaskManagers find the
// new JobManager through the job store (contract.EnvJobStoreDir), drop the
// tasks of the old one and register again with their container and pool;
// each one that registers within the grace period stands in for a
// TaskManager the new JobManager asks for (jobmanager.Adopter). While
// containers wait to be adopted, new TaskManagers are not asked of YARN;
// once all are adopted or the grace period ends, the asks go out and the
// containers nobody adopted are released.

// SetAdoptable makes ctrs (RegisterApplicationMaster's containers from
// previous attempts) adoptable until grace has passed.
func (d *Driver) SetAdoptable(ctrs []yarnrpc.Container, grace time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(ctrs) == 0 {
		return
	}
	d.adoptable = map[yarnrpc.ContainerID]yarnrpc.Container{}
	for _, c := range ctrs {
		d.adoptable[c.ID] = c
	}
	d.adoptUntil = time.Now().Add(grace)
}

// adopting reports whether asks are held back for adoptable containers
// (d.mu held).
func (d *Driver) adopting() bool { return len(d.adoptable) > 0 && time.Now().Before(d.adoptUntil) }

// Adopt implements jobmanager.Adopter.
func (d *Driver) Adopt(id, container, pool string, slots int, exited func(string)) (string, bool) {
	cid, err := yarnrpc.ParseContainerID(container)
	if err != nil {
		return "", false
	}
	d.mu.Lock()
	ctr, ok := d.adoptable[cid]
	if !ok || d.workers[id] != nil {
		d.mu.Unlock()
		return "", false
	}
	delete(d.adoptable, cid)
	replaces := ""
	for _, q := range d.queue {
		if w := d.workers[q]; w.spec.Pool == pool && w.spec.Slots == slots {
			replaces = q
			d.dequeue(q)
			delete(d.workers, q)
			if !w.deferred {
				d.opts.Allocator.RemoveRequest(d.req, 1)
			}
			break
		}
	}
	d.workers[id] = &worker{spec: jobmanager.TaskManagerSpec{ID: id, Pool: pool, Slots: slots}, exited: exited, state: running, ctr: ctr}
	d.byContainer[cid] = id
	if len(d.adoptable) == 0 {
		d.flushDeferred()
	}
	d.mu.Unlock()
	d.log.Info().Str("tm", id).Stringer("container", cid).Stringer("node", ctr.Node).Str("replaces", replaces).Msg("adopted a TaskManager container of a former attempt")
	d.poke()
	return replaces, true
}

// endAdoption releases the containers nobody adopted once the grace period
// is over and sends the asks held back.
func (d *Driver) endAdoption() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.adoptable) == 0 || time.Now().Before(d.adoptUntil) {
		return
	}
	for id, c := range d.adoptable {
		d.opts.Allocator.Release(id)
		d.log.Info().Stringer("container", id).Stringer("node", c.Node).Msg("released a container of a former attempt nobody adopted")
	}
	d.adoptable = nil
	d.flushDeferred()
}

// flushDeferred asks YARN for the TaskManagers held back (d.mu held).
func (d *Driver) flushDeferred() {
	for _, q := range d.queue {
		if w := d.workers[q]; w.deferred {
			w.deferred = false
			d.opts.Allocator.AddRequest(d.req, 1)
		}
	}
}
