package integration

import (
	"context"
	"fmt"
	"strings"
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
	e.killTaskManagersToEnd(t, app, job, 5)
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

// TestYarnKafkaLedgerRescale is issue 14's "stop with savepoint and resume
// at another parallelism" and "a partition added while the job runs is
// read", on YARN: an unbounded kafka-ledger reads 3 input partitions with
// 2 subtasks (more partitions than subtasks) and is stopped mid-input with
// `floe stop --savepointPath`; a run at -p 4 (fewer partitions than
// subtasks) resumes from the savepoint and reads the rest; two partitions
// are then added to the input topic and written to, and the running job
// finds and reads them (its consumer group's committed offsets reach the
// ends of all 5 partitions); it is stopped with a savepoint in turn. The
// output, read by the broker's console consumer with read_committed, is
// exactly once across both stops.
func TestYarnKafkaLedgerRescale(t *testing.T) {
	k := requireKafka(t)
	e := newYC(t)
	dir := e.testDir(t)
	in, out := k.createTopic(t, "rescale-in", 3), k.createTopic(t, "rescale-out", 2)
	group := "it-" + in
	first := ledgercheck.Generate(4500, 30, uint64(time.Now().UnixNano()))
	k.produceLines(t, in, first)
	target := e.qualify(t, dir+"/sp")
	run := func(rate string, args ...string) (yarnrpc.ApplicationID, string) {
		args = append(args, "-Dtaskmanager.numberOfTaskSlots=1", "-Dexecution.checkpointing.interval=1s",
			"-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
			kafkaLedgerBinary(t, e), "--brokers", k.brokers, "--input-topic", in, "--output-topic", out,
			"--group", group, "--rate", rate)
		return e.runDetached(t, args...)
	}
	app1, id1 := run("100", "-p", "2")
	sp1 := e.stopWithSavepoint(t, app1, id1, target, true)
	if n := len(k.readCommitted(t, out)); n == 0 || n >= len(first) {
		t.Fatalf("after the first stop: %d committed records, want some but fewer than the %d of the input", n, len(first))
	}
	app2, id2 := run("0", "-p", "4", "-s", sp1)
	k.waitGroupAtEnd(t, group, in, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := k.adm.CreatePartitions(ctx, 2, in); err != nil {
		t.Fatalf("add 2 partitions to %s: %v", in, err)
	}
	second := ledgercheck.Generate(1500, 30, uint64(time.Now().UnixNano())+1)
	k.produceLinesTo(t, in, []int32{3, 4}, second)
	k.waitGroupAtEnd(t, group, in, 5)
	e.stopWithSavepoint(t, app2, id2, target, true)
	if err := ledgercheck.Check(append(first, second...), k.readCommitted(t, out)); err != nil {
		t.Fatalf("output not exactly once across two stops, a rescale and two added partitions: %v", err)
	}
}

// TestYarnKafkaBadInput is issue 14's bad input on YARN, per-job and
// attached, without restarts: a missing input topic, an unreachable broker
// (bounded) and a record the job's deserializer rejects each fail the job
// with a clear error that reaches the user's terminal (the topic; the
// broker and the wait; topic, partition and offset of the record), the
// application ends FAILED and leaves no staging folder.
func TestYarnKafkaBadInput(t *testing.T) {
	k := requireKafka(t)
	e := newYC(t)
	out := k.createTopic(t, "bad-out", 1)
	bad := k.createTopic(t, "bad-in", 1)
	k.produceLines(t, bad, []string{"a 10", "b 20", "c twenty", "d 40"})
	missing := fmt.Sprintf("it-no-such-topic-%d", time.Now().UnixNano())
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"topic missing", []string{"--brokers", k.brokers, "--input-topic", missing, "--output-topic", out, "--bounded"},
			[]string{"does not exist", missing}},
		{"broker unreachable", []string{"--brokers", "127.0.0.1:1", "--input-topic", bad, "--output-topic", out, "--bounded"},
			[]string{"unreachable", "127.0.0.1:1"}},
		{"record rejected", []string{"--brokers", k.brokers, "--input-topic", bad, "--output-topic", out, "--bounded"},
			[]string{fmt.Sprintf("topic %q", bad), "partition 0", "offset 2", "twenty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "-t", "yarn-per-job", "-Dyarn.tags=" + e.tag, "-Drestart-strategy.type=none",
				kafkaLedgerBinary(t, e)}, tc.args...)
			so, err := e.floe(t, 4*time.Minute, "", args...)
			if err == nil {
				t.Fatalf("the job succeeded:\n%s", so)
			}
			app := ycAppIDIn(t, so)
			e.killAtEnd(t, app)
			for _, w := range append(tc.want, "final status FAILED") {
				if !strings.Contains(so, w) {
					t.Errorf("no %q in the client's output:\n%s", w, so)
				}
			}
			e.waitAppEnd(t, app, time.Minute)
			e.waitStagingGone(t, app, 30*time.Second)
		})
	}
}
