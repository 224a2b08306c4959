package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/stream"
)

// pollWait bounds one poll, so that an idle reader calls the subtask's
// Idle (flush, checkpoint safe point) at least this often.
const pollWait = 100 * time.Millisecond

// Reader implements stream.Source.
func (s *Source[T]) Reader(ctx context.Context, rc stream.ReaderContext) (stream.SplitReader[T], error) {
	cl, err := newClient(ctx, s.opts.Brokers, s.opts.ConnectTimeout, s.props,
		// Direct consumption of the partitions Floe assigns; a placeholder
		// assignment makes the client a direct consumer so that partitions
		// can be added as they are assigned and discovered.
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{}),
		// Transaction markers advance a partition's position too, so a
		// bounded split whose last entries are markers still finishes.
		kgo.KeepControlRecords())
	if err != nil {
		return nil, fmt.Errorf("kafka source subtask %d: %w", rc.Subtask, err)
	}
	r := &reader[T]{src: s, rc: rc, cl: cl, adm: kadm.NewClient(cl), parts: map[tp]*split{},
		log: s.opts.Logger.With().Str("component", "kafka-source").Int("subtask", rc.Subtask).Logger()}
	return r, nil
}

type tp struct {
	t string
	p int32
}

// reader reads the partitions of one subtask. Next, Snapshot, AddSplits
// and NotifyCheckpointComplete run on the source's goroutine; mu guards
// the partition table against Close.
type reader[T any] struct {
	src *Source[T]
	rc  stream.ReaderContext
	cl  *kgo.Client
	adm *kadm.Client
	log zerolog.Logger

	mu       sync.Mutex
	parts    map[tp]*split // not yet finished
	buf      []*kgo.Record
	lastDisc time.Time
	start    time.Time
	emitted  int64
	skipped  int64
	cur      string // the split of the record Next returned last
}

// CurrentSplit implements stream.SplitAwareReader: with
// stream.FromSourceWithWatermarks every partition keeps its own watermark
// (and goes idle on its own with WithIdleness), so a partition that
// lags or falls silent does not stall event time the others advance.
func (r *reader[T]) CurrentSplit() string { return r.cur }

// AddSplits implements stream.SplitReader: symbolic positions are
// resolved to offsets and the partitions are consumed from there.
func (r *reader[T]) AddSplits(states []stream.SplitState) error {
	var add []split
	for _, st := range states {
		sp, err := decodeSplit(st)
		if err != nil {
			return err
		}
		add = append(add, sp)
	}
	return r.add(context.Background(), add)
}

func (r *reader[T]) add(ctx context.Context, add []split) error {
	if len(add) == 0 {
		return nil
	}
	if err := r.resolve(ctx, add); err != nil {
		return err
	}
	consume := map[string]map[int32]kgo.Offset{}
	r.mu.Lock()
	for i := range add {
		sp := add[i]
		if sp.Stop >= 0 && sp.Next >= sp.Stop {
			continue // a bounded split with nothing to read
		}
		r.parts[tp{sp.Topic, sp.Partition}] = &sp
		if consume[sp.Topic] == nil {
			consume[sp.Topic] = map[int32]kgo.Offset{}
		}
		consume[sp.Topic][sp.Partition] = kgo.NewOffset().At(sp.Next)
	}
	r.mu.Unlock()
	r.cl.AddConsumePartitions(consume)
	return nil
}

