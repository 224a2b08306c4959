// Package wc is the wordcount pipeline, shared by the example binary, its
// tests and the benchmarks.
package wc

import (
	"strconv"

	"github.com/floe-yarn/floe/stream"
)

// WordCount is a word and how often it was seen so far.
type WordCount struct {
	Word  string
	Count int64
}

// String formats the record as an output line: "word count".
func (w WordCount) String() string { return w.Word + " " + strconv.FormatInt(w.Count, 10) }

// Split emits the lowercase ASCII-letter words of line (digits and other
// bytes separate words), as the reference count in the tests does.
func Split(line string, emit func(WordCount)) {
	start := -1
	var buf []byte
	for i := 0; i <= len(line); i++ {
		letter := i < len(line) && (line[i]|0x20 >= 'a' && line[i]|0x20 <= 'z')
		if letter && start < 0 {
			start = i
		}
		if !letter && start >= 0 {
			buf = buf[:0]
			for _, c := range []byte(line[start:i]) {
				buf = append(buf, c|0x20)
			}
			emit(WordCount{Word: string(buf), Count: 1})
			start = -1
		}
	}
}

// Build adds the wordcount pipeline to env: lines → words → keyBy word →
// rolling sum → final counts written to output.
func Build(env *stream.Environment, input, output string) {
	counts := Counts(stream.ReadTextFile(env, input).Name("read").UID("read"))
	stream.WriteText(Final(counts), output).Name("write").UID("write")
}

// Counts is the keyed rolling count of the words of lines.
func Counts(lines stream.Stream[string]) stream.Stream[WordCount] {
	words := stream.FlatMap(lines, Split).Name("split").UID("split")
	keyed := stream.KeyBy(words, func(w WordCount) string { return w.Word })
	return stream.Reduce(keyed, func(a, b WordCount) WordCount {
		a.Count += b.Count
		return a
	}).Name("count").UID("count")
}

// Final turns the rolling counts into one final "word count" per word when
// the bounded input ends: it keeps the latest count per word (the stream is
// still partitioned by word, so no exchange is needed).
func Final(counts stream.Stream[WordCount]) stream.Stream[WordCount] {
	ks := stream.AsKeyed(counts, func(w WordCount) string { return w.Word })
	return stream.ProcessWithEnd(ks,
		func(c *stream.KeyedContext[string, int64], w WordCount, _ func(WordCount)) { c.Update(w.Count) },
		func(word string, n int64, emit func(WordCount)) { emit(WordCount{Word: word, Count: n}) },
	).Name("final").UID("final")
}
