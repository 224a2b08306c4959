package kafka

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/stream"
)

func stringSink(bs []string, topic string, g DeliveryGuarantee, prefix string) SinkOptions[string] {
	return SinkOptions[string]{Brokers: bs, Topic: topic, DeliveryGuarantee: g, TransactionalIDPrefix: prefix,
		Serializer: func(s string) *kgo.Record { return &kgo.Record{Value: []byte(s)} }}
}

func openWriter(t *testing.T, o SinkOptions[string], sc stream.SinkContext) *writer[string] {
	t.Helper()
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	o.Logger = testLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := newWriter(ctx, o, sc)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func write(t *testing.T, w *writer[string], vs ...string) {
	t.Helper()
	for _, v := range vs {
		if err := w.Write(context.Background(), v); err != nil {
			t.Fatal(err)
		}
	}
}

func preCommit(t *testing.T, w *writer[string], id int64) []stream.Committable {
	t.Helper()
	cs, err := w.PreCommit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func sorted(v []string) []string { v = slices.Clone(v); slices.Sort(v); return v }

// TestSinkExactlyOnceRecovery plays a failure between pre-commit and
// commit: the restored writer commits the restored checkpoints'
// transactions, aborts the one the failed attempt opened after them, and
// committing again on a second restore is harmless. A read_committed
// consumer sees each committed record once and nothing of the aborted one.
func TestSinkExactlyOnceRecovery(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 2)
	o := stringSink(bs, tp, ExactlyOnce, "test-"+tp)
	sc := stream.SinkContext{Subtask: 0, Parallelism: 1, Checkpointing: true}

	w1 := openWriter(t, o, sc)
	if err := w1.Begin(context.Background()); err != nil {
		t.Fatal(err)
	}
	write(t, w1, "a1", "a2")
	c1 := preCommit(t, w1, 1)
	write(t, w1, "b1")
	c2 := preCommit(t, w1, 2)
	st, _ := w1.State()
	if len(c1) != 1 || len(c2) != 1 {
		t.Fatalf("committables %d and %d, want one per checkpoint", len(c1), len(c2))
	}
	write(t, w1, "lost1", "lost2") // the failed attempt's open transaction (name 3)
	if err := w1.txn.prod.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = w1.Close() // crash: nothing committed or aborted

	sc.RestoredCheckpoint = 2
	w2 := openWriter(t, o, sc)
	if err := w2.RecoverCommit(context.Background(), [][]byte{st}, append(c1, c2...)); err != nil {
		t.Fatalf("recover: %v", err)
	}
	write(t, w2, "c1")
	c3 := preCommit(t, w2, 3)
	if err := w2.Commit(context.Background(), c3); err != nil {
		t.Fatal(err)
	}
	_ = w2.Close()

	want := []string{"a1", "a2", "b1", "c1"}
	if got := sorted(readCommitted(t, bs, tp)); !slices.Equal(got, want) {
		t.Fatalf("read_committed after recovery: %v, want %v", got, want)
	}

	// A second restore from checkpoint 2 commits c1, c2 again: already
	// committed, so nothing changes and it is no error.
	w3 := openWriter(t, o, sc)
	if err := w3.RecoverCommit(context.Background(), [][]byte{st}, append(c1, c2...)); err != nil {
		t.Fatalf("second recover: %v", err)
	}
	_ = w3.Close()
	if got := sorted(readCommitted(t, bs, tp)); !slices.Equal(got, want) {
		t.Fatalf("read_committed after a second recovery: %v, want %v", got, want)
	}
}

// TestSinkExactlyOnceRescaleDown: a restore at parallelism 1 of a sink
// that ran at 2 aborts the open transaction of old subtask 1 too.
func TestSinkExactlyOnceRescaleDown(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 1)
	o := stringSink(bs, tp, ExactlyOnce, "test-"+tp)
	var states [][]byte
	var pending []stream.Committable
	for sub := 0; sub < 2; sub++ {
		w := openWriter(t, o, stream.SinkContext{Subtask: sub, Parallelism: 2, Checkpointing: true})
		if err := w.Begin(context.Background()); err != nil {
			t.Fatal(err)
		}
		write(t, w, "kept"+string(rune('0'+sub)))
		pending = append(pending, preCommit(t, w, 1)...)
		s, _ := w.State()
		states = append(states, s)
		write(t, w, "lost"+string(rune('0'+sub)))
		if err := w.txn.prod.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		_ = w.Close()
	}
	w := openWriter(t, o, stream.SinkContext{Subtask: 0, Parallelism: 1, Checkpointing: true, RestoredCheckpoint: 1})
	if err := w.RecoverCommit(context.Background(), states, pending); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if got, want := sorted(readCommitted(t, bs, tp)), []string{"kept0", "kept1"}; !slices.Equal(got, want) {
		t.Fatalf("read_committed: %v, want %v", got, want)
	}
}

