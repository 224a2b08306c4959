// Package job is the ledger example's job: it reads transactions
// "<account> <amount>" from text files, keeps each account's count and
// running balance in keyed state and writes "<account> <seq> <balance>"
// for every transaction through the exactly-once file sink. With
// checkpointing on, a run that fails and restores anywhere on the way
// still writes, for every account, exactly the seqs 1…n and a last balance
// equal to the sum of its amounts (see package ledgercheck).
package job

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/stream"
)

// Txn is one transaction.
type Txn struct {
	Account string
	Amount  int64
}

// Account is an account's keyed state.
type Account struct {
	Count   int64
	Balance int64
}

// Build adds the ledger job to env: input is a file or folder (local or
// hdfs://), output the sink's folder, rate the lines per second each
// source subtask reads (0: unlimited).
func Build(env *stream.Environment, input, output string, rate float64) {
	stream.WriteText(Balances(Transactions(env, input, rate)), output)
}

// Transactions is the job's source: the parsed lines of input, at most
// rate per second per subtask (0: unlimited).
func Transactions(env *stream.Environment, input string, rate float64) stream.Stream[Txn] {
	return stream.FromSource[Txn](env, &source{inner: stream.TextFileSource(input), rate: rate}, "Ledger "+input)
}

// Balances keys transactions by account, keeps each account's count and
// balance in keyed state and emits "<account> <seq> <balance>" for each.
func Balances(txns stream.Stream[Txn]) stream.Stream[string] {
	ks := stream.KeyBy(txns, func(t Txn) string { return t.Account })
	return stream.Process(ks, func(c *stream.KeyedContext[string, Account], t Txn, emit func(string)) {
		a, _ := c.Value()
		a.Count++
		a.Balance += t.Amount
		c.Update(a)
		emit(t.Account + " " + strconv.FormatInt(a.Count, 10) + " " + strconv.FormatInt(a.Balance, 10))
	})
}

// ParseLine parses "<account> <amount>"; ok is false for a blank line.
func ParseLine(line string) (t Txn, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return Txn{}, false, nil
	}
	if len(f) != 2 {
		return Txn{}, false, fmt.Errorf("line %q: want \"<account> <amount>\"", line)
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return Txn{}, false, fmt.Errorf("line %q: amount %q is not an integer", line, f[1])
	}
	return Txn{Account: f[0], Amount: n}, true, nil
}

// source parses the lines of a text file source, at most rate per second
// per subtask. Its splits and positions are the text source's.
type source struct {
	inner stream.Source[string]
	rate  float64
}

func (s *source) Info() stream.SourceInfo { return s.inner.Info() }

func (s *source) Splits(ctx context.Context, p int) ([]stream.SplitState, error) {
	return s.inner.Splits(ctx, p)
}

func (s *source) Reader(ctx context.Context, rc stream.ReaderContext) (stream.SplitReader[Txn], error) {
	r, err := s.inner.Reader(ctx, rc)
	if err != nil {
		return nil, err
	}
	return &reader{SplitReader: r, rate: s.rate, idle: rc.Idle}, nil
}

// reader parses and paces one subtask's lines. While it waits for the
// rate it calls idle, which flushes output and lets checkpoints through.
type reader struct {
	stream.SplitReader[string]
	rate  float64
	idle  func()
	start time.Time
	n     int64
}

func (r *reader) Next(ctx context.Context) (Txn, error) {
	for {
		if err := r.pace(ctx); err != nil {
			return Txn{}, err
		}
		line, err := r.SplitReader.Next(ctx)
		if err != nil {
			return Txn{}, err
		}
		r.n++
		t, ok, err := ParseLine(line)
		if err != nil {
			if lp, isLP := r.SplitReader.(stream.LinePositioner); isLP {
				path, off := lp.LastLine()
				return Txn{}, fmt.Errorf("ledger input %s at byte %d: %w", path, off, err)
			}
			return Txn{}, fmt.Errorf("ledger input: %w", err)
		}
		if ok {
			return t, nil
		}
	}
}

// pace waits until the next line is due.
func (r *reader) pace(ctx context.Context) error {
	if r.rate <= 0 {
		return nil
	}
	if r.start.IsZero() {
		r.start = time.Now()
	}
	due := r.start.Add(time.Duration(float64(r.n) / r.rate * float64(time.Second)))
	for {
		wait := time.Until(due)
		if wait <= 0 {
			return nil
		}
		if r.idle != nil {
			r.idle()
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
