package kafka

import (
	"context"
	"testing"

	"github.com/floe-yarn/floe/stream"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestSplitCodec(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    split
	}{
		{"offset", split{Topic: "orders", Partition: 3, Next: 42, Stop: -1}},
		{"symbolic start, bounded", split{Topic: "a.b-c_d", Partition: 0, Next: posCommitted, Stop: 1000}},
		{"big partition", split{Topic: "t", Partition: 1<<31 - 1, Next: 1 << 40, Stop: 1<<40 + 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.s.state()
			got, err := decodeSplit(st)
			if err != nil || got != tc.s {
				t.Fatalf("round trip %+v: got %+v, %v", tc.s, got, err)
			}
			if st.ID != tc.s.id() {
				t.Fatalf("id %q", st.ID)
			}
			for cut := 0; cut < len(st.Data); cut++ {
				if _, err := decodeSplit(stream.SplitState{ID: st.ID, Data: st.Data[:cut]}); err == nil {
					t.Fatalf("truncated to %d bytes: no error", cut)
				}
			}
		})
	}
}

func TestCommittableCodec(t *testing.T) {
	c := encodeCommittable("prefix-3-17", 1234567, 5)
	name, pid, epoch, err := decodeCommittable(c)
	if err != nil || name != "prefix-3-17" || pid != 1234567 || epoch != 5 {
		t.Fatalf("got %q %d %d %v", name, pid, epoch, err)
	}
	for cut := 0; cut < len(c); cut++ {
		if _, _, _, err := decodeCommittable(c[:cut]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", cut)
		}
	}
	if p, err := decodeWriterState(encodeWriterState(7)); err != nil || p != 7 {
		t.Fatalf("writer state: %d %v", p, err)
	}
}

// TestAssignSplitsByOwner: every split goes to its owner, fresh or
// restored, whatever the order of the list.
func TestAssignSplitsByOwner(t *testing.T) {
	var splits []stream.SplitState
	for _, tp := range []string{"a", "b", "orders"} {
		for p := int32(0); p < 5; p++ {
			splits = append(splits, split{Topic: tp, Partition: p, Next: posEarliest, Stop: -1}.state())
		}
	}
	src := &Source[string]{}
	for _, par := range []int{1, 2, 3, 4, 7, 20} {
		got := src.AssignSplits(splits, par)
		n := 0
		for sub, ss := range got {
			for _, st := range ss {
				sp, _ := decodeSplit(st)
				if o := owner(sp.Topic, sp.Partition, par); o != sub {
					t.Fatalf("parallelism %d: %s at subtask %d, owner %d", par, st.ID, sub, o)
				}
				n++
			}
		}
		if n != len(splits) {
			t.Fatalf("parallelism %d: %d splits dealt, want %d", par, n, len(splits))
		}
	}
}

func TestClientOpts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		role  clientRole
		ok    bool
	}{
		{"consumer options", map[string]string{"client.id": "x", "isolation.level": "read_committed", "fetch.max.wait.ms": "100"}, roleConsumer, true},
		{"producer options", map[string]string{"linger.ms": "5", "compression.type": "zstd", "transaction.timeout.ms": "60000"}, roleProducer, true},
		{"unknown", map[string]string{"bogus": "1"}, roleConsumer, false},
		{"wrong side", map[string]string{"linger.ms": "5"}, roleConsumer, false},
		{"bad value", map[string]string{"fetch.max.wait.ms": "soon"}, roleConsumer, false},
		{"bad isolation", map[string]string{"isolation.level": "dirty"}, roleConsumer, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := clientOpts(tc.props, tc.role)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if got := PropertiesFrom(map[string]string{"properties.client.id": "c", "sink.delivery-guarantee": "none"}); len(got) != 1 || got["client.id"] != "c" {
		t.Fatalf("PropertiesFrom: %v", got)
	}
}

// TestReaderCurrentSplit: the reader names the partition of each record
// it returns, so FromSourceWithWatermarks keeps a watermark per partition.
func TestReaderCurrentSplit(t *testing.T) {
	var _ stream.SplitAwareReader = (*reader[string])(nil)
	r := &reader[string]{
		src: &Source[string]{opts: SourceOptions[string]{Deserializer: func(rec *kgo.Record) (string, error) { return string(rec.Value), nil }}},
		parts: map[tp]*split{
			{"orders", 0}: {Topic: "orders", Partition: 0, Stop: -1},
			{"orders", 3}: {Topic: "orders", Partition: 3, Stop: -1},
		},
		buf: []*kgo.Record{
			{Topic: "orders", Partition: 3, Offset: 0, Value: []byte("a")},
			{Topic: "orders", Partition: 0, Offset: 0, Value: []byte("b")},
			{Topic: "orders", Partition: 3, Offset: 1, Value: []byte("c")},
		},
	}
	for _, want := range []struct{ v, split string }{{"a", "orders-3"}, {"b", "orders-0"}, {"c", "orders-3"}} {
		v, err := r.Next(context.Background())
		if err != nil || v != want.v || r.CurrentSplit() != want.split {
			t.Fatalf("Next = %q, %v, split %q; want %q from %s", v, err, r.CurrentSplit(), want.v, want.split)
		}
	}
}