// resolve replaces the symbolic positions of splits by offsets.
func (r *reader[T]) resolve(ctx context.Context, sps []split) error {
	topics := map[int64]map[string]bool{}
	for _, sp := range sps {
		if sp.Next < 0 {
			if topics[sp.Next] == nil {
				topics[sp.Next] = map[string]bool{}
			}
			topics[sp.Next][sp.Topic] = true
		}
	}
	lookups := map[int64]func(ts ...string) (kadm.ListedOffsets, error){
		posEarliest: func(ts ...string) (kadm.ListedOffsets, error) { return r.adm.ListStartOffsets(ctx, ts...) },
		posLatest:   func(ts ...string) (kadm.ListedOffsets, error) { return listEnd(ctx, r.adm, r.src.opts.Properties, ts) },
		posTimestamp: func(ts ...string) (kadm.ListedOffsets, error) {
			return r.adm.ListOffsetsAfterMilli(ctx, r.src.opts.Start.Timestamp, ts...)
		},
	}
	found := map[int64]kadm.ListedOffsets{}
	var committed kadm.OffsetResponses
	for pos, ts := range topics {
		names := keys(ts)
		if pos == posCommitted {
			c, err := r.adm.FetchOffsetsForTopics(ctx, r.src.opts.GroupID, names...)
			if err != nil {
				return fmt.Errorf("committed offsets of group %q: %w", r.src.opts.GroupID, err)
			}
			committed = c
			if _, ok := topics[posEarliest]; !ok {
				topics[posEarliest] = map[string]bool{}
			}
			pos = posEarliest // fallback where the group has no offset
		}
		l, err := lookups[pos](names...)
		if err != nil {
			return fmt.Errorf("list offsets of %v: %w", names, err)
		}
		found[pos] = l
	}
	for i := range sps {
		sp := &sps[i]
		if sp.Next >= 0 {
			continue
		}
		if sp.Next == posCommitted {
			if o, ok := committed.Lookup(sp.Topic, sp.Partition); ok && o.Err == nil && o.At >= 0 {
				sp.Next = o.At
				continue
			}
			sp.Next = posEarliest
		}
		o, ok := found[sp.Next].Lookup(sp.Topic, sp.Partition)
		if !ok || o.Err != nil {
			return fmt.Errorf("offset of %s/%d: %v", sp.Topic, sp.Partition, o.Err)
		}
		sp.Next = o.Offset
		if sp.Next < 0 {
			// No record after the timestamp: start at the end.
			e, err := listEnd(ctx, r.adm, r.src.opts.Properties, []string{sp.Topic})
			if err != nil {
				return err
			}
			eo, _ := e.Lookup(sp.Topic, sp.Partition)
			sp.Next = eo.Offset
		}
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Next implements stream.SplitReader.
func (r *reader[T]) Next(ctx context.Context) (T, error) {
	var zero T
	for {
		for len(r.buf) > 0 {
			rec := r.buf[0]
			r.buf[0] = nil
			r.buf = r.buf[1:]
			sp := r.parts[tp{rec.Topic, rec.Partition}]
			if sp == nil || rec.Offset < sp.Next {
				continue // a partition finished or a record already read
			}
			if sp.Stop >= 0 && rec.Offset >= sp.Stop {
				r.finish(sp)
				continue
			}
			if rec.Attrs.IsControl() {
				sp.Next = rec.Offset + 1
				if sp.Stop >= 0 && sp.Next >= sp.Stop {
					r.finish(sp)
				}
				continue
			}
			if err := r.pace(ctx); err != nil {
				return zero, err
			}
			sp.Next = rec.Offset + 1
			if sp.Stop >= 0 && sp.Next >= sp.Stop {
				r.finish(sp)
			}
			v, err := r.src.opts.Deserializer(rec)
			if errors.Is(err, ErrSkipRecord) {
				continue
			}
			if err != nil {
				if r.src.opts.SkipInvalid {
					r.skipped++
					r.log.Warn().Err(err).Str("topic", rec.Topic).Int32("partition", rec.Partition).
						Int64("offset", rec.Offset).Int64("skipped", r.skipped).Msg("skipping a record the deserializer rejects")
					continue
				}
				return zero, fmt.Errorf("kafka record topic %q partition %d offset %d: deserialize: %w (%s skips such records)",
					rec.Topic, rec.Partition, rec.Offset, err, r.src.opts.SkipInvalidName)
			}
			r.emitted++
			r.cur = sp.id()
			return v, nil
		}
		if r.src.opts.Bounded && len(r.parts) == 0 {
			return zero, io.EOF
		}
		if err := r.discover(ctx); err != nil {
			return zero, err
		}
		if err := r.poll(ctx); err != nil {
			return zero, err
		}
		if len(r.buf) == 0 && r.rc.Idle != nil {
			r.rc.Idle()
		}
		if ctx.Err() != nil {
			return zero, context.Cause(ctx)
		}
	}
}

// poll fetches the next records into buf, waiting at most pollWait.
func (r *reader[T]) poll(ctx context.Context) error {
	if len(r.parts) == 0 {
		// Nothing assigned (more subtasks than partitions): wait for discovery.
		t := time.NewTimer(pollWait)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, pollWait)
	fs := r.cl.PollRecords(pctx, 4096)
	cancel()
	var ferr error
	fs.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		if ferr == nil {
			ferr = fmt.Errorf("kafka fetch %s/%d: %w", t, p, err)
		}
	})
	if ferr != nil {
		if errors.Is(ferr, kgo.ErrClientClosed) || ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return ferr
	}
	r.buf = fs.Records()
	return nil
}

