package netio

import (
	"context"
	"errors"
	"io"
	"testing"
)

// benchExchange streams b.N records of recLen bytes from one producer
// subtask to one consumer subtask and reports records/s and MB/s.
func benchExchange(b *testing.B, remote bool, recLen int) {
	o := tmOptions{numBuffers: 512, credits: DefaultCredits}
	prod := newTestTM(b, o)
	cons := prod
	if remote {
		cons = newTestTM(b, o)
	}
	ctx := context.Background()
	id := PartitionID{Job: "bench"}
	p := newPartition(b, prod, id, 1, nil)
	g, err := NewInputGate([]*InputChannel{dial(b, cons, prod, id, 0)}, GateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	rec := make([]byte, recLen)
	b.SetBytes(int64(recLen))
	b.ReportAllocs()
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < b.N; i++ {
			if err := p.Emit(ctx, 0, rec); err != nil {
				errc <- err
				return
			}
		}
		errc <- p.Finish(ctx)
	}()
	n := 0
	for {
		el, err := g.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if !el.IsEvent() {
			n++
		}
	}
	b.StopTimer()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	if n != b.N {
		b.Fatalf("received %d records, sent %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkTCP100B(b *testing.B)   { benchExchange(b, true, 100) }
func BenchmarkLocal100B(b *testing.B) { benchExchange(b, false, 100) }
func BenchmarkTCP1KiB(b *testing.B)   { benchExchange(b, true, 1024) }
