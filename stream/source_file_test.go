package stream

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// seekRecorder is an io.ReadSeeker that records where each read started
// and how many bytes were read.
type seekRecorder struct {
	r         *strings.Reader
	seeks     []int64
	minRead   int64 // smallest offset a read started at; -1 before any read
	bytesRead int64
}

func (s *seekRecorder) Read(p []byte) (int, error) {
	pos, _ := s.r.Seek(0, io.SeekCurrent)
	if s.minRead < 0 || pos < s.minRead {
		s.minRead = pos
	}
	n, err := s.r.Read(p)
	s.bytesRead += int64(n)
	return n, err
}

func (s *seekRecorder) Seek(off int64, whence int) (int64, error) {
	pos, err := s.r.Seek(off, whence)
	s.seeks = append(s.seeks, pos)
	return pos, err
}

// TestReadSplitSeeksToItsRange proves a split reader starts reading at its
// range (one byte before it, to find the first line start) instead of
// reading and dropping the bytes before it, and that the splits together
// emit every line exactly once.
func TestReadSplitSeeksToItsRange(t *testing.T) {
	var b strings.Builder
	var lines []string
	for i := 0; b.Len() < 2<<20; i++ { // 2 MiB: several bufio buffers
		l := fmt.Sprintf("line %d %s", i, strings.Repeat("x", i%97))
		lines = append(lines, l)
		b.WriteString(l + "\n")
	}
	content := b.String()
	size := int64(len(content))
	const parallelism = 4
	per := (size + parallelism - 1) / parallelism
	var got []string
	for sub := 0; sub < parallelism; sub++ {
		t.Run(fmt.Sprintf("split %d of %d", sub, parallelism), func(t *testing.T) {
			start, end := per*int64(sub), min(per*int64(sub+1), size)
			f := &seekRecorder{r: strings.NewReader(content), minRead: -1}
			err := readSplit(context.Background(), f, start, end, func(l string) { got = append(got, l) })
			if err != nil {
				t.Fatal(err)
			}
			wantOff := max(start-1, 0)
			if len(f.seeks) != 1 || f.seeks[0] != wantOff {
				t.Fatalf("seeks %v, want one to %d", f.seeks, wantOff)
			}
			if f.minRead != wantOff {
				t.Fatalf("first read at %d, want %d", f.minRead, wantOff)
			}
			if f.bytesRead > size-wantOff {
				t.Fatalf("read %d bytes, more than the %d from the split on", f.bytesRead, size-wantOff)
			}
		})
	}
	if !slices.Equal(got, lines) {
		t.Fatalf("splits emitted %d lines, want %d in order", len(got), len(lines))
	}
}
