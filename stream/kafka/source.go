package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/stream"
)

// StartMode says where a partition is first read from (Flink's
// scan.startup.mode).
type StartMode int

const (
	// StartEarliest reads each partition from its log start
	// ("earliest-offset"; the default).
	StartEarliest StartMode = iota
	// StartLatest reads only records written after the job started
	// ("latest-offset").
	StartLatest
	// StartCommitted starts at the consumer group's committed offsets,
	// and at the earliest offset where the group has none
	// ("group-offsets"; needs a GroupID).
	StartCommitted
	// StartTimestamp starts at the first record with a timestamp at or
	// after StartOffsets.Timestamp ("timestamp").
	StartTimestamp
	// StartExplicit starts at StartOffsets.Offsets, and at the earliest
	// offset for a partition not listed ("specific-offsets").
	StartExplicit
)

// StartOffsets is where a source starts reading the partitions that exist
// when the job starts. Partitions found later by discovery are read from
// their earliest offset, and a restored job continues from its
// checkpoint.
type StartOffsets struct {
	Mode StartMode
	// Timestamp is the Unix time in milliseconds of StartTimestamp.
	Timestamp int64
	// Offsets are StartExplicit's offsets, by topic and partition.
	Offsets map[string]map[int32]int64
}

// ErrSkipRecord is what a Deserializer returns to drop a record silently
// (for records the job ignores by design, such as blank lines).
var ErrSkipRecord = errors.New("skip record")

// Deserializer turns a Kafka record (value, key, headers, topic,
// partition, offset and timestamp) into the job's record type. An error
// fails the job naming the topic, partition and offset, unless
// SourceOptions.SkipInvalid (then the record is dropped and counted).
type Deserializer[T any] func(r *kgo.Record) (T, error)

// SourceOptions configure a Source.
type SourceOptions[T any] struct {
	// Brokers are the bootstrap servers (bootstrap.servers).
	Brokers []string
	// Topics to read, or TopicPattern: a regular expression over topic
	// names (topic-pattern); exactly one of the two.
	Topics       []string
	TopicPattern string
	// GroupID is the consumer group the offsets of completed checkpoints
	// are committed to for monitoring (and read by StartCommitted). The
	// source does not join the group: partitions are assigned by Floe.
	GroupID string
	Start   StartOffsets
	// Bounded reads up to the offsets current when the job starts, then
	// ends (Flink's setBounded(latest)).
	Bounded bool
	// DiscoveryInterval is how often a running unbounded source looks
	// for new partitions and topics (partition.discovery.interval.ms;
	// default 5 minutes, negative: never).
	DiscoveryInterval time.Duration
	Deserializer      Deserializer[T]
	// SkipInvalid drops records the deserializer rejects instead of
	// failing the job.
	SkipInvalid bool
	// SkipInvalidName is what the job's users know SkipInvalid by (a
	// flag such as "--skip-invalid", a configuration key), named by the
	// error of a rejected record; default "SkipInvalid".
	SkipInvalidName string
	// RecordsPerSecond limits the records each source subtask emits per
	// second (0: unlimited).
	RecordsPerSecond float64
	// Properties are Kafka client options (see PropertiesFrom), e.g.
	// "isolation.level": "read_committed".
	Properties map[string]string
	// ConnectTimeout bounds the wait for the brokers (default
	// DefaultConnectTimeout).
	ConnectTimeout time.Duration
	Logger         zerolog.Logger
}

// DefaultDiscoveryInterval is Flink's default partition.discovery.interval.ms.
const DefaultDiscoveryInterval = 5 * time.Minute

// Source is a Kafka source on Floe's split interface: each partition is a
// split, owned by one subtask (see AssignSplits), whose state is the
// offset of the next record to read; checkpoints store these offsets.
type Source[T any] struct {
	opts    SourceOptions[T]
	pattern *regexp.Regexp
	props   []kgo.Opt
}

