package stream

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/contract"
)

// TestPipelineOptions: pipeline.max-parallelism and
// pipeline.auto-watermark-interval reach the job from the submission's
// contract.EnvDynamicProperties in the plan and TaskManager roles (other
// keys there are not the job binary's business), the job's code wins over
// them (Options first, then Configure), and a bad value is an error of the
// build naming the key.
func TestPipelineOptions(t *testing.T) {
	build := func(t *testing.T, role, dyn string, opts Options, configure map[string]string) (*Environment, int, error) {
		t.Helper()
		t.Setenv(contract.EnvRole, role)
		t.Setenv(contract.EnvDynamicProperties, dyn)
		e := NewEnvironment(opts)
		for k, v := range configure {
			e.Configure(k, v)
		}
		FromSlice(e, []int{1, 2, 3}).Discard()
		g, err := e.JobGraph("pipeline")
		if err != nil {
			return e, 0, err
		}
		return e, g.MaxParallelism, nil
	}
	const both = `["pipeline.max-parallelism=256","pipeline.auto-watermark-interval=50 ms","taskmanager.numberOfTaskSlots=oops"]`
	for _, role := range []string{contract.RolePlan, contract.RoleTaskManager} {
		e, maxp, err := build(t, role, both, Options{}, nil)
		if err != nil || maxp != 256 || e.autoWatermarkInterval() != 50*time.Millisecond {
			t.Errorf("%s role: max parallelism %d, interval %v, err %v; want 256, 50ms, nil", role, maxp, e.autoWatermarkInterval(), err)
		}
	}
	e, maxp, err := build(t, contract.RolePlan, "", Options{}, nil)
	if err != nil || maxp != 128 || e.autoWatermarkInterval() != DefaultAutoWatermarkInterval {
		t.Errorf("nothing set: max parallelism %d, interval %v, err %v; want 128, 200ms", maxp, e.autoWatermarkInterval(), err)
	}
	e, maxp, err = build(t, contract.RolePlan, both, Options{MaxParallelism: 64, AutoWatermarkInterval: time.Second}, nil)
	if err != nil || maxp != 64 || e.autoWatermarkInterval() != time.Second {
		t.Errorf("Options set: max parallelism %d, interval %v, err %v; want 64, 1s", maxp, e.autoWatermarkInterval(), err)
	}
	e, maxp, err = build(t, contract.RolePlan, both, Options{},
		map[string]string{"pipeline.max-parallelism": "512", "pipeline.auto-watermark-interval": "2 s"})
	if err != nil || maxp != 512 || e.autoWatermarkInterval() != 2*time.Second {
		t.Errorf("Configure: max parallelism %d, interval %v, err %v; want 512, 2s", maxp, e.autoWatermarkInterval(), err)
	}
	for dyn, want := range map[string]string{
		`["pipeline.max-parallelism=40000"]`:     "pipeline.max-parallelism 40000: want 1 to 32768",
		`["pipeline.max-parallelism=-1"]`:        "pipeline.max-parallelism -1: want 1 to 32768",
		`["pipeline.auto-watermark-interval=x"]`: "pipeline.auto-watermark-interval",
		`not json`:                               contract.EnvDynamicProperties,
	} {
		if _, _, err := build(t, contract.RolePlan, dyn, Options{}, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want one naming %q", dyn, err, want)
		}
	}
}