// TestSinkGuarantees: records written before a barrier are in the topic
// after it with at-least-once; with none they arrive eventually (flushed
// at the end of input). Producer properties apply on top of the
// guarantee's defaults (none's acks=1 gives way to an acks=all).
func TestSinkGuarantees(t *testing.T) {
	bs := brokers(t)
	for _, tc := range []struct {
		name  string
		g     DeliveryGuarantee
		props map[string]string
		acks  kgo.Acks
	}{
		{"at-least-once", AtLeastOnce, nil, kgo.AllISRAcks()},
		{"none", None, nil, kgo.LeaderAck()},
		{"at-least-once acks=1 zstd", AtLeastOnce, map[string]string{"acks": "1", "compression.type": "zstd", "linger.ms": "5"}, kgo.LeaderAck()},
		{"none acks=all", None, map[string]string{"acks": "all", "max.in.flight.requests.per.connection": "3"}, kgo.AllISRAcks()},
	} {
		g := tc.g
		t.Run(tc.name, func(t *testing.T) {
			tp := topic(t, bs, 2)
			o := stringSink(bs, tp, g, "")
			o.Properties = tc.props
			w := openWriter(t, o, stream.SinkContext{Parallelism: 1, Checkpointing: true})
			if got := w.cl.OptValue(kgo.RequiredAcks); got != tc.acks {
				t.Errorf("acks %v, want %v", got, tc.acks)
			}
			write(t, w, "x", "y", "z")
			preCommit(t, w, 1)
			if g == None {
				if err := w.cl.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			_ = w.Close()
			if got, want := sorted(readCommitted(t, bs, tp)), []string{"x", "y", "z"}; !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestSinkBadInput: each bad option or broker state gives a clear error.
func TestSinkBadInput(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 1)
	for _, tc := range []struct {
		name string
		opts SinkOptions[string]
		want []string
	}{
		{"broker unreachable", func() SinkOptions[string] {
			o := stringSink([]string{"127.0.0.1:1"}, tp, AtLeastOnce, "")
			o.ConnectTimeout = 2 * time.Second
			return o
		}(), []string{"unreachable", "127.0.0.1:1"}},
		{"topic missing", stringSink(bs, "no-such-topic-"+tp, AtLeastOnce, ""), []string{"does not exist", `"no-such-topic-` + tp + `"`}},
		{"transaction timeout too large", func() SinkOptions[string] {
			o := stringSink(bs, tp, ExactlyOnce, "p")
			o.Properties = map[string]string{"transaction.timeout.ms": "3600000"}
			return o
		}(), []string{"transaction.timeout.ms 3600000", "transaction.max.timeout.ms 900000"}},
		{"unknown property", func() SinkOptions[string] {
			o := stringSink(bs, tp, AtLeastOnce, "")
			o.Properties = map[string]string{"no.such.option": "1"}
			return o
		}(), []string{"properties.no.such.option"}},
		{"consumer property on a sink", func() SinkOptions[string] {
			o := stringSink(bs, tp, AtLeastOnce, "")
			o.Properties = map[string]string{"isolation.level": "read_committed"}
			return o
		}(), []string{"properties.isolation.level", "consumer option"}},
		{"exactly-once with acks=1", func() SinkOptions[string] {
			o := stringSink(bs, tp, ExactlyOnce, "p")
			o.Properties = map[string]string{"acks": "1"}
			return o
		}(), []string{"properties.acks=1", "exactly-once needs acks=all"}},
		{"exactly-once without prefix", stringSink(bs, tp, ExactlyOnce, ""), []string{"transactional id prefix"}},
		{"unknown guarantee", stringSink(bs, tp, "twice", ""), []string{`"twice"`, "exactly-once"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.validate()
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var w *writer[string]
				w, err = newWriter(ctx, tc.opts, stream.SinkContext{Parallelism: 1})
				if err == nil {
					_ = w.Close()
					t.Fatal("no error")
				}
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
}