// NewSource validates opts and returns the source.
func NewSource[T any](opts SourceOptions[T]) (*Source[T], error) {
	s := &Source[T]{opts: opts}
	switch {
	case len(opts.Brokers) == 0:
		return nil, errors.New("kafka source: no brokers (bootstrap.servers)")
	case len(opts.Topics) == 0 && opts.TopicPattern == "":
		return nil, errors.New("kafka source: no topic: set Topics or TopicPattern")
	case len(opts.Topics) > 0 && opts.TopicPattern != "":
		return nil, errors.New("kafka source: set Topics or TopicPattern, not both")
	case opts.Deserializer == nil:
		return nil, errors.New("kafka source: no Deserializer")
	case opts.Start.Mode == StartCommitted && opts.GroupID == "":
		return nil, errors.New("kafka source: start from committed offsets needs a GroupID (group.id)")
	case opts.RecordsPerSecond < 0:
		return nil, fmt.Errorf("kafka source: RecordsPerSecond %v is negative", opts.RecordsPerSecond)
	}
	if opts.TopicPattern != "" {
		re, err := regexp.Compile("^(?:" + opts.TopicPattern + ")$")
		if err != nil {
			return nil, fmt.Errorf("kafka source: topic pattern %q: %w", opts.TopicPattern, err)
		}
		s.pattern = re
	}
	if s.opts.SkipInvalidName == "" {
		s.opts.SkipInvalidName = "SkipInvalid"
	}
	if s.opts.DiscoveryInterval == 0 {
		s.opts.DiscoveryInterval = DefaultDiscoveryInterval
	}
	props, err := clientOpts(opts.Properties, roleConsumer)
	if err != nil {
		return nil, fmt.Errorf("kafka source: %w", err)
	}
	s.props = props
	return s, nil
}

// FromKafka adds a Kafka source to env under name; an invalid option
// fails the job when it is built.
func FromKafka[T any](env *stream.Environment, name string, opts SourceOptions[T]) stream.Stream[T] {
	src, err := NewSource(opts)
	if err != nil {
		return stream.FromSource[T](env, failedSource[T]{err: err}, name)
	}
	return stream.FromSource[T](env, src, name)
}

// Info implements stream.Source.
func (s *Source[T]) Info() stream.SourceInfo {
	return stream.SourceInfo{Bounded: s.opts.Bounded, Replayable: true}
}

// Splits implements stream.Source: the partitions of the topics, each at
// the start offset (resolved by its reader) and, when bounded, with the
// end offset current now as its stop.
func (s *Source[T]) Splits(ctx context.Context, _ int) ([]stream.SplitState, error) {
	cl, err := newClient(ctx, s.opts.Brokers, s.opts.ConnectTimeout, s.props)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	counts, err := s.partitions(ctx, adm)
	if err != nil {
		return nil, err
	}
	var stops kadm.ListedOffsets
	if s.opts.Bounded {
		stops, err = listEnd(ctx, adm, s.opts.Properties, topicsOf(counts))
		if err != nil {
			return nil, err
		}
	}
	var out []stream.SplitState
	for _, t := range topicsOf(counts) {
		for p := int32(0); p < counts[t]; p++ {
			sp := split{Topic: t, Partition: p, Next: s.startOffset(t, p), Stop: -1}
			if s.opts.Bounded {
				o, ok := stops.Lookup(t, p)
				if !ok || o.Err != nil {
					return nil, fmt.Errorf("end offset of %s/%d: %v", t, p, o.Err)
				}
				sp.Stop = o.Offset
			}
			out = append(out, sp.state())
		}
	}
	return out, nil
}

// partitions lists the topics read and their partition counts.
func (s *Source[T]) partitions(ctx context.Context, adm *kadm.Client) (map[string]int32, error) {
	if s.pattern == nil {
		return partitionCounts(ctx, adm, s.opts.Brokers, s.opts.Topics)
	}
	td, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	out := map[string]int32{}
	for t, d := range td {
		if s.pattern.MatchString(t) && d.Err == nil {
			out[t] = int32(len(d.Partitions))
		}
	}
	return out, nil
}

// startOffset is a fresh split's position: an offset, or one of the
// symbolic positions its reader resolves.
func (s *Source[T]) startOffset(t string, p int32) int64 {
	switch s.opts.Start.Mode {
	case StartLatest:
		return posLatest
	case StartCommitted:
		return posCommitted
	case StartTimestamp:
		return posTimestamp
	case StartExplicit:
		if o, ok := s.opts.Start.Offsets[t][p]; ok && o >= 0 {
			return o
		}
	}
	return posEarliest
}

