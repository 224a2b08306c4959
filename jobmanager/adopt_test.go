package jobmanager

import (
	"context"
	"errors"
	"testing"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// adoptingDriver adopts the containers it was told of.
type adoptingDriver struct {
	idleDriver
	containers map[string]bool
	adopted    []string
}

func (d *adoptingDriver) Adopt(id, container, _ string, _ int, _ func(string)) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.containers[container] {
		return "", false
	}
	delete(d.containers, container)
	d.adopted = append(d.adopted, id)
	return "", true
}

type nopGateway struct{}

func (nopGateway) Deploy(context.Context, api.DeployTask) error { return nil }
func (nopGateway) Cancel(context.Context, api.CancelTask) error { return nil }
func (nopGateway) Shutdown()                                    {}

// TestRegisterAdoptsTaskManagerOfFormerAttempt: a TaskManager the
// JobManager did not start is admitted when it names a container the
// driver adopts, and refused otherwise.
func TestRegisterAdoptsTaskManagerOfFormerAttempt(t *testing.T) {
	cases := []struct {
		name      string
		reg       api.Registration
		wantErr   bool
		wantAdopt bool
	}{
		{name: "kept container", reg: api.Registration{TaskManager: "tm-1", Slots: 1, Container: "c1", Pool: "p"}, wantAdopt: true},
		{name: "unknown container", reg: api.Registration{TaskManager: "tm-2", Slots: 1, Container: "c9", Pool: "p"}, wantErr: true},
		{name: "no container", reg: api.Registration{TaskManager: "tm-3", Slots: 1}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			drv := &adoptingDriver{containers: map[string]bool{"c1": true}}
			jm, err := New(context.Background(), Options{Driver: drv, Core: CoreOptions{SlotsPerTaskManager: 1}})
			if err != nil {
				t.Fatal(err)
			}
			tc.reg.Version = api.Version
			err = jm.RegisterTaskManager(tc.reg, nopGateway{})
			if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrUnknownTaskManager)) {
				t.Fatalf("register: %v, want error %v (ErrUnknownTaskManager)", err, tc.wantErr)
			}
			if got := len(drv.adopted) == 1; got != tc.wantAdopt {
				t.Fatalf("adopted %v, want adoption %v", drv.adopted, tc.wantAdopt)
			}
			if tc.wantAdopt && !jm.Heartbeat(tc.reg.TaskManager) {
				t.Fatalf("the adopted TaskManager is not known to the JobManager")
			}
		})
	}
}
