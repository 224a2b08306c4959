package integration

import (
	"context"
	"fmt"
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnKafkaLedgerExactlyOnce is issue 14's exactly-once test: Kafka →
// examples/kafka-ledger on YARN per-job (parallelism 2, a checkpoint every
// second) → Kafka, while TaskManager container processes are killed with
// SIGKILL five times. The output topic, read by the broker's own console
// consumer with isolation.level=read_committed, must hold every account's
// seqs 1…n exactly once with exact balances (ledgercheck), and the job
// must have restored from a completed checkpoint.
func TestYarnKafkaLedgerExactlyOnce(t *testing.T) {
	k := requireKafka(t)
	e := newYC(t)
	dir := e.testDir(t)
	in, out := k.createTopic(t, "ledger-in", 4), k.createTopic(t, "ledger-out", 3)
	input := ledgercheck.Generate(9000, 40, uint64(time.Now().UnixNano()))
	k.produceLines(t, in, input)
	// 2 source subtasks at 100 records/s: about 45 s of input, long
	// enough for five kills with recovery in between.
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		kafkaLedgerBinary(t, e), "--brokers", k.brokers, "--input-topic", in, "--output-topic", out,
		"--group", "it-"+in, "--bounded", "--rate", "100")
	cc := e.jobManager(t, app)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	restoredSeen := false
	for n := 0; n < 5; n++ {
		waitUntil(t, 2*time.Minute, fmt.Sprintf("kill %d: job running with a completed checkpoint", n+1), func() (bool, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			j, err := cc.Job(ctx, job)
			if err != nil {
				return false, nil
			}
			if j.State.Terminal() {
				return false, fmt.Errorf("job ended (%s) after %d kills; the input is too short", j.State, n)
			}
			st, err := cc.JM.Checkpoints(ctx, job)
			if err != nil || st.Counts.Completed == 0 || !allRunning(j) {
				return false, nil
			}
			if st.Latest.Restored != nil {
				restoredSeen = true
			}
			return true, nil
		})
		time.Sleep(time.Duration(rng.Intn(2000)) * time.Millisecond)
		pids := ycContainerPIDs(t, app, "taskmanager")
		if len(pids) == 0 {
			t.Fatalf("kill %d: no TaskManager process", n+1)
		}
		for cid, pid := range pids { // map order: a random TaskManager
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("kill %d: SIGKILL to TaskManager process %d of %s", n+1, pid, cid)
			break
		}
	}
	waitUntil(t, 5*time.Minute, "the application to end", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if st, err := cc.JM.Checkpoints(ctx, job); err == nil && st.Latest.Restored != nil {
			restoredSeen = true
		}
		r, err := e.rm.ApplicationReport(ctx, app)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			t.Errorf("application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	if !restoredSeen {
		t.Error("no restore from a completed checkpoint was seen after five kills")
	}
	if err := ledgercheck.Check(input, k.readCommitted(t, out)); err != nil {
		t.Fatalf("output not exactly once: %v", err)
	}
	// Completed checkpoints committed the source's offsets to the group
	// (for monitoring).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	offs, err := k.adm.FetchOffsets(ctx, "it-"+in)
	if err != nil {
		t.Fatal(err)
	}
	var committed int64
	offs.Each(func(o kadm.OffsetResponse) { committed += max(o.At, 0) })
	if committed == 0 {
		t.Errorf("group it-%s has no committed offsets after the run", in)
	}
}

// TestYarnKafkaLedgerRescale resumes kafka-ledger from savepoints at other
// parallelisms: 3 input partitions read by 2 subtasks (more partitions
// than subtasks), then by 4 (fewer). floe stop is not on main yet, so
// this is floe savepoint + floe cancel + floe run -s. The output is
// exactly once across both resumptions.
func TestYarnKafkaLedgerRescale(t *testing.T) {
	k := requireKafka(t)
	e := newYC(t)
	dir := e.testDir(t)
	in, out := k.createTopic(t, "rescale-in", 3), k.createTopic(t, "rescale-out", 2)
	input := ledgercheck.Generate(4500, 30, uint64(time.Now().UnixNano()))
	k.produceLines(t, in, input)
	common := []string{"-Dtaskmanager.numberOfTaskSlots=1", "-Dexecution.checkpointing.interval=1h",
		"-Dstate.checkpoints.dir=" + e.qualify(t, dir+"/chk"),
		// As in TestYarnLedgerResumeFromSavepoint: the savepoint's handles
		// may point into the cancelled job's checkpoint folder.
		"-Dexecution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION"}
	jobArgs := func(rate string) []string {
		return []string{kafkaLedgerBinary(t, e), "--brokers", k.brokers, "--input-topic", in, "--output-topic", out,
			"--bounded", "--rate", rate}
	}
	app1, id1 := e.runDetached(t, append(append([]string{"-p", "2"}, common...), jobArgs("100")...)...)
	cc1 := e.jobManager(t, app1)
	waitUntil(t, 2*time.Minute, "job running", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j, err := cc1.Job(ctx, id1)
		return err == nil && allRunning(j), nil
	})
	time.Sleep(4 * time.Second) // some input read before the savepoint
	so, err := e.floe(t, 3*time.Minute, "", "savepoint", "-t", "yarn-per-job", "-Dyarn.application.id="+app1.String(), id1, e.qualify(t, dir+"/sp"))
	if err != nil {
		t.Fatalf("floe savepoint: %v\n%s", err, so)
	}
	m := savepointPathRE.FindStringSubmatch(so)
	if m == nil {
		t.Fatalf("no savepoint path in %q", so)
	}
	if _, err := e.floe(t, 2*time.Minute, "", "cancel", "-t", "yarn-per-job", "-Dyarn.application.id="+app1.String(), id1); err != nil {
		t.Fatal(err)
	}
	app2, id2 := e.runDetached(t, append(append([]string{"-p", "4", "-s", m[1]}, common...), jobArgs("100")...)...)
	cc2 := e.jobManager(t, app2)
	restored := false
	waitUntil(t, 4*time.Minute, "the resumed application to end", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if st, err := cc2.JM.Checkpoints(ctx, id2); err == nil && st.Latest.Restored != nil {
			restored = true
		}
		r, err := e.rm.ApplicationReport(ctx, app2)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			t.Errorf("resumed application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	if !restored {
		t.Error("the resumed job never reported a restore from the savepoint")
	}
	if err := ledgercheck.Check(input, k.readCommitted(t, out)); err != nil {
		t.Fatalf("output not exactly once across the savepoint at another parallelism: %v", err)
	}
}