// AssignSplits implements stream.SplitAssigner: a partition belongs to
// subtask (h(topic) + partition) mod parallelism, a rule every reader
// computes alone, so a reader discovering a new partition knows whether
// it is its own, and a rescaled job deals restored partitions by the same
// rule.
func (s *Source[T]) AssignSplits(splits []stream.SplitState, parallelism int) [][]stream.SplitState {
	out := make([][]stream.SplitState, parallelism)
	for i, st := range splits {
		o := i % parallelism
		if sp, err := decodeSplit(st); err == nil {
			o = owner(sp.Topic, sp.Partition, parallelism)
		}
		out[o] = append(out[o], st)
	}
	return out
}

// owner is the subtask that reads partition p of topic t.
func owner(t string, p int32, parallelism int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(t))
	return int((uint64(h.Sum32()) + uint64(p)) % uint64(parallelism))
}

func topicsOf(m map[string]int32) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// listEnd lists the offsets a bounded source stops at: the high
// watermark, or the last stable offset for a read_committed consumer.
func listEnd(ctx context.Context, adm *kadm.Client, props map[string]string, topics []string) (kadm.ListedOffsets, error) {
	var l kadm.ListedOffsets
	var err error
	if props["isolation.level"] == "read_committed" {
		l, err = adm.ListCommittedOffsets(ctx, topics...)
	} else {
		l, err = adm.ListEndOffsets(ctx, topics...)
	}
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %v: %w", topics, err)
	}
	return l, nil
}

// Symbolic positions of a split not read yet.
const (
	posEarliest  = -2
	posLatest    = -1
	posCommitted = -3
	posTimestamp = -4
)

// split is one partition and the offset of the next record to read
// (or a symbolic position), and for a bounded source the offset it stops
// at (-1: unbounded). Its state data:
//
//	+---------+-----------------+-----------------+----------------+----------------+
//	| version | topic (uvarint  | partition       | next (varint)  | stop (varint)  |
//	|   (1)   | len + bytes)    | (uvarint)       |                |                |
//	+---------+-----------------+-----------------+----------------+----------------+
type split struct {
	Topic     string
	Partition int32
	Next      int64
	Stop      int64
}

const splitVersion = 1

func (s split) id() string { return s.Topic + "-" + strconv.Itoa(int(s.Partition)) }

func (s split) state() stream.SplitState {
	b := []byte{splitVersion}
	b = binary.AppendUvarint(b, uint64(len(s.Topic)))
	b = append(b, s.Topic...)
	b = binary.AppendUvarint(b, uint64(s.Partition))
	b = binary.AppendVarint(b, s.Next)
	b = binary.AppendVarint(b, s.Stop)
	return stream.SplitState{ID: s.id(), Data: b}
}

func decodeSplit(st stream.SplitState) (split, error) {
	b := st.Data
	bad := func(what string) (split, error) {
		return split{}, fmt.Errorf("kafka split %q: %s (%d bytes)", st.ID, what, len(st.Data))
	}
	if len(b) == 0 || b[0] != splitVersion {
		return bad("unknown version")
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return bad("bad topic")
	}
	var s split
	s.Topic, b = string(b[k:k+int(n)]), b[k+int(n):]
	p, k := binary.Uvarint(b)
	if k <= 0 || p > 1<<31-1 {
		return bad("bad partition")
	}
	s.Partition, b = int32(p), b[k:]
	if s.Next, k = binary.Varint(b); k <= 0 {
		return bad("bad offset")
	}
	b = b[k:]
	if s.Stop, k = binary.Varint(b); k <= 0 || k != len(b) {
		return bad("bad stop offset")
	}
	return s, nil
}

// failedSource reports an option error when the job runs; FromKafka uses
// it so that building the job stays a chain of calls.
type failedSource[T any] struct{ err error }

func (f failedSource[T]) Info() stream.SourceInfo { return stream.SourceInfo{Replayable: true} }
func (f failedSource[T]) Splits(context.Context, int) ([]stream.SplitState, error) {
	return nil, f.err
}
func (f failedSource[T]) Reader(context.Context, stream.ReaderContext) (stream.SplitReader[T], error) {
	return nil, f.err
}
