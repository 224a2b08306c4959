package main

import (
	"testing"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/stream"
)

func BenchmarkRecordCodec(b *testing.B) {
	c, err := runtime.CodecFor[Record](runtime.NewCodecRegistry())
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	r := Record{Key: 42}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = c.Append(buf[:0], r)
		if _, _, err := c.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func benchPipeline(b *testing.B, name string) {
	for i := 0; i < b.N; i++ {
		env := stream.NewEnvironment(stream.Options{})
		stream.RegisterCodec[Record](env, recordCodec{})
		var got int64
		if err := build(env, name, 5_000_000, func(_ int, n int64) { got = n }); err != nil {
			b.Fatal(err)
		}
		if err := env.Execute(name); err != nil {
			b.Fatal(err)
		}
		if got == 0 {
			b.Fatal("no records")
		}
	}
}

func BenchmarkChained(b *testing.B)   { benchPipeline(b, "chained") }
func BenchmarkExchange(b *testing.B)  { benchPipeline(b, "exchange") }
func BenchmarkWordCount(b *testing.B) { benchPipeline(b, "wordcount") }
