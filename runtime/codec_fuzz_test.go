package runtime

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// codecFuzzTarget decodes arbitrary bytes as one type and, when that
// succeeds, checks the value survives a second round trip.
type codecFuzzTarget struct {
	name string
	// run decodes src; it returns an error only for a broken invariant.
	run func(src []byte) error
}

func codecFuzzFor[T any](name string, deterministic bool) codecFuzzTarget {
	r := NewCodecRegistry()
	c, err := CodecFor[T](r)
	if err != nil {
		panic(err)
	}
	return codecFuzzTarget{name: name, run: func(src []byte) error {
		v, n, err := c.Decode(src)
		if err != nil {
			if n != 0 {
				return fmt.Errorf("%s: error %v with n=%d", name, err, n)
			}
			return nil
		}
		if n < 0 || n > len(src) {
			return fmt.Errorf("%s: n=%d of %d bytes", name, n, len(src))
		}
		b := c.Append(nil, v)
		v2, n2, err := c.Decode(b)
		if err != nil || n2 != len(b) {
			return fmt.Errorf("%s: re-decode: n=%d of %d, %v", name, n2, len(b), err)
		}
		if deterministic {
			if b2 := c.Append(nil, v2); !bytes.Equal(b, b2) {
				return fmt.Errorf("%s: re-encoding differs:\n%x\n%x", name, b, b2)
			}
		}
		return nil
	}}
}

func codecFuzzTargets() []codecFuzzTarget {
	return []codecFuzzTarget{
		codecFuzzFor[codecClick]("click", true),
		codecFuzzFor[codecAll]("all", false),
		codecFuzzFor[codecNode]("node", true),
		codecFuzzFor[map[string][]int32]("map", false),
		codecFuzzFor[[]*[2]time.Time]("times", true),
		codecFuzzFor[[][]byte]("bytes", true),
	}
}

// FuzzCodecDecode feeds corrupt input to the default codec's decoders: the
// first byte picks the type. Decoding must fail cleanly or yield a value
// that round-trips, never panic or allocate without bound.
func FuzzCodecDecode(f *testing.F) {
	targets := codecFuzzTargets()
	r := NewCodecRegistry()
	seed := func(i int, b []byte) { f.Add(append([]byte{byte(i)}, b...)) }
	click, _ := CodecFor[codecClick](r)
	seed(0, click.Append(nil, codecClick{UserID: 7, Page: "/p", Score: 1.5, Country: "DE"}))
	all, _ := CodecFor[codecAll](r)
	seed(1, all.Append(nil, codecSample()))
	node, _ := CodecFor[codecNode](r)
	seed(2, node.Append(nil, codecNode{Val: 1, Next: &codecNode{Val: 2}, Kids: []codecNode{{Val: 3}}}))
	m, _ := CodecFor[map[string][]int32](r)
	seed(3, m.Append(nil, map[string][]int32{"a": {1, 2}, "b": nil}))
	tm, _ := CodecFor[[]*[2]time.Time](r)
	seed(4, tm.Append(nil, []*[2]time.Time{nil, {time.Unix(1, 2).UTC(), time.Unix(-5, 0).In(time.FixedZone("", 7200))}}))
	bs, _ := CodecFor[[][]byte](r)
	seed(5, bs.Append(nil, [][]byte{nil, {}, []byte("xyz")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		tg := targets[int(data[0])%len(targets)]
		if err := tg.run(data[1:]); err != nil {
			t.Fatal(err)
		}
	})
}