// finish drops a bounded split that reached its stop offset.
func (r *reader[T]) finish(sp *split) {
	r.mu.Lock()
	delete(r.parts, tp{sp.Topic, sp.Partition})
	r.mu.Unlock()
	r.cl.RemoveConsumePartitions(map[string][]int32{sp.Topic: {sp.Partition}})
}

// pace waits until the next record is due under RecordsPerSecond,
// calling Idle meanwhile.
func (r *reader[T]) pace(ctx context.Context) error {
	rate := r.src.opts.RecordsPerSecond
	if rate <= 0 {
		return nil
	}
	if r.start.IsZero() {
		r.start = time.Now()
	}
	due := r.start.Add(time.Duration(float64(r.emitted) / rate * float64(time.Second)))
	for {
		wait := time.Until(due)
		if wait <= 0 {
			return nil
		}
		if r.rc.Idle != nil {
			r.rc.Idle()
		}
		t := time.NewTimer(min(wait, 50*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// discover adds the partitions (and topics matching the pattern) created
// since the last look that this subtask owns, from their earliest offset.
// A bounded source does not discover.
func (r *reader[T]) discover(ctx context.Context) error {
	iv := r.src.opts.DiscoveryInterval
	if r.src.opts.Bounded || iv < 0 {
		return nil
	}
	if !r.lastDisc.IsZero() && time.Since(r.lastDisc) < iv {
		return nil
	}
	first := r.lastDisc.IsZero()
	r.lastDisc = time.Now()
	if first {
		return nil // the splits just assigned are current
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	counts, err := r.src.partitions(dctx, r.adm)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		r.log.Warn().Err(err).Msg("partition discovery failed; trying again at the next interval")
		return nil
	}
	var add []split
	for _, t := range topicsOf(counts) {
		for p := int32(0); p < counts[t]; p++ {
			if owner(t, p, r.rc.Parallelism) != r.rc.Subtask {
				continue
			}
			if _, ok := r.parts[tp{t, p}]; ok {
				continue
			}
			add = append(add, split{Topic: t, Partition: p, Next: posEarliest, Stop: -1})
		}
	}
	if len(add) > 0 {
		r.log.Info().Int("partitions", len(add)).Msg("discovered new partitions; reading them from the earliest offset")
	}
	return r.add(dctx, add)
}

// Snapshot implements stream.SplitReader: the offset of the next record
// of every partition not finished.
func (r *reader[T]) Snapshot() []stream.SplitState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]stream.SplitState, 0, len(r.parts))
	for _, sp := range r.parts {
		out = append(out, sp.state())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// NotifyCheckpointComplete implements stream.SplitCheckpointListener:
// the checkpoint's offsets are committed to the group, for monitoring
// (a failure is logged, not fatal: the offsets that count are in the
// checkpoint).
func (r *reader[T]) NotifyCheckpointComplete(ctx context.Context, id int64, states []stream.SplitState) error {
	if r.src.opts.GroupID == "" || len(states) == 0 {
		return nil
	}
	os := kadm.Offsets{}
	for _, st := range states {
		sp, err := decodeSplit(st)
		if err != nil || sp.Next < 0 {
			continue
		}
		os.Add(kadm.Offset{Topic: sp.Topic, Partition: sp.Partition, At: sp.Next, LeaderEpoch: -1})
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := r.adm.CommitOffsets(cctx, r.src.opts.GroupID, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		r.log.Warn().Err(err).Int64("checkpoint", id).Str("group", r.src.opts.GroupID).Msg("committing offsets to the group failed")
	}
	return nil
}

// Close implements stream.SplitReader.
func (r *reader[T]) Close() error {
	r.cl.Close()
	return nil
}
